"""Azure provisioning and teardown (wizard/azure/provision.py, teardown.py) with the real
azure-mgmt-* clients against the local ARM double over HTTPS: what gets built, idempotence,
resuming, failures in Azure's words, and a teardown that keeps the registry unless asked."""
from __future__ import annotations

import uuid

import pytest

from wizard.azure import role
from wizard.azure.credentials import mgmt_kwargs
from wizard.azure.plan import plan_for
from wizard.azure.provision import AzRun, provision
from wizard.azure.teardown import leftovers, teardown
from wizard.errors import Cancelled, CloudError

from .azure_double_fixtures import cloud_of, credential


PLAN = plan_for("acme", "eastus", tier="Standard")
AKS, VNET, ACR, GROUP = ("Microsoft.ContainerService/managedClusters", "Microsoft.Network/virtualNetworks",
                         "Microsoft.ContainerRegistry/registries", "Microsoft.Resources/resourceGroups")
PROVISION_KEYS = ["resource_group", "vnet", "registry", "aks"]


def new_run(az, sp=None, plan=PLAN, **kwargs) -> AzRun:
    return AzRun(cloud_of(az), credential(az, sp), az.subscription_id, plan, poll_seconds=0.02, **kwargs)


def outcomes(seen) -> dict[str, str]:
    return {s.key: s.status for s in seen if s.finished}


def of_type(az, kind: str) -> list[dict]:
    return [r for r in az.resources() if r["type"] == kind]


def test_provision_builds_exactly_the_plan(ready):
    seen = []
    ids = provision(new_run(ready), seen.append)
    assert outcomes(seen) == {key: "created" for key in PROVISION_KEYS}

    tags = {"porter-cluster": "acme", "porter-managed-by": "porter-wizard"}
    groups = {g["name"]: g for g in of_type(ready, GROUP)}
    assert set(groups) == {"acme-eastus", "MC_acme-eastus_acme-aks_eastus"}  # AKS makes its node group
    assert groups["acme-eastus"]["tags"] == tags and groups["acme-eastus"]["location"] == "eastus"
    assert sorted(r["type"] for r in ready.resources() if r["type"] != GROUP) == sorted([AKS, VNET, ACR])

    (vnet,) = of_type(ready, VNET)
    assert (vnet["name"], vnet["tags"]) == ("acme-vnet", tags)
    assert vnet["properties"]["addressSpace"]["addressPrefixes"] == ["10.80.0.0/16"]
    assert [(s["name"], s["properties"]["addressPrefix"]) for s in vnet["properties"]["subnets"]] == \
        [("nodes", "10.80.0.0/20")]

    (registry,) = of_type(ready, ACR)
    assert (registry["name"], registry["tags"], registry["sku"]["name"]) == (PLAN.registry_name, tags, "Basic")
    assert registry["properties"]["adminUserEnabled"] is False
    assert ids["login_server"] == registry["properties"]["loginServer"] == f"{PLAN.registry_name}.azurecr.io"

    (cluster,) = of_type(ready, AKS)
    props = cluster["properties"]
    assert (cluster["name"], cluster["tags"], cluster["sku"]["tier"]) == ("acme-aks", tags, "Standard")
    assert cluster["identity"]["type"] == "SystemAssigned" and cluster["identity"]["principalId"]
    assert props["provisioningState"] == "Succeeded"
    assert props["oidcIssuerProfile"]["enabled"] is True
    assert props["securityProfile"] == {"workloadIdentity": {"enabled": True}}
    assert (props["networkProfile"]["networkPlugin"], props["networkProfile"]["networkPluginMode"]) == \
        ("azure", "overlay")
    (pool,) = props["agentPoolProfiles"]
    assert {k: pool[k] for k in ("name", "mode", "vmSize", "enableAutoScaling", "count", "minCount", "maxCount",
                                 "osDiskSizeGB", "osType")} == {
        "name": "system", "mode": "System", "vmSize": "Standard_B4as_v2", "enableAutoScaling": True, "count": 2,
        "minCount": 2, "maxCount": 4, "osDiskSizeGB": 64, "osType": "Linux"}
    assert pool["vnetSubnetID"] == ids["subnet"] == vnet["properties"]["subnets"][0]["id"]

    assert ids["resource_group"] == groups["acme-eastus"]["id"] and ids["vnet"] == vnet["id"]
    assert ids["registry"] == registry["id"] and ids["cluster"] == cluster["id"]
    assert ids["oidc_issuer"] == props["oidcIssuerProfile"]["issuerURL"] and ids["oidc_issuer"].startswith("https://")
    assert ids["fqdn"] == props["fqdn"] and ids["fqdn"].endswith(".hcp.eastus.azmk8s.io")
    # The steps poll the resources themselves (Esc can stop a wait), not through the SDK pollers.
    assert "operations.get" not in ready.arm.requests
    assert [r for r in ready.arm.requests if r.endswith(".put")] == ["groups.put", "vnet.put", "acr.put", "aks.put"]


