"""Artifact Registry v1 REST: repositories and their google.longrunning operations.

A created repository is readable at once (its operation finishes after ``operation_delay``); a
deleted one stays until its operation is done. Operations are ``{"name": "projects/p/locations/l/
operations/<uuid>", "done": ..., "response" | "error"}``.

Routes (for ``inject``): create_repository, list_repositories, get_repository, patch_repository,
delete_repository, get_operation.
"""
from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from ..https.service import Request
from .compute_network import compute_time
from .google_service import GoogleError, GoogleService
from .world import GcpWorld, Operation

__all__ = ["ArtifactsService"]

BASE = "/v1/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)"
REPOSITORY_TYPE = "type.googleapis.com/google.devtools.artifactregistry.v1.Repository"
METADATA_TYPE = "type.googleapis.com/google.devtools.artifactregistry.v1.OperationMetadata"
FORMATS = {"DOCKER", "MAVEN", "NPM", "PYTHON", "APT", "YUM", "GO", "KFP", "GENERIC"}
_ID = re.compile(r"[a-z]([a-z0-9-]{0,61}[a-z0-9])?")
_RPC_CODES = {"INVALID_ARGUMENT": 3, "NOT_FOUND": 5, "ALREADY_EXISTS": 6, "FAILED_PRECONDITION": 9, "INTERNAL": 13}


class ArtifactsService(GoogleService):
    name = "artifacts"
    prefix = "artifactregistry"
    service_name = "artifactregistry.googleapis.com"
    title = "Artifact Registry API"

    def __init__(self, world: GcpWorld) -> None:
        super().__init__(world)
        self.repositories: dict[tuple[str, str], dict[str, Any]] = {}
        self._ops: dict[str, str] = {}  # operation uuid → the world's operation name
        repo = BASE + "/repositories/(?P<repository>[^/]+)"
        self.route("create_repository", "POST", BASE + "/repositories", self._create)
        self.route("list_repositories", "GET", BASE + "/repositories", self._list)
        self.route("get_repository", "GET", repo, self._get)
        self.route("delete_repository", "DELETE", repo, self._delete)
        # https://cloud.google.com/artifact-registry/docs/reference/rest/v1/projects.locations.repositories/patch
        self.route("patch_repository", "PATCH", repo, self._patch)
        self.route("get_operation", "GET", BASE + "/operations/(?P<operation>[^/]+)", self._get_operation)

    def clear(self) -> None:
        with self.lock:
            super().clear()
            self.repositories.clear()
            self._ops.clear()

    def _path(self, location: str, *parts: str) -> str:
        return "/".join([f"projects/{self.world.project_id}/locations/{location}", *parts])

    def _allow(self, req: Request, verb: str) -> str:
        self.project(req)
        self.require(req, f"artifactregistry.repositories.{verb}")
        return req.params["location"]

    def _existing(self, req: Request, verb: str) -> tuple[tuple[str, str], dict[str, Any]]:
        key = (self._allow(req, verb), req.params["repository"])
        repo = self.repositories.get(key)
        if repo is None:
            raise GoogleError(404, "Requested entity was not found.")
        return key, repo

    def _create(self, req: Request) -> dict[str, Any]:
        location = self._allow(req, "create")
        repo_id = req.query.get("repositoryId", "")
        if not _ID.fullmatch(repo_id):
            raise GoogleError(400, f"Invalid repository id \"{repo_id}\": lowercase letters, digits and hyphens, "
                                   "starting with a letter.")
        body = req.json()
        if body.get("format", "") not in FORMATS:
            raise GoogleError(400, f"Invalid format \"{body.get('format', '')}\".")
        if (location, repo_id) in self.repositories:
            raise GoogleError(409, "the repository already exists")
        now = compute_time()
        repo = {**body, "name": self._path(location, "repositories", repo_id), "labels": dict(body.get("labels") or {}),
                "mode": body.get("mode") or "STANDARD_REPOSITORY", "createTime": now, "updateTime": now,
                "sizeBytes": "0"}
        self.repositories[(location, repo_id)] = repo
        return self._start(location, lambda: {"@type": REPOSITORY_TYPE, **repo})

    def _list(self, req: Request) -> dict[str, Any]:
        location = self._allow(req, "list")
        found = [r for (loc, _id), r in sorted(self.repositories.items()) if loc == location]
        return {"repositories": found} if found else {}

    def _get(self, req: Request) -> dict[str, Any]:
        return self._existing(req, "get")[1]

    def _patch(self, req: Request) -> dict[str, Any]:
        """The fields named in ``updateMask`` (comma-separated) set from the body; the repository
        itself comes back (no operation). Its format cannot change."""
        _key, repo = self._existing(req, "update")
        body = req.json()
        for field in filter(None, req.query.get("updateMask", "").split(",")):
            if field not in ("labels", "description", "cleanupPolicyDryRun"):
                raise GoogleError(400, f"Invalid update_mask: field \"{field}\" cannot be updated.")
            repo[field] = body.get(field)
        repo["updateTime"] = compute_time()
        return repo

    def _delete(self, req: Request) -> dict[str, Any]:
        key, _repo = self._existing(req, "delete")

        def finish() -> dict[str, str]:
            self.repositories.pop(key, None)
            return {"@type": "type.googleapis.com/google.protobuf.Empty"}

        return self._start(key[0], finish)

    def _start(self, location: str, apply: Callable[[], Any]) -> dict[str, Any]:
        op_id = str(uuid.uuid4())
        op = self.world.start_operation("artifacts", op_id, apply, api="artifacts", loc=location, uuid=op_id)
        self._ops[op_id] = op.name
        return self._operation_body(op)

    def _operation_body(self, op: Operation) -> dict[str, Any]:
        location = op.extra["loc"]
        body: dict[str, Any] = {"name": self._path(location, "operations", op.extra["uuid"]),
                                "metadata": {"@type": METADATA_TYPE, "createTime": compute_time(op.started)},
                                "done": op.done}
        if op.error is not None:
            body["error"] = {"code": _RPC_CODES.get(op.error.code, 2), "message": op.error.message}
        elif op.done:
            body["response"] = op.result
        return body

    def _get_operation(self, req: Request) -> dict[str, Any]:
        location = self._allow(req, "get")
        op = self.world.operations.get(self._ops.get(req.params["operation"], ""))
        if op is None or op.extra["loc"] != location:
            raise GoogleError(404, "Requested entity was not found.")
        return self._operation_body(op)
