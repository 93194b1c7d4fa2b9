"""Resource groups, resources and their long-running operations in the ARM double, in the wire
format the installed SDKs send and parse (azure-mgmt-resource 26 / api 2025-04-01 for groups and
listings; the typed resources are in arm_kinds.py).

Long-running operations look as ARM's do, so the SDKs' own pollers work:

- a resource PUT answers 201 (new) or 200 (changed) with provisioningState Creating/Updating and
  an ``Azure-AsyncOperation`` URL whose body says InProgress, then Succeeded, or Failed with the
  error; the poller then GETs the resource;
- a resource DELETE answers 202 with ``Azure-AsyncOperation`` and ``Location``; deleting what
  does not exist is 204, as ARM's idempotent deletes are;
- a resource-group DELETE answers 202 with ``Location`` only (202 while it runs, then 200).

No ``Retry-After`` is sent: pollers then wait their own ``polling_interval``, which the tests set
small. Writes check in ARM's order: authorization (arm_rbac.py), the group exists (404
ResourceGroupNotFound, 409 ResourceGroupBeingDeleted), the provider is registered (409
MissingSubscriptionRegistration), then the provider's own rules.
"""

from __future__ import annotations

import copy
import re
import time
from typing import Any

from .arm_kinds import KINDS, Kind, Put, registry_name_status
from .arm_rbac import _filters
from .arm_store import Group, Resource, ResourceState, normal_location
from ..https.service import Reply, Request, ServiceError

__all__ = ["fail_provisioning", "resource_list", "route_resources"]

_SUB = r"/subscriptions/(?P<sub>[^/]+)"
_RG = _SUB + r"/resourcegroups/(?P<rg>[^/]+)"
_OPS_NS = r"(?P<ns>Microsoft\.(?:Network|ContainerService|ContainerRegistry))"


def route_resources(arm: Any, route: Any) -> None:
    """Mount the routes on an ArmService (whose reset() sets ``arm.resource_state``)."""
    h = _Handlers(arm)
    route("groups.list", "GET", _SUB + r"/resourcegroups", h.list_groups)
    route("groups.get", "GET", _RG, h.get_group)
    route("groups.head", "HEAD", _RG, h.head_group)
    route("groups.put", "PUT", _RG, h.put_group)
    route("groups.delete", "DELETE", _RG, h.delete_group)
    route("resources.list", "GET", _SUB + r"/resources", h.list_resources)
    route("resources.listByGroup", "GET", _RG + r"/resources", h.list_resources)
    for kind in KINDS:
        one = _RG + rf"/providers/{re.escape(kind.type)}/(?P<name>[^/]+)"
        route(f"{kind.key}.put", "PUT", one, lambda req, k=kind: h.put(k, req))
        route(f"{kind.key}.get", "GET", one, lambda req, k=kind: h.get(k, req))
        route(f"{kind.key}.delete", "DELETE", one, lambda req, k=kind: h.delete(k, req))
    route("subnets.get", "GET", _RG + r"/providers/Microsoft\.Network/virtualNetworks/(?P<name>[^/]+)"
          r"/subnets/(?P<subnet>[^/]+)", h.get_subnet)
    route("acr.checkName", "POST", _SUB + r"/providers/Microsoft\.ContainerRegistry/checkNameAvailability",
          h.check_registry_name)
    route("operations.get", "GET", _SUB + rf"/providers/{_OPS_NS}/locations/(?P<loc>[^/]+)/operations/(?P<op>[^/]+)",
          h.operation_status)
    route("operations.result", "GET", _SUB + rf"/providers/{_OPS_NS}/locations/(?P<loc>[^/]+)"
          r"/operationResults/(?P<op>[^/]+)", h.operation_result)
    route("groups.operationResult", "GET", _SUB + r"/operationresults/(?P<op>[^/]+)", h.operation_result)


def resource_list(arm: Any) -> list[dict[str, Any]]:
    """Everything that exists now, groups included, each as a GET would return it."""
    state: ResourceState = arm.resource_state
    state.settle()
    now = time.monotonic()
    by_type = {k.type.lower(): k for k in KINDS}
    return [g.json() for g in state.groups.values()] + \
        [_json(state, by_type[r.type.lower()], r, now) for r in state.items.values()]


