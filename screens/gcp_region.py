"""Region: where the GKE cluster runs, from the regions the project can use (the Compute API).
Searchable by name, city or continent; keyboard first."""
from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from wizard.errors import WizardError

from .base import WizardScreen
from .gcp_messages import ChecksFinished
from .messages import StepFailed
from .widgets.error_panel import ErrorPanel


def _place(region) -> str:
    from wizard.gcp import regions

    city = regions.city(region.name)
    return f"{city}, {regions.geography(region.name)}" if city else regions.geography(region.name)


class GcpRegionScreen(WizardScreen):
    STEP = "gcp.region"

    def __init__(self) -> None:
        super().__init__()
        self._regions: list = []

    def compose_body(self) -> ComposeResult:
        yield Static("Where should your cluster run?", classes="title")
        yield Static(
            "If your applications use a database outside Porter, choose the region closest to that "
            "database; otherwise, the one closest to most of your customers. The cluster spreads over "
            "three of the region's zones, so one zone going down does not stop it.", classes="lead")
        yield Input(placeholder="Type to filter: europe, tokyo, us-east…", id="search")
        yield OptionList(id="regions")
        yield Static("Loading the project's regions…", id="region-status", classes="field-hint")
        yield ErrorPanel(id="error")

    def on_mount(self) -> None:
        self.query_one("#search").focus()
        self._load()

    @work(thread=True, exclusive=True, group="regions")
    def _load(self) -> None:
        from wizard.gcp import regions
        from wizard.gcp.connection import project_api

        try:
            found = regions.list_regions(project_api(self.ctx.state, self.ctx.secrets))
        except WizardError as err:
            self.post_message(StepFailed(err))
            return
        self.post_message(ChecksFinished(found))

    def on_checks_finished(self, message: ChecksFinished) -> None:
        self._regions = [r for r in message.results if r.status == "UP"]
        self.query_one("#region-status", Static).update(
            f"{len(self._regions)} regions available to {self.ctx.state.gcp.project_id}. Enter chooses.")
        self._show(self.query_one("#search", Input).value)

    def on_step_failed(self, message: StepFailed) -> None:
        self.query_one("#region-status", Static).update("The regions could not be listed.")
        self.query_one(ErrorPanel).show_error(message.error)

    def _show(self, query: str) -> None:
        listing = self.query_one("#regions", OptionList)
        listing.clear_options()
        words = query.lower().split()
        for region in self._regions:
            text = f"{region.name} {_place(region)}".lower()
            if all(word in text for word in words):
                listing.add_option(Option(f"{region.name:<26} {_place(region)}", id=region.name))
        ids = [o.id for o in listing.options]
        if self.ctx.state.gcp.region in ids:
            listing.highlighted = ids.index(self.ctx.state.gcp.region)

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
        gcp = self.ctx.state.gcp
        if gcp.region != event.option.id:
            # Checks and cost belong to a region: another region is checked afresh.
            gcp.checks_passed_at = gcp.cost_acknowledged_at = ""
        gcp.region = event.option.id or ""
        self.wizard.goto("gcp.checks")
