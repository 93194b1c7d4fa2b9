"""Shows a WizardError: what went wrong and what to do next. Hidden while there is none."""
from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from wizard.errors import WizardError
from wizard.logs import log

from ..plain import printable


class ErrorPanel(Static):
    DEFAULT_CLASSES = "error-panel"

    def show_error(self, error: WizardError | None) -> None:
        if error is None:
            self.update("")
            self.display = False
            return
        log.warning("shown to the user: %s: %s", error.title, error.what)
        text = Text()
        text.append(printable(error.title) + "\n", style="bold")
        text.append(printable(error.what) + "\n")
        if error.next_step:
            text.append("What to do: ", style="bold")
            text.append(printable(error.next_step))
        self.update(text)
        self.display = True

    def on_mount(self) -> None:
        if not str(self.render()).strip():
            self.display = False
