"""The wizard's App: holds the context and moves between steps, saving progress at each."""
from __future__ import annotations

from textual.app import App
from textual.binding import Binding

from wizard.context import WizardContext
from wizard.errors import StateFileError, WizardError
from wizard.logs import log

from .steps import previous_step, screen_class


class WizardApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "Porter setup"
    ENABLE_COMMAND_PALETTE = False
    # Shown in the footer on every screen: quitting is always safe, progress is already saved.
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", priority=True)]

    def __init__(self, ctx: WizardContext, *, startup_error: StateFileError | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        self._startup_error = startup_error
        self._started = False
        #: Lines printed to the terminal after the app exits, so that what the user may need
        #: later (a console link, say) survives in the scrollback, also over SSH.
        self.exit_notes: dict[str, str] = {}

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

    def show_error(self, error: WizardError) -> None:
        log.warning("%s: %s", error.title, error.what)
        self.notify(f"{error.what}\n{error.next_step}", title=error.title, severity="error",
                    timeout=12)
