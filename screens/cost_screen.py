"""What the three clouds' cost screens share: the acknowledgement box that records when the
estimate was accepted (and its total) and unlocks Continue, which goes on to provisioning."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from textual import on
from textual.widgets import Button, Checkbox

from .base import WizardScreen


class CostScreen(WizardScreen):
    #: The state section holding cost_acknowledged_at and cost_monthly ("aws", "azure", "gcp").
    SECTION = ""
    NEXT_STEP = ""
    #: Where the keyboard starts (Azure: its tier choice, above the box).
    FIRST_FOCUS = "#acknowledge"
    _cost: Any  # the estimate on screen (wizard.aws.cost.CostEstimate), set by compose_body

    @property
    def _progress(self) -> Any:
        return getattr(self.ctx.state, self.SECTION)

    def on_mount(self) -> None:
        # Textual runs every class's on_mount, base last: a subclass's own on_mount (Azure's) adds
        # to this one, so the focus is chosen here, by FIRST_FOCUS.
        self.query_one(self.FIRST_FOCUS).focus()

    def acknowledging(self) -> None:
        """Record anything else the acknowledged estimate depends on (Azure: its tier)."""

    @on(Checkbox.Changed, "#acknowledge")
    def _acknowledged(self, event: Checkbox.Changed) -> None:
        self.acknowledge(event.value)

    def acknowledge(self, yes: bool) -> None:
        """The guard: Continue only with the estimate acknowledged, and a withdrawn acknowledgement
        is forgotten in the saved progress too. (A plain method, so mutation testing reaches it:
        mutmut leaves decorated handlers alone.)"""
        progress = self._progress
        self.acknowledging()
        progress.cost_acknowledged_at = datetime.now(UTC).isoformat(timespec="seconds") if yes else ""
        progress.cost_monthly = f"{self._cost.total:.2f}" if yes else ""
        self.wizard.save_progress()
        self.query_one("#continue", Button).disabled = not yes
        if yes:
            self.query_one("#continue", Button).focus()

    @on(Button.Pressed, "#continue")
    def _continue(self) -> None:
        self.wizard.goto(self.NEXT_STEP)
