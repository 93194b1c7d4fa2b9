"""Teardown on Google Cloud, word for word: what each step says it did (deleted, absent, kept and
why), the sweep's every kind of leftover with its console link, and deletions met half-way."""
from __future__ import annotations

import time

import pytest

from wizard.errors import CloudError, WizardError
from wizard.gcp.session import GcpHttpError
from wizard.gcp.plan import GkePlan
from wizard.gcp.provision import GcpRun, provision
from wizard.gcp.teardown import Leftover, leftovers, teardown
from wizard.gcp.teardown import cluster as cluster_step
from wizard.gcp.teardown import firewalls as firewalls_step
from wizard.gcp.teardown import network as network_step
from wizard.gcp.teardown import repository as repository_step
from wizard.gcp.teardown import subnetwork as subnetwork_step

from .gcp_fixtures import api_for, fake_clock

REGION = "us-central1"
CONSOLE = "https://console.cloud.google.com"
NOT_OURS = ": not made by the wizard (no porter-cluster marker), left alone"
KEPT_REPOSITORY = ("demo-app-images in us-central1 stays, with your build images: delete it in the console "
                   "(Artifact Registry) when you no longer need them.")


def make_run(gcp, api, region: str = REGION) -> GcpRun:
    return GcpRun(api, GkePlan("Demo App", gcp.project_id, region), sleep=lambda s: None, poll_seconds=0.0)


def tear(run: GcpRun, **kwargs) -> dict[str, tuple[str, str, str]]:
    seen: dict[str, tuple[str, str, str]] = {}
    teardown(run, lambda state: seen.__setitem__(state.key, (state.label, state.status, state.detail)), **kwargs)
    return seen


def provisioned(gcp, api) -> GcpRun:
    gcp.enable_apis()
    provision(make_run(gcp, api), lambda state: None)
    return make_run(gcp, api)


def _rule(api, run: GcpRun, name: str, network: str = "demo-app-vpc") -> None:
    api.post("compute", run.compute_path("global/firewalls"), {
        "name": name, "network": f"global/networks/{network}", "sourceRanges": ["0.0.0.0/0"],
        "allowed": [{"IPProtocol": "tcp", "ports": ["22"]}]})


def test_each_step_says_what_it_deleted_word_for_word(gcp, gcp_api):
    run = provisioned(gcp, gcp_api)
    _rule(gcp_api, run, "allow-ssh")
    _rule(gcp_api, run, "allow-web")
    assert tear(run) == {
        "cluster": ("GKE cluster", "deleted", "demo-app-gke in us-central1"),
        "subnetwork": ("Subnetwork", "deleted", "demo-app-nodes in us-central1"),
        "firewalls": ("Firewall rules on the network", "deleted", "allow-ssh, allow-web"),
        "network": ("VPC network", "deleted", "demo-app-vpc"),
        "repository": ("Image repository (Artifact Registry)", "kept", KEPT_REPOSITORY),
    }


def test_a_second_teardown_says_each_is_absent_and_the_repository_goes_when_asked(gcp, gcp_api):
    run = provisioned(gcp, gcp_api)
    first = tear(run, delete_registry=True)
    assert first["firewalls"][1:] == ("absent", "none on demo-app-vpc")  # GKE's own went with the cluster
    assert first["repository"][1:] == ("deleted", "demo-app-images, with its images")
    assert {key: state[1:] for key, state in tear(make_run(gcp, gcp_api), delete_registry=True).items()} == {
        "cluster": ("absent", "demo-app-gke"), "subnetwork": ("absent", "demo-app-nodes in us-central1"),
        "firewalls": ("absent", "demo-app-vpc"), "network": ("absent", "demo-app-vpc"),
        "repository": ("absent", "demo-app-images")}


def test_what_the_wizard_did_not_make_is_kept_word_for_word(gcp, gcp_api):
    run = provisioned(gcp, gcp_api)
    with gcp.world.lock:
        gcp.container.clusters[(REGION, "demo-app-gke")]["resourceLabels"] = {"team": "a"}
    with pytest.raises(WizardError):  # its nodes hold the subnetwork
        tear(run)
    seen: dict[str, tuple[str, str]] = {}
    with pytest.raises(WizardError):
        teardown(make_run(gcp, gcp_api), lambda state: seen.__setitem__(state.key, (state.status, state.detail)))
    assert seen["cluster"] == ("kept", "demo-app-gke: not made by the wizard (no porter-cluster label), left alone")


