"""Compute Engine's networking in Google's v1 REST shape: VPC networks, subnetworks, firewall
rules, and what a cluster can leave behind (disks, addresses, forwarding rules), with their
global, regional and zonal operations.

As on Google: an insert makes the resource at once (a GET finds it while the operation still
runs); a delete keeps it until its operation is done, and a network or subnetwork something still
uses fails *in the operation* (RESOURCE_IN_USE_BY_ANOTHER_RESOURCE), not on the DELETE. A second
DELETE while one runs answers 400 "not ready". Lists take Compute's ``filter``: ``field = "v"``,
``!=``, ``eq``/``ne`` (regular expressions), clauses side by side or joined by AND (no OR).

Routes (for ``inject``): ``insert_``, ``get_``, ``list_``, ``delete_`` + network(s), subnetwork(s),
firewall(s), disk(s), address(es), forwarding_rule(s); ``aggregated_`` + the regional and zonal
plurals; ``set_private_ip_google_access`` (subnetworks); ``get_``/``list_`` + ``global``/``region``/
``zone`` + ``_operation(s)``. The regions themselves are the RegionsService's (compute_regions.py),
mounted under the same prefix.
"""
from __future__ import annotations

import http
import random
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ..https.service import Request
from .google_service import GoogleError, GoogleService
from .world import GcpWorld, Operation

__all__ = ["COLLECTIONS", "ComputeNetworkService", "compute_time"]

API = "/compute/v1/projects/(?P<project>[^/]+)"
#: How each scope appears in a path pattern, and the path parameter that names the location.
SCOPES = {"global": ("/global", ""), "regions": ("/regions/(?P<region>[^/]+)", "region"),
          "zones": ("/zones/(?P<zone>[^/]+)", "zone")}
#: collection → (route word, scope, resource kind, what in-use errors call it)
COLLECTIONS = {
    "networks": ("network", "global", "compute#network"),
    "subnetworks": ("subnetwork", "regions", "compute#subnetwork"),
    "firewalls": ("firewall", "global", "compute#firewall"),
    "disks": ("disk", "zones", "compute#disk"),
    "addresses": ("address", "regions", "compute#address"),
    "forwardingRules": ("forwarding_rule", "regions", "compute#forwardingRule"),
}
_OP_WORDS = {"global": "global", "regions": "region", "zones": "zone"}
#: Compute adds its own legacy reason inside "error.errors" (besides Google's status).
_LEGACY_REASONS = {400: "invalid", 403: "forbidden", 404: "notFound", 409: "alreadyExists",
                   429: "rateLimitExceeded", 503: "backendError"}
_NAME = re.compile(r"[a-z]([-a-z0-9]{0,61}[a-z0-9])?")
_CLAUSE = re.compile(r'([\w.-]+)\s*(!=|=|\beq\b|\bne\b)\s*(?:"([^"]*)"|([^\s()"]+))')


def compute_time(seconds: float | None = None) -> str:
    """RFC 3339 with milliseconds, as Compute writes creationTimestamp and operation times."""
    moment = datetime.fromtimestamp(time.time() if seconds is None else seconds, UTC)
    return moment.isoformat(timespec="milliseconds")


def plural(word: str) -> str:
    return word + ("es" if word.endswith("s") else "s")


def matches(item: dict[str, Any], expression: str) -> bool:
    """Compute's list filter, for what the wizard sends (every clause must hold)."""
    for field, op, quoted, bare in _CLAUSE.findall(expression or ""):
        want = bare or quoted
        actual: Any = item
        for part in field.split("."):
            actual = actual.get(part) if isinstance(actual, dict) else None
        text = str(actual).lower() if isinstance(actual, bool) else ("" if actual is None else str(actual))
        hit = text == want if op in ("=", "!=") else re.fullmatch(want, text) is not None
        if hit != (op in ("=", "eq")):
            return False
    return True


