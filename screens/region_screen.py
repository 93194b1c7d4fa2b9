"""The region step every cloud shares: a filter box over the regions the account can use, Enter
chooses. Keyboard first: type, Enter to the list, arrows, Enter.

A cloud's screen says where its regions come from (through its wizard service, in a thread),
how one is shown and matched, and what choosing one records.
"""
from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from wizard.errors import WizardError

from .plain import plain
from .base import WizardScreen
from .messages import RegionsLoaded, StepFailed
from .widgets.error_panel import ErrorPanel


class RegionScreen(WizardScreen):
    LEAD = ""
    PLACEHOLDER = "Type to filter…"
    LOADING = "Loading the regions…"

    def __init__(self) -> None:
        super().__init__()
        self._regions: list[Any] = []

    # -- what each cloud provides ----------------------------------------------------------
    def fetch_regions(self) -> list[Any]:
        """Runs in a worker thread; raises WizardError."""
        raise NotImplementedError

    def loaded_text(self, regions: list[Any]) -> str:
        raise NotImplementedError

    def matches(self, region: Any, query: str) -> bool:
        raise NotImplementedError

    def option(self, region: Any) -> Option:
        raise NotImplementedError

    def current(self) -> str:
        """The region chosen earlier (highlighted when the list is drawn)."""
        raise NotImplementedError

    def choose(self, region_id: str) -> None:
        raise NotImplementedError

    def keep(self, regions: list[Any]) -> list[Any]:
        """Which of the listed regions to offer (all, unless a cloud says otherwise)."""
        return regions

    # -- the common part -------------------------------------------------------------------
    def compose_body(self) -> ComposeResult:
        yield Static("Where should your cluster run?", classes="title")
        yield Static(plain(self.LEAD), classes="lead")
        yield Input(placeholder=self.PLACEHOLDER, id="search")
        yield OptionList(id="regions")
        yield Static(plain(self.LOADING), id="region-status", classes="field-hint")
        yield ErrorPanel(id="error")

    def on_mount(self) -> None:
        self.query_one("#search").focus()
        self._load()

    @work(thread=True, exclusive=True, group="regions")
    def _load(self) -> None:
        try:
            found = self.fetch_regions()
        except WizardError as err:
            self.post_message(StepFailed(err))
            return
        self.post_message(RegionsLoaded(found))

    def on_regions_loaded(self, message: RegionsLoaded) -> None:
        self._regions = self.keep(message.regions)
        self.query_one("#region-status", Static).update(plain(self.loaded_text(self._regions)))
        self._show(self.query_one("#search", Input).value)

    def on_step_failed(self, message: StepFailed) -> None:
        self.query_one("#region-status", Static).update("The regions could not be listed.")
        self.query_one(ErrorPanel).show_error(message.error)

    def _show(self, query: str) -> None:
        listing = self.query_one("#regions", OptionList)
        listing.clear_options()
        for region in self._regions:
            if self.matches(region, query):
                listing.add_option(self.option(region))
        ids = [o.id for o in listing.options]
        if self.current() in ids:
            listing.highlighted = ids.index(self.current())

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
        self.choose(event.option.id or "")