def test_a_network_and_subnetwork_without_the_marker_are_kept_word_for_word(gcp, gcp_api):
    gcp.enable_apis()
    run = make_run(gcp, gcp_api)
    gcp_api.post("compute", run.compute_path("global/networks"),
                 {"name": "demo-app-vpc", "autoCreateSubnetworks": False, "description": "the team's"})
    gcp_api.post("compute", run.compute_path(f"regions/{REGION}/subnetworks"), {
        "name": "demo-app-nodes", "network": "global/networks/demo-app-vpc", "ipCidrRange": "10.1.0.0/24"})
    seen = tear(run)
    assert seen["subnetwork"][1:] == ("kept", "demo-app-nodes in us-central1" + NOT_OURS)
    assert seen["network"][1:] == ("kept", "demo-app-vpc" + NOT_OURS)
    assert seen["firewalls"][1:] == ("absent", "demo-app-vpc")


def test_a_cluster_labelled_by_gke_only_is_ours(gcp, gcp_api):
    run = provisioned(gcp, gcp_api)
    with gcp.world.lock:
        gcp.container.clusters[(REGION, "demo-app-gke")]["resourceLabels"] = {"goog-k8s-cluster-name": "demo-app-gke"}
    assert tear(run)["cluster"][1] == "deleted"


def test_a_subnetwork_deletion_already_under_way_is_followed(gcp, gcp_api):
    run = provisioned(gcp, gcp_api)
    cluster_step(run)  # its nodes hold the subnetwork
    gcp.set_operation_delay(0.3)
    subnet = run.compute_path(f"regions/{REGION}/subnetworks/demo-app-nodes")
    gcp_api.delete("compute", subnet)  # a teardown cut short
    run.poll_seconds, run.sleep = 0.05, time.sleep
    assert subnetwork_step(run) == ("deleted", "demo-app-nodes in us-central1")
    assert gcp.compute.requests.count("delete_subnetwork") == 2  # the step's answered "not ready", then followed
    assert gcp_api.find("compute", subnet) is None


def test_a_network_gone_between_the_look_and_the_delete_is_absent(gcp, gcp_api):
    run = provisioned(gcp, gcp_api)
    cluster_step(run)
    subnetwork_step(run)
    gcp.compute.inject("delete_network", status=404, code="notFound", message="The resource was not found")
    assert network_step(run) == ("absent", "demo-app-vpc")


def test_the_sweep_lists_every_kind_with_its_console_link(gcp, gcp_api):
    run = provisioned(gcp, gcp_api)
    p = gcp.project_id
    gcp.compute.add_leftover("disk", "pvc-0a1b", f"{REGION}-b", {"goog-k8s-cluster-name": "demo-app-gke"})
    gcp.compute.add_leftover("address", "ingress-ip", REGION, {"porter-cluster": "demo-app"})
    gcp.compute.add_leftover("forwarding_rule", "a1b2c3", REGION, {"porter-cluster": "demo-app"})
    rules = sorted(rule["name"] for rule in gcp_api.get("compute", run.compute_path("global/firewalls"))["items"])
    assert leftovers(gcp_api, run.plan) == [
        Leftover("disk", "pvc-0a1b", f"{REGION}-b",
                 f"{CONSOLE}/compute/disksDetail/zones/{REGION}-b/disks/pvc-0a1b?project={p}"),
        Leftover("address", "ingress-ip", REGION, f"{CONSOLE}/networking/addresses/list?project={p}"),
        Leftover("forwarding rule", "a1b2c3", REGION, f"{CONSOLE}/net-services/loadbalancing/advanced/"
                 f"forwardingRules/details/regions/{REGION}/forwardingRules/a1b2c3?project={p}"),
        Leftover("subnetwork", "demo-app-nodes", REGION,
                 f"{CONSOLE}/networking/subnetworks/details/{REGION}/demo-app-nodes?project={p}"),
        *[Leftover("firewall rule", name, "global", f"{CONSOLE}/networking/firewalls/details/{name}?project={p}")
          for name in rules],
        Leftover("network", "demo-app-vpc", "global",
                 f"{CONSOLE}/networking/networks/details/demo-app-vpc?project={p}"),
        Leftover("GKE cluster", "demo-app-gke", REGION,
                 f"{CONSOLE}/kubernetes/clusters/details/{REGION}/demo-app-gke/details?project={p}"),
        Leftover("repository", "demo-app-images", REGION,
                 f"{CONSOLE}/artifacts/docker/{p}/{REGION}/demo-app-images?project={p}"),
    ]
    assert len(rules) == 3  # GKE's own


