"""What every step screen has: the SANDBOX marker, the step bar, a scrolling body and the footer."""
from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from wizard.context import WizardContext

from .plain import plain
from .steps import CLOUD_NAMES, TITLES, position
from .widgets.sandbox_banner import SandboxBanner

if TYPE_CHECKING:
    from .app import WizardApp


class WizardScreen(Screen):
    STEP = ""
    BINDINGS = [Binding("escape", "back", "Back")]

    @property
    def wizard(self) -> WizardApp:
        return self.app  # type: ignore[return-value]

    @property
    def ctx(self) -> WizardContext:
        return self.wizard.ctx

    def compose(self) -> ComposeResult:
        with Vertical(id="chrome"):
            if self.ctx.sandbox:
                yield SandboxBanner(self.ctx.sandbox_endpoint)
            place = position(self.STEP)
            cloud = CLOUD_NAMES.get(self.STEP.partition(".")[0], "")
            where = f"{cloud} · step {place[0]} of {place[1]} · " if place else ""
            yield Static(plain(f"Porter setup  ›  {where}{TITLES.get(self.STEP, '')}"), id="step-bar")
        with VerticalScroll(id="body"):
            yield from self.compose_body()
        yield Footer()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def action_back(self) -> None:
        self.wizard.back()
