"""Kubernetes Engine (GKE) v1 REST: clusters, node pools and their operations.

A cluster appears at once as PROVISIONING and is RUNNING when its CREATE_CLUSTER operation is
done; a delete makes it STOPPING, then gone. Node pool writes make the cluster RECONCILING. One
write at a time per cluster: another while an operation runs answers FAILED_PRECONDITION
("Cluster is running incompatible operation ..."), as GKE does.

The cluster's network and subnetwork must exist in the Compute double (``compute``, wired by
GcpDoubles); while the cluster exists its nodes hold the subnetwork (so deleting it fails in use)
and GKE's own firewall rules ``gke-<cluster>-<hash>-all/-vms/-master`` sit on the network.
Quotas are not modelled. ``fail_next_create("cluster" | "node_pool", message)`` makes the next
create end DONE with that error (the cluster or pool then in ERROR).

Routes (for ``inject``): create_cluster, list_clusters, get_cluster, delete_cluster,
set_resource_labels, create_node_pool, list_node_pools, get_node_pool, delete_node_pool,
set_node_pool_autoscaling, get_operation, list_operations.
"""
from __future__ import annotations

import random
import re
import secrets
import time
from collections.abc import Callable
from typing import Any

from ..https.service import Request
from .compute_network import ComputeNetworkService, compute_time
from .google_service import GoogleError, GoogleService
from .world import GcpWorld, Operation

__all__ = ["ContainerService"]

BASE = "/v1/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)"
CLUSTER = BASE + "/clusters/(?P<cluster>[^/]+)"
VERSION = "1.30.5-gke.1014001"
_NAME = re.compile(r"[a-z]([-a-z0-9]{0,38}[a-z0-9])?")
_REGION = re.compile(r"[a-z]+-[a-z]+\d+")
_ZONE = re.compile(r"([a-z]+-[a-z]+\d+)-[a-z]")
#: google.rpc.Code numbers, for an operation's "error".
_RPC_CODES = {"INVALID_ARGUMENT": 3, "NOT_FOUND": 5, "ALREADY_EXISTS": 6, "PERMISSION_DENIED": 7,
              "RESOURCE_EXHAUSTED": 8, "FAILED_PRECONDITION": 9, "INTERNAL": 13, "UNAVAILABLE": 14}


