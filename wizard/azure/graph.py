"""Microsoft Graph as plain REST through an azure-core pipeline: the handful of calls the setup and
the secret rotation make don't justify msgraph-sdk (and its own HTTP stack and CA settings)."""
from __future__ import annotations

from typing import Any

from .cloud import AzureCloud

# Microsoft Graph's application ID, the same in every tenant.
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"


class GraphError(Exception):
    """A Graph error answer, shaped like azure-core's HttpResponseError for the translator."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str]) -> None:
        super().__init__(f"{code}: {message}")
        self.status_code, self.code, self.message, self.headers = status, code, message, headers


class Graph:
    def __init__(self, cloud: AzureCloud, credential) -> None:
        from azure.core import PipelineClient
        from azure.core.pipeline.policies import (
            BearerTokenCredentialPolicy,
            ContentDecodePolicy,
            HeadersPolicy,
            RetryPolicy,
        )

        kwargs = {"connection_verify": cloud.ca_path} if cloud.ca_path else {}
        self.base = f"{cloud.graph}/v1.0"
        # Two retries with azure-core's backoff (it honours Retry-After on 429) then the error.
        self._client = PipelineClient(self.base, policies=[
            HeadersPolicy(), RetryPolicy(retry_total=2),
            BearerTokenCredentialPolicy(credential, cloud.graph_scope), ContentDecodePolicy()], **kwargs)

    def call(self, method: str, path: str, body: dict | None = None,
             params: dict[str, str] | None = None) -> Any:
        from azure.core.rest import HttpRequest

        response = self._client.send_request(HttpRequest(method, f"{self.base}{path}", json=body,
                                                         params=params))
        if response.status_code >= 400:
            try:
                error = response.json().get("error", {})
            except ValueError:
                error = {}
            raise GraphError(response.status_code, error.get("code", str(response.status_code)),
                             error.get("message", response.text()[:300]), dict(response.headers))
        return response.json() if response.content else None

    def get(self, path: str, **params: str) -> Any:
        return self.call("GET", path, params=params or None)

    def post(self, path: str, body: dict) -> Any:
        return self.call("POST", path, body)

    def patch(self, path: str, body: dict) -> Any:
        return self.call("PATCH", path, body)

    def delete(self, path: str) -> Any:
        return self.call("DELETE", path)
