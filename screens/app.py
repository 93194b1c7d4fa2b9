"""The wizard's App: holds the context and moves between steps, saving progress at each."""
from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.binding import Binding

from wizard.context import WizardContext
from wizard.crash import UNEXPECTED_TITLE, write_crash_report
from wizard.errors import StateFileError, WizardError
from wizard.logs import log
from wizard.paths import log_file

from .steps import previous_step, screen_class
from .widgets.confirm_modal import ConfirmModal


class WizardApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "Porter setup"
    ENABLE_COMMAND_PALETTE = False
    # Shown in the footer on every screen: quitting is always safe, progress is already saved;
    # while a cloud job runs it asks first, as Esc does (action_quit).
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", priority=True)]
    #: Worker groups whose calls change something in a cloud account or at Porter (JobScreen's
    #: "job" runs provisioning, access and teardown): quitting during one asks first. Read-only
    #: groups (checks, lists, sign-in) quit at once.
    CLOUD_JOB_GROUPS = ("job", "provision", "stack", "rotate", "teardown", "role", "quota-requests", "handoff",
                        "porter-provision", "apis", "providers")

    def __init__(self, ctx: WizardContext, *, startup_error: StateFileError | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        self._startup_error = startup_error
        self._started = False
        #: Lines printed to the terminal after the app exits, so that what the user may need
        #: later (a console link, say) survives in the scrollback, also over SSH.
        self.exit_notes: dict[str, str] = {}
        #: Set when an unexpected exception ended the app: the crash report (None if it could not
        #: be written). The CLI prints where it is and exits 1.
        self.crashed = False
        self.crash_report: Path | None = None

    # -- quitting -------------------------------------------------------------------------
    async def action_quit(self) -> None:
        """Ctrl+Q. At once when nothing is running in the cloud; while a cloud job runs, the same
        question as Esc first (a second Ctrl+Q on that question means yes), and an exit note
        saying what is still being built and that relaunching resumes it."""
        busy = self._cloud_job_screen()
        if busy is None:
            self.exit()
            return
        if isinstance(self.screen, _QuitModal) or self.ctx.force:
            self._quit_during(busy)
            return
        what = self._building(busy)
        body = getattr(busy, "STOP_BODY", "") or ("The wizard stops waiting and starts nothing more; what was "
                                                  "made stays in your account.")

        def decided(quit_now: bool | None) -> None:
            if quit_now:
                self._quit_during(busy)

        self.push_screen(_QuitModal(f"Quit while {what} is running?",
                                    f"{body} Relaunch porter-wizard to resume it.", "Quit",
                                    cancel_label="Keep running"), decided)

    def _cloud_job_screen(self):
        """The screen (anywhere in the stack) with a cloud job running in a worker, or None."""
        for screen in reversed(self.screen_stack):
            if self._running_group(screen):
                return screen
        return None

    def _running_group(self, screen) -> str:
        return next((w.group for w in screen.workers if w.group in self.CLOUD_JOB_GROUPS and w.is_running), "")

    def _building(self, screen) -> str:
        """What is running, in words: by the worker's group, then by the step for the shared job."""
        step = getattr(screen, "STEP", "")
        cloud = {"aws": "AWS", "azure": "Azure", "gcp": "Google Cloud"}.get(step.partition(".")[0], "")
        group = self._running_group(screen)
        by_group = {
            "stack": "the CloudFormation stack for Porter's role",
            "rotate": "the Azure client secret rotation",
            "role": "the Azure setup of Porter's access",
            "quota-requests": " ".join(filter(None, ("the", cloud, "quota increase requests"))),
            "handoff": "the hand-off to Porter",
            "porter-provision": "the request for Porter to build the cluster",
            "apis": "enabling the Google Cloud APIs",
            "providers": "registering the Azure resource providers",
        }
        if group in by_group:
            return by_group[group]
        kind = step.rpartition(".")[2]
        return {"provision": f"{cloud} provisioning (the cluster and its network)".strip(),
                "teardown": f"the {cloud} teardown" if cloud else "the teardown",
                "access": "the Azure setup of Porter's access"}.get(kind, "a job in your cloud account")

    def _quit_during(self, screen) -> None:
        what = self._building(screen)
        self.exit_notes["quit-while-running"] = (
            f"You quit while {what} was running. What the cloud had already started goes on there, "
            "and what was made stays in your account. Relaunch porter-wizard to resume it: it picks up "
            "what was made instead of making it again.")
        log.info("quit while %s was running", what)
        self.exit()

    def on_mount(self) -> None:
        if self._startup_error is not None:
            from .damaged_state import DamagedStateScreen

            self.push_screen(DamagedStateScreen(self._startup_error))
            return
        self.goto(self.ctx.state.step or "welcome")

    def goto(self, step: str) -> None:
        """Show a step and record it, so a relaunch comes back here."""
        cloud = step.partition(".")[0]
        if self.ctx.prepare_cloud and cloud in ("aws", "azure", "gcp"):
            self.ctx.prepare_cloud(cloud)
        try:
            screen = self._screen_for(step)
        except KeyError:
            # A state file from a newer wizard can name a step this one lacks: start at the top.
            step, screen = "welcome", screen_class("welcome")()
        self.ctx.state.step = step
        self.save_progress()
        log.info("step %s", step)
        if self._started:
            self.switch_screen(screen)
        else:
            self._started = True
            self.push_screen(screen)

    def _screen_for(self, step: str):
        if step.endswith(".provision") and self.ctx.state.porter_builds:
            # Porter has the project and the credentials: it builds the cluster, and the wizard
            # never builds a second one behind its back.
            from .porter_provision import PorterProvisionScreen

            return PorterProvisionScreen()
        return screen_class(step)()

    def back(self) -> None:
        previous = previous_step(self.ctx.state.step)
        if previous:
            self.goto(previous)

    def save_progress(self) -> None:
        try:
            self.ctx.save()
        except OSError as exc:
            self.show_error(WizardError(
                "Progress not saved", f"Writing {self.ctx.store.path} failed: {exc.strerror}.",
                "Free some disk space or fix the folder's permissions; the wizard keeps going, "
                "but a relaunch would start from the last saved step."))
        except WizardError as err:  # the folder can't be made private (wizard.paths.ConfigDirError)
            self.show_error(err)

    def save_progress_from_thread(self) -> None:
        """For jobs in worker threads that must have saved before going on (a secret just
        stored in the keyring must be recorded before anything else can fail)."""
        self.call_from_thread(self.save_progress)

    def start_over(self) -> None:
        from wizard.state import WizardState

        self.ctx.state = WizardState()
        self._started = False
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.goto("welcome")

    # -- the last resort ------------------------------------------------------------------
    def _handle_exception(self, error: Exception) -> None:
        """Textual calls this with any exception nothing else caught (in a handler, a timer, or
        a worker). Replaces Textual's own, which prints a Rich traceback with local variables
        (a private key showed up in one): write a redacted crash report without locals instead.
        A worker's failure stops only that step, which offers to try again; anything else ends
        the app with exit code 1."""
        from textual.worker import WorkerFailed

        cause = error.error if isinstance(error, WorkerFailed) else error
        report = write_crash_report(cause, self._log_path())
        log.error("unexpected %s; crash report: %s", type(cause).__name__, report)
        if isinstance(error, WorkerFailed) and isinstance(cause, Exception) and not self.crashed:
            try:
                self._worker_crashed(cause, report)
                return
            except Exception:  # noqa: BLE001 - the app itself is broken: end it below
                pass
        self.crashed, self.crash_report = True, report
        self._return_code = 1
        # As Textual does: under Pilot, the first exception is re-raised for the test.
        if self._exception is None:
            self._exception = error
            self._exception_event.set()
        self._close_messages_no_wait()

    def _fatal_error(self) -> None:
        """Textual's traceback shows locals; nothing here calls this, but never show them."""
        self.crashed, self._return_code = True, 1
        self._close_messages_no_wait()

    def _log_path(self) -> Path | None:
        try:
            return log_file(sandbox=bool(self.ctx.sandbox))
        except Exception:  # noqa: BLE001 - platformdirs failing: the report goes to /tmp
            return None

    def _worker_crashed(self, cause: Exception, report: Path | None) -> None:
        """Tell the screen whose worker failed, as a WizardError it shows like any other."""
        from textual.screen import Screen

        from .messages import RunStopped, StepFailed

        worker = next((w for w in self.workers if w.error is cause), None)
        node = worker.node if worker is not None else self.screen
        screen = node if isinstance(node, Screen) else getattr(node, "screen", self.screen)
        where = f"The crash report is at {report}." if report else "No crash report could be written."
        error = WizardError(
            UNEXPECTED_TITLE,
            f"A bug in porter-wizard stopped this step ({type(cause).__name__}), not something you "
            f"did. {where}",
            f"{self._retry_hint(screen)} If it happens again, send the crash report and "
            "wizard.log to support.", retryable=True)
        if hasattr(screen, "on_run_stopped"):
            node.post_message(RunStopped(error))
        elif hasattr(screen, "on_step_failed"):
            node.post_message(StepFailed(error))
        else:
            self.show_error(error)

    @staticmethod
    def _retry_hint(screen) -> str:
        from textual.widgets import Button

        from .job_screen import JobScreen

        if isinstance(screen, JobScreen):
            return "Press Resume to try again, or Esc to go back."
        for button in screen.query(Button):
            label = str(button.label)
            if label.startswith(("Retry", "Resume", "Try again", "Check again")):
                return f"Press {label} to try again, or Esc to go back."
        return "Press Esc to go back, then come back to this step to try again."

    def show_error(self, error: WizardError) -> None:
        log.warning("%s: %s", error.title, error.what)
        # A cloud's message or a path can hold square brackets: never markup (the title is plain),
        # and no escape sequence reaches the terminal.
        from .plain import printable

        self.notify(printable(f"{error.what}\n{error.next_step}"), title=printable(error.title),
                    severity="error", timeout=12, markup=False)



class _QuitModal(ConfirmModal):
    """The question Ctrl+Q asks while a cloud job runs (a second Ctrl+Q on it means yes)."""
