"""Azure provisioning (wizard/azure/provision.py) word for word, where the ARM double is lenient:
the AKS cluster's PUT body exactly as AKS gets it (the double fills AKS's defaults for what is
missing, so only the body shows a dropped identity, SKU name or network plugin, which real AKS
would default differently or refuse), each single drift of a found cluster set back on its own,
the node count brought inside the plan's bounds, and AKS's reason for a failed cluster."""
from __future__ import annotations

import dataclasses
import types

import pytest
from azure.mgmt.containerservice import models as m

from wizard.azure.plan import plan_for
from wizard.azure.provision import GONE, _converged, _provisioning_error, _text, cluster_spec, state_of

SUBNET = "/subscriptions/s/resourceGroups/acme-eastus/providers/Microsoft.Network/virtualNetworks/acme-vnet/subnets/nodes"
TAGS = {"porter-cluster": "acme", "porter-managed-by": "porter-wizard"}


def run_for(**plan_changes) -> types.SimpleNamespace:
    """What cluster_spec and _converged read of a run: the plan and the subnet made before."""
    plan = dataclasses.replace(plan_for("acme", "eastus", tier="Standard"), **plan_changes)
    return types.SimpleNamespace(plan=plan, ids={"subnet": SUBNET})


def test_the_cluster_is_asked_for_exactly_as_planned():
    assert cluster_spec(run_for()).as_dict() == {
        "location": "eastus", "tags": TAGS, "sku": {"name": "Base", "tier": "Standard"},
        "identity": {"type": "SystemAssigned"},
        "properties": {
            "dnsPrefix": "acme-aks",
            "agentPoolProfiles": [{
                "name": "system", "mode": "System", "vmSize": "Standard_B4as_v2", "osType": "Linux",
                "type": "VirtualMachineScaleSets", "enableAutoScaling": True, "count": 2, "minCount": 2,
                "maxCount": 4, "osDiskSizeGB": 64, "vnetSubnetID": SUBNET}],
            "networkProfile": {"networkPlugin": "azure", "networkPluginMode": "overlay"},
            "oidcIssuerProfile": {"enabled": True},
            "securityProfile": {"workloadIdentity": {"enabled": True}}}}


def test_a_planned_kubernetes_version_is_asked_for_and_none_lets_aks_choose():
    assert cluster_spec(run_for(kubernetes_version="1.33")).as_dict()["properties"]["kubernetesVersion"] == "1.33"
    assert "kubernetesVersion" not in cluster_spec(run_for()).as_dict()["properties"]


def found_cluster(**drift) -> m.ManagedCluster:
    """The cluster as planned, then with one thing changed by hand in the portal."""
    cluster = cluster_spec(run_for())
    for name, value in drift.items():
        setattr(cluster, name, value)
    return cluster


def test_a_cluster_as_planned_needs_no_write():
    assert _converged(run_for(), found_cluster()) is False


@pytest.mark.parametrize("drift", [
    {"tags": {"owner": "ops"}},
    {"sku": m.ManagedClusterSKU(name="Base", tier="Free")},
    {"sku": None},
    {"oidc_issuer_profile": m.ManagedClusterOIDCIssuerProfile(enabled=False)},
    {"oidc_issuer_profile": None},
    {"security_profile": m.ManagedClusterSecurityProfile()},
    {"security_profile": None},
])
def test_each_drift_alone_is_set_back_and_asks_for_a_write(drift):
    found, run = found_cluster(**drift), run_for()
    assert _converged(run, found) is True
    want = cluster_spec(run).as_dict()
    got = found.as_dict()
    assert got["tags"] == {**drift.get("tags", {}), **TAGS}
    assert got["sku"] == want["sku"]
    for part in ("oidcIssuerProfile", "securityProfile"):
        assert got["properties"][part] == want["properties"][part]


@pytest.mark.parametrize("autoscaling,count,count_after", [
    (False, 3, 3), (True, 10, 4), (True, 1, 2), (True, None, 2), (True, 0, 2),
])
def test_the_system_pool_is_set_back_to_autoscale_within_the_plan(autoscaling, count, count_after):
    found = found_cluster()
    pool = found.agent_pool_profiles[0]
    pool.enable_auto_scaling, pool.count, pool.min_count, pool.max_count = autoscaling, count, 1, 9
    assert _converged(run_for(), found) is True
    assert (pool.enable_auto_scaling, pool.min_count, pool.max_count, pool.count) == (True, 2, 4, count_after)


def test_a_cluster_without_our_system_pool_keeps_its_pools():
    found = found_cluster()
    found.agent_pool_profiles[0].name = "userpool"
    found.agent_pool_profiles[0].enable_auto_scaling = False
    assert _converged(run_for(), found) is False
    assert found.agent_pool_profiles[0].enable_auto_scaling is False


def test_aks_s_reason_for_a_failure_is_read_from_its_status():
    failed = m.ManagedCluster({"location": "eastus", "properties": {"status": {"provisioningError": {
        "code": "VMSizeNotSupported", "message": "not here"}}}})
    assert _provisioning_error(failed) == "VMSizeNotSupported: not here"
    assert _provisioning_error(m.ManagedCluster(location="eastus")) == ""
    assert _provisioning_error(None) == ""  # gone meanwhile: nothing to explain


def test_enums_and_strings_read_as_the_string_azure_sends():
    assert _text(m.ManagedClusterSKUTier.STANDARD) == "Standard"
    assert _text("Standard") == "Standard" and _text(None) == ""


def test_the_state_of_a_resource_or_gone():
    from azure.core.exceptions import ResourceNotFoundError

    def missing():
        raise ResourceNotFoundError("404")

    deleting = m.ManagedCluster({"location": "eastus", "properties": {"provisioningState": "Deleting"}})
    assert state_of(lambda: deleting) == "Deleting"
    assert state_of(missing) == GONE