def test_the_sweep_knows_ours_by_name_label_or_marker_only(gcp, gcp_api):
    gcp.enable_apis()
    run = make_run(gcp, gcp_api)
    # A network of our name made by hand still blocks nothing of ours, but is listed to look at.
    gcp_api.post("compute", run.compute_path("global/networks"),
                 {"name": "demo-app-vpc", "autoCreateSubnetworks": False})
    gcp_api.post("compute", run.compute_path("global/networks"), {"name": "other-vpc", "autoCreateSubnetworks": False})
    _rule(gcp_api, run, "team-ssh", "other-vpc")
    # A network of ours by its marker, from a run that named it otherwise.
    gcp_api.post("compute", run.compute_path("global/networks"), {
        "name": "old-demo-app", "autoCreateSubnetworks": False, "description": "Porter (porter-cluster=demo-app)"})
    gcp.compute.add_leftover("disk", "unlabelled", f"{REGION}-a")
    gcp.compute.add_leftover("address", "theirs", REGION, {"porter-cluster": "other", "goog-k8s-cluster-name": "x"})
    repositories = run.location_path(REGION, "repositories")
    for repo, labels in (("demo-app-images", {}), ("demo-app-cache", {"porter-cluster": "demo-app"}),
                         ("team-images", {"porter-cluster": "other"})):
        gcp_api.post("artifactregistry", repositories, {"format": "DOCKER", "labels": labels},
                     params={"repositoryId": repo})
    assert [(item.kind, item.name) for item in leftovers(gcp_api, run.plan)] == [
        ("network", "demo-app-vpc"), ("network", "old-demo-app"), ("repository", "demo-app-cache"),
        ("repository", "demo-app-images")]


def test_the_sweep_with_the_apis_off_or_an_unknown_region_finds_nothing(gcp, gcp_api):
    assert leftovers(gcp_api, make_run(gcp, gcp_api).plan) == []  # none of the five on
    gcp.enable_apis()
    # Artifact Registry answers 404 for a location it does not have.
    gcp.artifacts.inject("list_repositories", status=404, code="NOT_FOUND", message="Location mars-north1 not found.")
    assert leftovers(gcp_api, make_run(gcp, gcp_api, "mars-north1").plan) == []


def test_the_sweep_finds_a_cluster_of_our_name_in_another_location(gcp, gcp_api):
    run = provisioned(gcp, gcp_api)
    zone = f"{REGION}-a"
    gcp_api.post("container", run.location_path(zone, "clusters"), {"cluster": {
        "name": "demo-app-gke", "network": "demo-app-vpc", "subnetwork": "demo-app-nodes"}})
    clusters = [item for item in leftovers(gcp_api, run.plan) if item.kind == "GKE cluster"]
    assert [(item.location, item.console_url) for item in clusters] == [
        (loc, f"{CONSOLE}/kubernetes/clusters/details/{loc}/demo-app-gke/details?project={gcp.project_id}")
        for loc in (REGION, zone)]


def test_a_sweep_that_cannot_list_says_what_it_was_doing(gcp):
    gcp.enable_apis()
    api = api_for(gcp, gcp.make_key(gcp.add_service_account("blind", set())))
    with pytest.raises(WizardError) as caught:
        leftovers(api, make_run(gcp, api).plan)
    assert caught.value.title == "Google Cloud denied access"
    assert caught.value.what.startswith("The service account may not list what is left in the project. Google said: ")


def test_a_listing_refused_after_the_compute_lists_is_an_error_too(gcp):
    gcp.enable_apis()
    compute = {f"compute.{c}.list" for c in ("disks", "addresses", "forwardingRules", "subnetworks", "networks",
                                                  "firewalls")}
    api = api_for(gcp, gcp.make_key(gcp.add_service_account("no-gke", compute)))
    with pytest.raises(WizardError) as caught:
        leftovers(api, make_run(gcp, api).plan)
    assert "container.clusters.list" in caught.value.what


