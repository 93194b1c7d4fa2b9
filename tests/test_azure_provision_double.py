"""The ARM double's resource groups, VNets, AKS clusters and registries, driven by the real
azure-mgmt-* clients and their own LRO pollers over HTTPS: ARM's wire shapes (201/202, the
Azure-AsyncOperation and Location headers, operation bodies), what each provider checks and fills,
and the controls (delay, failures, faults) the provisioning tests rely on."""
from __future__ import annotations

import time
import uuid

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.core.rest import HttpRequest
from azure.mgmt.containerregistry import ContainerRegistryManagementClient
from azure.mgmt.containerservice import ContainerServiceClient
from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.resource.resources import ResourceManagementClient

from .azure_double_fixtures import arm, secret_credential

NEEDED = ("Microsoft.Network", "Microsoft.ContainerService", "Microsoft.ContainerRegistry")
FAST = {"polling_interval": 0.02}  # the SDK pollers' wait; the double sends no Retry-After


class Clients:
    def __init__(self, az, sp=None, **extra):
        cred = secret_credential(az, sp.client_id, sp.client_secret) if sp else secret_credential(az)
        kwargs = arm(az, **extra)
        self.rm = ResourceManagementClient(cred, az.subscription_id, **kwargs)
        self.net = NetworkManagementClient(cred, az.subscription_id, **kwargs)
        self.aks = ContainerServiceClient(cred, az.subscription_id, **kwargs)
        self.acr = ContainerRegistryManagementClient(cred, az.subscription_id, **kwargs)


@pytest.fixture
def cz(az):
    az.set_provisioning_delay(0.05)
    clients = Clients(az)
    for namespace in NEEDED:
        clients.rm.providers.register(namespace)
    while any(clients.rm.providers.get(ns).registration_state != "Registered" for ns in NEEDED):
        time.sleep(0.05)
    clients.rm.resource_groups.create_or_update("rg", {"location": "East US", "tags": {"team": "a"}})
    return clients


def vnet_body(*subnets, tags=None):
    return {"location": "eastus", "tags": tags or {}, "properties": {
        "addressSpace": {"addressPrefixes": ["10.1.0.0/16"]},
        "subnets": [{"name": n, "properties": {"addressPrefix": p}} for n, p in subnets]}}


def cluster_body(subnet_id=None, **props):
    pool = {"name": "system", "mode": "System", "vmSize": "Standard_B2as_v2", "count": 1}
    if subnet_id:
        pool["vnetSubnetID"] = subnet_id
    return {"location": "eastus", "properties": {"dnsPrefix": "c1", "agentPoolProfiles": [pool], **props}}


def send(client, method, url, body=None):
    return client.send_request(HttpRequest(method, url, json=body))


def test_a_put_is_201_creating_with_an_async_operation_that_ends_succeeded(az, cz):
    az.set_provisioning_delay(0.5)
    path = f"/subscriptions/{az.subscription_id}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v1"
    made = send(cz.net, "PUT", f"{az.arm_url}{path}?api-version=2026-03-01", vnet_body(("a", "10.1.0.0/24")))
    assert made.status_code == 201 and made.json()["properties"]["provisioningState"] == "Updating"
    operation = made.headers["Azure-AsyncOperation"]
    assert operation.startswith(f"{az.arm_url}/subscriptions/{az.subscription_id}/providers/Microsoft.Network/"
                                "locations/eastus/operations/") and operation.endswith("?api-version=2026-03-01")
    assert send(cz.net, "GET", operation).json()["status"] == "InProgress"
    time.sleep(0.55)
    done = send(cz.net, "GET", operation).json()
    assert done["status"] == "Succeeded" and done["endTime"] >= done["startTime"]
    again = send(cz.net, "PUT", f"{az.arm_url}{path}?api-version=2026-03-01", vnet_body(("a", "10.1.0.0/24")))
    assert again.status_code == 200 and again.json()["properties"]["provisioningState"] == "Updating"

    busy = send(cz.net, "PUT", f"{az.arm_url}{path}?api-version=2026-03-01", vnet_body(("a", "10.1.0.0/24")))
    assert busy.status_code == 409 and busy.json()["error"]["code"] == "AnotherOperationInProgress"
    gone = send(cz.net, "DELETE", f"{az.arm_url}{path}?api-version=2026-03-01")  # a delete may cut in
    assert gone.status_code == 202 and "/operationResults/" in gone.headers["Location"]
    assert "/operations/" in gone.headers["Azure-AsyncOperation"]
    assert send(cz.net, "GET", gone.headers["Location"]).status_code == 202
    time.sleep(0.55)
    assert send(cz.net, "GET", gone.headers["Location"]).status_code == 204
    assert send(cz.net, "DELETE", f"{az.arm_url}{path}?api-version=2026-03-01").status_code == 204  # idempotent


