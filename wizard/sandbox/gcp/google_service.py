"""What Google's API doubles share: Google's error shape, exact path matching, the caller's
token checked on every call, and long-running operations settled before each answer.

Google's APIs answer errors as::

    {"error": {"code": 403, "message": "...", "status": "PERMISSION_DENIED",
               "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                            "reason": "SERVICE_DISABLED", "domain": "googleapis.com",
                            "metadata": {"service": "compute.googleapis.com", ...}}]}}

Handlers raise ``GoogleError`` (a ServiceError whose ``code`` is the canonical status name and
which may carry ErrorInfo). Each double is mounted under ``/<service>`` (``/compute``,
``/container``...): one loopback server hosts them all, and the wizard reaches them through its
endpoint template ``https://127.0.0.1:PORT/{service}`` where Google has ``https://{service}.googleapis.com``.
"""

from __future__ import annotations

from typing import Any

from ..https.service import Reply, Request, Service, ServiceError
from .world import GcpWorld

__all__ = ["GoogleError", "GoogleService", "api_disabled", "permission_denied"]

_STATUS_NAMES = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                 409: "ALREADY_EXISTS", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}


class GoogleError(ServiceError):
    def __init__(self, status: int, message: str, *, code: str | None = None, reason: str | None = None,
                 metadata: dict[str, str] | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(status, code or _STATUS_NAMES.get(status, "UNKNOWN"), message, headers=headers)
        self.reason, self.metadata = reason, dict(metadata or {})

    def details(self) -> list[dict[str, Any]]:
        if not self.reason:
            return []
        return [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": self.reason,
                 "domain": "googleapis.com", "metadata": self.metadata}]


def api_disabled(world: GcpWorld, service: str, title: str) -> GoogleError:
    """What every Google API answers when it is not enabled on the project (word for word)."""
    number = world.project_number
    return GoogleError(
        403, f"{title} has not been used in project {number} before or it is disabled. Enable it by "
             f"visiting https://console.developers.google.com/apis/api/{service}/overview?project={number} then "
             "retry. If you enabled this API recently, wait a few minutes for the action to propagate to our "
             "systems and retry.",
        reason="SERVICE_DISABLED", metadata={"service": service, "consumer": f"projects/{number}"})


def permission_denied(permission: str, resource: str) -> GoogleError:
    return GoogleError(403, f"Permission '{permission}' denied on resource '{resource}' (or it may not exist).",
                       reason="IAM_PERMISSION_DENIED", metadata={"permission": permission})


class GoogleService(Service):
    """A Google API double mounted at ``/<prefix>``: routes are given without the prefix."""

    case_insensitive_paths = False
    prefix = ""
    #: The API's service name ("compute.googleapis.com"): calls fail as SERVICE_DISABLED until the
    #: project enables it. None for APIs that are always on (Service Usage itself).
    service_name: str | None = None
    title = ""

    def __init__(self, world: GcpWorld) -> None:
        super().__init__(world.lock)
        self.world = world

    def route(self, name: str, method: str, pattern: str, handler: Any) -> None:
        super().route(name, method, f"/{self.prefix}{pattern}", handler)

    def dispatch(self, req: Request, route: Any) -> Reply:
        handler = route.handler

        def checked(request: Request) -> Any:
            # Google checks the token first, then whether the API is on, then the permission.
            self.world.settle()
            request.caller = self.world.authorize(request)  # type: ignore[attr-defined]
            if self.service_name and self.service_name not in self.world.enabled_services:
                raise api_disabled(self.world, self.service_name, self.title)
            return handler(request)

        route = type(route)(route.name, route.method, route.pattern, checked)
        return super().dispatch(req, route)

    def project(self, req: Request) -> str:
        """The request's project, which must be the sandbox's (by ID or number): Google answers
        403 for a project the caller cannot see, whether or not it exists."""
        project = req.params.get("project", "")
        if project not in (self.world.project_id, self.world.project_number):
            raise GoogleError(403, f"Permission denied on resource project {project} (or it may not exist).",
                              reason="CONSUMER_INVALID" if project else None, metadata={"consumer": f"projects/{project}"})
        return self.world.project_id

    def require(self, req: Request, permission: str) -> None:
        caller = req.caller  # type: ignore[attr-defined]
        if not self.world.allows(caller, permission):
            raise permission_denied(permission, f"projects/{self.world.project_id}")

    # -- wire shape ---------------------------------------------------------------------------
    def error_body(self, status: int, code: str, message: str) -> Any:
        return {"error": {"code": status, "message": message, "status": code}}

    def exception_reply(self, exc: ServiceError) -> Reply:
        reply = self.error_reply(exc.status, exc.code, exc.message, exc.headers)
        if isinstance(exc, GoogleError) and exc.details():
            reply.body["error"]["details"] = exc.details()
        return reply

    def error_reply(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Reply:
        # An injected fault gives a code; a 429 fault with code "RATE_LIMIT_EXCEEDED" is shaped as
        # Google's per-minute quota error (status RESOURCE_EXHAUSTED with that reason).
        if code in _REASONS:
            status_name, reason = _REASONS[code]
            body = {"error": {"code": status, "message": message, "status": status_name,
                              "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason,
                                           "domain": "googleapis.com", "metadata": {}}]}}
            return Reply(status, body, dict(headers or {}))
        return Reply(status, self.error_body(status, code, message), dict(headers or {}))

    def not_found(self, method: str, path: str) -> Reply:
        return self.error_reply(404, "NOT_FOUND", f"No route for {method} {path}")


# Fault codes that are ErrorInfo reasons: inject(route, status=429, code="RATE_LIMIT_EXCEEDED", ...).
_REASONS = {
    "RATE_LIMIT_EXCEEDED": ("RESOURCE_EXHAUSTED", "RATE_LIMIT_EXCEEDED"),
    "QUOTA_EXCEEDED": ("RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED"),
    "SERVICE_DISABLED": ("PERMISSION_DENIED", "SERVICE_DISABLED"),
    "IAM_PERMISSION_DENIED": ("PERMISSION_DENIED", "IAM_PERMISSION_DENIED"),
}
