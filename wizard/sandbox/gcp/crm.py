"""Cloud Resource Manager (``cloudresourcemanager.googleapis.com``): the project, and which of a
list of permissions the caller holds on it.

- ``GET /v1/projects/{p}``: v1's shape (``projectNumber``, ``projectId``, ``lifecycleState``...);
- ``GET /v3/projects/{p}``: v3's (``name: projects/<number>``, ``state``, ``displayName``);
- ``POST /v1/projects/{p}:testIamPermissions`` (and v3's): the subset of the asked permissions
  the caller holds. It never answers 403 for a missing permission (telling the caller what it
  lacks is the point of the call); an empty subset is ``{}``, as proto3 JSON leaves out an
  empty list.

Like every API but Service Usage, it answers SERVICE_DISABLED until the project enables it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from ..https.service import Request
from .google_service import GoogleError, GoogleService
from .world import GcpWorld

__all__ = ["CrmService"]

_V1 = r"/v1/projects/(?P<project>[^/:]+)"
_V3 = r"/v3/projects/(?P<project>[^/:]+)"
# service.resource.verb: what IAM permissions look like; wildcards are refused, as Google does.
_PERMISSION = re.compile(r"[a-z][a-zA-Z0-9]*\.[a-zA-Z0-9]+\.[a-zA-Z0-9]+")
_MAX_PERMISSIONS = 100


class CrmService(GoogleService):
    name = "crm"
    prefix = "cloudresourcemanager"
    service_name = "cloudresourcemanager.googleapis.com"
    title = "Cloud Resource Manager API"

    def __init__(self, world: GcpWorld) -> None:
        super().__init__(world)
        # A project made a while ago; fixed for the life of the double, as a project's is.
        created = datetime.now(UTC) - timedelta(days=3, hours=5)
        self._created = created.strftime("%Y-%m-%dT%H:%M:%S.") + f"{created.microsecond // 1000:03d}Z"
        self.route("get_project", "GET", _V1, self._get_v1)
        self.route("get_project_v3", "GET", _V3, self._get_v3)
        self.route("test_iam_permissions", "POST", _V1 + ":testIamPermissions", self._test_permissions)
        self.route("test_iam_permissions_v3", "POST", _V3 + ":testIamPermissions", self._test_permissions)

    def _get_v1(self, req: Request) -> dict[str, Any]:
        self.project(req)
        self.require(req, "resourcemanager.projects.get")
        world = self.world
        return {"projectNumber": world.project_number, "projectId": world.project_id, "lifecycleState": "ACTIVE",
                "name": world.project_name, "createTime": self._created, "labels": dict(world.labels_on_project)}

    def _get_v3(self, req: Request) -> dict[str, Any]:
        self.project(req)
        self.require(req, "resourcemanager.projects.get")
        world = self.world
        # No "parent": the sandbox's project is not in an organization (a personal account's).
        return {"name": f"projects/{world.project_number}", "projectId": world.project_id, "state": "ACTIVE",
                "displayName": world.project_name, "createTime": self._created, "updateTime": self._created,
                "etag": f'W/"{world.project_number[-8:]}"', "labels": dict(world.labels_on_project)}

    def _test_permissions(self, req: Request) -> dict[str, Any]:
        self.project(req)
        asked = _permissions(req.json())
        caller = req.caller  # type: ignore[attr-defined]
        granted = [p for p in dict.fromkeys(asked) if self.world.allows(caller, p)]
        return {"permissions": granted} if granted else {}


def _permissions(body: Any) -> list[str]:
    asked = body.get("permissions", []) if isinstance(body, dict) else None
    if not isinstance(asked, list) or not all(isinstance(p, str) for p in asked):
        raise GoogleError(400, "Invalid JSON payload received. 'permissions' must be a list of strings.")
    if len(asked) > _MAX_PERMISSIONS:
        raise GoogleError(400, f"The number of permissions in the request ({len(asked)}) exceeds the maximum "
                               f"({_MAX_PERMISSIONS}).")
    bad = [p for p in asked if not _PERMISSION.fullmatch(p)]
    if bad:
        listed = ", ".join(f"'{p}'" for p in bad)
        raise GoogleError(400, f"Permissions ({listed}) are not valid or not allowed in testIamPermissions.")
    return asked
