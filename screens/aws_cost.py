"""Cost review: an itemised monthly estimate, acknowledged before anything is created."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Checkbox, Static

from wizard.aws.cost import estimate
from wizard.aws.plan import plan_for

from .plain import plain
from .cost_screen import CostScreen
from .widgets.cost_table import cost_table


class AwsCostScreen(CostScreen):
    STEP = "aws.cost"
    SECTION = "aws"
    NEXT_STEP = "aws.provision"

    def compose_body(self) -> ComposeResult:
        state = self.ctx.state
        plan = plan_for(state.project, state.aws.region)
        cost = self._cost = estimate(plan)
        yield Static(plain(f"What the cluster costs in {plan.region}"), classes="title")
        yield Static(
            "AWS bills these to your account (cloud credits cover them too). Porter's own fee is "
            "separate. The estimate is monthly, at on-demand prices:", classes="lead")
        yield Static(cost_table(cost), id="cost-table", classes="facts")
        yield Static(plain(f"Prices as of {cost.prices_date}: list prices, not live. {cost.caveat}".strip()),
                     id="prices-date", classes="field-hint")
        yield Static(plain(cost.usage_note), classes="field-hint")
        yield Checkbox(plain(f"I understand this cluster costs about ${cost.total:,.0f} a month in my AWS "
                       "account until I tear it down"), value=bool(state.aws.cost_acknowledged_at),
                       id="acknowledge")
        with Horizontal(classes="buttons"):
            yield Button("Continue", id="continue", variant="primary",
                         disabled=not state.aws.cost_acknowledged_at)