class ContainerService(GoogleService):
    name = "container"
    prefix = "container"
    service_name = "container.googleapis.com"
    title = "Kubernetes Engine API"

    def __init__(self, world: GcpWorld, compute: ComputeNetworkService | None = None) -> None:
        super().__init__(world)
        self.compute = compute
        self.clusters: dict[tuple[str, str], dict[str, Any]] = {}
        self._busy: dict[tuple[str, str], str] = {}  # cluster → its latest operation
        self._fail_next: dict[str, str] = {}
        self.route("create_cluster", "POST", BASE + "/clusters", self._create_cluster)
        self.route("list_clusters", "GET", BASE + "/clusters", self._list_clusters)
        self.route("get_cluster", "GET", CLUSTER, self._get_cluster)
        self.route("delete_cluster", "DELETE", CLUSTER, self._delete_cluster)
        self.route("create_node_pool", "POST", CLUSTER + "/nodePools", self._create_pool)
        self.route("list_node_pools", "GET", CLUSTER + "/nodePools", self._list_pools)
        self.route("get_node_pool", "GET", CLUSTER + "/nodePools/(?P<pool>[^/]+)", self._get_pool)
        self.route("delete_node_pool", "DELETE", CLUSTER + "/nodePools/(?P<pool>[^/]+)", self._delete_pool)
        # https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/projects.locations.clusters/setResourceLabels
        self.route("set_resource_labels", "POST", CLUSTER + ":setResourceLabels", self._set_labels)
        # https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/projects.locations.clusters.nodePools/setAutoscaling
        self.route("set_node_pool_autoscaling", "POST", CLUSTER + "/nodePools/(?P<pool>[^/]+):setAutoscaling",
                   self._set_autoscaling)
        self.route("get_operation", "GET", BASE + "/operations/(?P<operation>[^/]+)", self._get_operation)
        self.route("list_operations", "GET", BASE + "/operations", self._list_operations)

    # -- controls -------------------------------------------------------------------------------
    def fail_next_create(self, kind: str, message: str) -> None:
        """The next create of a "cluster" or "node_pool" ends DONE with this error."""
        if kind not in ("cluster", "node_pool"):
            raise ValueError(f"kind is 'cluster' or 'node_pool', not {kind!r}")
        with self.lock:
            self._fail_next[kind] = message

    def clear(self) -> None:
        with self.lock:
            super().clear()
            self.clusters.clear()
            self._busy.clear()
            self._fail_next.clear()

    # -- helpers --------------------------------------------------------------------------------
    def _path(self, location: str, *parts: str) -> str:
        return "/".join([f"projects/{self.world.project_id}/locations/{location}", *parts])

    def _link(self, rel: str) -> str:
        return f"{self.base_url}/container/v1/{rel}"

    def _allow(self, req: Request, permission: str) -> str:
        self.project(req)
        self.require(req, permission)
        return req.params["location"]

    def _cluster(self, req: Request, permission: str) -> tuple[tuple[str, str], dict[str, Any]]:
        location = self._allow(req, permission)
        key = (location, req.params["cluster"])
        cluster = self.clusters.get(key)
        if cluster is None:
            raise GoogleError(404, f"Not found: {self._path(location, 'clusters', key[1])}.")
        return key, cluster

    def _idle(self, key: tuple[str, str]) -> None:
        op = self.world.operations.get(self._busy.get(key, ""))
        if op is not None and not op.done:
            raise GoogleError(400, f"Cluster is running incompatible operation {op.name}.",
                              code="FAILED_PRECONDITION")

    def _start(self, req: Request, kind: str, key: tuple[str, str], target: str,
               apply: Callable[[], Any]) -> dict[str, Any]:
        op = self.world.start_operation(kind, self._link(target), apply, api="container", loc=key[0])
        self._busy[key] = op.name
        return self._operation_body(op)

    # -- clusters -------------------------------------------------------------------------------
    def _create_cluster(self, req: Request) -> dict[str, Any]:
        location = self._allow(req, "container.clusters.create")
        spec = req.json().get("cluster") or {}
        name = str(spec.get("name") or "")
        if not _NAME.fullmatch(name):
            raise GoogleError(400, f"Invalid cluster name \"{name}\": must be 1-40 lowercase letters, digits "
                                   "or hyphens, start with a letter and end with a letter or digit.")
        region = self._region(location)
        key = (location, name)
        if key in self.clusters:
            raise GoogleError(409, f"Already exists: {self._path(location, 'clusters', name)}.")
        network, subnet = self._network_and_subnet(spec, region)
        pool_specs = spec.get("nodePools") or [{"name": "default-pool", "initialNodeCount":
                                                spec.get("initialNodeCount", 3)}]
        self._check_identity(spec)
        zones = [f"{region}-{z}" for z in "abc"] if location == region else [location]
        cluster = self._cluster_body(spec, location, zones, network, subnet)
        cluster["nodePools"] = [self._pool_body(location, name, p, zones) for p in pool_specs]
        self.clusters[key] = cluster
        self._add_gke_firewalls(cluster, subnet)
        for zone in zones:  # its nodes (in instance groups per zone) hold addresses in the subnetwork
            self.compute.hold(self.compute.rel("subnetworks", region, subnet["name"]), self._instances(cluster, zone))
        failure = self._fail_next.pop("cluster", None)

        def finish() -> None:
            pools = cluster["nodePools"]
            if failure:
                cluster.update(status="ERROR", statusMessage=failure)
                for pool in pools:
                    pool.update(status="ERROR", statusMessage=failure)
                raise GoogleError(500, failure, code="INTERNAL")
            endpoint = ".".join(str(random.randrange(1, 255)) for _ in range(3))
            cluster.update(status="RUNNING", endpoint=f"34.{endpoint}")
            for pool in pools:
                pool["status"] = "RUNNING"

        return self._start(req, "CREATE_CLUSTER", key, self._path(location, "clusters", name), finish)

    def _region(self, location: str) -> str:
        zone = _ZONE.fullmatch(location)
        if zone:
            return zone.group(1)
        if _REGION.fullmatch(location):
            return location
        raise GoogleError(400, f"Location \"{location}\" does not exist.")

    def _network_and_subnet(self, spec: dict[str, Any], region: str) -> tuple[dict[str, Any], dict[str, Any]]:
        assert self.compute is not None, "GcpDoubles wires the Compute double"
        net_ref = str(spec.get("network") or "default")
        network = self.compute.find("networks", net_ref)
        if network is None:
            raise GoogleError(400, f"Network \"{net_ref}\" does not exist.")
        sub_ref = str(spec.get("subnetwork") or "")
        subnet = self.compute.find("subnetworks", sub_ref, region)
        if subnet is None or subnet["network"] != network["selfLink"]:
            raise GoogleError(400, f"Subnetwork \"{sub_ref}\" does not exist in region {region} of network "
                                   f"\"{network['name']}\".")
        policy = spec.get("ipAllocationPolicy") or {}
        have = {r.get("rangeName") for r in subnet.get("secondaryIpRanges") or []}
        for field in ("clusterSecondaryRangeName", "servicesSecondaryRangeName"):
            if policy.get(field) and policy[field] not in have:
                raise GoogleError(400, f"Retry with a valid secondary range name: range \"{policy[field]}\" is "
                                       f"not a secondary range of subnetwork \"{subnet['name']}\".")
        return network, subnet

    def _check_identity(self, spec: dict[str, Any]) -> None:
        pool = (spec.get("workloadIdentityConfig") or {}).get("workloadPool")
        if pool and pool != f"{self.world.project_id}.svc.id.goog":
            raise GoogleError(400, f"Workload Identity pool \"{pool}\" is invalid: only "
                                   f"\"{self.world.project_id}.svc.id.goog\" is supported.")

    def _cluster_body(self, spec: dict[str, Any], location: str, zones: list[str], network: dict[str, Any],
                      subnet: dict[str, Any]) -> dict[str, Any]:
        name = spec["name"]
        ranges = {r["rangeName"]: r["ipCidrRange"] for r in subnet.get("secondaryIpRanges") or []}
        policy = spec.get("ipAllocationPolicy") or {}
        return {
            **{k: v for k, v in spec.items() if k != "nodePools"},
            "name": name, "network": network["name"], "subnetwork": subnet["name"], "location": location,
            "zone": location, "locations": zones, "status": "PROVISIONING", "endpoint": "",
            "id": secrets.token_hex(32), "resourceLabels": dict(spec.get("resourceLabels") or {}),
            "labelFingerprint": secrets.token_hex(8),
            "initialClusterVersion": VERSION, "currentMasterVersion": VERSION, "currentNodeVersion": VERSION,
            "createTime": compute_time(), "selfLink": self._link(self._path(location, "clusters", name)),
            "clusterIpv4Cidr": ranges.get(policy.get("clusterSecondaryRangeName", ""), "10.4.0.0/14"),
            "servicesIpv4Cidr": ranges.get(policy.get("servicesSecondaryRangeName", ""), "10.8.0.0/20"),
            "releaseChannel": spec.get("releaseChannel") or {"channel": "REGULAR"},
        }

    def _pool_body(self, location: str, cluster: str, spec: dict[str, Any], zones: list[str]) -> dict[str, Any]:
        name = str(spec.get("name") or "")
        if not _NAME.fullmatch(name):
            raise GoogleError(400, f"Invalid node pool name \"{name}\".")
        return {**spec, "name": name, "status": "PROVISIONING", "locations": zones, "version": VERSION,
                "initialNodeCount": int(spec.get("initialNodeCount") or 1), "podIpv4CidrSize": 24,
                "selfLink": self._link(self._path(location, "clusters", cluster, "nodePools", name))}

    def _instances(self, cluster: dict[str, Any], zone: str) -> str:
        return f"projects/{self.world.project_id}/zones/{zone}/instances/gke-{cluster['name'][:20]}-" \
               f"{cluster['id'][:8]}-node"

    def _firewall_names(self, cluster: dict[str, Any]) -> list[str]:
        stem = f"gke-{cluster['name']}-{cluster['id'][:8]}"
        return [f"{stem}-{suffix}" for suffix in ("all", "vms", "master")]

    def _add_gke_firewalls(self, cluster: dict[str, Any], subnet: dict[str, Any]) -> None:
        tag = f"gke-{cluster['name']}-{cluster['id'][:8]}-node"
        sources = {"all": [cluster["clusterIpv4Cidr"]], "vms": [subnet["ipCidrRange"]], "master": ["172.16.0.0/28"]}
        for name in self._firewall_names(cluster):
            suffix = name.rsplit("-", 1)[1]
            self.compute.put("firewalls", "", {
                "name": name, "network": subnet["network"], "sourceRanges": sources[suffix], "targetTags": [tag],
                "allowed": [{"IPProtocol": "tcp"}, {"IPProtocol": "udp"}, {"IPProtocol": "icmp"}]})

    def _list_clusters(self, req: Request) -> dict[str, Any]:
        location = self._allow(req, "container.clusters.list")
        found = [c for (loc, _n), c in sorted(self.clusters.items()) if location in ("-", loc)]
        return {"clusters": found} if found else {}

    def _get_cluster(self, req: Request) -> dict[str, Any]:
        return self._cluster(req, "container.clusters.get")[1]

    def _delete_cluster(self, req: Request) -> dict[str, Any]:
        key, cluster = self._cluster(req, "container.clusters.delete")
        self._idle(key)
        cluster["status"] = "STOPPING"

        def finish() -> None:
            self.clusters.pop(key, None)
            for name in self._firewall_names(cluster):
                self.compute.remove("firewalls", "", name)
            for zone in cluster["locations"]:
                self.compute.release(self._instances(cluster, zone))

        return self._start(req, "DELETE_CLUSTER", key, self._path(key[0], "clusters", key[1]), finish)

    def _set_labels(self, req: Request) -> dict[str, Any]:
        """SetLabelsRequest: the whole new label set, with the fingerprint of the set it replaces."""
        key, cluster = self._cluster(req, "container.clusters.update")
        self._idle(key)
        body = req.json()
        if body.get("labelFingerprint") != cluster["labelFingerprint"]:
            raise GoogleError(400, "Labels could not be set due to fingerprint mismatch.", code="FAILED_PRECONDITION")
        cluster.update(resourceLabels=dict(body.get("resourceLabels") or {}), labelFingerprint=secrets.token_hex(8))
        return self._start(req, "SET_LABELS", key, self._path(key[0], "clusters", key[1]), lambda: None)

    def _set_autoscaling(self, req: Request) -> dict[str, Any]:
        key, _cluster, pool = self._pool(req, "container.clusters.update")
        self._idle(key)
        pool["autoscaling"] = dict(req.json().get("autoscaling") or {})
        rel = self._path(key[0], "clusters", key[1], "nodePools", pool["name"])
        return self._start(req, "SET_NODE_POOL_SIZE", key, rel, lambda: None)

    # -- node pools -----------------------------------------------------------------------------
    def _pool(self, req: Request, permission: str) -> tuple[tuple[str, str], dict[str, Any], dict[str, Any]]:
        key, cluster = self._cluster(req, permission)
        name = req.params["pool"]
        pool = next((p for p in cluster["nodePools"] if p["name"] == name), None)
        if pool is None:
            raise GoogleError(404, f"Not found: {self._path(key[0], 'clusters', key[1], 'nodePools', name)}.")
        return key, cluster, pool

    def _create_pool(self, req: Request) -> dict[str, Any]:
        key, cluster = self._cluster(req, "container.clusters.update")
        self._idle(key)
        spec = req.json().get("nodePool") or {}
        name = str(spec.get("name") or "")
        rel = self._path(key[0], "clusters", key[1], "nodePools", name)
        if any(p["name"] == name for p in cluster["nodePools"]):
            raise GoogleError(409, f"Already exists: {rel}.")
        pool = self._pool_body(key[0], key[1], spec, cluster["locations"])
        cluster["nodePools"].append(pool)
        cluster["status"] = "RECONCILING"
        failure = self._fail_next.pop("node_pool", None)

        def finish() -> None:
            cluster["status"] = "RUNNING"
            if failure:
                pool.update(status="ERROR", statusMessage=failure)
                raise GoogleError(500, failure, code="INTERNAL")
            pool["status"] = "RUNNING"

        return self._start(req, "CREATE_NODE_POOL", key, rel, finish)

    def _list_pools(self, req: Request) -> dict[str, Any]:
        pools = self._cluster(req, "container.clusters.get")[1]["nodePools"]
        return {"nodePools": pools} if pools else {}

    def _get_pool(self, req: Request) -> dict[str, Any]:
        return self._pool(req, "container.clusters.get")[2]

    def _delete_pool(self, req: Request) -> dict[str, Any]:
        key, cluster, pool = self._pool(req, "container.clusters.update")
        self._idle(key)
        pool["status"], cluster["status"] = "STOPPING", "RECONCILING"

        def finish() -> None:
            cluster["nodePools"] = [p for p in cluster["nodePools"] if p is not pool]
            cluster["status"] = "RUNNING"

        rel = self._path(key[0], "clusters", key[1], "nodePools", pool["name"])
        return self._start(req, "DELETE_NODE_POOL", key, rel, finish)

    # -- operations -----------------------------------------------------------------------------
    def _operation_body(self, op: Operation) -> dict[str, Any]:
        location = op.extra["loc"]
        body: dict[str, Any] = {
            "name": op.name, "zone": location, "location": location, "operationType": op.kind,
            "status": "DONE" if op.done else "RUNNING", "targetLink": op.target, "startTime": compute_time(op.started),
            "selfLink": self._link(self._path(location, "operations", op.name))}
        if op.done:
            body["endTime"] = compute_time(op.extra.setdefault("end", time.time()))
        if op.error is not None:
            body["error"] = {"code": _RPC_CODES.get(op.error.code, 2), "message": op.error.message}
            body["statusMessage"] = op.error.message
        return body

    def _operations(self, req: Request) -> list[Operation]:
        location = self._allow(req, "container.operations.get")
        return [op for op in self.world.operations.values()
                if op.extra.get("api") == "container" and location in ("-", op.extra["loc"])]

    def _get_operation(self, req: Request) -> dict[str, Any]:
        name = req.params["operation"]
        for op in self._operations(req):
            if op.name == name:
                return self._operation_body(op)
        raise GoogleError(404, f"Not found: {self._path(req.params['location'], 'operations', name)}.")

    def _list_operations(self, req: Request) -> dict[str, Any]:
        ops = [self._operation_body(op) for op in self._operations(req)]
        return {"operations": ops} if ops else {}