def test_a_second_run_finds_everything_and_writes_nothing(ready):
    first = provision(new_run(ready), lambda s: None)
    before = len(ready.arm.requests)
    seen = []
    again = provision(new_run(ready), seen.append)
    assert outcomes(seen) == {key: "found" for key in PROVISION_KEYS}
    assert again == first
    writes = [r for r in ready.arm.requests[before:] if r.rsplit(".", 1)[-1] in ("put", "delete")]
    assert writes == []
    assert len(of_type(ready, AKS)) == 1 and len(of_type(ready, VNET)) == 1


def test_a_cancelled_run_resumes_by_following_the_cluster_it_started(ready):
    ready.set_provisioning_delay(1.0)  # room to see it mid-way on a busy machine
    stop = {"now": False}

    def on_step(state):
        if state.key == "aks" and state.status == "working":
            stop["now"] = True  # Esc while AKS is still creating

    with pytest.raises(Cancelled):
        provision(new_run(ready, cancelled=lambda: stop["now"]), on_step)
    (cluster,) = of_type(ready, AKS)
    assert cluster["properties"]["provisioningState"] == "Creating"  # Azure carries on without us

    seen = []
    ids = provision(new_run(ready), seen.append)
    assert outcomes(seen)["aks"] == "found"
    assert ready.arm.requests.count("aks.put") == 1  # followed, not created twice
    assert of_type(ready, AKS)[0]["properties"]["provisioningState"] == "Succeeded"
    assert ids["cluster"] == cluster["id"]


def test_a_failed_cluster_is_a_clear_error_and_a_rerun_retries_it(ready):
    ready.fail_provisioning("aks", "QuotaExceeded", "Operation could not be completed as it results in exceeding "
                                                    "approved standardBasv2Family Cores quota.")
    seen = []
    with pytest.raises(CloudError) as caught:
        provision(new_run(ready), seen.append)
    error = caught.value
    assert error.title == "The AKS cluster acme-aks failed" and error.code == "Failed"
    assert "QuotaExceeded: Operation could not be completed" in error.what and "acme-aks" in error.what
    assert outcomes(seen) == {"resource_group": "created", "vnet": "created", "registry": "created", "aks": "failed"}

    seen = []
    provision(new_run(ready), seen.append)  # the quota was fixed: the same cluster is sent again
    assert outcomes(seen)["aks"] == "created" and ready.arm.requests.count("aks.put") == 2
    assert of_type(ready, AKS)[0]["properties"]["provisioningState"] == "Succeeded"


def test_an_unregistered_provider_is_named_with_the_way_out(az):
    az.set_provisioning_delay(0.05)  # a new subscription: Microsoft.Network is not registered
    seen = []
    with pytest.raises(CloudError) as caught:
        provision(new_run(az), seen.append)
    error = caught.value
    assert error.code == "MissingSubscriptionRegistration"
    assert error.title == "Microsoft.Network is not registered" and "resource providers" in error.next_step
    assert outcomes(seen) == {"resource_group": "created", "vnet": "failed"}
    assert [r["name"] for r in az.resources()] == ["acme-eastus"]


def test_the_restricted_role_may_provision_and_no_role_may_not(ready):
    from azure.mgmt.authorization import AuthorizationManagementClient
    from azure.mgmt.authorization.models import RoleAssignmentCreateParameters

    auth = AuthorizationManagementClient(credential(ready), ready.subscription_id, **mgmt_kwargs(cloud_of(ready)))
    role_id = role.put(auth, ready.subscription_id, role.find(auth, ready.subscription_id))
    porter = ready.add_service_principal("azure-porter-restricted-sp", arm_role=None)
    nobody = new_run(ready, porter)
    with pytest.raises(CloudError) as denied:
        provision(nobody, lambda s: None)
    assert denied.value.title == "Azure denied access" and denied.value.code == "AuthorizationFailed"
    assert of_type(ready, GROUP) == []

    auth.role_assignments.create(ready.subscription_scope, str(uuid.uuid4()), RoleAssignmentCreateParameters(
        role_definition_id=role_id, principal_id=porter.object_id, principal_type="ServicePrincipal"))
    ids = provision(new_run(ready, porter), lambda s: None)  # including subnets/join on the cluster's subnet
    assert ids["cluster"].endswith("/managedClusters/acme-aks")


