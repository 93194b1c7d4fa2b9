"""Provisioning on Google Cloud: the VPC network, its subnetwork, the regional GKE cluster, its
node pool and the Artifact Registry repository, in order, each step idempotent (as
wizard/azure/provision.py).

Every step looks for its resource by name first and only creates what is missing; a found one
gets back what can drift (our labels, private Google access, the node pool's autoscaling); what
Google is still making (after a crash, Esc or a lost network) is followed, not made again, and a
409 on create means the same. Writes return Google's long-running operation at once: the steps poll it
every ``poll_seconds`` and check ``cancelled`` in between, so Esc stops a wait at once while
Google carries on, to be picked up by the next run.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import CloudError
from ..labels import with_ours
from ..stepwise import StepState, run_steps
from .errors import gcp_call
from .operations import (
    GONE,
    GcpRun,
    created,
    follow_compute,
    wait_artifacts,
    wait_compute,
    wait_container,
    wait_gone,
    wait_status,
)

__all__ = ["GcpRun", "Step", "cluster_spec", "node_pool_spec", "provision", "steps"]

PODS_RANGE, SERVICES_RANGE = "pods", "services"
NODES_MIN, NODES_MAX = 1, 3  # the node pool's autoscaling, per zone
SCOPE = "https://www.googleapis.com/auth/cloud-platform"
#: Ready enough to go on: DEGRADED is GKE's "running, with a warning" (the console shows why).
UP = {"RUNNING", "DEGRADED"}

Step = tuple[str, str, Callable[[GcpRun], tuple[str, str]]]


# -- network ----------------------------------------------------------------------------------
def _settled_compute(run: GcpRun, what: str, scope: str, path: str) -> dict[str, Any] | None:
    """The resource once no operation of Google's runs on it, or None (a deletion was cut short
    and has since finished)."""
    found = run.api.find("compute", path)
    if found is None:
        return None
    finished = follow_compute(run, what, scope, found["selfLink"])
    if any(op.get("operationType") == "delete" for op in finished):
        return run.api.find("compute", path)
    return found


def network(run: GcpRun) -> tuple[str, str]:
    plan, name = run.plan, run.plan.network
    path = run.compute_path(f"global/networks/{name}")
    what = f"the network {name}"
    status = "found"
    if _settled_compute(run, what, "global", path) is None:
        # No labels on networks: the description carries the marker the sweep looks for.
        body = {"name": name, "description": f"Porter cluster {plan.project} ({plan.marker})",
                "autoCreateSubnetworks": False, "routingConfig": {"routingMode": "REGIONAL"}}
        op = created(lambda: run.api.post("compute", run.compute_path("global/networks"), body))
        if op is not None:
            wait_compute(run, f"creating {what}", op)
            status = "created"
    found = run.api.get("compute", path)
    run.ids["network"] = found["selfLink"]
    mode = "auto subnets" if found.get("autoCreateSubnetworks") else "custom subnets"
    return status, f"{name} ({mode}, {found.get('routingConfig', {}).get('routingMode', 'REGIONAL').lower()} routing)"


def subnetwork(run: GcpRun) -> tuple[str, str]:
    plan, name = run.plan, run.plan.subnetwork
    scope = f"regions/{plan.region}"
    path = run.compute_path(f"{scope}/subnetworks/{name}")
    what = f"the subnetwork {name}"
    status = "found"
    if _settled_compute(run, what, scope, path) is None:
        body = {"name": name, "network": run.ids["network"], "ipCidrRange": plan.subnet_cidr,
                "description": f"Porter cluster {plan.project} nodes ({plan.marker})",
                "privateIpGoogleAccess": True,  # nodes pull from Artifact Registry without public IPs
                "secondaryIpRanges": [{"rangeName": PODS_RANGE, "ipCidrRange": plan.pods_cidr},
                                      {"rangeName": SERVICES_RANGE, "ipCidrRange": plan.services_cidr}]}
        op = created(lambda: run.api.post("compute", run.compute_path(f"{scope}/subnetworks"), body))
        if op is not None:
            wait_compute(run, f"creating {what}", op)
            status = "created"
    found = run.api.get("compute", path)
    ranges = {r.get("rangeName"): r.get("ipCidrRange") for r in found.get("secondaryIpRanges") or []}
    _check_subnetwork(run, found, ranges)
    if not found.get("privateIpGoogleAccess"):  # switched off since: the nodes could not pull images
        op = run.api.post("compute", f"{path}/setPrivateIpGoogleAccess", {"privateIpGoogleAccess": True})
        wait_compute(run, f"turning on private Google access for {what}", op)
    run.ids["subnetwork"] = found["selfLink"]
    return status, (f"{name} in {plan.region}: nodes {found.get('ipCidrRange')}, pods {ranges[PODS_RANGE]}, "
                    f"services {ranges[SERVICES_RANGE]}")


def _check_subnetwork(run: GcpRun, found: dict[str, Any], ranges: dict[str, Any]) -> None:
    """A subnetwork of that name made by hand may lack what GKE's IP aliases need: say so rather
    than let the cluster create fail with a less helpful message."""
    name = found.get("name", "")
    if found.get("network") != run.ids["network"]:
        raise CloudError(f"The subnetwork {name} is on another network",
                         f"{name} in {run.plan.region} belongs to {found.get('network', '?').rsplit('/', 1)[-1]}, "
                         f"not {run.plan.network}.",
                         "Delete or rename that subnetwork in the console (VPC network → Subnets), then Retry.",
                         code="SubnetworkMismatch")
    missing = [r for r in (PODS_RANGE, SERVICES_RANGE) if r not in ranges]
    if missing:
        raise CloudError(f"The subnetwork {name} has no {' or '.join(missing)} range",
                         "GKE takes its pods' and services' addresses from secondary ranges named "
                         f"{PODS_RANGE!r} and {SERVICES_RANGE!r}.",
                         f"Add them in the console (VPC network → Subnets → {name} → Edit → secondary ranges) "
                         "or delete the subnetwork so the wizard makes it, then Retry.", code="SecondaryRanges")


# -- GKE --------------------------------------------------------------------------------------
def node_pool_spec(run: GcpRun) -> dict[str, Any]:
    plan = run.plan
    return {
        "name": plan.node_pool, "initialNodeCount": max(NODES_MIN, plan.nodes_per_zone),
        "config": {"machineType": plan.machine_type, "diskSizeGb": plan.node_disk_gb, "diskType": plan.disk_type,
                   "labels": dict(plan.labels), "oauthScopes": [SCOPE],
                   "workloadMetadataConfig": {"mode": "GKE_METADATA"}},  # pods use workload identity
        "autoscaling": {"enabled": True, "minNodeCount": NODES_MIN, "maxNodeCount": max(NODES_MAX, plan.nodes_per_zone)},
        "management": {"autoUpgrade": True, "autoRepair": True},
    }


def cluster_spec(run: GcpRun) -> dict[str, Any]:
    """A regional Standard cluster (control plane and nodes over the region's zones) in our
    subnetwork, VPC-native (pods and services from its two secondary ranges), with workload
    identity for the platform's pods and the REGULAR release channel."""
    plan = run.plan
    return {
        "name": plan.cluster, "description": f"Porter cluster {plan.project}",
        "network": plan.network, "subnetwork": plan.subnetwork, "nodePools": [node_pool_spec(run)],
        "resourceLabels": dict(plan.labels),
        "ipAllocationPolicy": {"useIpAliases": True, "clusterSecondaryRangeName": PODS_RANGE,
                               "servicesSecondaryRangeName": SERVICES_RANGE},
        "releaseChannel": {"channel": "REGULAR"},
        "workloadIdentityConfig": {"workloadPool": f"{plan.gcp_project}.svc.id.goog"},
    }


def _cluster_path(run: GcpRun) -> str:
    return run.location_path(run.plan.region, f"clusters/{run.plan.cluster}")


#: A cluster that failed to be made stays in ERROR: GKE cannot repair it, only delete it.
REMAKE = ("Tear down (it deletes the failed cluster), fix what Google names, then provision again: GKE cannot "
          "repair a cluster that failed to be made.")


def _failed(what: str, found: dict[str, Any], next_step: str) -> CloudError:
    message = found.get("statusMessage") or "no reason given"
    return CloudError(f"{what[0].upper()}{what[1:]} failed", f"Google Cloud reports it as {found.get('status')}: "
                      f"{message}", next_step, code=str(found.get("status") or "ERROR"))


def gke_cluster(run: GcpRun) -> tuple[str, str]:
    plan, path = run.plan, _cluster_path(run)
    what = f"the GKE cluster {plan.cluster}"
    found = run.api.find("container", path)
    if found is not None and found.get("status") == "STOPPING":  # a teardown cut short: let it finish
        wait_gone(run, f"the deletion of {what}", "container", path, timeout_s=3600.0)
        found = None
    status = "found"
    if found is None:
        op = created(lambda: run.api.post("container", run.location_path(plan.region, "clusters"),
                                          {"cluster": cluster_spec(run)}))
        if op is not None:
            wait_container(run, f"creating {what}", op, advice=REMAKE)
            status = "created"
    found = wait_status(run, what, "container", path, UP | {"RECONCILING"}, {"ERROR", "STOPPING", GONE},
                        advice=REMAKE)
    assert found is not None  # GONE is a failure above
    labels = with_ours(found.get("resourceLabels"), plan.labels)
    if labels is not None:
        wait_cluster(run, what)  # GKE takes one change at a time
        found = run.api.get("container", path)
        op = run.api.post("container", f"{path}:setResourceLabels",
                          {"resourceLabels": labels, "labelFingerprint": found.get("labelFingerprint", "")})
        wait_container(run, f"labelling {what}", op)
    run.ids.update(cluster=found.get("selfLink", ""), endpoint=found.get("endpoint", ""))
    return status, (f"{plan.cluster} in {plan.region}, Kubernetes {found.get('currentMasterVersion', '?')}, "
                    f"endpoint {found.get('endpoint') or 'pending'}")


def wait_cluster(run: GcpRun, what: str) -> dict[str, Any] | None:
    """The cluster once no operation of its own runs (GKE refuses other writes until then)."""
    found = wait_status(run, what, "container", _cluster_path(run), UP | {"ERROR", "STOPPING", GONE}, set())
    if found is not None and found.get("status") == "ERROR":
        raise _failed(what, found, REMAKE)
    return found


def node_pool(run: GcpRun) -> tuple[str, str]:
    plan = run.plan
    path = run.location_path(plan.region, f"clusters/{plan.cluster}/nodePools/{plan.node_pool}")
    what = f"the node pool {plan.node_pool}"
    found = run.api.find("container", path)
    if found is not None and found.get("status") == "STOPPING":
        wait_gone(run, f"the deletion of {what}", "container", path)
        found = None
    status = "found"
    if found is None:  # made with the cluster; missing only if someone deleted it since
        wait_cluster(run, f"the GKE cluster {plan.cluster}")
        op = created(lambda: run.api.post("container", run.location_path(plan.region, f"clusters/{plan.cluster}/"
                                                                          "nodePools"),
                                          {"nodePool": node_pool_spec(run)}))
        if op is not None:
            wait_container(run, f"creating {what}", op)
            status = "created"
    found = wait_status(run, what, "container", path, UP | {"ERROR"}, {"STOPPING", GONE})
    if found is not None and found.get("status") == "ERROR":
        raise _failed(what, found, "Fix what Google names, delete the node pool in the console (Kubernetes "
                                   "Engine → your cluster → Nodes), then press Retry: the wizard makes it again.")
    wanted = node_pool_spec(run)["autoscaling"]
    scaling = found.get("autoscaling") or {}
    if any(scaling.get(k) != v for k, v in wanted.items()):  # changed by hand: the platform needs room to grow
        wait_cluster(run, f"the GKE cluster {plan.cluster}")
        wait_container(run, f"setting the autoscaling of {what}",
                       run.api.post("container", f"{path}:setAutoscaling", {"autoscaling": wanted}))
        found = run.api.get("container", path)
    run.ids["node_pool"] = plan.node_pool
    config, scaling = found.get("config", {}), found.get("autoscaling", {})
    return status, (f"{plan.node_pool}: {found.get('initialNodeCount')} × {config.get('machineType')} per zone in "
                    f"{len(found.get('locations') or [])} zones (autoscaling {scaling.get('minNodeCount', '?')}–"
                    f"{scaling.get('maxNodeCount', '?')} per zone)")


# -- Artifact Registry ------------------------------------------------------------------------
def repository(run: GcpRun) -> tuple[str, str]:
    plan = run.plan
    path = run.location_path(plan.region, f"repositories/{plan.repository}")
    status = "found"
    if run.api.find("artifactregistry", path) is None:
        body = {"format": "DOCKER", "description": f"Porter cluster {plan.project} build images",
                "labels": dict(plan.labels)}
        op = created(lambda: run.api.post("artifactregistry", run.location_path(plan.region, "repositories"), body,
                                          params={"repositoryId": plan.repository}))
        if op is not None:
            wait_artifacts(run, f"creating the repository {plan.repository}", op)
            status = "created"
    found = run.api.get("artifactregistry", path)  # made by now; a 404 here is a real error
    labels = with_ours(found.get("labels"), plan.labels)
    if labels is not None:  # answered at once, no operation
        run.api.call("PATCH", "artifactregistry", path, body={"labels": labels}, params={"updateMask": "labels"})
    url = f"{plan.region}-docker.pkg.dev/{plan.gcp_project}/{plan.repository}"
    run.ids.update(repository=f"projects/{plan.gcp_project}/locations/{plan.region}/repositories/{plan.repository}",
                   registry_url=url)
    return status, f"{url} (Docker)"


def steps() -> list[Step]:
    # Labels start with a word the step runner may lowercase ("could not provision the ...").
    return [
        ("network", "VPC network", network),
        ("subnetwork", "Subnetwork with pod and service ranges", subnetwork),
        ("cluster", "GKE cluster", gke_cluster),
        ("node_pool", "Node pool", node_pool),
        ("repository", "Image repository (Artifact Registry)", repository),
    ]


def provision(run: GcpRun, on_step: Callable[[StepState], None]) -> dict[str, str]:
    run_steps(run, steps(), on_step, "provision", gcp_call)
    return dict(run.ids)
