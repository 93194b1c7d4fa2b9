"""What the ARM double holds besides subscriptions and RBAC: resource groups, the resources in them
(virtual networks, AKS clusters, container registries) and the long-running operations that make
and delete them.

Every write takes ``provisioning_delay`` seconds. Nothing runs in the background: an operation
records when it ends, and whoever reads next (a GET, a poll of the operation, a list) settles what
has finished, as provider registration does in arm.py. A finished delete removes its resource, a
resource group takes everything in it along, and removing a resource removes the groups it
manages (``managedBy``), which is how an AKS cluster's node resource group goes away. A delete
made to fail ends as ARM reports a failed asynchronous operation (the operation's status Failed
with its error; the resource stays, its provisioningState Failed:
https://learn.microsoft.com/azure/azure-resource-manager/management/async-operations), as an AKS
delete does when Azure cannot remove something the cluster made (e.g. the error code
CannotDeleteLoadBalancerWithPrivateLinkService, https://learn.microsoft.com/troubleshoot/azure/
azure-kubernetes/delete/cannot-delete-load-balancer-private-link-service).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from .directory import iso, now_utc

__all__ = ["Group", "Operation", "Resource", "ResourceState", "normal_location"]

# What ARM reports while the first PUT of a resource runs; later PUTs report "Updating".
CREATING = "Creating"


def normal_location(location: Any) -> str:
    """ARM stores "East US" as "eastus" and answers with that."""
    return str(location or "").replace(" ", "").lower()


@dataclass
class Operation:
    id: str
    kind: str  # "put" or "delete"
    target: str  # the id of the resource or group it works on
    namespace: str  # the provider whose URL polls it (Microsoft.Resources for groups)
    location: str
    ends: float  # time.monotonic() when the work is done
    error: dict[str, str] | None = None  # set when it is to end in Failed
    started: str = field(default_factory=lambda: iso(now_utc()))
    finished: str = ""

    def status(self, now: float) -> str:
        if now < self.ends:
            return "InProgress"
        if not self.finished:
            self.finished = iso(now_utc())
        return "Failed" if self.error else "Succeeded"


@dataclass
class Resource:
    id: str
    type: str  # e.g. Microsoft.ContainerService/managedClusters
    name: str
    sub: str
    group: str  # the group's name as it was created
    location: str
    body: dict[str, Any]  # what GET returns, less what reads fill in (provisioningState...)
    op: Operation  # the latest write
    verb: str = CREATING  # what provisioningState says while `op` (a put) runs

    def state(self, now: float) -> str:
        status = self.op.status(now)
        if status == "InProgress":
            return "Deleting" if self.op.kind == "delete" else self.verb
        return "Failed" if status == "Failed" else "Succeeded"

    @property
    def tags(self) -> dict[str, str]:
        return dict(self.body.get("tags") or {})


@dataclass
class Group:
    id: str
    sub: str
    name: str
    location: str
    tags: dict[str, str]
    managed_by: str | None = None
    deleting: Operation | None = None

    def json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "name": self.name, "type": "Microsoft.Resources/resourceGroups",
                                "location": self.location,
                                "properties": {"provisioningState": "Deleting" if self.deleting else "Succeeded"}}
        if self.tags:
            body["tags"] = dict(self.tags)
        if self.managed_by:
            body["managedBy"] = self.managed_by
        return body


class ResourceState:
    """One ARM double's groups, resources and operations; arm.py makes a new one on reset."""

    def __init__(self, provisioning_delay: float = 0.5) -> None:
        self.provisioning_delay = provisioning_delay
        self.groups: dict[str, Group] = {}  # by id.lower()
        self.items: dict[str, Resource] = {}  # by id.lower()
        self.ops: dict[str, Operation] = {}
        self.failures: dict[str, list[dict[str, str]]] = {}  # by resource type, lowercase

    @classmethod
    def fresh(cls, previous: ResourceState | None) -> ResourceState:
        """Empty, but keeping the delay: it is a setting (the sandbox sets it once), like
        registration_delay, not state that a reset clears."""
        return cls(previous.provisioning_delay) if previous is not None else cls()

    # -- operations ---------------------------------------------------------------------------
    def start(self, kind: str, target: str, namespace: str, location: str,
              error: dict[str, str] | None = None) -> Operation:
        op = Operation(str(uuid.uuid4()), kind, target, namespace, location,
                       time.monotonic() + self.provisioning_delay, error)
        self.ops[op.id] = op
        return op

    def fail_next(self, resource_type: str, code: str, message: str) -> None:
        self.failures.setdefault(resource_type.lower(), []).append({"code": code, "message": message})

    def take_failure(self, resource_type: str) -> dict[str, str] | None:
        queue = self.failures.get(resource_type.lower()) or []
        return queue.pop(0) if queue else None

    # -- lookups ------------------------------------------------------------------------------
    def group(self, sub: str, name: str) -> Group | None:
        return self.groups.get(f"/subscriptions/{sub}/resourcegroups/{name}".lower())

    def in_group(self, group: Group) -> list[Resource]:
        prefix = group.id.lower() + "/"
        return [r for key, r in self.items.items() if key.startswith(prefix)]

    def of_type(self, resource_type: str) -> list[Resource]:
        return [r for r in self.items.values() if r.type.lower() == resource_type.lower()]

    def add_group(self, sub: str, name: str, location: str, tags: dict[str, str],
                  managed_by: str | None = None) -> Group:
        group = Group(f"/subscriptions/{sub}/resourceGroups/{name}", sub, name, normal_location(location),
                      dict(tags), managed_by)
        self.groups[group.id.lower()] = group
        return group

    # -- settling -----------------------------------------------------------------------------
    def settle(self) -> None:
        """Apply every delete that has finished by now (puts need nothing: state is derived)."""
        now = time.monotonic()
        for key, group in list(self.groups.items()):
            if group.deleting is not None and group.deleting.status(now) != "InProgress" and key in self.groups:
                self._drop_group(key)
        for key, res in list(self.items.items()):
            # A failed delete leaves the resource, in provisioningState Failed.
            if res.op.kind == "delete" and res.op.status(now) == "Succeeded" and key in self.items:
                self._drop_resource(key)

    def _drop_group(self, key: str) -> None:
        group = self.groups.pop(key)
        for res in self.in_group(group):
            self._drop_resource(res.id.lower())

    def _drop_resource(self, key: str) -> None:
        res = self.items.pop(key, None)
        if res is None:
            return
        for gkey, group in list(self.groups.items()):
            if (group.managed_by or "").lower() == key and gkey in self.groups:
                self._drop_group(gkey)