def test_a_refused_delete_names_the_step_word_for_word(gcp, gcp_api):
    run = provisioned(gcp, gcp_api)
    api = api_for(gcp, gcp.make_key(gcp.add_service_account("viewer", {"container.clusters.get"})))
    with pytest.raises(CloudError) as caught:
        tear(make_run(gcp, api))
    assert caught.value.what == (
        "The service account may not delete the GKE cluster. Google said: Permission 'container.clusters.delete' "
        f"denied on resource 'projects/{gcp.project_id}' (or it may not exist).")
    assert gcp_api.find("container", run.location_path(REGION, "clusters/demo-app-gke")) is not None


def test_a_subnetwork_in_use_says_so_word_for_word(gcp, gcp_api):
    run = provisioned(gcp, gcp_api)
    user = f"projects/{gcp.project_id}/zones/{REGION}-a/instances/build-box"
    gcp.compute.hold(gcp.compute.rel("subnetworks", REGION, "demo-app-nodes"), user)
    with pytest.raises(CloudError) as caught:
        tear(run)
    assert (caught.value.title, caught.value.what, caught.value.next_step) == (
        "Deleting the subnetwork demo-app-nodes failed",
        f"Google Cloud answered: The subnetwork resource 'projects/{gcp.project_id}/regions/{REGION}/subnetworks/"
        f"demo-app-nodes' is already being used by '{user}'",
        "Something else still uses it (Google names it above): delete that first in the console, or wait for the "
        "cluster's deletion to finish, then press Retry.")


def test_a_delete_refused_for_another_reason_is_not_taken_for_one_under_way(gcp, gcp_api):
    run = provisioned(gcp, gcp_api)
    cluster_step(run)
    gcp.compute.inject("delete_subnetwork", status=400, code="badRequest", message="Invalid resource usage.")
    run.cancelled = lambda: True  # a wait (for a deletion thought under way) would stop here
    with pytest.raises(GcpHttpError, match="Invalid resource usage"):
        subnetwork_step(run)


def test_a_subnetwork_deletion_under_way_is_waited_for_fifteen_minutes_at_most(gcp, gcp_api, monkeypatch):
    run = provisioned(gcp, gcp_api)
    cluster_step(run)
    gcp.set_operation_delay(3600)
    gcp_api.delete("compute", run.compute_path(f"regions/{REGION}/subnetworks/demo-app-nodes"))
    waits = fake_clock(monkeypatch, run, 300.1)
    with pytest.raises(CloudError) as caught:
        subnetwork_step(run)
    assert waits == [0.0, 300.1, 600.2]  # still waiting at 600 s, given up at 900.3 s
    assert (caught.value.title, caught.value.what, caught.value.code) == (
        "Deleting the subnetwork demo-app-nodes is taking too long",
        "Deleting the subnetwork demo-app-nodes is still there.", "Timeout")


@pytest.mark.parametrize("status", ["RUNNING", "DEGRADED", "ERROR"])
def test_a_running_degraded_or_failed_cluster_is_deleted_without_waiting(gcp, gcp_api, status):
    run = provisioned(gcp, gcp_api)
    with gcp.world.lock:
        gcp.container.clusters[(REGION, "demo-app-gke")]["status"] = status
    run.cancelled = lambda: True  # any wait would stop here
    assert cluster_step(run) == ("deleted", "demo-app-gke in us-central1")


def test_a_cluster_gone_between_the_look_and_the_delete_is_followed(gcp, gcp_api):
    run = provisioned(gcp, gcp_api)
    gcp.container.inject("delete_cluster", status=404, code="NOT_FOUND", message="Not found.")

    def sleep(seconds: float) -> None:  # it goes meanwhile (someone else's delete)
        with gcp.world.lock:
            gcp.container.clusters.pop((REGION, "demo-app-gke"), None)

    run.sleep = sleep
    assert cluster_step(run) == ("deleted", "demo-app-gke in us-central1")