def fail_provisioning(arm: Any, resource_type: str, code: str, message: str, *, delete: bool = False) -> None:
    """`resource_type` is an ARM type or a route key ("aks", "vnet", "acr"); `delete`: the next
    deletion fails rather than the next create."""
    kind = next((k for k in KINDS if resource_type.lower() in (k.key, k.type.lower())), None)
    if kind is None:
        raise KeyError(f"no resource type {resource_type!r}; known: {[k.type for k in KINDS]}")
    arm.resource_state.fail_next(_DELETE + kind.type if delete else kind.type, code, message)


_DELETE = "delete:"  # the failure queue of a type's deletions


def _json(state: ResourceState, kind: Kind, res: Resource, now: float) -> dict[str, Any]:
    body = copy.deepcopy(res.body)
    now_state = res.state(now)
    body = {"id": res.id, "name": res.name, "type": res.type, **body}
    body.setdefault("properties", {})["provisioningState"] = now_state
    kind.view(state, res, body, now_state)
    return body


def _op_url(arm: Any, res_sub: str, op: Any, result: bool = False) -> str:
    if op.namespace == "Microsoft.Resources":
        return f"{arm.base_url}/subscriptions/{res_sub}/operationresults/{op.id}?api-version=2025-04-01"
    tail = "operationResults" if result else "operations"
    return (f"{arm.base_url}/subscriptions/{res_sub}/providers/{op.namespace}/locations/{op.location}/{tail}/"
            f"{op.id}?api-version={_API[op.namespace]}")


_API = {"Microsoft.Network": "2026-03-01", "Microsoft.ContainerService": "2026-08-01",
        "Microsoft.ContainerRegistry": "2025-11-01"}


