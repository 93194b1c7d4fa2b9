"""The regions an account can use, with their names, for the region step."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import aws_call
from .session import client_config

if TYPE_CHECKING:
    import boto3


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    #: "opt-in-not-required", "opted-in" or "not-opted-in" (EC2's words).
    opt_in: str

    @property
    def usable(self) -> bool:
        return self.opt_in != "not-opted-in"


def region_names() -> dict[str, str]:
    """Human names ("Europe (Ireland)") from botocore's own endpoint data: no network, no asset."""
    import botocore.session

    data = botocore.session.get_session().get_data("endpoints")
    return {code: info.get("description", code)
            for partition in data["partitions"] for code, info in partition.get("regions", {}).items()}


def list_regions(session: boto3.Session) -> list[Region]:
    with aws_call("list the account's regions (ec2:DescribeRegions)"):
        reply = session.client("ec2", config=client_config()).describe_regions(AllRegions=True)
    names = region_names()
    regions = [Region(r["RegionName"], names.get(r["RegionName"], r["RegionName"]),
                      r.get("OptInStatus", "opt-in-not-required")) for r in reply["Regions"]]
    return sorted(regions, key=lambda r: (not r.usable, r.code))


def matches(region: Region, query: str) -> bool:
    """Search box: every word must appear in the code or the name ("eu ire", "frankfurt")."""
    haystack = f"{region.code} {region.name}".lower()
    return all(word in haystack for word in query.lower().split())
