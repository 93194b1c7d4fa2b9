"""What the Azure and Google Cloud teardown screens share: the box to also delete the registry,
the confirmation before anything is deleted (one implementation: a second @on handler in a
subclass once started a teardown before its confirmation), the saved status, and the list of
what is left afterwards."""
from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Checkbox, Static

from .plain import plain
from .job_screen import JobScreen
from .widgets.confirm_modal import ConfirmModal


class TeardownScreen(JobScreen):
    START_LABEL = "Delete the cluster…"
    POLL_SECONDS = 10.0
    STOP_TITLE = "Stop the teardown?"
    #: The state section holding teardown_status ("azure", "gcp").
    SECTION = ""

    # -- what each cloud provides ----------------------------------------------------------
    def registry_choice(self) -> str:
        """The label of the box that also deletes the registry and its images."""
        raise NotImplementedError

    def confirm_text(self, delete_registry: bool) -> str:
        raise NotImplementedError

    # -- the common part -------------------------------------------------------------------
    @property
    def _progress(self) -> Any:
        return getattr(self.ctx.state, self.SECTION)

    @property
    def delete_registry(self) -> bool:
        return self.query_one("#delete-registry", Checkbox).value

    def intro(self) -> ComposeResult:
        yield from self.describe()
        yield Checkbox(plain(self.registry_choice()), value=False, id="delete-registry")

    def describe(self) -> ComposeResult:
        yield from ()

    def compose_body(self) -> ComposeResult:
        yield from super().compose_body()
        yield Static("", id="leftovers", classes="facts")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#leftovers").display = False

    def status_text(self) -> str:
        status = self._progress.teardown_status
        if status == "running":
            return "A teardown was interrupted. Delete again to finish it: what is gone is skipped."
        return "Nothing has been deleted yet." if status != "done" else "✓ Deleted earlier."

    def progress_status(self) -> str:
        return self._progress.teardown_status

    def set_progress_status(self, status: str) -> None:
        self._progress.teardown_status = status

    def start(self) -> None:
        if self.ctx.force:
            super().start()
            return
        self.app.push_screen(ConfirmModal("Delete the cluster?", self.confirm_text(self.delete_registry),
                                          "Delete", dangerous=True),
                             lambda yes: JobScreen.start(self) if yes else None)

    def show_leftovers(self, lines: list[str], where: str, nothing: str, note_key: str, note_title: str) -> None:
        box = self.query_one("#leftovers", Static)
        box.display = True
        if not lines:
            box.update(plain(nothing))
            return
        box.update(plain(f"Still in your {where} (and billed until deleted):\n" + "\n".join(lines)))
        self.wizard.exit_notes[note_key] = f"{note_title}:\n" + "\n".join(lines)
