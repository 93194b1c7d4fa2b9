"""Compute Engine's regions (``compute.googleapis.com``): the regions a project can use, their
zones, and the project's regional quotas, which is where Google reports them (the limit and the
usage of CPUS, IN_USE_ADDRESSES, SSD_TOTAL_GB... per region).

- ``GET /compute/v1/projects/{p}/regions`` (``maxResults``, ``pageToken``): a ``compute#regionList``;
- ``GET /compute/v1/projects/{p}/regions/{region}``: a ``compute#region``, or 404 "The resource
  'projects/p/regions/x' was not found".

Only these routes: the network double (compute_network.py) is mounted under ``/compute`` too.
Self links point at this double (``<base>/compute/compute/v1/...``) where Google writes
``https://www.googleapis.com/compute/v1/...``, as the network double's do, so links between the two
agree. Every region reports ``creationTimestamp``
"1969-12-31T16:00:00.000-08:00" (the epoch, in Pacific time), as the real API does.

Controls: ``set_quota(region, metric, limit, usage=None)``; ``quota(region, metric)``;
``clear()`` restores a new project's defaults.
"""

from __future__ import annotations

from typing import Any

from ..https.service import Request
from .google_service import GoogleError, GoogleService
from .world import GcpWorld

__all__ = ["DEFAULT_QUOTAS", "REGIONS", "RegionsService"]

#: Google Cloud's regions with their zone letters (us-central1 has a, b, c and f; europe-west1 and
#: us-east1 have no zone a).
REGIONS: dict[str, str] = {
    "us-central1": "abcf", "us-east1": "bcd", "us-east4": "abc", "us-east5": "abc", "us-south1": "abc",
    "us-west1": "abc", "us-west2": "abc", "us-west3": "abc", "us-west4": "abc",
    "northamerica-northeast1": "abc", "northamerica-northeast2": "abc", "northamerica-south1": "abc",
    "southamerica-east1": "abc", "southamerica-west1": "abc",
    "europe-west1": "bcd", "europe-west2": "abc", "europe-west3": "abc", "europe-west4": "abc",
    "europe-west6": "abc", "europe-west8": "abc", "europe-west9": "abc", "europe-west10": "abc",
    "europe-west12": "abc", "europe-north1": "abc", "europe-central2": "abc", "europe-southwest1": "abc",
    "asia-east1": "abc", "asia-east2": "abc", "asia-northeast1": "abc", "asia-northeast2": "abc",
    "asia-northeast3": "abc", "asia-south1": "abc", "asia-south2": "abc", "asia-southeast1": "abc",
    "asia-southeast2": "abc", "australia-southeast1": "abc", "australia-southeast2": "abc",
    "me-west1": "abc", "me-central1": "abc", "me-central2": "abc", "africa-south1": "abc",
}
#: A new project's regional limits (Compute Engine's defaults; a paid account gets these, a free
#: trial fewer CPUs in some regions).
DEFAULT_QUOTAS: dict[str, float] = {
    "CPUS": 24.0, "DISKS_TOTAL_GB": 4096.0, "STATIC_ADDRESSES": 8.0, "IN_USE_ADDRESSES": 8.0,
    "SSD_TOTAL_GB": 500.0, "LOCAL_SSD_TOTAL_GB": 6000.0, "INSTANCE_GROUPS": 100.0,
    "INSTANCE_GROUP_MANAGERS": 50.0, "INSTANCES": 24.0, "AUTOSCALERS": 50.0, "REGIONAL_AUTOSCALERS": 50.0,
    "REGIONAL_INSTANCE_GROUP_MANAGERS": 50.0, "PREEMPTIBLE_CPUS": 0.0, "N2_CPUS": 24.0,
}
_BASE = r"/compute/v1/projects/(?P<project>[^/]+)/regions"
_MAX_RESULTS = 500


