"""Teardown on Google Cloud: the GKE cluster, then the subnetwork its nodes used, the firewall
rules left on the network (GKE's own, or added by hand), the network, and (only when asked) the
Artifact Registry repository with the build images, which is kept by default as on the other
clouds.

Each step tolerates what is already gone and follows a deletion already under way, so an
interrupted teardown is simply run again. ``leftovers`` then lists what still carries the
project's label (or GKE's cluster label) anywhere in the project, plus the networks marked in
their description, with links to the Google Cloud console.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ..stepwise import StepState, run_steps
from .errors import gcp_call
from .operations import (
    GONE,
    GcpRun,
    tail,
    wait_artifacts,
    wait_compute,
    wait_container,
    wait_gone,
    wait_status,
)
from .plan import LABEL_KEY, GkePlan, label_value
from .session import GcpApi, GcpHttpError

__all__ = ["Leftover", "leftovers", "steps", "teardown"]

CONSOLE = "https://console.cloud.google.com"
GKE_LABEL = "goog-k8s-cluster-name"  # what GKE puts on the disks and load balancers it makes


@dataclass(frozen=True)
class Leftover:
    kind: str
    name: str
    location: str
    console_url: str


# -- deleting ---------------------------------------------------------------------------------
def _marked(run: GcpRun, found: dict[str, Any]) -> bool:
    """Networks and subnetworks carry the plan's marker in their description when the wizard made
    them; one that merely has the same name (made by hand, or by another tool) is never deleted."""
    return run.plan.marker in str(found.get("description") or "")


def _delete_compute(run: GcpRun, what: str, path: str, *, marked: bool = False) -> str:
    """Delete a Compute resource and wait until a GET answers 404; one already being deleted
    (Google answers "not ready") is followed. A delete that fails (in use) raises Google's words.
    With ``marked``, a resource without the wizard's marker is left alone ("kept")."""
    found = run.api.find("compute", path)
    if found is None:
        return "absent"
    if marked and not _marked(run, found):
        return "kept"
    try:
        op = run.api.delete("compute", path)
    except GcpHttpError as exc:
        if exc.status == 404:
            return "absent"
        if not (exc.status == 400 and "not ready" in exc.message):
            raise
        op = None  # a deletion already runs (a teardown cut short)
    if op is not None:
        wait_compute(run, f"deleting {what}", op)
    wait_gone(run, f"deleting {what}", "compute", path, timeout_s=900.0)
    return "deleted"


def cluster(run: GcpRun) -> tuple[str, str]:
    plan = run.plan
    path = run.location_path(plan.region, f"clusters/{plan.cluster}")
    what = f"the GKE cluster {plan.cluster}"
    # GKE refuses a delete while another operation runs (a create or node pool change cut short):
    # wait for the cluster to settle, whatever it settles into.
    found = wait_status(run, f"{what} to finish its current change", "container", path,
                        {"RUNNING", "DEGRADED", "ERROR", "STOPPING", GONE}, set())
    if found is None:
        return "absent", plan.cluster
    if not _labelled(plan, found.get("resourceLabels")):
        return "kept", plan.cluster + _NOT_OURS.replace("marker", "label")
    if found.get("status") != "STOPPING":
        try:
            op = run.api.delete("container", path)
        except GcpHttpError as exc:
            if exc.status != 404:
                raise
        else:
            wait_container(run, f"deleting {what}", op)
    # GKE deletes its own firewall rules and node disks with the cluster; the sweep lists any left.
    wait_status(run, f"deleting {what}", "container", path, {GONE}, {"ERROR"})
    return "deleted", f"{plan.cluster} in {plan.region}"


def subnetwork(run: GcpRun) -> tuple[str, str]:
    plan = run.plan
    path = run.compute_path(f"regions/{plan.region}/subnetworks/{plan.subnetwork}")
    status = _delete_compute(run, f"the subnetwork {plan.subnetwork}", path, marked=True)
    return status, f"{plan.subnetwork} in {plan.region}" + (_NOT_OURS if status == "kept" else "")