def test_a_cluster_that_fails_while_being_deleted_says_so(gcp, gcp_api):
    run = provisioned(gcp, gcp_api)
    gcp.set_operation_delay(3600)
    gcp_api.delete("container", run.location_path(REGION, "clusters/demo-app-gke"))  # a teardown cut short

    def cluster() -> dict:
        return gcp.container.clusters[(REGION, "demo-app-gke")]

    def sleep(seconds: float) -> None:
        with gcp.world.lock:
            cluster().update(status="ERROR", statusMessage="Deleting the node pools failed.")

    run.sleep = sleep
    run.cancelled = lambda: cluster()["status"] == "ERROR"  # a wait past the failure would stop here
    with pytest.raises(CloudError) as caught:
        cluster_step(run)
    assert (caught.value.title, caught.value.what, caught.value.code) == (
        "Deleting the GKE cluster demo-app-gke failed", "Google Cloud answered: Deleting the node pools failed.",
        "ERROR")


def test_a_repository_gone_between_the_look_and_the_delete_is_absent(gcp, gcp_api):
    run = provisioned(gcp, gcp_api)
    gcp.artifacts.inject("delete_repository", status=404, code="NOT_FOUND", message="Requested entity was not found.")
    assert repository_step(run, True) == ("absent", "demo-app-images")


def test_the_firewall_rules_are_asked_for_by_our_network_only(gcp, gcp_api):
    run = provisioned(gcp, gcp_api)
    link = gcp_api.get("compute", run.compute_path("global/networks/demo-app-vpc"))["selfLink"]
    gcp.compute.calls.clear()
    tear(run)
    asked = [call.query for call in gcp.compute.calls if call.route == "list_firewalls"]
    assert asked == [{"filter": f'network = "{link}"'}]  # one page of ours, not every rule of the project


def test_rules_gone_between_the_listing_and_their_delete_are_absent(gcp, gcp_api):
    run = provisioned(gcp, gcp_api)
    _rule(gcp_api, run, "allow-ssh")
    gcp.compute.inject("delete_firewall", status=404, code="notFound", message="The resource was not found",
                       times=None)
    assert firewalls_step(run) == ("absent", "none on demo-app-vpc")


@pytest.mark.parametrize(("step", "made", "subject"), [
    ("firewalls", "allow-ssh", "Deleting the firewall rule allow-ssh"),
    ("network", None, "Deleting the network demo-app-vpc")])
def test_a_compute_deletion_that_outlasts_its_wait_names_what_it_was_deleting(gcp, gcp_api, monkeypatch,
                                                                              step, made, subject):
    run = provisioned(gcp, gcp_api)
    cluster_step(run)
    subnetwork_step(run)
    if made:
        _rule(gcp_api, run, made)
    gcp.set_operation_delay(3600)
    fake_clock(monkeypatch, run, 300.1)
    with pytest.raises(CloudError) as caught:
        {"firewalls": firewalls_step, "network": network_step}[step](run)
    assert caught.value.title == f"{subject} is taking too long"


def test_a_deleted_repository_is_read_back_from_artifact_registry_until_gone(gcp, gcp_api):
    run = provisioned(gcp, gcp_api)
    gcp.artifacts.calls.clear()
    assert repository_step(run, True) == ("deleted", "demo-app-images, with its images")
    routes = [call.route for call in gcp.artifacts.calls]
    assert "get_repository" in routes[routes.index("delete_repository"):]


def test_the_sweep_finds_a_cluster_it_labelled_whatever_its_name(gcp, gcp_api):
    run = provisioned(gcp, gcp_api)
    zone = f"{REGION}-b"
    gcp_api.post("container", run.location_path(zone, "clusters"), {"cluster": {
        "name": "renamed", "network": "demo-app-vpc", "subnetwork": "demo-app-nodes",
        "resourceLabels": {"porter-cluster": "demo-app"}}})
    gcp_api.post("container", run.location_path(zone, "clusters"), {"cluster": {
        "name": "theirs", "network": "demo-app-vpc", "subnetwork": "demo-app-nodes",
        "resourceLabels": {"porter-cluster": "other"}}})
    clusters = [(item.name, item.location) for item in leftovers(gcp_api, run.plan) if item.kind == "GKE cluster"]
    assert clusters == [("demo-app-gke", REGION), ("renamed", zone)]
