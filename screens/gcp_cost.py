"""Cost review: an itemised monthly estimate of the GKE cluster, acknowledged before anything is
created."""
from __future__ import annotations

from datetime import datetime, timezone

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Checkbox, Static

from wizard.gcp.cost import estimate

from .base import WizardScreen
from .gcp_plan import current_plan
from .widgets.cost_table import cost_table


class GcpCostScreen(WizardScreen):
    STEP = "gcp.cost"

    def compose_body(self) -> ComposeResult:
        gcp = self.ctx.state.gcp
        cost = self._cost = estimate(current_plan(self.ctx.state))
        yield Static(f"What the cluster costs in {gcp.region}", classes="title")
        yield Static(f"Google bills these to the billing account of {gcp.project_id} (cloud credits cover "
                     "them too). Porter's own fee is separate. Monthly, at on-demand prices:", classes="lead")
        yield Static(cost_table(cost), id="cost-table", classes="facts")
        yield Static(f"Prices as of {cost.prices_date}: list prices, not live. {cost.caveat}".strip(),
                     id="prices-date", classes="field-hint")
        yield Static(cost.usage_note, id="usage-note", classes="field-hint")
        yield Checkbox(f"I understand: about ${cost.total:,.0f} a month until I tear it down",
                       value=bool(gcp.cost_acknowledged_at), id="acknowledge")
        with Horizontal(classes="buttons"):
            yield Button("Continue", id="continue", variant="primary", disabled=not gcp.cost_acknowledged_at)

    def on_mount(self) -> None:
        self.query_one("#acknowledge").focus()

    @on(Checkbox.Changed, "#acknowledge")
    def _acknowledged(self, event: Checkbox.Changed) -> None:
        gcp = self.ctx.state.gcp
        gcp.cost_acknowledged_at = datetime.now(timezone.utc).isoformat(timespec="seconds") if event.value else ""
        gcp.cost_monthly = f"{self._cost.total:.2f}" if event.value else ""
        self.wizard.save_progress()
        self.query_one("#continue", Button).disabled = not event.value
        if event.value:
            self.query_one("#continue", Button).focus()

    @on(Button.Pressed, "#continue")
    def _continue(self) -> None:
        self.wizard.goto("gcp.provision")