def test_the_sdk_pollers_create_and_delete_and_a_group_delete_takes_everything(az, cz):
    vnet = cz.net.virtual_networks.begin_create_or_update("rg", "v1", vnet_body(("nodes", "10.1.0.0/20")),
                                                         **FAST).result()
    assert vnet.provisioning_state == "Succeeded" and vnet.subnets[0].provisioning_state == "Succeeded"
    cluster = cz.aks.managed_clusters.begin_create_or_update("rg", "c1", cluster_body(
        vnet.subnets[0].id, oidcIssuerProfile={"enabled": True}), **FAST).result()
    assert (cluster.provisioning_state, cluster.power_state.code) == ("Succeeded", "Running")
    assert cluster.node_resource_group == "MC_rg_c1_eastus" and cluster.kubernetes_version  # a default version
    assert cluster.oidc_issuer_profile.issuer_url.startswith("https://eastus.oic.prod-aks.azure.com/")
    assert cluster.identity.type == "SystemAssigned" and uuid.UUID(cluster.identity.principal_id)
    assert cluster.sku.tier == "Free" and cluster.fqdn.endswith(".hcp.eastus.azmk8s.io")
    assert cluster.network_profile.network_plugin == "azure"
    registry = cz.acr.registries.begin_create("rg", "teamreg01", {"location": "eastus", "sku": {"name": "Basic"}},
                                              **FAST).result()
    assert registry.login_server == "teamreg01.azurecr.io" and registry.sku.tier == "Basic"
    assert {g.name for g in cz.rm.resource_groups.list()} == {"rg", "MC_rg_c1_eastus"}

    cz.aks.managed_clusters.begin_delete("rg", "c1", **FAST).result()
    with pytest.raises(ResourceNotFoundError):
        cz.aks.managed_clusters.get("rg", "c1")
    assert {g.name for g in cz.rm.resource_groups.list()} == {"rg"}  # the node group went with it
    cz.rm.resource_groups.begin_delete("rg", **FAST).result()
    assert not cz.rm.resource_groups.check_existence("rg")
    assert az.resources() == []
    assert "groups.operationResult" in az.arm.requests and "operations.get" in az.arm.requests


def test_a_failed_create_fails_the_sdk_poller_in_azures_words(az, cz):
    az.fail_provisioning("Microsoft.ContainerService/managedClusters", "VMSizeNotSupported",
                         "The VM size of Standard_B2as_v2 is not supported in eastus.")
    with pytest.raises(HttpResponseError, match="VMSizeNotSupported"):
        cz.aks.managed_clusters.begin_create_or_update("rg", "c1", cluster_body(), **FAST).result()
    failed = cz.aks.managed_clusters.get("rg", "c1")
    assert failed.provisioning_state == "Failed"
    assert failed.status.provisioning_error.code == "VMSizeNotSupported"
    # One failure only: the retry AKS recommends (PUT again) reconciles it.
    fixed = cz.aks.managed_clusters.begin_create_or_update("rg", "c1", cluster_body(), **FAST).result()
    assert fixed.provisioning_state == "Succeeded" and fixed.status is None


