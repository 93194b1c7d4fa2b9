"""Cost review: an itemised monthly estimate, acknowledged before anything is created."""
from __future__ import annotations

from datetime import datetime, timezone

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Checkbox, Static

from wizard.aws.cost import estimate
from wizard.aws.plan import plan_for

from .base import WizardScreen
from .widgets.cost_table import cost_table


class AwsCostScreen(WizardScreen):
    STEP = "aws.cost"

    def compose_body(self) -> ComposeResult:
        state = self.ctx.state
        plan = plan_for(state.project, state.aws.region)
        cost = self._cost = estimate(plan)
        yield Static(f"What the cluster costs in {plan.region}", classes="title")
        yield Static(
            "AWS bills these to your account (cloud credits cover them too). Porter's own fee is "
            "separate. The estimate is monthly, at on-demand prices:", classes="lead")
        yield Static(cost_table(cost), id="cost-table", classes="facts")
        yield Static(f"Prices as of {cost.prices_date}: list prices, not live. {cost.caveat}".strip(),
                     id="prices-date", classes="field-hint")
        yield Static(cost.usage_note, classes="field-hint")
        yield Checkbox(f"I understand this cluster costs about ${cost.total:,.0f} a month in my AWS "
                       "account until I tear it down", value=bool(state.aws.cost_acknowledged_at),
                       id="acknowledge")
        with Horizontal(classes="buttons"):
            yield Button("Continue", id="continue", variant="primary",
                         disabled=not state.aws.cost_acknowledged_at)

    def on_mount(self) -> None:
        self.query_one("#acknowledge").focus()

    @on(Checkbox.Changed, "#acknowledge")
    def _acknowledged(self, event: Checkbox.Changed) -> None:
        aws = self.ctx.state.aws
        aws.cost_acknowledged_at = datetime.now(timezone.utc).isoformat(timespec="seconds") if event.value else ""
        aws.cost_monthly = f"{self._cost.total:.2f}" if event.value else ""
        self.wizard.save_progress()
        self.query_one("#continue", Button).disabled = not event.value
        if event.value:
            self.query_one("#continue", Button).focus()

    @on(Button.Pressed, "#continue")
    def _continue(self) -> None:
        self.wizard.goto("aws.provision")
