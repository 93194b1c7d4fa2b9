"""One authorised REST session to Google Cloud's APIs for a service-account key.

google-auth signs the key's JWT, exchanges it at the key's ``token_uri`` and refreshes the token
when it expires; ``AuthorizedSession`` adds it to every call. The APIs are called as plain REST
(the google-cloud client libraries default to gRPC and add megabytes of imports for five calls).

A private CA (the sandbox) is trusted with ``trust_env`` off on both sessions: requests lets
``REQUESTS_CA_BUNDLE`` override a session's ``verify``, and the token refresh has its own session.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .endpoints import SCOPES, Endpoints, current_endpoints

# A throttled call (429, or 503 "try again") is retried this many times, honouring Retry-After
# up to _MAX_WAIT seconds, before the user sees it.
_RETRIES = 3
_MAX_WAIT = 10.0
_TIMEOUT = (10, 60)  # connect, read


class GcpHttpError(Exception):
    """An API answered with an error: Google's ``{"error": {...}}`` unpacked."""

    def __init__(self, status: int, body: Any, headers: Any, url: str) -> None:
        error = body.get("error") if isinstance(body, dict) else None
        error = error if isinstance(error, dict) else {}
        self.status = status
        self.code = str(error.get("status") or status)  # PERMISSION_DENIED, RESOURCE_EXHAUSTED...
        self.message = str(error.get("message") or (body if isinstance(body, str) else "")).strip()[:2000]
        info = next((d for d in error.get("details") or [] if isinstance(d, dict) and "reason" in d), {})
        self.reason = str(info.get("reason") or "")  # SERVICE_DISABLED, RATE_LIMIT_EXCEEDED...
        self.metadata = dict(info.get("metadata") or {})
        self.retry_after = _seconds(headers.get("Retry-After")) if headers is not None else None
        self.url = url
        super().__init__(f"{status} {self.code} {self.reason}: {self.message}")


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


@dataclass
class GcpApi:
    """REST calls as the key's service account: ``api.get("compute", "/compute/v1/projects/p/regions")``."""
    key_info: dict[str, Any] = field(repr=False)  # holds the private key: never in a repr or traceback
    endpoints: Endpoints = field(default_factory=current_endpoints)
    sleep: Callable[[float], None] = time.sleep
    _session: Any = field(default=None, repr=False)
    _auth_request: Any = field(default=None, repr=False)  # google-auth's transport for the token refresh (its own session)

    @classmethod
    def for_key(cls, key_info: dict[str, Any], **kwargs: Any) -> GcpApi:
        return cls(key_info, current_endpoints(key_info.get("universe_domain")), **kwargs)

    @property
    def project_id(self) -> str:
        return str(self.key_info.get("project_id", ""))

    @property
    def email(self) -> str:
        return str(self.key_info.get("client_email", ""))

    @property
    def session(self) -> Any:
        if self._session is None:
            import requests
            from google.auth.transport.requests import AuthorizedSession, Request
            from google.oauth2 import service_account

            credentials = service_account.Credentials.from_service_account_info(self.key_info, scopes=list(SCOPES))
            token_session = requests.Session()
            self._auth_request = Request(session=token_session)
            session = AuthorizedSession(credentials, auth_request=self._auth_request)
            for each in (token_session, session):
                if self.endpoints.ca_path:
                    each.verify = self.endpoints.ca_path
                    each.trust_env = False
            self._session = session
        return self._session

    def refresh_token(self) -> None:
        """Exchange the key for a token now (the key check: raises RefreshError if Google refuses it)."""
        self.session.credentials.refresh(self._auth_request)

    def url(self, service: str, path: str) -> str:
        return self.endpoints.base(service) + path

    def call(self, method: str, service: str, path: str, *, body: Any = None,
             params: dict[str, Any] | None = None) -> dict[str, Any]:
        url = self.url(service, path)
        for attempt in range(_RETRIES + 1):
            response = self.session.request(method, url, json=body, params=params, timeout=_TIMEOUT)
            if response.status_code < 400:
                return response.json() if response.content else {}
            try:
                payload = response.json()
            except ValueError:
                payload = response.text
            error = GcpHttpError(response.status_code, payload, response.headers, url)
            if response.status_code not in (429, 503) or attempt == _RETRIES:
                raise error
            self.sleep(min(error.retry_after if error.retry_after is not None else 2.0 ** attempt, _MAX_WAIT))
        raise AssertionError("unreachable")

    def get(self, service: str, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.call("GET", service, path, params=params)

    def post(self, service: str, path: str, body: Any = None, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.call("POST", service, path, body=body if body is not None else {}, params=params)

    def delete(self, service: str, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.call("DELETE", service, path, params=params)

    def find(self, service: str, path: str) -> dict[str, Any] | None:
        """The resource, or None when the API answers 404."""
        try:
            return self.get(service, path)
        except GcpHttpError as exc:
            if exc.status == 404:
                return None
            raise
