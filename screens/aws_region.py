"""Region: where the cluster runs. Searchable, keyboard first."""
from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from wizard.aws import regions as aws_regions
from wizard.aws.connection import role_session
from wizard.errors import WizardError

from .base import WizardScreen
from .messages import RegionsLoaded, StepFailed
from .widgets.error_panel import ErrorPanel


class AwsRegionScreen(WizardScreen):
    STEP = "aws.region"

    def __init__(self) -> None:
        super().__init__()
        self._regions: list[aws_regions.Region] = []

    def compose_body(self) -> ComposeResult:
        yield Static("Where should your cluster run?", classes="title")
        yield Static(
            "Porter supports every AWS region. If your applications use a database outside "
            "Porter, choose the region closest to that database; otherwise, the one closest to "
            "most of your customers.", classes="lead")
        yield Input(placeholder="Type to filter: eu, frankfurt, us-west…", id="search")
        yield OptionList(id="regions")
        yield Static("Loading the regions this account can use…", id="region-status", classes="field-hint")
        yield ErrorPanel(id="error")

    def on_mount(self) -> None:
        self.query_one("#search").focus()
        self._load()

    @work(thread=True, exclusive=True, group="regions")
    def _load(self) -> None:
        aws = self.ctx.state.aws
        try:
            found = aws_regions.list_regions(role_session(aws, self.ctx.secrets, aws.home_region))
        except WizardError as err:
            self.post_message(StepFailed(err))
            return
        self.post_message(RegionsLoaded(found))

    def on_regions_loaded(self, message: RegionsLoaded) -> None:
        self._regions = message.regions
        usable = sum(r.usable for r in self._regions)
        self.query_one("#region-status", Static).update(
            f"{usable} regions enabled in this account; {len(self._regions) - usable} more can be "
            "enabled in the AWS console (Account → AWS Regions). Enter chooses.")
        self._show(self.query_one("#search", Input).value)

    def on_step_failed(self, message: StepFailed) -> None:
        self.query_one("#region-status", Static).update("The regions could not be listed.")
        self.query_one(ErrorPanel).show_error(message.error)

    def _show(self, query: str) -> None:
        listing = self.query_one("#regions", OptionList)
        listing.clear_options()
        chosen = self.ctx.state.aws.region or self.ctx.state.aws.home_region
        for region in (r for r in self._regions if aws_regions.matches(r, query)):
            label = f"{region.code:<16} {region.name}"
            if not region.usable:
                label += "  (not enabled in this account)"
            listing.add_option(Option(label, id=region.code, disabled=not region.usable))
        ids = [o.id for o in listing.options]
        if chosen in ids:
            listing.highlighted = ids.index(chosen)

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
        aws = self.ctx.state.aws
        if aws.region != event.option.id:
            # Quota checks and requests belong to a region: another region starts them afresh.
            aws.quota_requests, aws.cost_acknowledged_at = {}, ""
        aws.region = event.option.id or ""
        self.wizard.goto("aws.quotas")