def test_a_registry_name_held_elsewhere_is_said_so(ready):
    from azure.mgmt.containerregistry import ContainerRegistryManagementClient
    from azure.mgmt.containerregistry.models import Registry, Sku
    from azure.mgmt.resource.resources import ResourceManagementClient

    kwargs = mgmt_kwargs(cloud_of(ready))
    ResourceManagementClient(credential(ready), ready.subscription_id, **kwargs).resource_groups.create_or_update(
        "someone-else", {"location": "westeurope"})
    ContainerRegistryManagementClient(credential(ready), ready.subscription_id, **kwargs).registries.begin_create(
        "someone-else", PLAN.registry_name, Registry(location="westeurope", sku=Sku(name="Basic")),
        polling_interval=0.02).result()
    seen = []
    with pytest.raises(CloudError) as caught:
        provision(new_run(ready), seen.append)
    assert caught.value.title == f"The registry name {PLAN.registry_name} is taken"
    assert f"{PLAN.registry_name}.azurecr.io is already in use" in caught.value.what
    assert caught.value.code == "AlreadyExists" and outcomes(seen)["registry"] == "failed"
    assert ready.arm.requests.count("acr.put") == 1  # only the other one


def test_teardown_removes_cluster_and_network_and_keeps_the_registry(ready):
    provision(new_run(ready), lambda s: None)
    seen = []
    run = new_run(ready)
    teardown(run, seen.append)
    assert outcomes(seen) == {"aks": "deleted", "vnet": "deleted", "registry": "kept"}
    kept = next(s for s in seen if s.key == "registry" and s.finished)
    assert "build images" in kept.detail and PLAN.registry_name in kept.detail
    assert sorted((r["type"], r["name"]) for r in ready.resources()) == \
        [(ACR, PLAN.registry_name), (GROUP, "acme-eastus")]  # the node group went with the cluster

    left = leftovers(run)
    assert [(x.type, x.name) for x in left] == [(ACR, PLAN.registry_name), (GROUP, "acme-eastus")]
    assert left[1].portal_url == f"https://portal.azure.com/#@/resource/subscriptions/{ready.subscription_id}" \
                                 "/resourceGroups/acme-eastus"


def test_leftovers_include_tagged_resources_outside_the_group(ready):
    from azure.mgmt.network import NetworkManagementClient
    from azure.mgmt.resource.resources import ResourceManagementClient

    kwargs = mgmt_kwargs(cloud_of(ready))
    ResourceManagementClient(credential(ready), ready.subscription_id, **kwargs).resource_groups.create_or_update(
        "stray", {"location": "eastus"})
    NetworkManagementClient(credential(ready), ready.subscription_id, **kwargs).virtual_networks.begin_create_or_update(
        "stray", "old-vnet", {"location": "eastus", "tags": PLAN.tags(), "properties": {
            "addressSpace": {"addressPrefixes": ["10.9.0.0/16"]}}}, polling_interval=0.02).result()
    assert [(x.type, x.name) for x in leftovers(new_run(ready))] == [(VNET, "old-vnet")]


def test_teardown_with_the_registry_removes_everything_and_twice_is_safe(ready):
    provision(new_run(ready), lambda s: None)
    seen = []
    teardown(new_run(ready), seen.append, delete_registry=True)
    assert outcomes(seen) == {"aks": "deleted", "vnet": "deleted", "registry": "deleted"}
    assert ready.resources() == [] and leftovers(new_run(ready)) == []

    for delete_registry in (True, False):
        seen = []
        teardown(new_run(ready), seen.append, delete_registry=delete_registry)
        assert outcomes(seen) == {"aks": "absent", "vnet": "absent", "registry": "absent"}


def test_an_interrupted_teardown_follows_the_deletion_it_started(ready):
    provision(new_run(ready), lambda s: None)
    ready.set_provisioning_delay(1.0)  # room to see it mid-way on a busy machine
    stop = {"now": False}

    def on_step(state):
        if state.key == "aks" and state.status == "working":
            stop["now"] = True

    with pytest.raises(Cancelled):
        teardown(new_run(ready, cancelled=lambda: stop["now"]), on_step)
    assert of_type(ready, AKS)[0]["properties"]["provisioningState"] == "Deleting"
    seen = []
    teardown(new_run(ready), seen.append)
    assert outcomes(seen) == {"aks": "deleted", "vnet": "deleted", "registry": "kept"}
    assert ready.arm.requests.count("aks.delete") == 1
