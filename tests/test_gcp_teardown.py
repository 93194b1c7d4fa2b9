"""Teardown on Google Cloud against the doubles, through google-auth: everything provisioning
made goes (the repository only when asked), an interrupted teardown resumes, and the sweep lists
what is left, with console links."""
from __future__ import annotations

import time

import pytest

from wizard.errors import Cancelled, CloudError
from wizard.gcp.plan import GkePlan
from wizard.gcp.provision import GcpRun, provision
from wizard.gcp.teardown import Leftover, leftovers, steps, teardown

from .gcp_fixtures import api_for

REGION = "us-central1"
KEYS = ["cluster", "subnetwork", "firewalls", "network", "repository"]


def make_run(gcp, api, **kwargs) -> GcpRun:
    plan = GkePlan(project="Demo App", gcp_project=gcp.project_id, region=REGION)
    return GcpRun(api, plan, sleep=lambda s: None, poll_seconds=0.0, **kwargs)


def tear(run: GcpRun, **kwargs) -> dict[str, tuple[str, str]]:
    seen: dict[str, tuple[str, str]] = {}
    teardown(run, lambda state: seen.__setitem__(state.key, (state.status, state.detail)), **kwargs)
    return seen


def provisioned(gcp, api) -> GcpRun:
    gcp.enable_apis()
    provision(make_run(gcp, api), lambda state: None)
    return make_run(gcp, api)


def test_steps_in_order():
    assert [key for key, _label, _act in steps()] == KEYS


def test_teardown_after_provision_keeps_the_repository(gcp, gcp_api):
    run = provisioned(gcp, gcp_api)
    plan = run.plan
    # A rule someone added by hand on our network: the network cannot go while it is there.
    gcp_api.post("compute", run.compute_path("global/firewalls"), {
        "name": "allow-ssh", "network": f"global/networks/{plan.network}", "sourceRanges": ["0.0.0.0/0"],
        "allowed": [{"IPProtocol": "tcp", "ports": ["22"]}]})
    seen = tear(run)
    assert [seen[key][0] for key in KEYS] == ["deleted", "deleted", "deleted", "deleted", "kept"]
    assert seen["firewalls"][1] == "allow-ssh"  # GKE's own went with the cluster
    assert "stays" in seen["repository"][1]
    assert gcp_api.find("container", run.location_path(REGION, f"clusters/{plan.cluster}")) is None
    assert gcp_api.find("compute", run.compute_path(f"global/networks/{plan.network}")) is None
    assert gcp_api.find("compute", run.compute_path(f"regions/{REGION}/subnetworks/{plan.subnetwork}")) is None
    assert "items" not in gcp_api.get("compute", run.compute_path("global/firewalls"))
    left = leftovers(gcp_api, plan)
    assert left == [Leftover("repository", plan.repository, REGION,
                             f"https://console.cloud.google.com/artifacts/docker/{gcp.project_id}/{REGION}/"
                             f"{plan.repository}?project={gcp.project_id}")]


def test_teardown_deletes_the_repository_when_asked(gcp, gcp_api):
    run = provisioned(gcp, gcp_api)
    seen = tear(run, delete_registry=True)
    assert seen["repository"][0] == "deleted"
    assert gcp_api.find("artifactregistry", run.location_path(REGION, f"repositories/{run.plan.repository}")) is None
    assert leftovers(gcp_api, run.plan) == []


def test_gke_firewalls_left_on_the_network_are_deleted(gcp, gcp_api):
    run = provisioned(gcp, gcp_api)
    link = gcp_api.get("compute", run.compute_path(f"global/networks/{run.plan.network}"))["selfLink"]
    # As when GKE could not clean up: its rules are still there after the cluster has gone.
    gcp.compute.add_leftover("firewall", "gke-demo-app-gke-1234abcd-all", "global", network=link)
    seen = tear(run)
    assert "gke-demo-app-gke-1234abcd-all" in seen["firewalls"][1] and seen["network"][0] == "deleted"


def test_sweep_finds_planted_leftovers(gcp, gcp_api):
    run = provisioned(gcp, gcp_api)
    tear(run, delete_registry=True)
    p = gcp.project_id
    gcp.compute.add_leftover("disk", "pvc-0a1b", f"{REGION}-b", {"goog-k8s-cluster-name": run.plan.cluster})
    gcp.compute.add_leftover("address", "ingress-ip", REGION, {"porter-cluster": "demo-app"})
    gcp.compute.add_leftover("forwarding_rule", "a1b2c3", REGION, {"porter-cluster": "demo-app"})
    gcp.compute.add_leftover("disk", "someone-elses", f"{REGION}-a", {"porter-cluster": "other"})
    left = leftovers(gcp_api, run.plan)
    assert {(item.kind, item.name, item.location) for item in left} == {
        ("disk", "pvc-0a1b", f"{REGION}-b"), ("address", "ingress-ip", REGION), ("forwarding rule", "a1b2c3", REGION)}
    disk = next(item for item in left if item.kind == "disk")
    assert disk.console_url == (f"https://console.cloud.google.com/compute/disksDetail/zones/{REGION}-b/disks/"
                                f"pvc-0a1b?project={p}")


