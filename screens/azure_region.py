"""Region: where the Azure cluster runs. Searchable, keyboard first."""
from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from wizard.azure import regions
from wizard.azure.cloud import current_cloud
from wizard.azure.connection import porter_credential
from wizard.errors import WizardError

from .azure_messages import Loaded
from .base import WizardScreen
from .messages import StepFailed
from .widgets.error_panel import ErrorPanel


class AzureRegionScreen(WizardScreen):
    STEP = "azure.region"

    def __init__(self) -> None:
        super().__init__()
        self._regions: list[regions.AzureRegion] = []

    def compose_body(self) -> ComposeResult:
        yield Static("Where should your cluster run?", classes="title")
        yield Static(
            "If your applications use a database outside Porter, choose the region closest to "
            "that database; otherwise, the one closest to most of your customers.", classes="lead")
        yield Input(placeholder="Type to filter: europe, eastus, sweden…", id="search")
        yield OptionList(id="regions")
        yield Static("Loading the subscription's regions…", id="region-status", classes="field-hint")
        yield ErrorPanel(id="error")

    def on_mount(self) -> None:
        self.query_one("#search").focus()
        self._load()

    @work(thread=True, exclusive=True, group="regions")
    def _load(self) -> None:
        az, cloud = self.ctx.state.azure, current_cloud()
        try:
            found = regions.list_regions(cloud, porter_credential(az, self.ctx.secrets, cloud),
                                         az.subscription_id)
        except WizardError as err:
            self.post_message(StepFailed(err))
            return
        self.post_message(Loaded(found))

    def on_loaded(self, message: Loaded) -> None:
        self._regions = message.items
        self.query_one("#region-status", Static).update(
            f"{len(self._regions)} regions available to this subscription. Enter chooses.")
        self._show(self.query_one("#search", Input).value)

    def on_step_failed(self, message: StepFailed) -> None:
        self.query_one("#region-status", Static).update("The regions could not be listed.")
        self.query_one(ErrorPanel).show_error(message.error)

    def _show(self, query: str) -> None:
        listing = self.query_one("#regions", OptionList)
        listing.clear_options()
        for region in (r for r in self._regions if regions.matches(r, query)):
            listing.add_option(Option(f"{region.name:<20} {region.display_name}", id=region.name))
        ids = [o.id for o in listing.options]
        if self.ctx.state.azure.region in ids:
            listing.highlighted = ids.index(self.ctx.state.azure.region)

    @on(Input.Changed, "#search")
    def _filter(self, event: Input.Changed) -> None:
        self._show(event.value)

    @on(Input.Submitted, "#search")
    def _to_list(self) -> None:
        listing = self.query_one("#regions", OptionList)
        listing.focus()
        if listing.highlighted is None and listing.option_count:
            listing.highlighted = 0

    @on(OptionList.OptionSelected, "#regions")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        az = self.ctx.state.azure
        if az.region != event.option.id:
            # Quotas and requests belong to a region: another region starts them afresh.
            az.quota_requests, az.cost_acknowledged_at = {}, ""
        az.region = event.option.id or ""
        self.wizard.goto("azure.quotas")
