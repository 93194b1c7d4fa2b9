"""The state every Google double shares: one project, its service accounts and their keys, the
tokens handed out, the enabled APIs, and the long-running operations still running.

All doubles hold ``world.lock`` while they run a handler (the https Service does), so anything
here may be read or changed from a handler without further locking.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..https.service import Request, ServiceError

__all__ = ["GcpWorld", "Operation", "ServiceAccount", "ServiceAccountKeyRecord"]

#: The five APIs the platform's docs ask for, as Service Usage names them, with their titles.
PORTER_APIS = {
    "compute.googleapis.com": "Compute Engine API",
    "container.googleapis.com": "Kubernetes Engine API",
    "cloudresourcemanager.googleapis.com": "Cloud Resource Manager API",
    "containerregistry.googleapis.com": "Container Registry API",
    "artifactregistry.googleapis.com": "Artifact Registry API",
}
#: What a new project has on before anyone enables anything (a subset of Google's real list).
DEFAULT_APIS = ("serviceusage.googleapis.com", "storage.googleapis.com", "logging.googleapis.com",
                "monitoring.googleapis.com", "bigquery.googleapis.com")


@dataclass
class ServiceAccountKeyRecord:
    key_id: str
    public_pem: bytes
    state: str = "enabled"  # enabled, disabled, deleted


@dataclass
class ServiceAccount:
    email: str
    unique_id: str
    display_name: str
    #: None: Owner of the project (every permission); otherwise exactly these permissions.
    permissions: set[str] | None = None
    disabled: bool = False
    deleted: bool = False
    keys: dict[str, ServiceAccountKeyRecord] = field(default_factory=dict)


@dataclass
class Operation:
    """A long-running operation: ``apply`` runs once, when it is due (on the first call after
    ``ready_at``); a GoogleError it raises becomes the operation's error."""
    name: str
    kind: str  # what each API calls it ("insert", "CREATE_CLUSTER", "enable"...)
    target: str  # the resource it acts on (a self link or resource name)
    ready_at: float
    apply: Callable[[], Any] | None = None
    done: bool = False
    error: ServiceError | None = None
    result: Any = None
    started: float = field(default_factory=time.time)
    extra: dict[str, Any] = field(default_factory=dict)  # per-API fields (zone, region, metadata)


class GcpWorld:
    def __init__(self, lock: threading.RLock, *, project_id: str, project_number: str,
                 operation_delay: float = 0.0, token_lifetime: int = 3599) -> None:
        self.lock = lock
        self.project_id, self.project_number = project_id, project_number
        self.project_name = "Porter sandbox"
        self.operation_delay = operation_delay
        self.token_lifetime = token_lifetime
        self.service_accounts: dict[str, ServiceAccount] = {}
        self.tokens: dict[str, tuple[str, float]] = {}  # access token -> (email, expires at)
        self.enabled_services: set[str] = set(DEFAULT_APIS)
        self.operations: dict[str, Operation] = {}
        self.labels_on_project: dict[str, str] = {}

    # -- identity ------------------------------------------------------------------------------
    def issue_token(self, email: str) -> tuple[str, int]:
        token = "ya29.sandbox-" + secrets.token_urlsafe(32)
        self.tokens[token] = (email, time.time() + self.token_lifetime)
        return token, self.token_lifetime

    def authorize(self, req: Request) -> ServiceAccount:
        from .google_service import GoogleError

        token = req.bearer
        email, expires = self.tokens.get(token or "", ("", 0.0))
        account = self.service_accounts.get(email)
        if not token or account is None or expires < time.time() or account.deleted or account.disabled:
            raise GoogleError(401, "Request had invalid authentication credentials. Expected OAuth 2 access "
                                   "token, login cookie or other valid authentication credential. See "
                                   "https://developers.google.com/identity/sign-in/web/devconsole-project.",
                              reason="ACCESS_TOKEN_TYPE_UNSUPPORTED")
        return account

    def allows(self, account: ServiceAccount, permission: str) -> bool:
        return account.permissions is None or permission in account.permissions

    # -- operations ----------------------------------------------------------------------------
    def start_operation(self, kind: str, target: str, apply: Callable[[], Any] | None = None, *,
                        delay: float | None = None, prefix: str = "operation-", **extra: Any) -> Operation:
        wait = self.operation_delay if delay is None else delay
        name = f"{prefix}{int(time.time() * 1000)}-{secrets.token_hex(6)}"
        op = Operation(name, kind, target, time.monotonic() + wait, apply, extra=dict(extra))
        self.operations[name] = op
        if wait <= 0:
            self._finish(op)
        return op

    def settle(self) -> None:
        """Finish every operation that is due (called before each request is answered)."""
        now = time.monotonic()
        for op in list(self.operations.values()):
            if not op.done and op.ready_at <= now:
                self._finish(op)

    def _finish(self, op: Operation) -> None:
        try:
            op.result = op.apply() if op.apply else None
        except ServiceError as exc:
            op.error = exc
        op.done = True

    def clear(self) -> None:
        self.service_accounts.clear()
        self.tokens.clear()
        self.enabled_services = set(DEFAULT_APIS)
        self.operations.clear()
