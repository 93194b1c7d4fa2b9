"""Service Usage v1 (``serviceusage.googleapis.com``): which APIs a project has on, and enabling
or disabling one through a google.longrunning Operation.

- ``GET /v1/projects/{p}/services/{service}``: the service with ``state`` ENABLED or DISABLED;
- ``GET /v1/projects/{p}/services`` (``filter=state:ENABLED``, ``pageSize``, ``pageToken``);
- ``POST /v1/projects/{p}/services/{service}:enable`` (and ``:disable``): an Operation
  ``operations/acf.p2-<number>-...`` that is done ``world.operation_delay`` seconds later; only
  then is the API on (``world.enabled_services``). Enabling an API that is already on answers
  Google's ``operations/noop.DONE_OPERATION``, done at once;
- ``GET /v1/operations/{op}``: the operation, with ``response`` (or ``error``) once done.

Service Usage itself is always on (it is how a project turns the others on). An unknown service
name is 403 "Not found or permission denied for service(s): X.", as Google answers: it does not
say which of the two it is. Control: ``fail_enable(service, message)`` makes the next enable of
that service end with an error in its operation (Google's billing precondition by default).
"""

from __future__ import annotations

from typing import Any

from ..https.service import Request, ServiceError
from .google_service import GoogleError, GoogleService
from .world import DEFAULT_APIS, PORTER_APIS, GcpWorld, Operation

__all__ = ["CATALOGUE", "UsageService"]

#: Services this double knows, with the titles the console shows: the platform's five, a new
#: project's defaults, and a few more real ones so a list looks like a project's.
CATALOGUE: dict[str, str] = {
    **PORTER_APIS,
    "serviceusage.googleapis.com": "Service Usage API",
    "storage.googleapis.com": "Cloud Storage API",
    "logging.googleapis.com": "Cloud Logging API",
    "monitoring.googleapis.com": "Cloud Monitoring API",
    "bigquery.googleapis.com": "BigQuery API",
    "iam.googleapis.com": "Identity and Access Management (IAM) API",
    "iamcredentials.googleapis.com": "IAM Service Account Credentials API",
    "oslogin.googleapis.com": "Cloud OS Login API",
    "dns.googleapis.com": "Cloud DNS API",
    "sqladmin.googleapis.com": "Cloud SQL Admin API",
    "secretmanager.googleapis.com": "Secret Manager API",
    "pubsub.googleapis.com": "Cloud Pub/Sub API",
}
assert set(DEFAULT_APIS) <= set(CATALOGUE)

#: What Google answers when enabling an API on a project without a billing account (the usual
#: reason an enable operation fails), with the project number filled in.
BILLING_REQUIRED = ("Billing account for project '{number}' is not found. Billing must be enabled for "
                    "activation of service(s) '{service}' to proceed.")
NOOP_OPERATION = "operations/noop.DONE_OPERATION"
_EMPTY = {"@type": "type.googleapis.com/google.protobuf.Empty"}
_RESPONSE_TYPES = {"enable": "type.googleapis.com/google.api.serviceusage.v1.EnableServiceResponse",
                   "disable": "type.googleapis.com/google.api.serviceusage.v1.DisableServiceResponse"}
# google.rpc.Code numbers: an Operation's error carries these, not HTTP statuses.
_RPC_CODES = {"INVALID_ARGUMENT": 3, "NOT_FOUND": 5, "PERMISSION_DENIED": 7, "RESOURCE_EXHAUSTED": 8,
              "FAILED_PRECONDITION": 9, "INTERNAL": 13, "UNAVAILABLE": 14}
_PROJECT = r"/v1/projects/(?P<project>[^/]+)/services"
_MAX_PAGE = 200


