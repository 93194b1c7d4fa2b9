"""A small client of Porter's API: the calls Porter's dashboard makes to connect a cloud account
and create a cluster, made with the CLI's login.

Routes and shapes follow porter-dev/porter-archive@ed607ee (cited per call below). Every answer is
read defensively: Porter's errors become PorterError (errors.py), anything that is not Porter's
JSON becomes an "unexpected answer", never a KeyError or a traceback. Secrets (the token, the
Azure client secret, the Google key) are registered for redaction before a request is made and are
never formatted into text; request and answer bodies are never logged.
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from typing import Any

import requests
import requests.auth

from ..redaction import register_secret
from .errors import PorterError, from_answer, porter_text, unexpected, unreachable
from .login import PorterLogin

__all__ = ["ClusterStatus", "PorterClient", "PorterError"]

log = logging.getLogger("porter_wizard.porter")

# The names the dashboard sends as cloud_provider (dashboard/src/main/home/infrastructure-dashboard/
# forms/aws/GrantAWSPermissions.tsx sends "AWS"; the handler's enum in api/server/handlers/
# project_integration/get_cloud_provider_permissions_status.go is "AWS" / "GCP" / "Azure").
_PROVIDERS = {"aws": "AWS", "azure": "Azure", "gcp": "GCP"}
# Contract conditions that end a provisioning attempt (dashboard/src/lib/clusters/types.ts,
# contractConditionValidator); "" is "still applying", "SUCCESS" is "applied".
_FAILED_CONDITIONS = {"QUOTA_REQUEST_FAILED", "RETRYING_TOO_LONG", "KUBE_APPLY_FAILED", "FATAL_PROVISIONING_ERROR",
                      "ERROR_READING_MSG", "MSG_CAUSED_PANIC", "COMPLIANCE_CHECK_FAILED"}
_MAX_BODY = 5 * 1024 * 1024  # Porter's answers here are small; a huge body is not Porter's


@dataclass(frozen=True)
class ClusterStatus:
    phase: str  # "provisioning" | "ready" | "failed"
    message: str
    #: The dashboard's own progress measure (ClusterProvisioningIndicator.tsx: 1 of 5 steps to
    #: start, one more each for infrastructure ready, control plane ready and phase Provisioned).
    percent: int = 0


class PorterClient:
    def __init__(self, login: PorterLogin, *, ca_bundle: str | None = None, timeout: float = 30.0) -> None:
        register_secret(login.token)
        self.login = login
        self._api = f"{login.host.rstrip('/')}/api"
        self._project_path = f"/projects/{login.project}"
        self._timeout = timeout
        self._session = requests.Session()
        ca = ca_bundle if ca_bundle is not None else os.environ.get("PORTER_CA_BUNDLE") or None
        if ca:
            self._session.verify = ca
            # Otherwise REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE from the environment override verify.
            self._session.trust_env = False
        # api/client/api.go sendRequest: the CLI's token goes as a Bearer token, JSON both ways.
        # Set as the session's auth, so that a ~/.netrc entry for the host cannot replace it.
        self._session.auth = _Bearer(login.token)
        self._session.headers.update({"Accept": "application/json", "User-Agent": "porter-wizard"})

    def __repr__(self) -> str:
        return f"PorterClient(host={self.login.host!r}, project={self.login.project!r})"

    # -- the calls ----------------------------------------------------------------------------
    def project_name(self) -> str:
        """GET /api/projects/{id} (api/server/handlers/project/get.go -> types.Project: "name")."""
        body = self._call("GET", self._project_path, "read the project")
        return self._text(body, "name", "read the project", required=True)

    def connect_aws(self, target_arn: str, external_id: str) -> str:
        """POST /api/projects/{id}/integrations/aws with aws_target_arn and aws_external_id
        (api/types/project_integration.go CreateAWSRequest; dashboard/src/lib/hooks/
        useCloudProvider.ts connectToAwsAccount). create_aws.go answers CreateAWSResponse, whose
        cloud_provider_credentials_id is the target ARN (or the control plane's identifier)."""
        body = self._call("POST", f"{self._project_path}/integrations/aws", "give Porter the AWS role",
                          json={"aws_target_arn": target_arn, "aws_external_id": external_id})
        return self._text(body, "cloud_provider_credentials_id", "give Porter the AWS role")

    def connect_azure(self, *, client_id: str, subscription_id: str, tenant_id: str, secret: str) -> str:
        """POST /api/projects/{id}/integrations/azure (CreateAzureRequest, all four required;
        create_azure.go answers CreateAzureResponse.cloud_provider_credentials_id)."""
        register_secret(secret)
        doing = "give Porter the Azure service principal"
        body = self._call("POST", f"{self._project_path}/integrations/azure", doing,
                          json={"azure_client_id": client_id, "azure_subscription_id": subscription_id,
                                "azure_tenant_id": tenant_id, "service_principal_key": secret})
        return self._text(body, "cloud_provider_credentials_id", doing, required=True)

    def connect_gcp(self, *, key_json: str, project_id: str) -> str:
        """POST /api/projects/{id}/integrations/gcp with gcp_key_data (the key file's text) and
        gcp_project_id (CreateGCPRequest; create_gcp.go answers CreateGCPResponse)."""
        register_secret(key_json)
        doing = "give Porter the Google Cloud key"
        body = self._call("POST", f"{self._project_path}/integrations/gcp", doing,
                          json={"gcp_key_data": key_json, "gcp_project_id": project_id})
        return self._text(body, "cloud_provider_credentials_id", doing, required=True)

    def permissions_percent(self, cloud: str, identifier: str) -> int:
        """GET /api/projects/{id}/integrations/cloud-permissions?cloud_provider=&
        cloud_provider_credential_identifier= (get_cloud_provider_permissions_status.go):
        {"percent_completed": float}, Porter's own check of its access, 0..100."""
        if cloud not in _PROVIDERS:
            raise ValueError(f"unknown cloud {cloud!r}")
        doing = "follow Porter's access check"
        body = self._call("GET", f"{self._project_path}/integrations/cloud-permissions", doing,
                          params={"cloud_provider": _PROVIDERS[cloud],
                                  "cloud_provider_credential_identifier": identifier})
        value = body.get("percent_completed")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            raise unexpected(self.login.host, 200, doing)
        return max(0, min(100, int(round(value))))

    def create_cluster(self, contract: dict) -> str:
        """POST /api/projects/{id}/contract with the contract as protojson (porter.v1.Contract:
        {"cluster": {...}}), as the dashboard's createContract does. api/server/handlers/
        api_contract/update.go answers 201 with UpdateContractResponse: {"contract_revision":
        {"cluster_id", "project_id", "revision_id"}}; the cluster ID is what to follow."""
        doing = "ask Porter to create the cluster"
        body = self._call("POST", f"{self._project_path}/contract", doing, json=contract)
        revision = body.get("contract_revision")
        cluster_id = revision.get("cluster_id") if isinstance(revision, dict) else None
        if isinstance(cluster_id, bool) or not isinstance(cluster_id, int) or cluster_id <= 0:
            raise unexpected(self.login.host, 201, doing)
        return str(cluster_id)

    def cluster_status(self, ref: str) -> ClusterStatus:
        """What the dashboard polls (dashboard/src/lib/hooks/useCluster.ts): the latest contract
        revision's condition, GET /api/projects/{id}/contracts?cluster_id=&latest=true
        (api_contract/list.go, models.APIContractRevision), for failures; and the cluster's state,
        GET /api/projects/{id}/clusters/{cluster_id}/state (cluster/cluster_status.go:
        phase, is_infrastructure_ready, is_control_plane_ready), for progress."""
        if not ref.isascii() or not ref.isdigit():
            raise ValueError("a Porter cluster ID is a number")
        doing = "follow the cluster's provisioning"
        revisions = self._call("GET", f"{self._project_path}/contracts", doing,
                               params={"cluster_id": ref, "latest": "true"}, want=list)
        if not revisions or not isinstance(revisions[0], dict):
            # Asked first because it proves the login: the state route answers an unknown cluster
            # with the same bare 403 "Forbidden" as a bad token (api/server/authz/cluster.go).
            raise PorterError("Porter has no such cluster",
                              f"Project {self.login.project} on {self.login.host} has no cluster {ref}.",
                              "Start the cluster creation again from the wizard.", code="cluster_not_found")
        latest = revisions[0]
        condition = latest.get("condition") if isinstance(latest.get("condition"), str) else ""
        if condition in _FAILED_CONDITIONS:
            meta = latest.get("condition_metadata")
            said = porter_text(str(meta.get("message") or "")) if isinstance(meta, dict) else ""
            return ClusterStatus("failed", f"Porter could not build the cluster ({condition})"
                                 + (f": {said}" if said else "."))
        state = self._call("GET", f"{self._project_path}/clusters/{ref}/state", doing)
        phase = state.get("phase") if isinstance(state.get("phase"), str) else ""
        infra, control = state.get("is_infrastructure_ready") is True, state.get("is_control_plane_ready") is True
        steps = 1 + infra + control + (phase == "Provisioned")
        if phase == "Failed":
            return ClusterStatus("failed", "Porter reports the cluster's provisioning failed.", steps * 20)
        if phase == "Provisioned" and infra and control:
            return ClusterStatus("ready", "The cluster is provisioned.", 100)
        parts = ["infrastructure " + ("ready" if infra else "not ready yet"),
                 "control plane " + ("ready" if control else "not ready yet")]
        now = f"Phase {phase}" if phase else "Waiting for Porter's first report"
        return ClusterStatus("provisioning", f"{now}: {', '.join(parts)}.", steps * 20)

    # -- plumbing -------------------------------------------------------------------------------
    def _text(self, body: dict, key: str, doing: str, *, required: bool = False) -> str:
        value = body.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or (required and not value):
            raise unexpected(self.login.host, 200, doing)
        return value

    def _call(self, method: str, path: str, doing: str, *, want: type = dict, **kwargs: Any) -> Any:
        url = self._api + path
        try:
            # No redirects: the token must not follow a proxy's or a login page's redirect.
            with self._session.request(method, url, timeout=self._timeout, allow_redirects=False,
                                       stream=True, **kwargs) as resp:
                status, raw = resp.status_code, b""
                for chunk in resp.iter_content(64 * 1024):  # requests wraps read errors itself
                    raw += chunk
                    if len(raw) > _MAX_BODY:
                        break
        except (requests.RequestException, OSError) as exc:
            log.info("Porter %s %s: no answer (%s)", method, path, type(exc).__name__)
            raise unreachable(self.login.host, exc, doing) from None
        log.info("Porter %s %s -> %s", method, path, status)
        body = _first_json(raw) if len(raw) <= _MAX_BODY else None
        if 200 <= status < 300:
            if not isinstance(body, want):
                raise unexpected(self.login.host, status, doing)
            return body
        if not isinstance(body, dict) or not isinstance(body.get("error"), str):
            raise unexpected(self.login.host, status, doing)
        raise from_answer(self.login.host, self.login.project, status, body["error"], doing)


class _Bearer(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return "_Bearer(<token>)"


def _first_json(raw: bytes) -> Any:
    """The first JSON value of a body (Porter may write two error objects), None if there is none."""
    try:
        text = raw.decode("utf-8").lstrip()
        value, _ = json.JSONDecoder().raw_decode(text)
    except (UnicodeDecodeError, ValueError):
        return None
    return value
