"""Region: where the Azure cluster runs. Searchable, keyboard first."""
from __future__ import annotations

from textual.widgets.option_list import Option

from wizard.azure import regions
from wizard.azure.cloud import current_cloud
from wizard.azure.connection import porter_credential

from .plain import plain
from .region_screen import RegionScreen


class AzureRegionScreen(RegionScreen):
    STEP = "azure.region"
    LEAD = ("If your applications use a database outside Porter, choose the region closest to "
            "that database; otherwise, the one closest to most of your customers.")
    PLACEHOLDER = "Type to filter: europe, eastus, sweden…"
    LOADING = "Loading the subscription's regions…"

    def fetch_regions(self) -> list[regions.AzureRegion]:
        az, cloud = self.ctx.state.azure, current_cloud()
        return regions.list_regions(cloud, porter_credential(az, self.ctx.secrets, cloud), az.subscription_id)

    def loaded_text(self, found: list[regions.AzureRegion]) -> str:
        return f"{len(found)} regions available to this subscription. Enter chooses."

    def matches(self, region: regions.AzureRegion, query: str) -> bool:
        return regions.matches(region, query)

    def option(self, region: regions.AzureRegion) -> Option:
        return Option(plain(f"{region.name:<20} {region.display_name}"), id=region.name)

    def current(self) -> str:
        return self.ctx.state.azure.region

    def choose(self, region_id: str) -> None:
        az = self.ctx.state.azure
        if az.region != region_id:
            # Quotas and requests belong to a region: another region starts them afresh.
            az.quota_requests, az.cost_acknowledged_at = {}, ""
        az.region = region_id
        self.wizard.goto("azure.quotas")