class UsageService(GoogleService):
    name = "usage"
    prefix = "serviceusage"
    service_name = None  # always on
    title = "Service Usage API"

    def __init__(self, world: GcpWorld) -> None:
        super().__init__(world)
        self._failing: dict[str, str] = {}  # service -> message its next enable fails with
        self.route("get_service", "GET", _PROJECT + r"/(?P<service>[^/:]+)", self._get)
        self.route("list_services", "GET", _PROJECT, self._list)
        self.route("enable_service", "POST", _PROJECT + r"/(?P<service>[^/:]+):enable", self._enable)
        self.route("disable_service", "POST", _PROJECT + r"/(?P<service>[^/:]+):disable", self._disable)
        self.route("get_operation", "GET", r"/v1/operations/(?P<operation>[^/]+)", self._operation)

    # -- controls -------------------------------------------------------------------------
    def fail_enable(self, service: str, message: str | None = None) -> None:
        """The next enable of ``service`` ends with this error in its operation (FAILED_PRECONDITION)."""
        if service not in CATALOGUE:
            raise KeyError(f"unknown service {service!r}")
        with self.lock:
            text = message or BILLING_REQUIRED.format(number=self.world.project_number, service=service)
            self._failing[service] = text

    def clear(self) -> None:
        with self.lock:
            super().clear()
            self._failing.clear()

    # -- handlers ---------------------------------------------------------------------------
    def _get(self, req: Request) -> dict[str, Any]:
        self.project(req)
        self.require(req, "serviceusage.services.get")
        return self._service_body(self._known(req))

    def _list(self, req: Request) -> dict[str, Any]:
        self.project(req)
        self.require(req, "serviceusage.services.list")
        wanted = _state_filter(req.query.get("filter", ""))
        names = [s for s in sorted(CATALOGUE) if wanted is None or self._state(s) == wanted]
        size = _page_size(req.query.get("pageSize", ""))
        start = _page_start(req.query.get("pageToken", ""))
        body: dict[str, Any] = {"services": [self._service_body(s) for s in names[start:start + size]]}
        if start + size < len(names):
            body["nextPageToken"] = str(start + size)
        return body

    def _enable(self, req: Request) -> dict[str, Any]:
        return self._change(req, "enable")

    def _disable(self, req: Request) -> dict[str, Any]:
        return self._change(req, "disable")

    def _change(self, req: Request, kind: str) -> dict[str, Any]:
        self.project(req)
        self.require(req, f"serviceusage.services.{kind}")
        service = self._known(req)
        failure = self._failing.pop(service, None) if kind == "enable" else None
        if failure is None and self._state(service) == ("ENABLED" if kind == "enable" else "DISABLED"):
            # Nothing to do: Google answers a finished no-op instead of a new operation.
            return {"name": NOOP_OPERATION, "metadata": _EMPTY, "done": True,
                    "response": {"@type": _RESPONSE_TYPES[kind], "service": self._service_body(service)}}

        def apply() -> dict[str, Any]:
            if failure is not None:
                raise GoogleError(400, failure, code="FAILED_PRECONDITION")
            if kind == "enable":
                self.world.enabled_services.add(service)
            else:
                self.world.enabled_services.discard(service)
            return self._service_body(service)

        op = self.world.start_operation(kind, service, apply, prefix=f"operations/acf.p2-{self.world.project_number}-",
                                        api="serviceusage")
        return self._operation_body(op)

    def _operation(self, req: Request) -> dict[str, Any]:
        name = "operations/" + req.params["operation"]
        if name == NOOP_OPERATION:
            return {"name": name, "metadata": _EMPTY, "done": True}
        op = self.world.operations.get(name)
        if op is None or op.extra.get("api") != "serviceusage":
            raise GoogleError(404, f"Operation '{name}' not found.")
        return self._operation_body(op)

    # -- wire shapes ------------------------------------------------------------------------
    def _operation_body(self, op: Operation) -> dict[str, Any]:
        body: dict[str, Any] = {"name": op.name, "metadata": _EMPTY}
        if not op.done:
            return body
        body["done"] = True
        if op.error is not None:
            body["error"] = _rpc_status(op.error)
        else:
            body["response"] = {"@type": _RESPONSE_TYPES[op.kind], "service": op.result}
        return body

    def _service_body(self, service: str) -> dict[str, Any]:
        number = self.world.project_number
        return {
            "name": f"projects/{number}/services/{service}",
            "parent": f"projects/{number}",
            "config": {"name": service, "title": CATALOGUE[service], "documentation": {}, "quota": {},
                       "authentication": {}, "usage": {"requirements": ["serviceusage.googleapis.com/tos/cloud"]},
                       "monitoring": {}},
            "state": self._state(service),
        }

    def _state(self, service: str) -> str:
        return "ENABLED" if service in self.world.enabled_services else "DISABLED"

    def _known(self, req: Request) -> str:
        service = req.params["service"]
        if service not in CATALOGUE:
            raise GoogleError(403, f"Not found or permission denied for service(s): {service}.",
                              reason="SERVICE_CONFIG_NOT_FOUND_OR_PERMISSION_DENIED", metadata={"services": service})
        return service


def _rpc_status(error: ServiceError) -> dict[str, Any]:
    """An Operation's ``error``: a google.rpc.Status (numeric code), not the HTTP error shape."""
    status: dict[str, Any] = {"code": _RPC_CODES.get(error.code, 2), "message": error.message}
    if isinstance(error, GoogleError) and error.details():
        status["details"] = error.details()
    return status


def _state_filter(text: str) -> str | None:
    """Service Usage's list filter: only ``state:ENABLED`` and ``state:DISABLED`` are accepted."""
    if not text.strip():
        return None
    key, _, value = text.strip().partition(":")
    if key.strip() != "state" or value.strip() not in ("ENABLED", "DISABLED"):
        raise GoogleError(400, f"Invalid filter: '{text}'. Supported filters: state:ENABLED, state:DISABLED.")
    return value.strip()


def _page_size(text: str) -> int:
    try:
        size = int(text) if text else 50
    except ValueError:
        raise GoogleError(400, f"Invalid value at 'page_size' (TYPE_INT32), \"{text}\"") from None
    if size < 0:
        raise GoogleError(400, "Page size must not be negative.")
    return min(size or 50, _MAX_PAGE)


def _page_start(token: str) -> int:
    if not token:
        return 0
    if not token.isdigit():
        raise GoogleError(400, "Invalid page token.")
    return int(token)
