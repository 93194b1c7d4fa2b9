"""The double's credential routes: what Porter's integration handlers accept and answer, and its
access check (cloud-permissions). See the package docstring for how the check is played."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from ..https.service import Request
from .api import USER_ID, PorterError, decode, query

PLATFORM_KEY_ID = "AKIAPORTERPLATFORM00"
PLATFORM_SECRET = "porter-platform-sandbox"
PLATFORM_ROLE = "arn:aws:iam::108458755588:role/CAPIManagement"
_AWS_FIELDS = ("aws_region", "aws_cluster_id", "aws_access_key_id", "aws_secret_access_key",
               "aws_assume_role_arn", "aws_target_arn", "aws_external_id")  # types.CreateAWSRequest
_AZURE_GO = {"azure_client_id": "AzureClientID", "azure_subscription_id": "AzureSubscriptionID",
             "azure_tenant_id": "AzureTenantID", "service_principal_key": "ServicePrincipalKey"}


def now() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


class IntegrationRoutes:
    """Mixed into PorterDouble: handlers run under its lock, after the auth chain (api.py)."""

    project_id: str
    aws_endpoint: str | None
    integrations: list[dict[str, Any]]
    aws_checks: list[tuple[str, bool]]
    _sts: Any

    def _record(self, cloud: str, body: dict[str, Any]) -> None:
        self.integrations.append({"cloud": cloud, **body})

    def _row(self, cloud: str, body: dict[str, Any], *keys: str) -> dict[str, Any]:
        # The integration's own row (ints.*Integration.To*IntegrationType), as the handlers embed it.
        return {"created_at": now(), "id": len(self.integrations), "user_id": USER_ID,
                "project_id": int(self.project_id), **{k: body.get(k, "") for k in keys}}

    def _aws(self, req: Request) -> dict:
        # api/server/handlers/project_integration/create_aws.go (AWS ACK auth: target ARN required)
        body = decode(req, {f: str for f in _AWS_FIELDS}, second="error decoding request")
        if not body.get("aws_target_arn"):
            raise PorterError(400, "target arn is required for AWS ACK auth")
        self._record("aws", body)
        return {**self._row("aws", body), "aws_arn": "", "cloud_provider_credentials_id": body["aws_target_arn"],
                "percent_completed": 0}

    def _azure(self, req: Request) -> dict:
        # create_azure.go: all four fields are form:"required"; answers CreateAzureResponse
        body = decode(req, {f: str for f in _AZURE_GO}, tuple(_AZURE_GO), go_names=_AZURE_GO,
                      second="error decoding and validating request")
        # The dashboard updates a rotated Password through this same POST (AzureCredentialForm.tsx),
        # so the control plane's SaveAzureCredentials (closed source) must file the same service
        # principal under the identifier it had: the double assumes so, and the wizard checks it.
        same = [i for i in self.integrations if i["cloud"] == "azure"
                and i.get("azure_client_id") == body.get("azure_client_id")]
        ident = same[-1]["cloud_provider_credentials_id"] if same else str(uuid.uuid4())
        self._record("azure", {**body, "cloud_provider_credentials_id": ident})
        row = self._row("azure", body, "azure_client_id", "azure_subscription_id", "azure_tenant_id")
        return {**row, "cloud_provider_credentials_id": ident}

    def _gcp(self, req: Request) -> dict:
        # create_gcp.go, CAPI path: {"is_ccp_cluster": true, "cloud_provider_credentials_id": ...}
        body = decode(req, {"gcp_key_data": str, "gcp_project_id": str, "gcp_region": str}, ("gcp_key_data",),
                      go_names={"gcp_key_data": "GCPKeyData"})
        ident = str(uuid.uuid4())
        self._record("gcp", {**body, "cloud_provider_credentials_id": ident})
        return {"is_ccp_cluster": True, "cloud_provider_credentials_id": ident}

    def _permissions(self, req: Request) -> dict:
        # get_cloud_provider_permissions_status.go
        q = query(req, ("cloud_provider", "cloud_provider_credential_identifier"), second="error decoding request")
        ident, provider = q.get("cloud_provider_credential_identifier", ""), q.get("cloud_provider", "")
        if not ident:
            raise PorterError(400, "missing cloud provider credential identifier")
        if not provider:
            raise PorterError(400, "missing cloud provider")
        cloud = {"AWS": "aws", "Azure": "azure", "GCP": "gcp"}.get(provider)
        if cloud == "aws":
            received = [i for i in self.integrations if i["cloud"] == "aws" and i.get("aws_target_arn") == ident]
            if not received:
                return {"percent_completed": 0}
            if not self.aws_endpoint:
                return {"percent_completed": 100}
            ok = self._assume(ident, received[-1].get("aws_external_id", ""))
            self.aws_checks.append((ident, ok))
            return {"percent_completed": 100 if ok else 0}
        known = any(i["cloud"] == cloud and i.get("cloud_provider_credentials_id") == ident for i in self.integrations)
        return {"percent_completed": 100 if known else 0}

    def _assume(self, role_arn: str, external_id: str) -> bool:
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError, ClientError

        from ..aws_wire import isolated_boto3_session

        if self._sts is None:
            config = Config(retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=5)
            self._sts = isolated_boto3_session().client(
                "sts", endpoint_url=self.aws_endpoint, region_name="us-east-1", config=config,
                aws_access_key_id=PLATFORM_KEY_ID, aws_secret_access_key=PLATFORM_SECRET)
        params = {"RoleArn": role_arn, "RoleSessionName": "porter-access-check"}
        if external_id:
            params["ExternalId"] = external_id
        try:
            self._sts.assume_role(**params)
        except (BotoCoreError, ClientError):
            return False
        return True