_NOT_OURS = ": not made by the wizard (no porter-cluster marker), left alone"


def _network_link(run: GcpRun) -> str | None:
    """Our network's link, or None when it is gone or not the wizard's (its rules are not ours)."""
    found = run.api.find("compute", run.compute_path(f"global/networks/{run.plan.network}"))
    return None if found is None or not _marked(run, found) else str(found["selfLink"])


def firewalls(run: GcpRun) -> tuple[str, str]:
    """Every firewall rule on our network: the network cannot be deleted while one is left."""
    link = _network_link(run)
    if link is None:
        return "absent", run.plan.network
    listed = run.api.get("compute", run.compute_path("global/firewalls"), params={"filter": f'network = "{link}"'})
    names = [rule["name"] for rule in listed.get("items") or [] if rule.get("network") == link]
    if not names:
        return "absent", f"none on {run.plan.network}"
    deleted = [name for name in names
               if _delete_compute(run, f"the firewall rule {name}",
                                  run.compute_path(f"global/firewalls/{name}")) == "deleted"]
    return ("deleted", ", ".join(deleted)) if deleted else ("absent", f"none on {run.plan.network}")


def network(run: GcpRun) -> tuple[str, str]:
    path = run.compute_path(f"global/networks/{run.plan.network}")
    status = _delete_compute(run, f"the network {run.plan.network}", path, marked=True)
    return status, run.plan.network + (_NOT_OURS if status == "kept" else "")


def repository(run: GcpRun, delete: bool) -> tuple[str, str]:
    plan = run.plan
    path = run.location_path(plan.region, f"repositories/{plan.repository}")
    if run.api.find("artifactregistry", path) is None:
        return "absent", plan.repository
    if not delete:
        return "kept", (f"{plan.repository} in {plan.region} stays, with your build images: delete it in the "
                        "console (Artifact Registry) when you no longer need them.")
    try:
        op = run.api.delete("artifactregistry", path)
    except GcpHttpError as exc:
        if exc.status != 404:
            raise
        return "absent", plan.repository
    wait_artifacts(run, f"deleting the repository {plan.repository}", op)
    wait_gone(run, f"deleting the repository {plan.repository}", "artifactregistry", path)
    return "deleted", f"{plan.repository}, with its images"


def steps(delete_registry: bool = False) -> list[tuple[str, str, Callable[[GcpRun], tuple[str, str]]]]:
    # In this order: the cluster's nodes hold the subnetwork, and firewall rules and subnetworks
    # keep the network in use (RESOURCE_IN_USE_BY_ANOTHER_RESOURCE) until they are gone.
    return [
        ("cluster", "GKE cluster", cluster),
        ("subnetwork", "Subnetwork", subnetwork),
        ("firewalls", "Firewall rules on the network", firewalls),
        ("network", "VPC network", network),
        ("repository", "Image repository (Artifact Registry)", lambda run: repository(run, delete_registry)),
    ]


def teardown(run: GcpRun, on_step: Callable[[StepState], None], delete_registry: bool = False) -> None:
    run_steps(run, steps(delete_registry), on_step, "delete", gcp_call)


# -- the sweep --------------------------------------------------------------------------------
def _labelled(plan: GkePlan, labels: dict[str, str] | None) -> bool:
    labels = labels or {}
    return labels.get(LABEL_KEY) == label_value(plan.project) or labels.get(GKE_LABEL) == plan.cluster


def _listed(api: GcpApi, service: str, path: str, key: str, params: dict[str, str] | None = None) -> list[dict]:
    """A list, or nothing when its API is off (nothing can have been made through it lately) or
    the location does not exist."""
    try:
        return list(api.get(service, path, params).get(key) or [])
    except GcpHttpError as exc:
        if exc.reason == "SERVICE_DISABLED" or exc.status == 404:
            return []
        raise


