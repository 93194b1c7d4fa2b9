"""Azure teardown (wizard/azure/teardown.py) word for word, against the ARM double: a deletion
Azure reports as Failed stops the teardown with what Azure said and which resource, and a second
run asks again; the leftovers list finds what is left in the group whether tagged or not, the
group itself, a project name with a quote in Azure's OData filter, and a refused listing says
what the wizard could not do."""
from __future__ import annotations

import pytest
from azure.mgmt.network import NetworkManagementClient

from wizard.azure.credentials import mgmt_kwargs
from wizard.azure.plan import plan_for
from wizard.azure.provision import provision
from wizard.azure.teardown import PORTAL, leftovers, teardown
from wizard.errors import CloudError

from .azure_double_fixtures import cloud_of, credential
from .test_azure_provision import AKS, GROUP, PLAN, VNET, new_run, outcomes

FIX = ("Fix what Azure names (the portal's Activity log has the details), then resume: the wizard "
       "asks Azure to try it again.")


def network_client(az) -> NetworkManagementClient:
    return NetworkManagementClient(credential(az), az.subscription_id, **mgmt_kwargs(cloud_of(az)))


def add_vnet(az, group: str, name: str, tags: dict[str, str] | None) -> None:
    body = {"location": "eastus", "properties": {"addressSpace": {"addressPrefixes": ["10.9.0.0/16"]}}}
    if tags is not None:
        body["tags"] = tags
    network_client(az).virtual_networks.begin_create_or_update(group, name, body, polling_interval=0.02).result()


@pytest.mark.parametrize("kind,step,subject", [
    ("aks", "aks", f"the AKS cluster {PLAN.cluster_name}"),
    ("vnet", "vnet", f"the virtual network {PLAN.vnet_name}"),
])
def test_a_deletion_azure_reports_failed_stops_there_then_a_second_run_deletes_it(ready, kind, step, subject):
    provision(new_run(ready), lambda s: None)
    ready.fail_deletion(kind, "CannotDeleteLoadBalancerWithPrivateLinkService", "from the test")
    seen = []
    with pytest.raises(CloudError) as caught:
        teardown(new_run(ready), seen.append)
    err = caught.value
    assert (err.title, err.what, err.next_step, err.code) == (
        f"Deleting {subject} failed", f"Azure reports deleting {subject} as Failed.", FIX, "Failed")
    assert outcomes(seen)[step] == "failed" and "registry" not in outcomes(seen)  # it went no further
    failed = {r["name"]: r["properties"]["provisioningState"] for r in ready.resources()}
    assert failed[subject.rsplit(" ", 1)[-1]] == "Failed"  # still there, as Azure leaves it

    seen = []
    teardown(new_run(ready), seen.append)  # a failed resource is asked to go again
    after = {"aks": "deleted" if step == "aks" else "absent", "vnet": "deleted", "registry": "kept"}
    assert outcomes(seen) == after


def test_leftovers_list_everything_in_the_group_tagged_or_not_and_the_group(ready):
    provision(new_run(ready), lambda s: None)
    teardown(new_run(ready), lambda s: None)
    add_vnet(ready, PLAN.resource_group, "users-own", None)  # no tag: found because it is in our group
    run = new_run(ready)
    run.resources.resource_groups.create_or_update(PLAN.resource_group, {"location": "eastus"})  # tags gone
    left = {(x.type, x.name): x for x in leftovers(run)}
    assert set(left) == {(VNET, "users-own"), ("Microsoft.ContainerRegistry/registries", PLAN.registry_name),
                         (GROUP, PLAN.resource_group)}
    group = left[(GROUP, PLAN.resource_group)]
    group_id = f"/subscriptions/{ready.subscription_id}/resourceGroups/{PLAN.resource_group}"
    assert (group.id, group.portal_url) == (group_id, f"{PORTAL}{group_id}")
    assert list(left)[-1] == (GROUP, PLAN.resource_group)  # resources first, then groups


