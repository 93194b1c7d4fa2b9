"""Asks before anything that exists is changed or deleted. Escape means no."""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from ..plain import plain


class ConfirmModal(ModalScreen[bool]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, body: str, confirm_label: str, *, dangerous: bool = True,
                 cancel_label: str = "Cancel") -> None:
        super().__init__()
        self._title, self._body, self._confirm, self._dangerous = title, body, confirm_label, dangerous
        self._cancel = cancel_label

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog"):
            yield Static(plain(self._title), classes="dialog-title")
            # The body names stacks, accounts, keys and e-mails: never markup.
            yield Static(plain(self._body), classes="dialog-body")
            with Horizontal(classes="buttons"):
                yield Button(plain(self._cancel), id="cancel")
                yield Button(plain(self._confirm), id="confirm",
                             variant="error" if self._dangerous else "primary")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()  # the safe choice is the default

    @on(Button.Pressed, "#confirm")
    def _yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