def test_ARM_refuses_writes_it_would_refuse(az, cz):
    client = Clients(az, retry_total=0)
    with pytest.raises(ResourceNotFoundError) as no_group:
        client.net.virtual_networks.begin_create_or_update("nope", "v", vnet_body(), **FAST)
    assert no_group.value.error.code == "ResourceGroupNotFound"
    az.arm.providers[az.subscription_id]["microsoft.containerregistry"].state = "NotRegistered"
    with pytest.raises(ResourceExistsError) as unregistered:
        client.acr.registries.begin_create("rg", "teamreg01", {"location": "eastus", "sku": {"name": "Basic"}})
    assert unregistered.value.status_code == 409
    assert unregistered.value.error.code == "MissingSubscriptionRegistration"
    assert "namespace 'Microsoft.ContainerRegistry'" in unregistered.value.error.message
    with pytest.raises(HttpResponseError) as outside:
        client.net.virtual_networks.begin_create_or_update("rg", "v", vnet_body(("a", "10.2.0.0/24")))
    assert outside.value.error.code == "NetcfgSubnetRangeOutsideVnet"
    with pytest.raises(HttpResponseError) as no_system_pool:
        client.aks.managed_clusters.begin_create_or_update("rg", "c", {"location": "eastus", "properties": {
            "agentPoolProfiles": [{"name": "user", "mode": "User", "vmSize": "x", "count": 1}]}})
    assert no_system_pool.value.error.code == "MustDefineAtLeastOneSystemPool"
    with pytest.raises(ResourceExistsError) as moved:
        client.rm.resource_groups.create_or_update("rg", {"location": "westus"})
    assert moved.value.error.code == "InvalidResourceGroupLocation"


def test_a_subnet_in_use_by_aks_cannot_be_deleted(az, cz):
    vnet = cz.net.virtual_networks.begin_create_or_update("rg", "v1", vnet_body(("nodes", "10.1.0.0/20")),
                                                         **FAST).result()
    cz.aks.managed_clusters.begin_create_or_update("rg", "c1", cluster_body(vnet.subnets[0].id), **FAST).result()
    subnet = cz.net.subnets.get("rg", "v1", "nodes")
    assert "/resourceGroups/MC_RG_C1_EASTUS/providers/Microsoft.Compute/virtualMachineScaleSets/" in \
        subnet.ip_configurations[0].id
    for attempt in (lambda: cz.net.virtual_networks.begin_delete("rg", "v1"),
                    lambda: cz.net.virtual_networks.begin_create_or_update("rg", "v1",
                                                                           vnet_body(("b", "10.1.16.0/20")))):
        with pytest.raises(HttpResponseError) as caught:
            attempt()
        assert caught.value.status_code == 400 and caught.value.error.code == "InUseSubnetCannotBeDeleted"
        assert f"Subnet nodes is in use by {subnet.ip_configurations[0].id}" in caught.value.error.message
    cz.aks.managed_clusters.begin_delete("rg", "c1", **FAST).result()
    cz.net.virtual_networks.begin_delete("rg", "v1", **FAST).result()
    assert [r["name"] for r in az.resources()] == ["rg"]


def test_joining_a_subnet_needs_its_own_permission(az, cz):
    from azure.mgmt.authorization import AuthorizationManagementClient
    from azure.mgmt.authorization.models import Permission, RoleAssignmentCreateParameters, RoleDefinition

    vnet = cz.net.virtual_networks.begin_create_or_update("rg", "v1", vnet_body(("nodes", "10.1.0.0/20")),
                                                         **FAST).result()
    auth = AuthorizationManagementClient(secret_credential(az), az.subscription_id, **arm(az))
    scope = az.subscription_scope
    no_join = auth.role_definitions.create_or_update(scope, str(uuid.uuid4()), RoleDefinition(
        role_name="no-join", role_type="CustomRole", assignable_scopes=[scope], permissions=[Permission(
            actions=["*"], not_actions=["Microsoft.Network/virtualNetworks/subnets/join/action"])]))
    sp = az.add_service_principal("limited", arm_role=None)
    limited = Clients(az, sp, retry_total=0)
    with pytest.raises(HttpResponseError) as nothing:
        limited.aks.managed_clusters.get("rg", "c1")
    assert nothing.value.status_code == 403 and nothing.value.error.code == "AuthorizationFailed"
    auth.role_assignments.create(scope, str(uuid.uuid4()), RoleAssignmentCreateParameters(
        role_definition_id=no_join.id, principal_id=sp.object_id, principal_type="ServicePrincipal"))
    with pytest.raises(HttpResponseError) as linked:
        limited.aks.managed_clusters.begin_create_or_update("rg", "c1", cluster_body(vnet.subnets[0].id))
    assert linked.value.status_code == 403 and linked.value.error.code == "LinkedAuthorizationFailed"
    assert not [r for r in az.resources() if r["type"].endswith("managedClusters")]