def test_leftovers_match_a_project_name_with_a_quote_exactly(ready):
    """OData quotes a quote by doubling it; unescaped, Azure refuses the filter (400)."""
    from azure.mgmt.resource.resources import ResourceManagementClient

    plan = plan_for("o'neil", "eastus")
    ResourceManagementClient(credential(ready), ready.subscription_id, **mgmt_kwargs(cloud_of(ready))) \
        .resource_groups.create_or_update("elsewhere", {"location": "eastus"})
    add_vnet(ready, "elsewhere", "theirs", plan.tags())
    add_vnet(ready, "elsewhere", "another-project", plan_for("o", "eastus").tags())
    assert [(x.type, x.name) for x in leftovers(new_run(ready, plan=plan))] == [(VNET, "theirs")]


def test_a_refused_listing_says_what_could_not_be_done(ready):
    nobody = ready.add_service_principal("no-rights", arm_role=None)
    with pytest.raises(CloudError) as caught:
        leftovers(new_run(ready, nobody))
    assert caught.value.title == "Azure denied access"
    assert caught.value.what.startswith("Your identity may not list what is left in the subscription. Azure said: ")


def test_an_aks_cluster_already_being_deleted_is_followed_not_deleted_again(ready):
    provision(new_run(ready), lambda s: None)
    ready.set_provisioning_delay(0.5)
    clusters = new_run(ready).aks.managed_clusters
    clusters.begin_delete(PLAN.resource_group, PLAN.cluster_name, polling=False)
    before = ready.arm.requests.count("aks.delete")
    seen = []
    teardown(new_run(ready), seen.append)
    assert outcomes(seen)["aks"] == "deleted" and ready.arm.requests.count("aks.delete") == before
    assert not [r for r in ready.resources() if r["type"] == AKS]


def test_the_steps_in_order_with_their_labels_and_a_refusal_names_the_step(ready):
    provision(new_run(ready), lambda s: None)
    reader = ready.add_service_principal("reader", arm_role="Reader")  # may look, not delete
    seen = []
    with pytest.raises(CloudError) as caught:
        teardown(new_run(ready, reader), seen.append)
    assert [(s.key, s.label) for s in seen[:3]] == [
        ("aks", "Kubernetes cluster (AKS)"), ("vnet", "Virtual network"),
        ("registry", "Resource group and container registry")]
    assert caught.value.title == "Azure denied access"
    assert caught.value.what.startswith("Your identity may not delete the Kubernetes cluster (AKS). Azure said: ")


def test_kept_group_says_what_stays_with_or_without_a_registry(ready):
    provision(new_run(ready), lambda s: None)
    seen = []
    teardown(new_run(ready), seen.append)
    rg, registry = PLAN.resource_group, PLAN.registry_name
    assert [s.detail for s in seen if s.key == "registry" and s.finished][-1:] == [
        f"{rg} and its registry {registry} stay, with your build images: delete the group in the portal "
        "when you no longer need them."]
    new_run(ready).acr.registries.begin_delete(rg, registry, polling_interval=0.02).result()
    seen = []
    teardown(new_run(ready), seen.append)
    assert [(s.status, s.detail) for s in seen if s.key == "registry" and s.finished][-1:] == [
        ("kept", f"{rg} stays (it holds no registry now): delete it in the portal if it is empty.")]


@pytest.mark.parametrize("delete_registry", [False, True])
def test_a_group_already_being_deleted_is_followed_whether_or_not_it_was_to_be_kept(ready, delete_registry):
    from wizard.azure.teardown import group_and_registry

    provision(new_run(ready), lambda s: None)
    ready.set_provisioning_delay(0.3)
    run = new_run(ready)
    run.resources.resource_groups.begin_delete(PLAN.resource_group, polling=False)
    assert group_and_registry(run, delete_registry) == (
        "deleted", f"{PLAN.resource_group}, with the registry {PLAN.registry_name} and its images")
    assert ready.arm.requests.count("groups.delete") == 1  # followed, not asked twice
    assert not [r for r in ready.resources() if r["name"] == PLAN.resource_group]
