"""Teardown on Azure: the AKS cluster, then the network it used, then (only when asked) the
resource group with the container registry and its build images, which the platform keeps by
default (its docs say so, and leave that group for the user to delete).

Each step tolerates what is already gone and follows a deletion already under way, so an
interrupted teardown is simply run again. `leftovers` then lists what still carries the project's
tag anywhere in the subscription, plus whatever is left in the group, with portal links.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..stepwise import StepState, run_steps
from .plan import TAG_KEY
from .errors import azure_call
from .provision import GONE, AzRun, find, provisioning_state, state_of

GROUP_TYPE = "Microsoft.Resources/resourceGroups"
PORTAL = "https://portal.azure.com/#@/resource"  # the public cloud's portal; sovereign ones differ


@dataclass(frozen=True)
class Leftover:
    id: str
    type: str
    name: str
    portal_url: str


def _delete_until_gone(run: AzRun, what: str, get: Callable[[], Any], delete: Callable[[], Any]) -> str:
    """Ask for the deletion (unless one runs already), then wait until a GET answers 404."""
    found = find(get)
    if found is None:
        return "absent"
    if provisioning_state(found) != "Deleting":
        delete()
    run.wait_until(f"deleting {what}", lambda: state_of(get), {GONE}, {"Failed"})
    return "deleted"


def cluster(run: AzRun) -> tuple[str, str]:
    clusters, rg, name = run.aks.managed_clusters, run.plan.resource_group, run.plan.cluster_name
    status = _delete_until_gone(run, f"the AKS cluster {name}", lambda: clusters.get(rg, name),
                                lambda: clusters.begin_delete(rg, name, polling=False))
    # AKS deletes its node resource group (MC_...) with the cluster; it is not ours to touch.
    return status, name


def network(run: AzRun) -> tuple[str, str]:
    # Only after the cluster is gone: its nodes hold addresses in the subnet until then, and Azure
    # refuses to delete a subnet in use (InUseSubnetCannotBeDeleted).
    vnets, rg, name = run.network.virtual_networks, run.plan.resource_group, run.plan.vnet_name
    return _delete_until_gone(run, f"the virtual network {name}", lambda: vnets.get(rg, name),
                              lambda: vnets.begin_delete(rg, name, polling=False)), name


def _group_state(run: AzRun) -> str:
    group = find(lambda: run.resources.resource_groups.get(run.plan.resource_group))
    return GONE if group is None else provisioning_state(group)


def group_and_registry(run: AzRun, delete: bool) -> tuple[str, str]:
    groups, rg, registry = run.resources.resource_groups, run.plan.resource_group, run.plan.registry_name
    state = _group_state(run)
    if state == GONE:
        return "absent", rg
    if not delete and state != "Deleting":  # a group already being deleted cannot be kept: follow it
        kept = find(lambda: run.acr.registries.get(rg, registry)) is not None
        return "kept", (f"{rg} and its registry {registry} stay, with your build images: delete the group in the "
                        "portal when you no longer need them." if kept else
                        f"{rg} stays (it holds no registry now): delete it in the portal if it is empty.")
    if state != "Deleting":
        groups.begin_delete(rg, polling=False)  # Azure deletes everything in it, the registry too
    run.wait_until(f"deleting the resource group {rg}", lambda: _group_state(run), {GONE})
    return "deleted", f"{rg}, with the registry {registry} and its images"


def steps(delete_registry: bool = False) -> list[tuple[str, str, Callable[[AzRun], tuple[str, str]]]]:
    return [
        ("aks", "Kubernetes cluster (AKS)", cluster),
        ("vnet", "Virtual network", network),
        ("registry", "Resource group and container registry", lambda run: group_and_registry(run, delete_registry)),
    ]


def teardown(run: AzRun, on_step: Callable[[StepState], None], *, delete_registry: bool = False) -> None:
    run_steps(run, steps(delete_registry), on_step, "delete", azure_call)


def leftovers(run: AzRun) -> list[Leftover]:
    """Everything tagged for this project in the subscription, plus what is left in its group
    (and the group itself): resources first, then groups, each once."""
    client, rg = run.resources, run.plan.resource_group
    value = run.plan.project.replace("'", "''")  # OData quotes are doubled
    tagged = f"tagName eq '{TAG_KEY}' and tagValue eq '{value}'"
    found: dict[str, Leftover] = {}

    def add(item: Any, kind: str | None = None) -> None:
        found.setdefault(item.id.lower(), Leftover(item.id, kind or item.type, item.name, f"{PORTAL}{item.id}"))

    with azure_call("list what is left in the subscription"):
        for item in client.resources.list(filter=tagged):
            add(item)
        group = find(lambda: client.resource_groups.get(rg))
        if group is not None:
            for item in find(lambda: list(client.resources.list_by_resource_group(rg))) or []:
                add(item)
        groups = [group] if group is not None else []
        for item in [*groups, *client.resource_groups.list(filter=tagged)]:
            add(item, GROUP_TYPE)
    return list(found.values())