def test_registry_names_are_global_in_the_double(az, cz):
    check = cz.acr.registries.check_name_availability
    kind = "Microsoft.ContainerRegistry/registries"
    assert check({"name": "ab", "type": kind}).reason == "Invalid"
    assert check({"name": "teamreg01", "type": kind}).name_available is True
    cz.acr.registries.begin_create("rg", "teamreg01", {"location": "eastus", "sku": {"name": "Basic"}}, **FAST).result()
    taken = check({"name": "TeamReg01", "type": kind})
    assert (taken.name_available, taken.reason) == (False, "AlreadyExists")
    cz.rm.resource_groups.create_or_update("other", {"location": "eastus"})
    with pytest.raises(ResourceExistsError) as caught:
        cz.acr.registries.begin_create("other", "teamreg01", {"location": "eastus", "sku": {"name": "Basic"}})
    assert caught.value.error.code == "AlreadyInUse" and "teamreg01.azurecr.io" in caught.value.error.message


def test_listings_filter_by_tag_and_group(az, cz):
    cz.rm.resource_groups.create_or_update("other", {"location": "eastus", "tags": {"team": "b"}})
    for group, name, team in (("rg", "v1", "a"), ("other", "v2", "a"), ("other", "v3", "b")):
        cz.net.virtual_networks.begin_create_or_update(group, name, vnet_body(tags={"team": team}), **FAST).result()
    tagged = cz.rm.resources.list(filter="tagName eq 'team' and tagValue eq 'a'")
    assert sorted((r.name, r.type, r.location, r.tags["team"]) for r in tagged) == [
        ("v1", "Microsoft.Network/virtualNetworks", "eastus", "a"), ("v2", "Microsoft.Network/virtualNetworks",
                                                                     "eastus", "a")]
    assert sorted(r.name for r in cz.rm.resources.list_by_resource_group("other")) == ["v2", "v3"]
    assert [g.name for g in cz.rm.resource_groups.list(filter="tagName eq 'team' and tagValue eq 'b'")] == ["other"]
    assert cz.rm.resource_groups.get("rg").tags == {"team": "a"}


def test_faults_and_latency_apply_to_the_new_routes(az, cz):
    client = Clients(az, retry_total=0)
    az.arm.inject("groups.put", status=429, code="TooManyRequests", message="slow down", retry_after=3)
    with pytest.raises(HttpResponseError) as throttled:
        client.rm.resource_groups.create_or_update("new", {"location": "eastus"})
    assert throttled.value.status_code == 429 and throttled.value.response.headers["Retry-After"] == "3"
    assert not client.rm.resource_groups.check_existence("new")  # the throttled call changed nothing
    az.arm.inject("aks.get", status=503, code="ServiceUnavailable", message="try later")
    with pytest.raises(HttpResponseError) as unavailable:
        client.aks.managed_clusters.get("rg", "c1")
    assert unavailable.value.status_code == 503
    az.arm.latency("groups.head", 0.3)
    started_at = time.monotonic()
    assert client.rm.resource_groups.check_existence("rg")
    assert time.monotonic() - started_at >= 0.3
    with pytest.raises(KeyError):
        az.arm.inject("aks.nope", status=500, code="x", message="y")


def test_clear_empties_resources_and_pending_failures_but_keeps_the_delay(az, cz):
    az.set_provisioning_delay(0.2)
    az.fail_provisioning("acr", "Conflict", "no")
    az.clear()
    assert az.resources() == [] and az.arm.resource_state.failures == {}
    assert az.arm.resource_state.provisioning_delay == 0.2
    with pytest.raises(KeyError):
        az.fail_provisioning("Microsoft.Compute/virtualMachines", "x", "y")