def test_sweep_lists_the_marked_network_and_the_cluster(gcp, gcp_api):
    run = provisioned(gcp, gcp_api)
    kinds = {item.kind: item for item in leftovers(gcp_api, run.plan)}
    assert set(kinds) == {"network", "subnetwork", "firewall rule", "GKE cluster", "repository"}
    assert kinds["GKE cluster"].console_url.endswith(
        f"/kubernetes/clusters/details/{REGION}/{run.plan.cluster}/details?project={gcp.project_id}")


def test_teardown_on_nothing_is_all_absent(gcp, gcp_api):
    gcp.enable_apis()
    seen = tear(make_run(gcp, gcp_api))
    assert [seen[key][0] for key in KEYS] == ["absent"] * 5
    assert leftovers(gcp_api, make_run(gcp, gcp_api).plan) == []


def test_teardown_follows_deletions_already_under_way(gcp, gcp_api):
    run = provisioned(gcp, gcp_api)
    gcp.set_operation_delay(0.3)
    plan = run.plan
    gcp_api.delete("container", run.location_path(REGION, f"clusters/{plan.cluster}"))  # a teardown cut short
    slow = make_run(gcp, gcp_api)
    slow.poll_seconds, slow.sleep = 0.05, time.sleep
    seen = tear(slow)
    assert [seen[key][0] for key in KEYS] == ["deleted", "deleted", "absent", "deleted", "kept"]
    assert gcp.container.requests.count("delete_cluster") == 1


def test_teardown_waits_for_a_cluster_still_being_made(gcp, gcp_api):
    gcp.enable_apis()
    gcp.set_operation_delay(0.3)
    run = make_run(gcp, gcp_api, cancelled=lambda: "create_cluster" in gcp.container.requests)
    run.poll_seconds, run.sleep = 0.05, time.sleep
    with pytest.raises(Cancelled):  # Esc during the cluster's create
        provision(run, lambda state: None)
    slow = make_run(gcp, gcp_api)
    slow.poll_seconds, slow.sleep = 0.05, time.sleep
    seen = tear(slow)
    assert seen["cluster"][0] == "deleted" and seen["network"][0] == "deleted"


def test_subnetwork_in_use_says_googles_words(gcp, gcp_api):
    run = provisioned(gcp, gcp_api)
    # Something of the user's still in the subnetwork (as GKE's nodes hold it).
    gcp.compute.hold(gcp.compute.rel("subnetworks", REGION, run.plan.subnetwork),
                     f"projects/{gcp.project_id}/zones/{REGION}-a/instances/build-box")
    with pytest.raises(CloudError) as caught:
        tear(run)
    assert caught.value.code == "RESOURCE_IN_USE_BY_ANOTHER_RESOURCE"
    assert "instances/build-box" in caught.value.what and "delete that first" in caught.value.next_step


def test_permission_denied_on_delete(gcp, gcp_api):
    run = provisioned(gcp, gcp_api)
    email = gcp.add_service_account("viewer", {"container.clusters.get"})
    with pytest.raises(CloudError) as caught:
        tear(make_run(gcp, api_for(gcp, gcp.make_key(email))))
    assert caught.value.title == "Google Cloud denied access" and "container.clusters.delete" in caught.value.what
    assert gcp_api.find("container", run.location_path(REGION, f"clusters/{run.plan.cluster}")) is not None


def test_a_network_the_wizard_did_not_make_is_never_deleted(gcp, gcp_api):
    """Same name, no porter-cluster marker (made by hand before the wizard ran): teardown keeps it,
    its subnetwork and the rules on it, and says why."""
    gcp.enable_apis()
    run = make_run(gcp, gcp_api)
    plan = run.plan
    gcp_api.post("compute", run.compute_path("global/networks"), {"name": plan.network, "autoCreateSubnetworks": False})
    gcp_api.post("compute", run.compute_path(f"regions/{REGION}/subnetworks"), {
        "name": plan.subnetwork, "network": f"global/networks/{plan.network}", "ipCidrRange": "10.1.0.0/24"})
    gcp_api.post("compute", run.compute_path("global/firewalls"), {
        "name": "team-ssh", "network": f"global/networks/{plan.network}", "sourceRanges": ["10.0.0.0/8"],
        "allowed": [{"IPProtocol": "tcp", "ports": ["22"]}]})
    seen = tear(run)
    assert [seen[key][0] for key in KEYS] == ["absent", "kept", "absent", "kept", "absent"]
    assert "not made by the wizard" in seen["network"][1] and "not made by the wizard" in seen["subnetwork"][1]
    assert gcp_api.find("compute", run.compute_path(f"global/networks/{plan.network}")) is not None
    assert gcp_api.find("compute", run.compute_path("global/firewalls/team-ssh")) is not None


def test_a_cluster_without_the_label_is_kept(gcp, gcp_api):
    run = provisioned(gcp, gcp_api)
    plan = run.plan
    # Someone's own cluster of the same name (the double lets us strip the label in place).
    with gcp.world.lock:
        gcp.container.clusters[(plan.region, plan.cluster)]["resourceLabels"] = {}
    seen: dict[str, tuple[str, str]] = {}
    # Its nodes still use the subnetwork, so the teardown stops there, in Google's words.
    with pytest.raises(CloudError, match="already being used"):
        teardown(run, lambda state: seen.__setitem__(state.key, (state.status, state.detail)))
    assert seen["cluster"][0] == "kept" and "not made by the wizard" in seen["cluster"][1]
    assert gcp_api.find("container", run.location_path(REGION, f"clusters/{plan.cluster}")) is not None
