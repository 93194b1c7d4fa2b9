"""The project's regions (Compute Engine's list), with where each one is, for a picker that helps
someone who has never seen the console choose: the region closest to their users (or to their
database). Region names say little ("europe-west4"?), so each gets its city and continent.

Compute Engine also reports each region's quotas (limit and usage per metric), which the
provision checks read for the chosen region.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .errors import gcp_call
from .session import GcpApi

#: Where each region is, as Google's region list in the docs names it.
CITIES: dict[str, str] = {
    "us-central1": "Iowa", "us-east1": "South Carolina", "us-east4": "Northern Virginia", "us-east5": "Columbus",
    "us-south1": "Dallas", "us-west1": "Oregon", "us-west2": "Los Angeles", "us-west3": "Salt Lake City",
    "us-west4": "Las Vegas", "northamerica-northeast1": "Montréal", "northamerica-northeast2": "Toronto",
    "northamerica-south1": "Querétaro", "southamerica-east1": "São Paulo", "southamerica-west1": "Santiago",
    "europe-west1": "Belgium", "europe-west2": "London", "europe-west3": "Frankfurt",
    "europe-west4": "Netherlands", "europe-west6": "Zurich", "europe-west8": "Milan", "europe-west9": "Paris",
    "europe-west10": "Berlin", "europe-west12": "Turin", "europe-north1": "Finland",
    "europe-north2": "Stockholm", "europe-central2": "Warsaw", "europe-southwest1": "Madrid",
    "asia-east1": "Taiwan", "asia-east2": "Hong Kong", "asia-northeast1": "Tokyo", "asia-northeast2": "Osaka",
    "asia-northeast3": "Seoul", "asia-south1": "Mumbai", "asia-south2": "Delhi", "asia-southeast1": "Singapore",
    "asia-southeast2": "Jakarta", "australia-southeast1": "Sydney", "australia-southeast2": "Melbourne",
    "me-west1": "Tel Aviv", "me-central1": "Doha", "me-central2": "Dammam", "africa-south1": "Johannesburg",
}
#: Continents in the order the picker shows them, by the region name's first word.
GEOGRAPHY: dict[str, str] = {
    "us": "Americas", "northamerica": "Americas", "southamerica": "Americas", "europe": "Europe",
    "asia": "Asia Pacific", "australia": "Asia Pacific", "me": "Middle East", "africa": "Africa",
}
_ORDER = ("Americas", "Europe", "Asia Pacific", "Middle East", "Africa")


@dataclass(frozen=True)
class GcpRegion:
    name: str  # us-central1
    description: str
    zones: tuple[str, ...]  # us-central1-a, ...
    status: str  # UP or DOWN
    quotas: dict[str, tuple[float, float]] = field(default_factory=dict)  # metric -> (limit, usage)

    @property
    def city(self) -> str:
        return city(self.name)

    @property
    def geography(self) -> str:
        return geography(self.name)


def city(region_name: str) -> str:
    """"Iowa" for us-central1; "" for a region newer than this table."""
    return CITIES.get(region_name, "")


def geography(region_name: str) -> str:
    """"Americas", "Europe", "Asia Pacific", "Middle East" or "Africa" ("Other" if Google opens a
    region on a continent this table does not know yet)."""
    return GEOGRAPHY.get(region_name.split("-", 1)[0], "Other")


def sort_key(region_name: str) -> tuple[int, list[Any]]:
    """By continent, then by name with numbers as numbers (europe-west2 before europe-west10)."""
    place = geography(region_name)
    rank = _ORDER.index(place) if place in _ORDER else len(_ORDER)
    return rank, [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", region_name)]


def from_json(item: dict[str, Any]) -> GcpRegion:
    """A compute#region as the wizard keeps it: zone names from the zone links' last segment."""
    zones = tuple(str(link).rstrip("/").rsplit("/", 1)[-1] for link in item.get("zones") or [])
    quotas = {str(q.get("metric")): (float(q.get("limit") or 0), float(q.get("usage") or 0))
              for q in item.get("quotas") or [] if q.get("metric")}
    name = str(item.get("name", ""))
    return GcpRegion(name, str(item.get("description") or name), zones, str(item.get("status") or "UP"), quotas)


def list_regions(api: GcpApi) -> list[GcpRegion]:
    """Every region the project can use (all pages), by continent then name; raises WizardError."""
    path = f"/compute/v1/projects/{api.project_id}/regions"
    found: list[GcpRegion] = []
    token = ""
    with gcp_call("list the project's regions"):
        while True:
            page = api.get("compute", path, params={"pageToken": token} if token else None)
            found.extend(from_json(item) for item in page.get("items") or [])
            token = str(page.get("nextPageToken") or "")
            if not token:
                break
    return sorted(found, key=lambda region: sort_key(region.name))


def get_region(api: GcpApi, name: str, project: str = "") -> GcpRegion:
    """One region with its quotas; raises WizardError (404 included: a region the project cannot use)."""
    with gcp_call(f"read region {name} and its quotas"):
        return from_json(api.get("compute", f"/compute/v1/projects/{project or api.project_id}/regions/{name}"))
