"""Find-before-create converges on Azure (issue 12): provisioning or teardown killed at any request
that changes something, then run again, ends in exactly the state of a clean run: each resource
once, with the settings the create path gives it, and nothing else in the subscription touched.
The doubles' kill switch (wizard/sandbox/https/kill.py) stops every request once tripped."""
from __future__ import annotations

import time

import pytest
from azure.mgmt.containerregistry import ContainerRegistryManagementClient
from azure.mgmt.containerservice import ContainerServiceClient
from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.resource.resources import ResourceManagementClient

from wizard.azure.credentials import mgmt_kwargs
from wizard.azure.provision import AzRun, provision
from wizard.azure.teardown import teardown
from wizard.sandbox.azure import AzureDoubles

from .kill_sweep import kill_everywhere
from .azure_double_fixtures import NEEDED, cloud_of, credential
from .test_azure_provision import PLAN

PROVISIONING = ["groups.put", "vnet.put", "acr.put", "aks.put"]


@pytest.fixture(scope="module")
def started():
    """The doubles, with providers registered at once: each sweep point starts from the seed."""
    with AzureDoubles(registration_delay=0.0) as doubles:
        yield doubles


def client(az, cls):
    return cls(credential(az), az.subscription_id, **mgmt_kwargs(cloud_of(az)))


def _where(resource_id: str) -> str:
    """A resource's group and name path, without the subscription (which is not a setting)."""
    parts = resource_id.split("/")
    return "/".join(parts[4:5] + parts[8::2]).lower()


def _tags(item: dict) -> tuple:
    return tuple(sorted((item.get("tags") or {}).items()))


def _settings(r: dict) -> tuple:
    p, kind = r.get("properties") or {}, r["type"].rsplit("/", 1)[-1]
    if kind == "virtualNetworks":
        return (tuple(p["addressSpace"]["addressPrefixes"]),
                tuple(sorted((s["name"], s["properties"]["addressPrefix"]) for s in p.get("subnets") or [])))
    if kind == "registries":
        return r["sku"]["name"], p.get("adminUserEnabled"), p.get("loginServer")
    if kind == "managedClusters":
        pools = tuple(sorted((a["name"], a.get("mode"), a.get("vmSize"), a.get("osType"), a.get("count"),
                              a.get("enableAutoScaling"), a.get("minCount"), a.get("maxCount"), a.get("osDiskSizeGB"),
                              _where(a.get("vnetSubnetID") or "")) for a in p["agentPoolProfiles"]))
        network = p.get("networkProfile") or {}
        return (r["sku"]["tier"], (r.get("identity") or {}).get("type"), p.get("kubernetesVersion"),
                p.get("dnsPrefix"), (p.get("oidcIssuerProfile") or {}).get("enabled"), str(p.get("securityProfile")),
                network.get("networkPlugin"), network.get("networkPluginMode"), p.get("nodeResourceGroup"), pools)
    if kind == "resourceGroups":
        return (_where(r.get("managedBy") or ""),)
    return ()


def end_state(az) -> dict[str, list]:
    """Every group and resource of the subscription, with its settings and its state, plus the
    role assignments (names only: the cluster's identity and the ids are Azure's to draw)."""
    state: dict[str, list] = {"rbac": sorted((_where(ra["scope"]), ra["roleGuid"])
                                             for ra in az.arm.role_assignments.values())}
    for r in az.resources():
        state.setdefault(r["type"], []).append((
            _where(r["id"]), r.get("location"), (r.get("properties") or {}).get("provisioningState"), _tags(r),
            _settings(r)))
    return {kind: sorted(items) for kind, items in state.items()}


def new_run(az) -> AzRun:
    """A fresh run, as a relaunch makes one: a new credential, nothing remembered."""
    return AzRun(cloud_of(az), credential(az), az.subscription_id, PLAN, sleep=lambda s: None, poll_seconds=0.0)


def fresh_subscription(az) -> None:
    """The seed, the providers registered, and someone else's group and network."""
    az.clear()
    rm = client(az, ResourceManagementClient)
    for namespace in NEEDED:
        rm.providers.register(namespace)
    while any(rm.providers.get(ns).registration_state != "Registered" for ns in NEEDED):
        time.sleep(0.01)
    rm.resource_groups.create_or_update("other-rg", {"location": "eastus", "tags": {"team": "a"}})
    subnets = [{"name": "a", "properties": {"addressPrefix": "10.9.0.0/24"}}]
    client(az, NetworkManagementClient).virtual_networks.begin_create_or_update("other-rg", "other-vnet", {
        "location": "eastus", "properties": {"addressSpace": {"addressPrefixes": ["10.9.0.0/16"]}, "subnets": subnets}},
        polling_interval=0).result()


def act(job: str, az) -> None:
    if job == "provision":
        provision(new_run(az), lambda s: None)
    else:
        teardown(new_run(az), lambda s: None, delete_registry=job == "teardown+registry")


def prepare(job: str, az) -> None:
    fresh_subscription(az)
    if job != "provision":
        provision(new_run(az), lambda s: None)


def clean_run(job: str, az) -> tuple[dict[str, list], list[str]]:
    prepare(job, az)
    az.fail_at(0)  # off, and the mutation list emptied
    act(job, az)
    return end_state(az), az.mutations