def _aggregated(api: GcpApi, project: str, collection: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(zone or region, resource) over an aggregated list's scopes ("zones/us-central1-a": {...})."""
    try:
        scoped = api.get("compute", f"/compute/v1/projects/{project}/aggregated/{collection}").get("items") or {}
    except GcpHttpError as exc:
        if exc.reason == "SERVICE_DISABLED":
            return
        raise
    for scope, found in scoped.items():
        for item in found.get(collection) or []:
            yield tail(scope), item


_LABELLED = {  # collection → (kind, console URL for (project, location, name))
    "disks": ("disk", lambda p, loc, n: f"{CONSOLE}/compute/disksDetail/zones/{loc}/disks/{n}?project={p}"),
    "addresses": ("address", lambda p, loc, n: f"{CONSOLE}/networking/addresses/list?project={p}"),
    "forwardingRules": ("forwarding rule", lambda p, loc, n: f"{CONSOLE}/net-services/loadbalancing/advanced/"
                                                               f"forwardingRules/details/regions/{loc}/"
                                                               f"forwardingRules/{n}?project={p}"),
}


def _compute_leftovers(api: GcpApi, plan: GkePlan) -> Iterator[Leftover]:
    p = plan.gcp_project
    for collection, (kind, url) in _LABELLED.items():
        for location, item in _aggregated(api, p, collection):
            if _labelled(plan, item.get("labels")):
                yield Leftover(kind, item["name"], location, url(p, location, item["name"]))
    for location, item in _aggregated(api, p, "subnetworks"):
        if plan.marker in (item.get("description") or ""):
            yield Leftover("subnetwork", item["name"], location,
                           f"{CONSOLE}/networking/subnetworks/details/{location}/{item['name']}?project={p}")
    networks = [n for n in _listed(api, "compute", f"/compute/v1/projects/{p}/global/networks", "items")
                if plan.marker in (n.get("description") or "") or n.get("name") == plan.network]
    links = {n["selfLink"] for n in networks}
    for rule in _listed(api, "compute", f"/compute/v1/projects/{p}/global/firewalls", "items"):
        if rule.get("network") in links:
            yield Leftover("firewall rule", rule["name"], "global",
                           f"{CONSOLE}/networking/firewalls/details/{rule['name']}?project={p}")
    for item in networks:
        yield Leftover("network", item["name"], "global", f"{CONSOLE}/networking/networks/details/{item['name']}"
                                                          f"?project={p}")


def _other_leftovers(api: GcpApi, plan: GkePlan) -> Iterator[Leftover]:
    p = plan.gcp_project
    for item in _listed(api, "container", f"/v1/projects/{p}/locations/-/clusters", "clusters"):
        if item.get("name") == plan.cluster or _labelled(plan, item.get("resourceLabels")):
            location = item.get("location", plan.region)
            yield Leftover("GKE cluster", item["name"], location,
                           f"{CONSOLE}/kubernetes/clusters/details/{location}/{item['name']}/details?project={p}")
    for item in _listed(api, "artifactregistry", f"/v1/projects/{p}/locations/{plan.region}/repositories",
                        "repositories"):
        name = tail(item["name"])
        if name == plan.repository or _labelled(plan, item.get("labels")):
            yield Leftover("repository", name, plan.region, f"{CONSOLE}/artifacts/docker/{p}/{plan.region}/{name}"
                                                            f"?project={p}")


def leftovers(api: GcpApi, plan: GkePlan) -> list[Leftover]:
    """Everything of this cluster still in the project: labelled disks, addresses and forwarding
    rules (GKE's too), the marked network and subnetwork with any firewall rules on the network,
    the cluster and the repository; each once."""
    with gcp_call("list what is left in the project"):
        found = [*_compute_leftovers(api, plan), *_other_leftovers(api, plan)]
    return list({(item.kind, item.location, item.name): item for item in found}.values())
