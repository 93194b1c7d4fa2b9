"""Cost and tier: the AKS tier (Free or Standard, with the platform's advice) and an itemised
monthly estimate, acknowledged before anything is created."""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Checkbox, Label, RadioButton, RadioSet, Static

from wizard.azure.cost import TIER_ADVICE, estimate
from wizard.azure.plan import TIERS, plan_for

from .plain import plain
from .cost_screen import CostScreen
from .widgets.cost_table import cost_table


class AzureCostScreen(CostScreen):
    STEP = "azure.cost"
    SECTION = "azure"
    NEXT_STEP = "azure.provision"
    FIRST_FOCUS = "#tier"

    def compose_body(self) -> ComposeResult:
        az = self.ctx.state.azure
        tier = az.tier or "Free"
        yield Static(plain(f"Tier and cost in {az.region}"), classes="title")
        yield Label("AKS tier (you can change it later, on the running cluster)", classes="field-label")
        with RadioSet(id="tier"):
            for name in TIERS:
                yield RadioButton(plain(f"{name}: {TIER_ADVICE[name]}"), value=name == tier, id=f"tier-{name}")
        yield Static("Azure bills these to your subscription (cloud credits cover them too). "
                     "Porter's own fee is separate. Monthly, at pay-as-you-go prices:", classes="lead")
        yield Static("", id="cost-table", classes="facts")
        yield Static("", id="prices-date", classes="field-hint")
        yield Static("", id="usage-note", classes="field-hint")
        yield Checkbox("", value=bool(az.cost_acknowledged_at), id="acknowledge")
        with Horizontal(classes="buttons"):
            yield Button("Continue", id="continue", variant="primary", disabled=not az.cost_acknowledged_at)

    def on_mount(self) -> None:
        self._show(self.ctx.state.azure.tier or "Free")

    def _show(self, tier: str) -> None:
        az = self.ctx.state.azure
        cost = self._cost = estimate(plan_for(self.ctx.state.project, az.region, tier))
        self.query_one("#cost-table", Static).update(cost_table(cost))
        self.query_one("#prices-date", Static).update(
            plain(f"Prices as of {cost.prices_date}: list prices, not live. {cost.caveat}".strip()))
        self.query_one("#usage-note", Static).update(plain(cost.usage_note))
        self.query_one("#acknowledge", Checkbox).label = (
            f"I understand this cluster costs about ${cost.total:,.0f} a month in my Azure "
            "subscription until I tear it down")

    @on(RadioSet.Changed, "#tier")
    def _tier(self, event: RadioSet.Changed) -> None:
        az = self.ctx.state.azure
        tier = (event.pressed.id or "tier-Free").removeprefix("tier-")
        if tier != (az.tier or "Free") and az.cost_acknowledged_at:
            # A new total needs a new acknowledgement.
            az.cost_acknowledged_at = az.cost_monthly = ""
            self.query_one("#acknowledge", Checkbox).value = False
        az.tier = tier
        self.wizard.save_progress()
        self._show(tier)

    def acknowledging(self) -> None:
        az = self.ctx.state.azure
        az.tier = az.tier or "Free"
