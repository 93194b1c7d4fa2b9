"""The regions (locations) a subscription can use, for the region step."""
from __future__ import annotations

from dataclasses import dataclass

from .credentials import mgmt_kwargs
from .errors import azure_call


@dataclass(frozen=True)
class AzureRegion:
    name: str          # eastus
    display_name: str  # East US


def list_regions(cloud, credential, subscription_id: str) -> list[AzureRegion]:
    from azure.mgmt.subscription import SubscriptionClient

    with azure_call("list the subscription's regions"):
        found = SubscriptionClient(credential, **mgmt_kwargs(cloud)).subscriptions.list_locations(subscription_id)
        regions = [AzureRegion(loc.name, loc.display_name or loc.name) for loc in found]
    return sorted(regions, key=lambda r: r.display_name)


def matches(region: AzureRegion, query: str) -> bool:
    q = query.strip().lower()
    return not q or q in region.name or q in region.display_name.lower()
