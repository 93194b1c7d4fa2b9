"""Provisioning on Azure: the resource group, the network, the container registry and the AKS
cluster, in order, each step idempotent (as wizard/aws/provision.py).

Every step looks for its resource by name first and only creates what is missing; a found one
gets back what can drift (our tags, the registry's admin user off, the cluster's tier, OIDC,
workload identity and autoscaling); a resource still being made (after a crash, Ctrl-C or lost
network) is followed, not made again. Writes are
started without the SDKs' blocking pollers: the steps poll provisioningState themselves every
`poll_seconds` and check `cancelled` in between, so Esc stops a wait at once and what Azure is
building carries on, to be picked up by the next run.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ..errors import CloudError
from ..labels import with_ours
from ..stepwise import StepState, poll_until, run_steps
from .cloud import AzureCloud
from .credentials import mgmt_kwargs
from .errors import azure_call
from .plan import AksPlan

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

NODES_SUBNET = "nodes"
SYSTEM_POOL = "system"  # AKS pool names: lowercase letters and digits, at most 12
READY = {"Succeeded"}
FAILED = {"Failed", "Canceled"}
GONE = "Gone"  # what a probe reports once a GET answers 404


@dataclass
class AzRun:
    """What the steps share: clients, the plan, the IDs found or made so far."""
    cloud: AzureCloud
    credential: TokenCredential
    subscription_id: str
    plan: AksPlan
    cancelled: Callable[[], bool] = lambda: False
    sleep: Callable[[float], None] = time.sleep
    poll_seconds: float = 10.0
    ids: dict[str, str] = field(default_factory=dict)

    def _client(self, cls: type) -> Any:
        return cls(self.credential, self.subscription_id, **mgmt_kwargs(self.cloud))

    # One client per service for the whole run: each holds its own connection pool and token cache.
    @cached_property
    def resources(self) -> Any:
        from azure.mgmt.resource.resources import ResourceManagementClient
        return self._client(ResourceManagementClient)

    @cached_property
    def network(self) -> Any:
        from azure.mgmt.network import NetworkManagementClient
        return self._client(NetworkManagementClient)

    @cached_property
    def aks(self) -> Any:
        from azure.mgmt.containerservice import ContainerServiceClient
        return self._client(ContainerServiceClient)

    @cached_property
    def acr(self) -> Any:
        from azure.mgmt.containerregistry import ContainerRegistryManagementClient
        return self._client(ContainerRegistryManagementClient)

    def wait_until(self, what: str, probe: Callable[[], str | None], ready: set[str],
                   failed: set[str] = frozenset(), timeout_s: float = 3600.0,
                   why: Callable[[], str] = lambda: "") -> str:
        """Poll until probe() returns a ready state; raise on a failed one (with why()), on
        cancel, or after timeout_s."""
        def failure(subject: str, state: str) -> CloudError:
            reason = why()
            return CloudError(f"{subject} failed", f"Azure reports {what} as {state}"
                              + (f": {reason}" if reason else "."),
                              "Fix what Azure names (the portal's Activity log has the details), then "
                              "resume: the wizard asks Azure to try it again.", code=state or "Failed")
        return poll_until(self, what, probe, ready, failed, timeout_s, failure)


Step = tuple[str, str, Callable[[AzRun], tuple[str, str]]]


def find(get: Callable[[], Any]) -> Any:
    """The resource, or None when Azure answers 404 (no resource, or no resource group)."""
    from azure.core.exceptions import ResourceNotFoundError

    try:
        return get()
    except ResourceNotFoundError:
        return None


def provisioning_state(resource: Any) -> str:
    """As a plain string: the network and registry models give an enum, whose str() is
    "ProvisioningState.FAILED" and which an Enum hashes by name, so `in {"Failed"}` would miss."""
    value = getattr(resource, "provisioning_state", None)
    if value is None:  # resource groups keep it under .properties (not flattened)
        value = getattr(getattr(resource, "properties", None), "provisioning_state", None)
    return str(getattr(value, "value", value) or "Succeeded")


def state_of(get: Callable[[], Any]) -> str:
    found = find(get)
    return GONE if found is None else provisioning_state(found)


def settle(run: AzRun, what: str, get: Callable[[], Any], why: Callable[[Any], str] = lambda it: "") -> Any:
    """Follow a resource until its create/update has finished; return it as last read.
    `why(resource)` explains a failure; one deleted meanwhile (Gone) fails too, not waits forever."""
    last: dict[str, Any] = {}

    def probe() -> str:
        last["it"] = found = find(get)
        return GONE if found is None else provisioning_state(found)

    run.wait_until(what, probe, READY, FAILED | {GONE}, why=lambda: why(last.get("it")))
    return last["it"]


def _writable(run: AzRun, what: str, get: Callable[[], Any]) -> Any:
    """The resource once no write of its own runs, or None: one being deleted (a teardown cut
    short) is waited out, one still being made or updated (a run killed after its PUT) is followed
    to Succeeded or Failed, since ARM refuses another PUT meanwhile (AnotherOperationInProgress)."""
    found = find(get)
    if found is not None and provisioning_state(found) == "Deleting":
        run.wait_until(f"the deletion of {what}", lambda: state_of(get), {GONE})
        return None
    if found is None or provisioning_state(found) in READY | FAILED:
        return found
    last: dict[str, Any] = {}

    def probe() -> str:
        last["it"] = now = find(get)
        return GONE if now is None else provisioning_state(now)

    run.wait_until(what, probe, READY | FAILED | {GONE})
    return last["it"]


def _text(value: Any) -> str:
    """An SDK enum or a plain string, as the string Azure sends."""
    return str(getattr(value, "value", value) or "")


def resource_group(run: AzRun) -> tuple[str, str]:
    from azure.mgmt.resource.resources.models import ResourceGroup

    groups, name, tags = run.resources.resource_groups, run.plan.resource_group, run.plan.tags()
    found = _writable(run, f"the resource group {name}", lambda: groups.get(name))
    if found is None:
        made = groups.create_or_update(name, ResourceGroup(location=run.plan.region, tags=tags))
        run.ids["resource_group"] = made.id
        return "created", f"{name} in {made.location}"
    if any((found.tags or {}).get(k) != v for k, v in tags.items()):
        # A group made by hand keeps its place and its tags; ours are added so the sweep finds it.
        groups.create_or_update(name, ResourceGroup(location=found.location, tags={**(found.tags or {}), **tags}))
    run.ids["resource_group"] = found.id
    return "found", f"{name} in {found.location}"


def virtual_network(run: AzRun) -> tuple[str, str]:
    from azure.mgmt.network.models import AddressSpace, Subnet, VirtualNetwork

    plan, vnets = run.plan, run.network.virtual_networks
    rg, name = plan.resource_group, plan.vnet_name
    get = lambda: vnets.get(rg, name)
    found = _writable(run, f"the virtual network {name}", get)
    status = "found"
    if found is None or provisioning_state(found) in FAILED or not _nodes_subnet(found):
        # Subnets someone added to a found network stay: a PUT without them would delete them.
        others = [s for s in (found.subnets or []) if s.name != NODES_SUBNET] if found else []
        vnets.begin_create_or_update(rg, name, VirtualNetwork(
            location=found.location if found else plan.region, tags={**((found.tags or {}) if found else {}),
                                                                       **plan.tags()},
            address_space=found.address_space if found else AddressSpace(address_prefixes=[plan.vnet_cidr]),
            subnets=[*others, Subnet(name=NODES_SUBNET, address_prefix=plan.nodes_subnet_cidr)]), polling=False)
        status = "created"
    elif (tags := with_ours(found.tags, plan.tags())) is not None:
        # Found whole but without our tags (made by hand, or tags removed): the same network, its
        # subnets as they are (the nodes' one is in use), with our tags added.
        found.tags = tags
        vnets.begin_create_or_update(rg, name, found, polling=False)
    vnet = settle(run, f"the virtual network {name}", get)
    subnet = _nodes_subnet(vnet)
    run.ids["vnet"], run.ids["subnet"] = vnet.id, subnet.id
    return status, (f"{name} ({', '.join(vnet.address_space.address_prefixes)}), subnet {NODES_SUBNET} "
                    f"({subnet.address_prefix})")


def _nodes_subnet(vnet: Any) -> Any:
    return next((s for s in vnet.subnets or [] if s.name == NODES_SUBNET), None)


def container_registry(run: AzRun) -> tuple[str, str]:
    from azure.mgmt.containerregistry.models import Registry, RegistryNameCheckRequest, Sku

    plan, registries = run.plan, run.acr.registries
    rg, name = plan.resource_group, plan.registry_name
    get = lambda: registries.get(rg, name)
    found = _writable(run, f"the container registry {name}", get)
    status = "found"
    if found is None:
        # Registry names are global across Azure: ask first, so a name someone else holds is
        # said as such rather than as a failed create.
        check = registries.check_name_availability(RegistryNameCheckRequest(
            name=name, type="Microsoft.ContainerRegistry/registries"))
        if not check.name_available:
            taken = check.reason == "AlreadyExists"
            raise CloudError(f"The registry name {name} is {'taken' if taken else 'not allowed'}",
                             f"Azure says: {check.message}",
                             "Registry names are unique across all of Azure, and this one is used by another "
                             "registry (in another resource group or someone else's account). If it is yours, "
                             f"move it into {rg} or delete it; otherwise choose another project name."
                             if taken else "Choose a project name with letters and digits.",
                             code=check.reason or "NameNotAvailable")
    if found is None or provisioning_state(found) in FAILED:
        registries.begin_create(rg, name, Registry(location=plan.region, tags=plan.tags(), sku=Sku(name="Basic"),
                                                   admin_user_enabled=False), polling=False)
        status = "created"
    elif found.admin_user_enabled or with_ours(found.tags, plan.tags()) is not None:
        # The admin user is a shared password to every image: the platform signs in with its
        # identity, so a found registry gets it switched off again, and our tags back. Its SKU
        # stays as found (a bigger one was chosen by someone, and costs nothing to keep).
        registries.begin_create(rg, name, Registry(location=found.location, sku=found.sku, admin_user_enabled=False,
                                                   tags=with_ours(found.tags, plan.tags()) or found.tags),
                                polling=False)
    registry = settle(run, f"the container registry {name}", get)
    run.ids["registry"], run.ids["login_server"] = registry.id, registry.login_server
    return status, f"{registry.login_server} (Basic)"


def cluster_spec(run: AzRun) -> Any:
    """The cluster as the platform needs it: OIDC issuer and workload identity for its pods'
    Azure identities, a system-assigned identity, one autoscaling system pool in our subnet.
    Azure CNI overlay takes pod IPs from AKS's default 10.244.0.0/16, outside the VNet's range."""
    from azure.mgmt.containerservice import models as m

    plan = run.plan
    return m.ManagedCluster(
        location=plan.region, tags=plan.tags(), sku=m.ManagedClusterSKU(name="Base", tier=plan.tier),
        identity=m.ManagedClusterIdentity(type="SystemAssigned"), dns_prefix=plan.cluster_name,
        kubernetes_version=plan.kubernetes_version or None,
        agent_pool_profiles=[m.ManagedClusterAgentPoolProfile(
            name=SYSTEM_POOL, mode="System", vm_size=plan.node_size, os_type="Linux",
            type="VirtualMachineScaleSets", enable_auto_scaling=True, count=plan.nodes_min,
            min_count=plan.nodes_min, max_count=plan.nodes_max, os_disk_size_gb=plan.node_disk_gb,
            vnet_subnet_id=run.ids["subnet"])],
        network_profile=m.ContainerServiceNetworkProfile(network_plugin="azure", network_plugin_mode="overlay"),
        oidc_issuer_profile=m.ManagedClusterOIDCIssuerProfile(enabled=True),
        security_profile=m.ManagedClusterSecurityProfile(
            workload_identity=m.ManagedClusterSecurityProfileWorkloadIdentity(enabled=True)))


def aks_cluster(run: AzRun) -> tuple[str, str]:
    clusters, rg, name = run.aks.managed_clusters, run.plan.resource_group, run.plan.cluster_name
    get = lambda: clusters.get(rg, name)
    what = f"the AKS cluster {name}"
    found = _writable(run, what, get)
    status = "found"
    if found is None or provisioning_state(found) in FAILED:
        # Sending a failed cluster again is how AKS retries it (it reconciles to the spec).
        clusters.begin_create_or_update(rg, name, cluster_spec(run), polling=False)
        status = "created"
    elif _converged(run, found):
        clusters.begin_create_or_update(rg, name, found, polling=False)  # the found cluster, set right
    cluster = settle(run, what, get, why=_provisioning_error)
    run.ids.update(cluster=cluster.id, fqdn=cluster.fqdn or "", node_resource_group=cluster.node_resource_group or "",
                   oidc_issuer=(cluster.oidc_issuer_profile.issuer_url if cluster.oidc_issuer_profile else "") or "")
    version = cluster.current_kubernetes_version or cluster.kubernetes_version
    return status, f"{name}, Kubernetes {version}, {cluster.fqdn}"


def _converged(run: AzRun, found: Any) -> bool:
    """Set back on the found cluster what the plan wants and AKS changes in place (our tags, the
    tier, the OIDC issuer, workload identity, the system pool's autoscaling); True if anything
    was off. Its version, VM size, disk, subnet and network plugin stay as found: AKS cannot change
    those in place (a VM size is a new pool), and a version is an upgrade, not a repair."""
    from azure.mgmt.containerservice import models as m

    plan, want, changed = run.plan, cluster_spec(run), False
    if (tags := with_ours(found.tags, plan.tags())) is not None:
        found.tags, changed = tags, True
    if found.sku is None or _text(found.sku.tier) != plan.tier:
        found.sku, changed = want.sku, True
    if not (found.oidc_issuer_profile and found.oidc_issuer_profile.enabled):
        found.oidc_issuer_profile, changed = want.oidc_issuer_profile, True
    security = found.security_profile or m.ManagedClusterSecurityProfile()
    if not (security.workload_identity and security.workload_identity.enabled):
        security.workload_identity = want.security_profile.workload_identity
        found.security_profile, changed = security, True
    pool = next((p for p in found.agent_pool_profiles or [] if p.name == SYSTEM_POOL), None)
    if pool is not None and (pool.enable_auto_scaling, pool.min_count, pool.max_count) != (
            True, plan.nodes_min, plan.nodes_max):
        pool.enable_auto_scaling, pool.min_count, pool.max_count = True, plan.nodes_min, plan.nodes_max
        pool.count = min(max(pool.count or plan.nodes_min, plan.nodes_min), plan.nodes_max)
        changed = True
    return changed


def _provisioning_error(cluster: Any) -> str:
    """AKS keeps why a cluster failed in status.provisioningError."""
    status = getattr(cluster, "status", None)
    error = getattr(status, "provisioning_error", None)
    return f"{error.code}: {error.message}" if error is not None else ""


def steps() -> list[Step]:
    # Labels start with a word the step runner may lowercase ("could not provision the ...").
    return [
        ("resource_group", "Resource group", resource_group),
        ("vnet", "Virtual network and nodes subnet", virtual_network),
        ("registry", "Container registry", container_registry),
        ("aks", "Kubernetes cluster (AKS)", aks_cluster),
    ]


def provision(run: AzRun, on_step: Callable[[StepState], None]) -> dict[str, str]:
    run_steps(run, steps(), on_step, "provision", azure_call)
    return dict(run.ids)
