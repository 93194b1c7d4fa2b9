"""Cost review: an itemised monthly estimate of the GKE cluster, acknowledged before anything is
created."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Checkbox, Static

from wizard.gcp.cost import estimate

from .plain import plain
from .cost_screen import CostScreen
from .gcp_plan import current_plan
from .widgets.cost_table import cost_table


class GcpCostScreen(CostScreen):
    STEP = "gcp.cost"
    SECTION = "gcp"
    NEXT_STEP = "gcp.provision"

    def compose_body(self) -> ComposeResult:
        gcp = self.ctx.state.gcp
        cost = self._cost = estimate(current_plan(self.ctx.state))
        yield Static(plain(f"What the cluster costs in {gcp.region}"), classes="title")
        yield Static(plain(f"Google bills these to the billing account of {gcp.project_id} (cloud credits cover "
                     "them too). Porter's own fee is separate. Monthly, at on-demand prices:"), classes="lead")
        yield Static(cost_table(cost), id="cost-table", classes="facts")
        yield Static(plain(f"Prices as of {cost.prices_date}: list prices, not live. {cost.caveat}".strip()),
                     id="prices-date", classes="field-hint")
        yield Static(plain(cost.usage_note), id="usage-note", classes="field-hint")
        yield Checkbox(plain(f"I understand: about ${cost.total:,.0f} a month until I tear it down"),
                       value=bool(gcp.cost_acknowledged_at), id="acknowledge")
        with Horizontal(classes="buttons"):
            yield Button("Continue", id="continue", variant="primary", disabled=not gcp.cost_acknowledged_at)
