"""A step that runs a list of cloud operations (set-up, provisioning, teardown): one row per
operation with its state and clock, Start/Resume, Esc asks before stopping, Continue when done.

Subclasses say what the steps are, what the job does (in a thread, through a wizard service) and
what to record when it finishes; they never touch the SDKs themselves.
"""
from __future__ import annotations

import time
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Static

from .plain import plain
from .base import WizardScreen
from .messages import RunFinished, RunStopped, StepChanged
from .widgets.confirm_modal import ConfirmModal
from .widgets.error_panel import ErrorPanel
from .widgets.step_list import StepList
from .worker_tools import run_and_report


class JobScreen(WizardScreen):
    BINDINGS = [Binding("escape", "back", "Back / cancel")]
    START_LABEL = "Start"
    NEXT_STEP = ""
    STOP_TITLE = "Stop?"
    STOP_BODY = "The wizard stops waiting; what was made stays, and Resume continues from there."

    def __init__(self) -> None:
        super().__init__()
        self._started: float | None = None

    # -- what subclasses provide -----------------------------------------------------------
    def step_rows(self) -> list[tuple[str, str]]:
        raise NotImplementedError

    def intro(self) -> ComposeResult:
        yield from ()

    def status_text(self) -> str:
        return ""

    def progress_status(self) -> str:
        """The saved status of this job: "", "running", "done" or "failed"."""
        raise NotImplementedError

    def set_progress_status(self, status: str) -> None:
        raise NotImplementedError

    def job(self) -> Any:
        """Runs in a worker thread; report steps with self.report_step."""
        raise NotImplementedError

    def finished(self, result: Any) -> str:
        """Record the outcome in the state; returns the line to show."""
        return "✓ Done."

    def extra_buttons(self) -> ComposeResult:
        """Buttons after Start and Continue (a subclass shows or hides them itself)."""
        yield from ()

    # -- the common part -------------------------------------------------------------------
    def compose_body(self) -> ComposeResult:
        yield from self.intro()
        yield StepList(self.step_rows(), id="steps")
        yield Static(plain(self.status_text()), id="job-status")
        yield ErrorPanel(id="error")
        with Horizontal(classes="buttons"):
            yield Button(self.START_LABEL if self.progress_status() in ("", "done") else "Resume",
                         id="start", variant="primary")
            yield Button("Continue", id="continue", variant="primary")
            yield from self.extra_buttons()

    def start_blocked(self) -> str:
        """Why Start must stay off now (an earlier step not done), or "" when it may start."""
        return ""

    def on_mount(self) -> None:
        done = self.progress_status() == "done"
        self.query_one("#continue").display = done and bool(self.NEXT_STEP)
        self.query_one("#continue" if done and self.NEXT_STEP else "#start").focus()
        blocked = self.start_blocked()
        if blocked:
            # Reached without what Start relies on (a relaunch into this step, say): nothing
            # starts until the earlier step is done.
            self.query_one("#start", Button).disabled = True
            self.query_one("#job-status", Static).update(plain(blocked))

    def report_step(self, step) -> None:
        self.post_message(StepChanged(step))

    @on(Button.Pressed, "#start")
    def _start_pressed(self) -> None:
        # One handler here, and subclasses override start(): a second @on in a subclass would
        # add a handler, not replace this one (and start a teardown without its confirmation).
        self.start()

    def start(self) -> None:
        self.set_progress_status("running")  # saved first: a crash from here on offers Resume
        self.wizard.save_progress()
        self.query_one("#start").display = False
        self.query_one("#continue").display = False
        self.query_one(ErrorPanel).show_error(None)
        self._started = time.monotonic()
        self.query_one("#job-status", Static).update("Working… (Esc to stop)")
        self._run()

    @work(thread=True, exclusive=True, group="job")
    def _run(self) -> None:
        run_and_report(self, self.job)

    def on_step_changed(self, message: StepChanged) -> None:
        self.query_one(StepList).update_step(message.step)

    def on_run_finished(self, message: RunFinished) -> None:
        self.set_progress_status("done")
        line = self.finished(message.result)
        self.wizard.save_progress()
        took = int(time.monotonic() - (self._started or time.monotonic()))
        self.query_one("#job-status", Static).update(plain(f"{line} ({took // 60}:{took % 60:02d})"))
        if self.NEXT_STEP:
            self.query_one("#continue").display = True
            self.query_one("#continue").focus()

    def on_run_stopped(self, message: RunStopped) -> None:
        if message.error:
            self.set_progress_status("failed")
            self.query_one(ErrorPanel).show_error(message.error)
            text = "Stopped on an error. What was done stays; Resume continues from there."
        else:
            text = "Stopped. What was done stays; Resume continues from there."
        self.wizard.save_progress()
        self.query_one("#job-status", Static).update(plain(text))
        button = self.query_one("#start", Button)
        button.label, button.display = "Resume", True
        button.focus()

    def action_back(self) -> None:
        running = [w for w in self.workers if w.group == "job" and w.is_running]
        if not running:
            super().action_back()
            return

        def decided(stop: bool | None) -> None:
            if stop:
                for worker in running:
                    worker.cancel()
                self.query_one("#job-status", Static).update("Stopping…")
        if self.ctx.force:
            decided(True)
            return
        self.app.push_screen(ConfirmModal(self.STOP_TITLE, self.STOP_BODY, "Stop", dangerous=True),
                             decided)

    @on(Button.Pressed, "#continue")
    def _continue(self) -> None:
        self.wizard.goto(self.NEXT_STEP)
