"""Shown instead of a traceback when the saved progress file can't be read."""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Static

from wizard.errors import StateFileError

from .plain import plain


class DamagedStateScreen(Screen):
    BINDINGS = [Binding("ctrl+q", "app.quit", "Quit")]

    def __init__(self, error: StateFileError) -> None:
        super().__init__()
        self.error = error

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="body"):
            yield Static(plain(self.error.title), classes="title")
            yield Static(plain(self.error.what), classes="lead")
            yield Static(
                "Your cloud account is not affected: only this machine's record of your progress "
                "is. Starting over keeps the damaged file beside the new one for support, and "
                "anything already created (such as the PorterRole stack) is found and reused.",
                classes="lead")
            with Horizontal(classes="buttons"):
                yield Button("Start over", id="start-over", variant="primary")
                yield Button("Quit", id="quit")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#start-over", Button).focus()  # Enter starts over; Tab reaches Quit

    @on(Button.Pressed, "#start-over")
    def _start_over(self) -> None:
        kept = self.app.ctx.store.set_aside()  # type: ignore[attr-defined]
        if kept:
            self.notify(f"The damaged file was kept as {kept.name}.", title="Starting over",
                        markup=False)
        self.app.start_over()  # type: ignore[attr-defined]

    @on(Button.Pressed, "#quit")
    def _quit(self) -> None:
        self.app.exit()
