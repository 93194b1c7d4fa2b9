"""A local double of Porter's API (the routes the wizard calls), for the sandbox and the tests::

    porter = PorterDouble(token="t0k3n", project_id="1", aws_endpoint=sandbox.endpoint).start()
    client = PorterClient(PorterLogin(porter.url, "1", "t0k3n"), ca_bundle=porter.ca_path)

It is the receiving end, so it keeps what it receives in memory (``integrations``: one dict per
accepted call, ``{"cloud": ..., <the body's fields>}``, secrets included; ``contracts``: the
contract bodies), and never logs or prints a body. Porter's own behaviour behind these routes is
played as follows:
- cloud-permissions for AWS: like Porter's control plane, the double tries sts:AssumeRole on the
  received target ARN with the received ExternalId, through ``aws_endpoint`` (the sandbox's AWS
  front), as Porter's platform principal (access key ``AKIAPORTERPLATFORM00``, which the front
  treats as arn:aws:iam::108458755588:role/CAPIManagement); 100 when it works, 0 otherwise, and it
  tries again on every poll. Without ``aws_endpoint``: 100 once the role was received. Azure and
  Google Cloud: 100 once credentials with that ID were received.
- a contract: the cluster is "Provisioning" for ``provision_seconds``, then "Provisioned";
  ``fail_cluster`` ends it with a contract condition, as Porter's control plane does.
Faults: ``inject(route, status, message)`` answers the next call of a route ("*": any) with
Porter's error body, or with ``html=`` a proxy's page.
"""
from __future__ import annotations

import itertools
import threading
from typing import Any

from ..https.certs import ca_pem_path
from ..https.server import HttpsServer
from ..https.service import Request
from .api import USER_ID, PorterApi
from .clusters import ClusterRoutes, _Cluster
from .integrations import PLATFORM_KEY_ID, PLATFORM_ROLE, PLATFORM_SECRET, IntegrationRoutes

__all__ = ["PLATFORM_KEY_ID", "PLATFORM_ROLE", "PLATFORM_SECRET", "PorterDouble"]


class PorterDouble(IntegrationRoutes, ClusterRoutes):
    def __init__(self, token: str, project_id: str, aws_endpoint: str | None = None, *,
                 provision_seconds: float = 0.0, project_name: str = "sandbox") -> None:
        self.token, self.project_id, self.project_name = token, str(project_id), project_name
        self.aws_endpoint = aws_endpoint
        self.provision_seconds = float(provision_seconds)
        self._lock = threading.RLock()
        self.api = PorterApi(self._lock, token=token, project_id=self.project_id)
        self._server = HttpsServer([self.api])
        self._sts: Any = None
        self.integrations: list[dict[str, Any]] = []
        self.contracts: list[dict[str, Any]] = []
        #: (target ARN, whether AssumeRole worked), one per AWS access check.
        self.aws_checks: list[tuple[str, bool]] = []
        self._clusters: dict[int, _Cluster] = {}
        self._ids = itertools.count(1)
        a = self.api
        # Paths: api/server/router/project.go, project_integration.go, cluster.go.
        a.add("get_project", "GET", "", self._project)
        a.add("create_aws", "POST", "/integrations/aws", self._aws, writes=True)
        a.add("create_azure", "POST", "/integrations/azure", self._azure, writes=True)
        a.add("create_gcp", "POST", "/integrations/gcp", self._gcp, writes=True)
        a.add("cloud_permissions", "GET", "/integrations/cloud-permissions", self._permissions)
        a.add("preflight", "POST", "/contract/preflight", self._preflight, writes=True)
        a.add("create_contract", "POST", "/contract", self._contract, writes=True)
        a.add("list_contracts", "GET", "/contracts", self._list_contracts)
        a.add("cluster_state", "GET", r"/clusters/(?P<cluster>[^/]+)/state", self._state)

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> PorterDouble:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> PorterDouble:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return self._server.url

    @property
    def ca_path(self) -> str:
        return ca_pem_path()

    # -- controls -------------------------------------------------------------------------------
    @property
    def requests(self) -> list[str]:
        return self.api.requests

    def inject(self, route: str, status: int, message: str = "", *, code: str = "", html: str | None = None,
               times: int | None = 1, retry_after: float | None = None) -> None:
        """Answer the next ``times`` calls of ``route`` with Porter's error body (Porter's own text
        for the status when no message is given), or with ``html`` as a proxy's page."""
        if html is not None:
            code, message = "html", html
        self.api.inject(route, status=status, code=code, message=message, times=times, retry_after=retry_after)

    def set_role(self, role: str) -> None:
        """"admin", or "viewer" (may read, not create: 403 on the write routes)."""
        with self._lock:
            self.api.role = role

    def clear(self) -> None:
        """Forget what was received, faults and the call log (same token, project and pacing)."""
        with self._lock:
            self.api.clear()
            self.api.role = "admin"
            self.integrations.clear()
            self.contracts.clear()
            self.aws_checks.clear()
            self._clusters.clear()

    # -- handlers (run under the lock, after the auth chain in api.py) --------------------------
    def _project(self, req: Request) -> dict:
        # api/server/handlers/project/get.go -> types.Project (api/types/project.go)
        flags = ("api_tokens_enabled", "aws_ack_auth_enabled", "azure_enabled", "capi_provisioner_enabled",
                 "full_add_ons", "multi_cluster", "simplified_view_enabled", "validate_apply_v2")
        return {"id": int(self.project_id), "name": self.project_name,
                "roles": [{"kind": self.api.role, "user_id": USER_ID, "project_id": int(self.project_id)}],
                **{flag: True for flag in flags}, "referral_code": ""}