def killed_then_resumed(job: str, az, k: int, *, after: bool) -> dict[str, list]:
    prepare(job, az)
    az.fail_at(k, after=after)
    with pytest.raises(Exception):  # noqa: B017, PT011 - any failure: the "killed" process stops
        act(job, az)
    assert len(az.mutations) == (k if after else k - 1), "the run did not stop at the failed request"
    az.fail_at(0)
    act(job, az)
    return end_state(az)


@pytest.fixture
def fast(az):
    az.set_provisioning_delay(0.0)
    yield az
    az.fail_at(0)


def test_a_clean_run_then_a_rerun_changes_nothing(fast):
    clean, made = clean_run("provision", fast)
    assert made == PROVISIONING
    ours = ("porter-cluster", "acme"), ("porter-managed-by", "porter-wizard")
    ((where, location, state, tags, settings),) = clean["Microsoft.ContainerService/managedClusters"]
    assert (where, location, state, tags) == ("acme-eastus/acme-aks", "eastus", "Succeeded", ours)
    assert settings[:2] == ("Standard", "SystemAssigned") and settings[4] is True
    assert settings[-1] == (("system", "System", "Standard_B4as_v2", "Linux", 2, True, 2, 4, 64,
                             "acme-eastus/acme-vnet/nodes"),)
    ((_, _, _, _, (sku, admin, _server)),) = clean["Microsoft.ContainerRegistry/registries"]
    assert (sku, admin) == ("Basic", False)
    assert len(clean["Microsoft.Network/virtualNetworks"]) == 2  # ours, and the other one
    assert len(clean["Microsoft.Resources/resourceGroups"]) == 3  # ours, AKS's node group, the other one
    fast.fail_at(0)
    act("provision", fast)
    assert fast.mutations == []  # idempotent: the second run only reads
    assert end_state(fast) == clean


@pytest.mark.parametrize("registry", [False, True])
def test_a_clean_teardown_leaves_only_what_is_not_ours(fast, registry):
    job = "teardown+registry" if registry else "teardown"
    clean, made = clean_run(job, fast)
    assert made == ["aks.delete", "vnet.delete", *(["groups.delete"] if registry else [])]
    assert [r[0] for r in clean["Microsoft.Network/virtualNetworks"]] == ["other-rg/other-vnet"]
    assert "Microsoft.ContainerService/managedClusters" not in clean
    assert [r[0] for r in clean["Microsoft.Resources/resourceGroups"]] == (
        ["other-rg"] if registry else ["acme-eastus", "other-rg"])
    assert len(clean.get("Microsoft.ContainerRegistry/registries", [])) == (0 if registry else 1)
    fast.fail_at(0)
    act(job, fast)
    assert fast.mutations == []
    assert end_state(fast) == clean


def test_found_resources_get_their_tags_and_settings_back(fast):
    """Damage a finished cluster the ways a kill or a hand edit can; a rerun repairs it all."""
    clean, _ = clean_run("provision", fast)
    rg = PLAN.resource_group
    rm, net = client(fast, ResourceManagementClient), client(fast, NetworkManagementClient)
    acr, aks = client(fast, ContainerRegistryManagementClient), client(fast, ContainerServiceClient)
    rm.resource_groups.create_or_update(rg, {"location": "eastus", "tags": {"team": "a"}})
    vnet = net.virtual_networks.get(rg, PLAN.vnet_name)
    vnet.tags = {}
    net.virtual_networks.begin_create_or_update(rg, PLAN.vnet_name, vnet, polling_interval=0).result()
    registry = acr.registries.get(rg, PLAN.registry_name)
    registry.tags, registry.admin_user_enabled = {"team": "a"}, True
    acr.registries.begin_create(rg, PLAN.registry_name, registry, polling_interval=0).result()
    cluster = aks.managed_clusters.get(rg, PLAN.cluster_name)
    cluster.tags = {}
    cluster.oidc_issuer_profile.enabled = False
    cluster.security_profile = None
    pool = cluster.agent_pool_profiles[0]
    pool.enable_auto_scaling, pool.min_count, pool.max_count = False, None, None
    aks.managed_clusters.begin_create_or_update(rg, PLAN.cluster_name, cluster, polling_interval=0).result()
    assert end_state(fast) != clean
    provision(new_run(fast), lambda s: None)
    repaired = end_state(fast)
    team = [("team", "a")]
    assert {k: v for k, v in repaired.items() if "registries" not in k and "resourceGroups" not in k} == \
        {k: v for k, v in clean.items() if "registries" not in k and "resourceGroups" not in k}
    # Tags someone added stay; ours come back.
    for kind in ("Microsoft.ContainerRegistry/registries", "Microsoft.Resources/resourceGroups"):
        ours = [item for item in repaired[kind] if item[0].startswith(rg.lower())]
        assert [(*i[:3], tuple(sorted([*i[3], *team])), i[4]) for i in clean[kind] if i[0].startswith(rg.lower())] \
            == ours
    fast.fail_at(0)
    provision(new_run(fast), lambda s: None)
    assert fast.mutations == []


@pytest.mark.parametrize("job", ["provision", "teardown", "teardown+registry"])
def test_killed_at_any_mutating_request_then_resumed_converges(fast, job):
    """The sweep: after-k for every k, plus before-1, covers every point a kill can stop a run
    (killing after k leaves Azure as killing before k+1 does; see the AWS sweep)."""
    clean, made = clean_run(job, fast)
    assert kill_everywhere(f"Azure {job}", clean, made,
                           lambda _, k, after: killed_then_resumed(job, fast, k, after=after)) == {}
    assert len(made) >= 2