class _Handlers:
    def __init__(self, arm: Any) -> None:
        self.arm = arm

    @property
    def state(self) -> ResourceState:
        return self.arm.resource_state

    def _begin(self, req: Request) -> tuple[Any, str]:
        """Who is calling on which subscription, after settling what has finished by now."""
        who, sub = self.arm._caller(req), self.arm._sub(req.params["sub"])
        self.state.settle()
        return who, sub

    def _group(self, sub: str, name: str) -> Group:
        group = self.state.group(sub, name)
        if group is None:
            raise ServiceError(404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found.")
        return group

    # -- resource groups ------------------------------------------------------------------------
    def list_groups(self, req: Request) -> Any:
        who, sub = self._begin(req)
        self.arm._check(who, f"/subscriptions/{sub}", "Microsoft.Resources/subscriptions/resourceGroups/read")
        wanted = _filters(req.query.get("$filter", ""))
        return {"value": [g.json() for g in self.state.groups.values() if g.sub == sub and _tagged(g.tags, wanted)]}

    def get_group(self, req: Request) -> Any:
        who, sub = self._begin(req)
        self.arm._check(who, f"/subscriptions/{sub}/resourceGroups/{req.params['rg']}",
                        "Microsoft.Resources/subscriptions/resourceGroups/read")
        return self._group(sub, req.params["rg"]).json()

    def head_group(self, req: Request) -> Any:
        who, sub = self._begin(req)
        self.arm._check(who, f"/subscriptions/{sub}/resourceGroups/{req.params['rg']}",
                        "Microsoft.Resources/subscriptions/resourceGroups/read")
        return Reply(204 if self.state.group(sub, req.params["rg"]) else 404)

    def put_group(self, req: Request) -> Any:
        who, sub = self._begin(req)
        name = req.params["rg"]
        self.arm._check(who, f"/subscriptions/{sub}/resourceGroups/{name}",
                        "Microsoft.Resources/subscriptions/resourceGroups/write")
        body = req.json() or {}
        location = normal_location(body.get("location"))
        if not location:
            raise ServiceError(400, "LocationRequired", "The location property is required for this definition.")
        group = self.state.group(sub, name)
        if group is None:
            group = self.state.add_group(sub, name, location, body.get("tags") or {}, body.get("managedBy"))
            return Reply(201, group.json())
        if group.deleting:
            raise ServiceError(409, "ResourceGroupBeingDeleted", f"The resource group '{group.name}' is in "
                               "deprovisioning state and cannot perform this operation.")
        if location != group.location:
            raise ServiceError(409, "InvalidResourceGroupLocation", f"Invalid resource group location '{location}'. "
                               f"The Resource group already exists in location '{group.location}'.")
        group.tags = dict(body.get("tags") or {})  # a PUT replaces the tags
        return group.json()

    def delete_group(self, req: Request) -> Any:
        who, sub = self._begin(req)
        group = self._group(sub, req.params["rg"])
        self.arm._check(who, group.id, "Microsoft.Resources/subscriptions/resourceGroups/delete")
        if group.deleting is None:
            group.deleting = self.state.start("delete", group.id, "Microsoft.Resources", group.location)
        return Reply(202, None, {"Location": _op_url(self.arm, sub, group.deleting)})

    # -- listings -------------------------------------------------------------------------------
    def list_resources(self, req: Request) -> Any:
        who, sub = self._begin(req)
        items = self.state.items.values()
        if "rg" in req.params:
            group = self._group(sub, req.params["rg"])
            self.arm._check(who, group.id, "Microsoft.Resources/subscriptions/resourceGroups/resources/read")
            items = self.state.in_group(group)
        wanted = _filters(req.query.get("$filter", ""))
        out = []
        for res in items:
            if res.sub != sub or not _tagged(res.tags, wanted) or \
                    "resourcetype" in wanted and res.type.lower() != wanted["resourcetype"].lower():
                continue
            if not self.arm._allowed(who, res.id, f"{res.type}/read"):  # ARM lists only what you may read
                continue
            entry = {"id": res.id, "name": res.name, "type": res.type, "location": res.location}
            for key in ("tags", "sku", "identity"):
                if res.body.get(key):
                    entry[key] = copy.deepcopy(res.body[key])
            out.append(entry)
        return {"value": out}

    # -- typed resources ------------------------------------------------------------------------
    def _locate(self, kind: Kind, req: Request, action: str) -> tuple[Any, str, Group, str]:
        who, sub = self._begin(req)
        group = self._group(sub, req.params["rg"])
        rid = f"{group.id}/providers/{kind.type}/{req.params['name']}"
        self.arm._check(who, rid, f"{kind.type}/{action}")
        return who, sub, group, rid

    def put(self, kind: Kind, req: Request) -> Any:
        who, sub, group, rid = self._locate(kind, req, "write")
        if group.deleting:
            raise ServiceError(409, "ResourceGroupBeingDeleted", f"The resource group '{group.name}' is in "
                               "deprovisioning state and cannot perform this operation.")
        provider = self.arm._provider(sub, kind.namespace)
        if provider.state != "Registered":
            raise ServiceError(409, "MissingSubscriptionRegistration", "The subscription is not registered to use "
                               f"namespace '{kind.namespace}'. See https://aka.ms/rps-not-found for how to register "
                               "subscriptions.")
        now = time.monotonic()
        old = self.state.items.get(rid.lower())
        if old is not None and old.op.status(now) == "InProgress":
            raise ServiceError(409, "AnotherOperationInProgress", f"Another operation on this or dependent resource "
                               f"is in progress. To retry later, use the operation status URL. Resource: '{old.name}' "
                               f"is {old.state(now)}.")
        body = req.json() or {}
        location = normal_location(body.get("location"))
        if not location:
            raise ServiceError(400, "LocationRequired", "The location property is required for this definition.")
        if old is not None and old.location != location:
            raise ServiceError(409, "InvalidResourceLocation", f"The resource '{old.name}' already exists in "
                               f"location '{old.location}' in resource group '{group.name}'. A resource with the same "
                               f"name cannot be created in location '{location}'. Please select a new resource name.")

        def check_linked(scope: str, action: str) -> None:
            if not self.arm._allowed(who, scope, action):
                raise ServiceError(403, "LinkedAuthorizationFailed", f"The client '{who.object_id}' has permission to "
                                   f"perform action '{kind.type}/write' on scope '{rid}'; however, it does not have "
                                   f"permission to perform action(s) '{action}' on the linked scope(s) '{scope}' "
                                   "(respectively) or the linked scope(s) are invalid.")

        name = rid.rsplit("/", 1)[-1]
        stored = kind.write(Put(self.state, sub, group.name, name, rid, location, body, old,
                                self.arm.directory.tenant_id, check_linked))
        failure = self.state.take_failure(kind.type) if old is None else None
        op = self.state.start("put", rid, kind.namespace, location, failure)
        res = Resource(rid, kind.type, name, sub, group.name, location, stored, op,
                       kind.creating if old is None else "Updating")
        self.state.items[rid.lower()] = res
        return Reply(201 if old is None else 200, _json(self.state, kind, res, now),
                     {"Azure-AsyncOperation": _op_url(self.arm, sub, op)})

    def get(self, kind: Kind, req: Request) -> Any:
        _, _, group, rid = self._locate(kind, req, "read")
        res = self.state.items.get(rid.lower())
        if res is None:
            raise ServiceError(404, "ResourceNotFound", f"The Resource '{kind.type}/{req.params['name']}' under "
                               f"resource group '{group.name}' was not found. For more details please go to "
                               "https://aka.ms/ARMResourceNotFoundFix")
        return _json(self.state, kind, res, time.monotonic())

    def delete(self, kind: Kind, req: Request) -> Any:
        _, sub, _, rid = self._locate(kind, req, "delete")
        res = self.state.items.get(rid.lower())
        if res is None:
            return Reply(204)
        if res.op.kind != "delete" or res.state(time.monotonic()) == "Failed":  # a failed delete can be asked again
            if (why := kind.in_use(self.state, res)) is not None:
                raise ServiceError(400, "InUseSubnetCannotBeDeleted", why)
            res.op = self.state.start("delete", rid, kind.namespace, res.location,
                                      self.state.take_failure(_DELETE + kind.type))
        return Reply(202, None, {"Azure-AsyncOperation": _op_url(self.arm, sub, res.op),
                                 "Location": _op_url(self.arm, sub, res.op, result=True)})

    def get_subnet(self, req: Request) -> Any:
        vnet = self.get(next(k for k in KINDS if k.key == "vnet"), req)
        found = next((s for s in vnet["properties"]["subnets"] if s["name"].lower() == req.params["subnet"].lower()),
                     None)
        if found is None:
            raise ServiceError(404, "NotFound", f"Resource {vnet['id']}/subnets/{req.params['subnet']} not found.")
        return found

    def check_registry_name(self, req: Request) -> Any:
        who, sub = self._begin(req)
        self.arm._check(who, f"/subscriptions/{sub}", "Microsoft.ContainerRegistry/checkNameAvailability/read")
        body = req.json() or {}
        if body.get("type") != "Microsoft.ContainerRegistry/registries":
            raise ServiceError(400, "InvalidRequestContent", "type must be 'Microsoft.ContainerRegistry/registries'.")
        return registry_name_status(self.state, str(body.get("name") or ""))

    # -- operations -----------------------------------------------------------------------------
    def _op(self, req: Request) -> Any:
        self._begin(req)
        op = self.state.ops.get(req.params["op"].lower())
        if op is None:
            raise ServiceError(404, "OperationNotFound", f"The operation '{req.params['op']}' was not found.")
        return op

    def operation_status(self, req: Request) -> Any:
        op = self._op(req)
        status = op.status(time.monotonic())
        body: dict[str, Any] = {"id": req.path, "name": op.id, "status": status, "startTime": op.started}
        if status != "InProgress":
            body["endTime"] = op.finished
        if status == "Failed":
            body["error"] = dict(op.error or {})
        return body

    def operation_result(self, req: Request) -> Any:
        op = self._op(req)
        status = op.status(time.monotonic())
        if status == "InProgress":
            return Reply(202, None, {"Location": f"{self.arm.base_url}{req.path}?api-version="
                                                 f"{req.query.get('api-version', '')}"})
        if status == "Failed":
            raise ServiceError(400, op.error["code"], op.error["message"])  # type: ignore[index]
        return Reply(200 if op.namespace == "Microsoft.Resources" else 204)


def _tagged(tags: dict[str, str], wanted: dict[str, str]) -> bool:
    """ARM's tag filter: tagName alone, or tagName and tagValue (names case-insensitive)."""
    if "tagname" not in wanted:
        return True
    value = next((v for k, v in tags.items() if k.lower() == wanted["tagname"].lower()), None)
    return value is not None and ("tagvalue" not in wanted or value == wanted["tagvalue"])
