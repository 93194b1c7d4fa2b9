"""Region: where the GKE cluster runs, from the regions the project can use (the Compute API).
Searchable by name, city or continent; keyboard first."""
from __future__ import annotations

from typing import Any

from textual.widgets.option_list import Option

from .plain import plain
from .region_screen import RegionScreen


def _place(region: Any) -> str:
    from wizard.gcp import regions

    city = regions.city(region.name)
    return f"{city}, {regions.geography(region.name)}" if city else regions.geography(region.name)


class GcpRegionScreen(RegionScreen):
    STEP = "gcp.region"
    LEAD = ("If your applications use a database outside Porter, choose the region closest to that "
            "database; otherwise, the one closest to most of your customers. The cluster spreads over "
            "three of the region's zones, so one zone going down does not stop it.")
    PLACEHOLDER = "Type to filter: europe, tokyo, us-east…"
    LOADING = "Loading the project's regions…"

    def fetch_regions(self) -> list[Any]:
        from wizard.gcp import regions
        from wizard.gcp.connection import project_api

        return regions.list_regions(project_api(self.ctx.state, self.ctx.secrets))

    def keep(self, regions: list[Any]) -> list[Any]:
        return [r for r in regions if r.status == "UP"]

    def loaded_text(self, regions: list[Any]) -> str:
        return f"{len(regions)} regions available to {self.ctx.state.gcp.project_id}. Enter chooses."

    def matches(self, region: Any, query: str) -> bool:
        text = f"{region.name} {_place(region)}".lower()
        return all(word in text for word in query.lower().split())

    def option(self, region: Any) -> Option:
        return Option(plain(f"{region.name:<26} {_place(region)}"), id=region.name)

    def current(self) -> str:
        return self.ctx.state.gcp.region

    def choose(self, region_id: str) -> None:
        gcp = self.ctx.state.gcp
        if gcp.region != region_id:
            # Checks and cost belong to a region: another region is checked afresh.
            gcp.checks_passed_at = gcp.cost_acknowledged_at = ""
        gcp.region = region_id
        self.wizard.goto("gcp.checks")