class ComputeNetworkService(GoogleService):
    name = "compute_network"
    prefix = "compute"
    service_name = "compute.googleapis.com"
    title = "Compute Engine API"

    def __init__(self, world: GcpWorld) -> None:
        super().__init__(world)
        #: collection → {(location, name): the resource as GET answers it}; location "" if global
        self.items: dict[str, dict[tuple[str, str], dict[str, Any]]] = {c: {} for c in COLLECTIONS}
        self._deleting: set[tuple[str, str, str]] = set()
        #: What GKE's nodes hold: a resource's relative path → who uses it (another double says).
        self.holds: dict[str, list[str]] = {}
        for collection, (word, scope, _kind) in COLLECTIONS.items():
            self._routes_for(collection, word, scope)
        for scope, (pattern, _param) in SCOPES.items():
            ops = f"{API}{pattern}/operations"
            word = _OP_WORDS[scope]
            self.route(f"get_{word}_operation", "GET", ops + "/(?P<operation>[^/]+)",
                       lambda req, s=scope: self._get_operation(req, s))
            self.route(f"list_{word}_operations", "GET", ops, lambda req, s=scope: self._list_operations(req, s))

    def _routes_for(self, collection: str, word: str, scope: str) -> None:
        base = f"{API}{SCOPES[scope][0]}/{collection}"
        one = base + "/(?P<name>[^/]+)"
        self.route(f"insert_{word}", "POST", base, lambda req: self._insert(req, collection))
        self.route(f"list_{plural(word)}", "GET", base, lambda req: self._list(req, collection))
        self.route(f"get_{word}", "GET", one, lambda req: self._get(req, collection))
        self.route(f"delete_{word}", "DELETE", one, lambda req: self._delete(req, collection))
        if scope != "global":
            self.route(f"aggregated_{plural(word)}", "GET", f"{API}/aggregated/{collection}",
                       lambda req: self._aggregated(req, collection))
        if collection == "subnetworks":
            # https://cloud.google.com/compute/docs/reference/rest/v1/subnetworks/setPrivateIpGoogleAccess
            self.route("set_private_ip_google_access", "POST", one + "/setPrivateIpGoogleAccess",
                       self._set_private_access)

    # -- paths and links ------------------------------------------------------------------------
    def rel(self, collection: str, location: str, name: str) -> str:
        """``projects/p/global/networks/x``, ``projects/p/regions/r/subnetworks/y``..."""
        return f"projects/{self.world.project_id}/{self._scope_path(COLLECTIONS[collection][1], location)}" \
               f"/{collection}/{name}"

    def link(self, rel: str) -> str:
        """A self link (Google: https://www.googleapis.com/compute/v1/...; here: this double)."""
        return f"{self.base_url}/compute/compute/v1/{rel}"

    @staticmethod
    def _scope_path(scope: str, location: str) -> str:
        return "global" if scope == "global" else f"{scope}/{location}"

    def key_of(self, collection: str, ref: str, location: str = "") -> tuple[str, str]:
        """(location, name) of a reference: a name, a relative path or a self link."""
        found = re.search(rf"(?:(?:regions|zones)/([^/]+)/|global/)?{collection}/([^/]+)$", ref or "")
        if found:
            return (found.group(1) or ""), found.group(2)
        return location, ref

    def find(self, collection: str, ref: str, location: str = "") -> dict[str, Any] | None:
        return self.items[collection].get(self.key_of(collection, ref, location))

    # -- what other doubles (GKE) and tests use -------------------------------------------------
    def put(self, collection: str, location: str, body: dict[str, Any]) -> dict[str, Any]:
        """Make a resource at once, without an operation (GKE's own firewall rules, planted leftovers)."""
        location = "" if COLLECTIONS[collection][1] == "global" else location  # "global" said or not
        resource = self._build(collection, location, body)
        self.items[collection][(location, resource["name"])] = resource
        return resource

    def remove(self, collection: str, location: str, name: str) -> None:
        self.items[collection].pop((location, name), None)

    def hold(self, rel: str, user: str) -> None:
        self.holds.setdefault(rel, []).append(user)

    def release(self, user: str) -> None:
        for rel in list(self.holds):
            self.holds[rel] = [u for u in self.holds[rel] if u != user]
            if not self.holds[rel]:
                del self.holds[rel]

    def add_leftover(self, kind: str, name: str, location: str = "", labels: dict[str, str] | None = None,
                     **fields: Any) -> dict[str, Any]:
        """Plant something a cluster left behind: kind "disk" (location a zone), "address" or
        "forwarding_rule" (a region), or any collection ("firewall" needs fields network=...)."""
        collection = next(c for c, (word, *_rest) in COLLECTIONS.items() if kind in (c, word))
        with self.lock:
            return self.put(collection, location, {"name": name, "labels": dict(labels or {}), **fields})

    def clear(self) -> None:
        with self.lock:
            super().clear()
            for store in self.items.values():
                store.clear()
            self._deleting.clear()
            self.holds.clear()

    # -- resources ------------------------------------------------------------------------------
    def _location(self, req: Request, collection: str) -> str:
        param = SCOPES[COLLECTIONS[collection][1]][1]
        return req.params.get(param, "") if param else ""

    def _allow(self, req: Request, collection: str, verb: str) -> tuple[str, str]:
        self.project(req)
        self.require(req, f"compute.{collection}.{verb}")
        return self._location(req, collection), req.params.get("name", "")

    def _build(self, collection: str, location: str, body: dict[str, Any]) -> dict[str, Any]:
        _word, scope, kind = COLLECTIONS[collection]
        name = str(body.get("name") or "")
        if not _NAME.fullmatch(name):
            raise _error(400, f"Invalid value for field 'resource.name': '{name}'. Must be a match of regex "
                              "'(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'")
        resource = {**body, "kind": kind, "id": str(random.randrange(10**18, 10**19)), "name": name,
                    "creationTimestamp": compute_time(), "selfLink": self.link(self.rel(collection, location, name))}
        if scope != "global":
            resource[scope[:-1]] = self.link(f"projects/{self.world.project_id}/{scope}/{location}")
        if collection in ("subnetworks", "firewalls"):
            resource["network"] = self._network_link(body.get("network") or "global/networks/default")
        if collection == "subnetworks":
            if not body.get("ipCidrRange"):
                raise _error(400, "Invalid value for field 'resource.ipCidrRange': ''. Must be a CIDR range.")
            resource.setdefault("secondaryIpRanges", [])
            resource.setdefault("privateIpGoogleAccess", False)
        if collection == "networks":
            resource.setdefault("autoCreateSubnetworks", False)
            resource.setdefault("routingConfig", {"routingMode": "REGIONAL"})
        if collection == "firewalls":
            resource.setdefault("direction", "INGRESS")
            resource.setdefault("priority", 1000)
        if collection in ("disks", "addresses", "forwardingRules"):
            resource.setdefault("labels", {})
            resource["labelFingerprint"] = "42WmSpB8rSM="
        return resource

    def _network_link(self, ref: str) -> str:
        if self.find("networks", ref) is None:
            raise _error(400, f"Invalid value for field 'resource.network': '{ref}'. The referenced network "
                              "resource cannot be found.")
        return self.link(self.rel("networks", "", self.key_of("networks", ref)[1]))

    def _render(self, collection: str, resource: dict[str, Any]) -> dict[str, Any]:
        if collection != "networks":
            return dict(resource)
        # A network lists its subnetworks, as Google keeps them (the subnetworks say which network).
        links = [s["selfLink"] for s in self.items["subnetworks"].values() if s["network"] == resource["selfLink"]]
        return {**resource, "subnetworks": sorted(links)} if links else dict(resource)

    def _insert(self, req: Request, collection: str) -> dict[str, Any]:
        location, _ = self._allow(req, collection, "create")
        body = req.json()
        name = str(body.get("name") or "")
        rel = self.rel(collection, location, name)
        if (location, name) in self.items[collection]:
            raise _error(409, f"The resource '{rel}' already exists")
        self.put(collection, location, body)
        return self._operation_body(self._start(req, "insert", collection, location, rel), first=True)

    def _get(self, req: Request, collection: str) -> dict[str, Any]:
        location, name = self._allow(req, collection, "get")
        return self._render(collection, self._existing(collection, location, name))

    def _existing(self, collection: str, location: str, name: str) -> dict[str, Any]:
        resource = self.items[collection].get((location, name))
        if resource is None:
            raise _error(404, f"The resource '{self.rel(collection, location, name)}' was not found")
        return resource

    def _list(self, req: Request, collection: str) -> dict[str, Any]:
        location, _ = self._allow(req, collection, "list")
        _word, scope, kind = COLLECTIONS[collection]
        items = [self._render(collection, r) for (loc, _n), r in sorted(self.items[collection].items())
                 if loc == location and matches(r, req.query.get("filter", ""))]
        where = f"projects/{self.world.project_id}/{self._scope_path(scope, location)}/{collection}"
        reply: dict[str, Any] = {"kind": f"{kind}List", "id": where, "selfLink": self.link(where)}
        if items:  # Google leaves "items" out of an empty list
            reply["items"] = items
        return reply

    def _aggregated(self, req: Request, collection: str) -> dict[str, Any]:
        self._allow(req, collection, "list")
        _word, scope, kind = COLLECTIONS[collection]
        scoped: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for (location, _name), resource in sorted(self.items[collection].items()):
            if matches(resource, req.query.get("filter", "")):
                scoped.setdefault(f"{scope}/{location}", {collection: []})[collection].append(resource)
        where = f"projects/{self.world.project_id}/aggregated/{collection}"
        return {"kind": f"{kind}AggregatedList", "id": where, "items": scoped, "selfLink": self.link(where)}

    def _set_private_access(self, req: Request) -> dict[str, Any]:
        location, name = self._allow(req, "subnetworks", "setPrivateIpGoogleAccess")
        subnet = self._existing("subnetworks", location, name)
        subnet["privateIpGoogleAccess"] = bool(req.json().get("privateIpGoogleAccess"))
        rel = self.rel("subnetworks", location, name)
        return self._operation_body(self._start(req, "setPrivateIpGoogleAccess", "subnetworks", location, rel),
                                    first=True)

    def _delete(self, req: Request, collection: str) -> dict[str, Any]:
        location, name = self._allow(req, collection, "delete")
        self._existing(collection, location, name)
        rel = self.rel(collection, location, name)
        key = (collection, location, name)
        if key in self._deleting:
            raise _error(400, f"The resource '{rel}' is not ready", reason="resourceNotReady")
        self._deleting.add(key)

        def apply() -> None:
            try:
                user = self._user_of(collection, location, name)
                if user:
                    raise GoogleError(400, f"The {COLLECTIONS[collection][0]} resource '{rel}' is already being "
                                           f"used by '{user}'", code="RESOURCE_IN_USE_BY_ANOTHER_RESOURCE")
                self.items[collection].pop((location, name), None)
            finally:
                self._deleting.discard(key)

        return self._operation_body(self._start(req, "delete", collection, location, rel, apply), first=True)

    def _user_of(self, collection: str, location: str, name: str) -> str | None:
        """Who still uses it: GKE's nodes, or (for a network) its subnetworks and firewall rules."""
        rel = self.rel(collection, location, name)
        if self.holds.get(rel):
            return self.holds[rel][0]
        if collection != "networks":
            return None
        link = self.link(rel)
        for other in ("subnetworks", "firewalls"):
            for (loc, each), resource in sorted(self.items[other].items()):
                if resource.get("network") == link:
                    return self.rel(other, loc, each)
        return None

    # -- operations -----------------------------------------------------------------------------
    def _start(self, req: Request, kind: str, collection: str, location: str, rel: str,
               apply: Callable[[], Any] | None = None) -> Operation:
        scope = COLLECTIONS[collection][1]
        return self.world.start_operation(kind, self.link(rel), apply, api="compute", scope=scope, loc=location,
                                          user=req.caller.email,  # type: ignore[attr-defined]
                                          id=str(random.randrange(10**18, 10**19)))

    def _operation_body(self, op: Operation, first: bool = False) -> dict[str, Any]:
        scope, location = op.extra["scope"], op.extra["loc"]
        project = self.world.project_id
        if op.done:
            status = "DONE"
            op.extra.setdefault("end", time.time())
        else:  # what the insert answers has not started yet; later reads find it running
            status = "PENDING" if first else "RUNNING"
        body: dict[str, Any] = {
            "kind": "compute#operation", "id": op.extra["id"], "name": op.name, "operationType": op.kind,
            "targetLink": op.target, "targetId": op.extra["id"], "status": status,
            "progress": 100 if op.done else 0, "insertTime": compute_time(op.started),
            "startTime": compute_time(op.started), "user": op.extra["user"],
            "selfLink": self.link(f"projects/{project}/{self._scope_path(scope, location)}/operations/{op.name}")}
        if scope != "global":
            body[scope[:-1]] = self.link(f"projects/{project}/{scope}/{location}")
        if op.done:
            body["endTime"] = compute_time(op.extra["end"])
        if op.error is not None:
            body["error"] = {"errors": [{"code": op.error.code, "message": op.error.message}]}
            body["httpErrorStatusCode"] = op.error.status
            body["httpErrorMessage"] = http.HTTPStatus(op.error.status).phrase.upper()
        return body

    def _operations(self, req: Request, scope: str) -> list[Operation]:
        self.project(req)
        self.require(req, f"compute.{_OP_WORDS[scope]}Operations.get")
        location = req.params.get(SCOPES[scope][1], "") if SCOPES[scope][1] else ""
        return [op for op in self.world.operations.values()
                if op.extra.get("api") == "compute" and op.extra["scope"] == scope and op.extra["loc"] == location]

    def _get_operation(self, req: Request, scope: str) -> dict[str, Any]:
        name = req.params["operation"]
        for op in self._operations(req, scope):
            if op.name == name:
                return self._operation_body(op)
        location = req.params.get(SCOPES[scope][1], "") if SCOPES[scope][1] else ""
        raise _error(404, f"The resource 'projects/{self.world.project_id}/"
                          f"{self._scope_path(scope, location)}/operations/{name}' was not found")

    def _list_operations(self, req: Request, scope: str) -> dict[str, Any]:
        ops = [self._operation_body(op) for op in self._operations(req, scope)]
        items = [op for op in ops if matches(op, req.query.get("filter", ""))]
        return {"kind": "compute#operationList", **({"items": items} if items else {})}

    # -- wire shape: Compute adds "errors" with its legacy reason inside Google's error ---------
    def error_body(self, status: int, code: str, message: str) -> Any:
        body = super().error_body(status, code, message)
        reason = _LEGACY_REASONS.get(status, "backendError")
        body["error"]["errors"] = [{"message": message, "domain": "global", "reason": reason}]
        return body

    def exception_reply(self, exc: Any) -> Any:
        reply = super().exception_reply(exc)
        legacy = getattr(exc, "legacy_reason", None)
        errors = reply.body.get("error", {}).get("errors") if isinstance(reply.body, dict) else None
        if legacy and errors:
            errors[0]["reason"] = legacy
        return reply


def _error(status: int, message: str, *, reason: str | None = None) -> GoogleError:
    """A Compute error: Google's status name, and Compute's legacy reason where it differs."""
    error = GoogleError(status, message)
    error.legacy_reason = reason  # type: ignore[attr-defined]
    return error