class RegionsService(GoogleService):
    name = "compute_regions"
    prefix = "compute"
    service_name = "compute.googleapis.com"
    title = "Compute Engine API"

    def __init__(self, world: GcpWorld) -> None:
        super().__init__(world)
        self._quotas = _default_quotas()
        self.route("list_regions", "GET", _BASE, self._list)
        self.route("get_region", "GET", _BASE + r"/(?P<region>[^/]+)", self._get)

    # -- controls ---------------------------------------------------------------------------
    def set_quota(self, region: str, metric: str, limit: float, usage: float | None = None) -> None:
        """Set a regional quota's limit (and usage); KeyError for an unknown region or metric."""
        with self.lock:
            entry = self._entry(region, metric)
            entry[0] = float(limit)
            if usage is not None:
                entry[1] = float(usage)

    def quota(self, region: str, metric: str) -> tuple[float, float]:
        """(limit, usage) of a regional quota."""
        with self.lock:
            limit, usage = self._entry(region, metric)
            return limit, usage

    def clear(self) -> None:
        with self.lock:
            super().clear()
            self._quotas = _default_quotas()

    def _entry(self, region: str, metric: str) -> list[float]:
        if region not in self._quotas:
            raise KeyError(f"no region {region!r}")
        if metric not in self._quotas[region]:
            raise KeyError(f"no quota {metric!r} in {region}; metrics: {sorted(self._quotas[region])}")
        return self._quotas[region][metric]

    # -- handlers ---------------------------------------------------------------------------
    def _list(self, req: Request) -> dict[str, Any]:
        project = self.project(req)
        self._require(req, "compute.regions.list", f"projects/{project}")
        names = list(REGIONS)
        size = _max_results(req.query.get("maxResults", ""))
        start = _page_start(req.query.get("pageToken", ""))
        body: dict[str, Any] = {"kind": "compute#regionList", "id": f"projects/{project}/regions",
                                "items": [self._region(project, n) for n in names[start:start + size]],
                                "selfLink": self._link(project) + "/regions"}
        if start + size < len(names):
            body["nextPageToken"] = str(start + size)
        return body

    def _get(self, req: Request) -> dict[str, Any]:
        project = self.project(req)
        region = req.params["region"]
        self._require(req, "compute.regions.get", f"projects/{project}/regions/{region}")
        if region not in REGIONS:
            raise GoogleError(404, f"The resource 'projects/{project}/regions/{region}' was not found")
        return self._region(project, region)

    def _require(self, req: Request, permission: str, resource: str) -> None:
        # Compute Engine words a missing permission its own way (not IAM's "Permission ... denied").
        if not self.world.allows(req.caller, permission):  # type: ignore[attr-defined]
            raise GoogleError(403, f"Required '{permission}' permission for '{resource}'",
                              reason="IAM_PERMISSION_DENIED", metadata={"permission": permission})

    # -- wire shape -------------------------------------------------------------------------
    def _link(self, project: str) -> str:
        return f"{self.base_url}/compute/compute/v1/projects/{project}"

    def _region(self, project: str, name: str) -> dict[str, Any]:
        link = self._link(project)
        return {
            "kind": "compute#region",
            "id": str(1000 + 10 * list(REGIONS).index(name)),
            "creationTimestamp": "1969-12-31T16:00:00.000-08:00",
            "name": name,
            "description": name,
            "status": "UP",
            "zones": [f"{link}/zones/{name}-{letter}" for letter in REGIONS[name]],
            "quotas": [{"metric": metric, "limit": limit, "usage": usage}
                       for metric, (limit, usage) in self._quotas[name].items()],
            "selfLink": f"{link}/regions/{name}",
            "supportsPzs": False,
        }


def _default_quotas() -> dict[str, dict[str, list[float]]]:
    return {region: {metric: [limit, 0.0] for metric, limit in DEFAULT_QUOTAS.items()} for region in REGIONS}


def _max_results(text: str) -> int:
    try:
        size = int(text) if text else _MAX_RESULTS
    except ValueError:
        raise GoogleError(400, f"Invalid value for field 'maxResults': '{text}'.") from None
    if not 0 <= size <= _MAX_RESULTS:
        raise GoogleError(400, f"Invalid value for field 'maxResults': '{text}'. Must be less than or equal "
                               f"to {_MAX_RESULTS}")
    return size or _MAX_RESULTS


def _page_start(token: str) -> int:
    if not token:
        return 0
    if not token.isdigit():
        raise GoogleError(400, "Invalid value for field 'pageToken'.")
    return int(token)
