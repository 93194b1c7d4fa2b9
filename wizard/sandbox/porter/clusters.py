"""The double's cluster routes: the contract Porter's dashboard posts to create a cluster, and what
the dashboard polls to follow it (the latest contract revision's condition, the cluster's state)."""
from __future__ import annotations

import base64
import itertools
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from ..https.service import Reply, Request
from .api import PorterError, query, uint_param
from .integrations import now

_CONTRACT_KEYS = {"cluster", "user", "complianceProfiles", "compliance_profiles"}  # porter.v1.Contract


@dataclass
class _Cluster:
    cluster_id: int
    started: float
    revisions: list[dict] = field(default_factory=list)  # models.APIContractRevision rows
    condition: str = ""  # a failure set by fail_cluster
    message: str = ""


class ClusterRoutes:
    """Mixed into PorterDouble: handlers run under its lock, after the auth chain (api.py)."""

    project_id: str
    provision_seconds: float
    contracts: list[dict]
    _clusters: dict[int, _Cluster]
    _ids: itertools.count
    _lock: Any

    def fail_cluster(self, cluster_id: int | str, condition: str = "FATAL_PROVISIONING_ERROR",
                     message: str = "the cluster could not be created") -> None:
        with self._lock:
            cluster = self._clusters[int(cluster_id)]
            cluster.condition, cluster.message = condition, message

    def _parse_contract(self, req: Request) -> dict:
        # api-contracts helpers.UnmarshalContractObject (protojson): anything else is this 400
        try:
            body = json.loads(req.body or b"")
        except ValueError:
            body = None
        shaped = isinstance(body, dict) and set(body) <= _CONTRACT_KEYS
        if not shaped or not isinstance(body.get("cluster", {}), dict):
            raise PorterError(400, "unable to convert bytes into contract")
        return body

    def _preflight(self, req: Request) -> dict:
        # api/server/handlers/api_contract/preflight.go: PreflightCheckResponse, no errors here
        self._parse_contract(req)
        return {"errors": []}

    def _contract(self, req: Request) -> Reply:
        # api/server/handlers/api_contract/update.go: 201 + porter.v1.UpdateContractResponse
        body = self._parse_contract(req)
        cluster = body.get("cluster") or {}
        wanted = cluster.get("clusterId") or cluster.get("cluster_id") or 0
        found = self._clusters.get(wanted) if isinstance(wanted, int) else None
        if found is None:
            found = _Cluster(next(self._ids), 0.0)
            self._clusters[found.cluster_id] = found
        found.started, found.condition, found.message = time.monotonic(), "", ""
        revision = str(uuid.uuid4())
        stamp = now()
        found.revisions.append({"id": revision, "base64_contract": base64.b64encode(json.dumps(body).encode()).decode(),
                                "cluster_id": found.cluster_id, "project_id": int(self.project_id),
                                "created_at": stamp, "updated_at": stamp})
        self.contracts.append(body)
        return Reply(201, {"contract_revision": {"cluster_id": found.cluster_id, "project_id": int(self.project_id),
                                                 "revision_id": revision}})

    def _progress(self, cluster: _Cluster) -> float:
        if self.provision_seconds <= 0:
            return 1.0
        return min(1.0, (time.monotonic() - cluster.started) / self.provision_seconds)

    def _list_contracts(self, req: Request) -> list:
        # api/server/handlers/api_contract/list.go -> []models.APIContractRevision
        q = query(req, ("cluster_id", "latest"), second="error decoding request")
        if q.get("latest", "false") not in ("true", "false", "1", "0", "on", "off", ""):
            raise PorterError(400, "Invalid type for query param latest: expected bool",
                              second="error decoding request")
        latest = q.get("latest") in ("true", "1", "on")
        raw_id = q.get("cluster_id", "")
        if raw_id and not raw_id.lstrip("-").isdigit():
            raise PorterError(400, f'strconv.Atoi: parsing "{raw_id}": invalid syntax')
        out = []
        for cluster in self._clusters.values():
            if raw_id and cluster.cluster_id != int(raw_id):
                continue
            done = self._progress(cluster) >= 1.0
            for i, row in enumerate(reversed(cluster.revisions)):
                newest = i == 0
                condition = (cluster.condition or ("SUCCESS" if done else "")) if newest else "SUCCESS"
                meta = {"code": condition, "message": cluster.message} if newest and cluster.condition else None
                # gorm.Model's untagged fields sit next to the tagged ones in Porter's JSON.
                out.append({"ID": 0, "CreatedAt": row["created_at"], "UpdatedAt": row["updated_at"], "DeletedAt": None,
                            **row, "condition": condition, "condition_metadata": meta})
                if latest:
                    break
        return out

    def _state(self, req: Request) -> dict:
        # api/server/handlers/cluster/cluster_status.go (authz/cluster.go: unknown cluster -> 403)
        cluster = self._clusters.get(uint_param(req, "cluster", "cluster_id"))
        if cluster is None:
            raise PorterError(403, "Forbidden")
        progress = self._progress(cluster)
        return {"project_id": int(self.project_id), "cluster_id": cluster.cluster_id,
                "phase": "Provisioned" if progress >= 1.0 else "Provisioning",
                "is_infrastructure_ready": progress >= 0.5, "is_control_plane_ready": progress >= 1.0}
