"""Provisioning on Google Cloud, word for word: what each step says it made, what it sends Google
(the bodies of the network, subnetwork, cluster, node pool and repository), and each error a
person can meet on the way, with its title, what happened and the next step."""
from __future__ import annotations

import time

import pytest

from wizard.errors import Cancelled, CloudError
from wizard.gcp.plan import GkePlan
from wizard.gcp.provision import (
    REMAKE,
    GcpRun,
    cluster_spec,
    gke_cluster,
    network,
    node_pool,
    node_pool_spec,
    provision,
    subnetwork,
)
from wizard.gcp.session import GcpHttpError

from .gcp_fixtures import fake_clock

REGION = "us-central1"
VERSION = "1.30.5-gke.1014001"  # the double's GKE version
LABELS = {"porter-cluster": "demo-app", "porter-managed-by": "porter-wizard"}
POOL_FIX = ("Fix what Google names, delete the node pool in the console (Kubernetes Engine → your cluster → "
            "Nodes), then press Retry: the wizard makes it again.")


def make_run(gcp, api, **plan) -> GcpRun:
    return GcpRun(api, GkePlan("Demo App", gcp.project_id, REGION, **plan), sleep=lambda s: None, poll_seconds=0.0)


def _words(err: CloudError) -> tuple:
    return err.title, err.what, err.next_step, err.code, err.retryable


def _cluster(gcp) -> dict:
    return gcp.container.clusters[(REGION, "demo-app-gke")]


def test_each_step_says_what_it_made_word_for_word(gcp, gcp_api):
    gcp.enable_apis()
    run = make_run(gcp, gcp_api)
    seen: dict[str, tuple[str, str, str]] = {}
    ids = provision(run, lambda state: seen.__setitem__(state.key, (state.label, state.status, state.detail)))
    endpoint = _cluster(gcp)["endpoint"]
    assert seen == {
        "network": ("VPC network", "created", "demo-app-vpc (custom subnets, regional routing)"),
        "subnetwork": ("Subnetwork with pod and service ranges", "created",
                       "demo-app-nodes in us-central1: nodes 10.90.0.0/20, pods 10.92.0.0/14, services 10.96.0.0/20"),
        "cluster": ("GKE cluster", "created",
                    f"demo-app-gke in us-central1, Kubernetes {VERSION}, endpoint {endpoint}"),
        "node_pool": ("Node pool", "found",
                      "porter-pool: 1 × e2-standard-2 per zone in 3 zones (autoscaling 1–3 per zone)"),
        "repository": ("Image repository (Artifact Registry)", "created",
                       f"us-central1-docker.pkg.dev/{gcp.project_id}/demo-app-images (Docker)"),
    }
    compute = gcp_api.url("compute", f"/compute/v1/projects/{gcp.project_id}")
    assert ids == {
        "network": f"{compute}/global/networks/demo-app-vpc",
        "subnetwork": f"{compute}/regions/us-central1/subnetworks/demo-app-nodes",
        "cluster": gcp_api.url("container",
                               f"/v1/projects/{gcp.project_id}/locations/us-central1/clusters/demo-app-gke"),
        "endpoint": endpoint, "node_pool": "porter-pool",
        "repository": f"projects/{gcp.project_id}/locations/us-central1/repositories/demo-app-images",
        "registry_url": f"us-central1-docker.pkg.dev/{gcp.project_id}/demo-app-images",
    }
    net = gcp_api.get("compute", run.compute_path("global/networks/demo-app-vpc"))
    assert {k: net[k] for k in ("description", "autoCreateSubnetworks", "routingConfig")} == {
        "description": "Porter cluster Demo App (porter-cluster=demo-app)", "autoCreateSubnetworks": False,
        "routingConfig": {"routingMode": "REGIONAL"}}
    sub = gcp_api.get("compute", run.compute_path("regions/us-central1/subnetworks/demo-app-nodes"))
    assert {k: sub[k] for k in ("network", "ipCidrRange", "description", "privateIpGoogleAccess",
                                "secondaryIpRanges")} == {
        "network": ids["network"], "ipCidrRange": "10.90.0.0/20",
        "description": "Porter cluster Demo App nodes (porter-cluster=demo-app)", "privateIpGoogleAccess": True,
        "secondaryIpRanges": [{"rangeName": "pods", "ipCidrRange": "10.92.0.0/14"},
                              {"rangeName": "services", "ipCidrRange": "10.96.0.0/20"}]}
    repo = gcp_api.get("artifactregistry", run.location_path(REGION, "repositories/demo-app-images"))
    assert {k: repo[k] for k in ("format", "description", "labels")} == {
        "format": "DOCKER", "description": "Porter cluster Demo App build images", "labels": LABELS}


def test_the_cluster_and_node_pool_specs_word_for_word(gcp, gcp_api):
    pool = {
        "name": "porter-pool", "initialNodeCount": 1,
        "config": {"machineType": "e2-standard-2", "diskSizeGb": 100, "diskType": "pd-balanced", "labels": LABELS,
                   "oauthScopes": ["https://www.googleapis.com/auth/cloud-platform"],
                   "workloadMetadataConfig": {"mode": "GKE_METADATA"}},
        "autoscaling": {"enabled": True, "minNodeCount": 1, "maxNodeCount": 3},
        "management": {"autoUpgrade": True, "autoRepair": True},
    }
    run = make_run(gcp, gcp_api)
    assert node_pool_spec(run) == pool
    assert cluster_spec(run) == {
        "name": "demo-app-gke", "description": "Porter cluster Demo App", "network": "demo-app-vpc",
        "subnetwork": "demo-app-nodes", "nodePools": [pool], "resourceLabels": LABELS,
        "ipAllocationPolicy": {"useIpAliases": True, "clusterSecondaryRangeName": "pods",
                               "servicesSecondaryRangeName": "services"},
        "releaseChannel": {"channel": "REGULAR"},
        "workloadIdentityConfig": {"workloadPool": f"{gcp.project_id}.svc.id.goog"},
    }
    # More nodes per zone than the usual maximum: the pool starts there and may keep them.
    big = node_pool_spec(make_run(gcp, gcp_api, nodes_per_zone=5))
    assert (big["initialNodeCount"], big["autoscaling"]) == (5, {"enabled": True, "minNodeCount": 1, "maxNodeCount": 5})
    none = node_pool_spec(make_run(gcp, gcp_api, nodes_per_zone=0))  # never fewer than one
    assert (none["initialNodeCount"], none["autoscaling"]["maxNodeCount"]) == (1, 3)


def test_a_network_made_by_hand_is_found_and_described_as_it_is(gcp, gcp_api):
    gcp.enable_apis()
    run = make_run(gcp, gcp_api)
    gcp_api.post("compute", run.compute_path("global/networks"),
                 {"name": "demo-app-vpc", "autoCreateSubnetworks": True, "routingConfig": {"routingMode": "GLOBAL"}})
    assert network(run) == ("found", "demo-app-vpc (auto subnets, global routing)")
    assert run.ids["network"].endswith("/global/networks/demo-app-vpc")
    with gcp.world.lock:  # an answer without the routing mode: Google's default
        del gcp.compute.items["networks"][("", "demo-app-vpc")]["routingConfig"]
    assert network(run) == ("found", "demo-app-vpc (auto subnets, regional routing)")


def _hand_made_subnetwork(gcp, api, run, network_name: str, ranges: list[dict]) -> None:
    api.post("compute", run.compute_path("global/networks"), {"name": network_name, "autoCreateSubnetworks": False})
    link = api.get("compute", run.compute_path(f"global/networks/{network_name}"))["selfLink"]
    api.post("compute", run.compute_path(f"regions/{REGION}/subnetworks"),
             {"name": "demo-app-nodes", "network": link, "ipCidrRange": "10.1.0.0/24", "secondaryIpRanges": ranges})


def test_a_subnetwork_of_our_name_on_another_network_is_named(gcp, gcp_api):
    gcp.enable_apis()
    run = make_run(gcp, gcp_api)
    _hand_made_subnetwork(gcp, gcp_api, run, "other-vpc", [])
    with pytest.raises(CloudError) as caught:
        provision(run, lambda state: None)
    assert _words(caught.value) == (
        "The subnetwork demo-app-nodes is on another network",
        "demo-app-nodes in us-central1 belongs to other-vpc, not demo-app-vpc.",
        "Delete or rename that subnetwork in the console (VPC network → Subnets), then Retry.",
        "SubnetworkMismatch", False)


@pytest.mark.parametrize(("ranges", "missing"), [
    ([], "pods or services"),
    ([{"rangeName": "pods", "ipCidrRange": "10.2.0.0/16"}], "services"),
])
def test_a_subnetwork_without_gkes_ranges_says_which(gcp, gcp_api, ranges, missing):
    gcp.enable_apis()
    run = make_run(gcp, gcp_api)
    network(run)
    gcp_api.post("compute", run.compute_path(f"regions/{REGION}/subnetworks"),
                 {"name": "demo-app-nodes", "network": run.ids["network"], "ipCidrRange": "10.1.0.0/24",
                  "secondaryIpRanges": ranges})
    with pytest.raises(CloudError) as caught:
        subnetwork(run)
    assert _words(caught.value) == (
        f"The subnetwork demo-app-nodes has no {missing} range",
        "GKE takes its pods' and services' addresses from secondary ranges named 'pods' and 'services'.",
        "Add them in the console (VPC network → Subnets → demo-app-nodes → Edit → secondary ranges) or delete the "
        "subnetwork so the wizard makes it, then Retry.", "SecondaryRanges", False)


def test_a_cluster_that_failed_to_be_made_says_so_word_for_word(gcp, gcp_api):
    gcp.enable_apis()
    message = "Insufficient regional quota to satisfy request: resource \"CPUS\"."
    gcp.container.fail_next_create("cluster", message)
    with pytest.raises(CloudError) as caught:
        provision(make_run(gcp, gcp_api), lambda state: None)
    assert _words(caught.value) == ("Creating the GKE cluster demo-app-gke failed",
                                    f"Google Cloud answered: {message}", REMAKE, "INTERNAL", False)
    resumed = make_run(gcp, gcp_api)
    resumed.cancelled = lambda: True  # no waiting: a cluster in ERROR fails at once
    with pytest.raises(CloudError) as again:  # resumed: found in ERROR
        gke_cluster(resumed)
    assert _words(again.value) == ("The GKE cluster demo-app-gke failed", f"Google Cloud answered: {message}",
                                   REMAKE, "ERROR", False)
    assert REMAKE == ("Tear down (it deletes the failed cluster), fix what Google names, then provision again: GKE "
                      "cannot repair a cluster that failed to be made.")


def test_a_node_pool_left_in_error_says_so_word_for_word(gcp, gcp_api):
    gcp.enable_apis()
    provision(make_run(gcp, gcp_api), lambda state: None)
    run = make_run(gcp, gcp_api)
    gcp_api.delete("container", run.location_path(REGION, "clusters/demo-app-gke/nodePools/porter-pool"))
    gcp.container.fail_next_create("node_pool", "Machine type e2-standard-2 is not available in us-central1-c.")
    with pytest.raises(CloudError):
        provision(run, lambda state: None)
    resumed = make_run(gcp, gcp_api)
    resumed.cancelled = lambda: True  # no waiting: a pool in ERROR fails at once
    with pytest.raises(CloudError) as caught:  # resumed: the pool is there, in ERROR
        node_pool(resumed)
    assert _words(caught.value) == (
        "The node pool porter-pool failed",
        "Google Cloud reports it as ERROR: Machine type e2-standard-2 is not available in us-central1-c.",
        POOL_FIX, "ERROR", False)


@pytest.mark.parametrize(("message", "said"), [("The control plane could not be repaired.",
                                                 "The control plane could not be repaired."),
                                                (None, "no reason given")])
def test_a_cluster_that_broke_before_its_node_pool_is_remade_says_so(gcp, gcp_api, message, said):
    gcp.enable_apis()
    provision(make_run(gcp, gcp_api), lambda state: None)
    run = make_run(gcp, gcp_api)
    gcp_api.delete("container", run.location_path(REGION, "clusters/demo-app-gke/nodePools/porter-pool"))
    assert gke_cluster(run)[0] == "found"
    _cluster(gcp).update(status="ERROR", **({"statusMessage": message} if message else {}))
    run.cancelled = lambda: True  # no waiting: a cluster in ERROR fails at once
    with pytest.raises(CloudError) as caught:
        node_pool(run)
    assert _words(caught.value) == ("The GKE cluster demo-app-gke failed",
                                    f"Google Cloud reports it as ERROR: {said}", REMAKE, "ERROR", False)


def test_a_cluster_without_an_endpoint_or_version_yet(gcp, gcp_api):
    gcp.enable_apis()
    provision(make_run(gcp, gcp_api), lambda state: None)
    cluster = _cluster(gcp)
    for key in ("endpoint", "currentMasterVersion", "selfLink"):  # Google leaves out what it does not know yet
        del cluster[key]
    run = make_run(gcp, gcp_api)
    assert gke_cluster(run) == ("found", "demo-app-gke in us-central1, Kubernetes ?, endpoint pending")
    assert (run.ids["endpoint"], run.ids["cluster"]) == ("", "")


def test_a_cluster_being_deleted_is_waited_for_then_made_again(gcp, gcp_api):
    gcp.enable_apis()
    provision(make_run(gcp, gcp_api), lambda state: None)
    gcp.set_operation_delay(0.3)
    run = make_run(gcp, gcp_api)
    gcp_api.delete("container", run.location_path(REGION, "clusters/demo-app-gke"))
    assert _cluster(gcp)["status"] == "STOPPING"
    run.sleep, run.poll_seconds = time.sleep, 0.05
    assert gke_cluster(run)[0] == "created"
    assert gcp.container.requests.count("create_cluster") == 2


def test_a_node_pool_being_deleted_is_waited_for_then_made_again(gcp, gcp_api):
    gcp.enable_apis()
    provision(make_run(gcp, gcp_api), lambda state: None)
    gcp.set_operation_delay(0.3)
    run = make_run(gcp, gcp_api)
    gcp_api.delete("container", run.location_path(REGION, "clusters/demo-app-gke/nodePools/porter-pool"))
    run.sleep, run.poll_seconds = time.sleep, 0.05
    assert node_pool(run) == ("created",
                              "porter-pool: 1 × e2-standard-2 per zone in 3 zones (autoscaling 1–3 per zone)")
    assert gcp.container.requests.count("create_node_pool") == 1


def test_a_missing_node_pool_waits_for_the_cluster_to_settle_first(gcp, gcp_api):
    gcp.enable_apis()
    provision(make_run(gcp, gcp_api), lambda state: None)
    run = make_run(gcp, gcp_api)
    gcp_api.delete("container", run.location_path(REGION, "clusters/demo-app-gke/nodePools/porter-pool"))
    _cluster(gcp)["status"] = "RECONCILING"  # another change of the cluster's still running
    waits: list[str] = []

    def sleep(seconds: float) -> None:  # GKE finishes that change while the wizard waits
        waits.append(_cluster(gcp)["status"])
        _cluster(gcp)["status"] = "RUNNING"

    run.sleep = sleep
    assert node_pool(run)[0] == "created"
    assert waits == ["RECONCILING"]


def test_a_cluster_reconciling_counts_as_up(gcp, gcp_api):
    gcp.enable_apis()
    provision(make_run(gcp, gcp_api), lambda state: None)
    _cluster(gcp)["status"] = "RECONCILING"  # a node pool change: the cluster works meanwhile
    run = GcpRun(gcp_api, make_run(gcp, gcp_api).plan, cancelled=lambda: True, sleep=lambda s: None,
                 poll_seconds=0.0)  # no waiting: Esc would stop any wait at once
    assert gke_cluster(run)[0] == "found"


def test_a_network_being_deleted_is_waited_for_then_made_again(gcp, gcp_api):
    gcp.enable_apis()
    run = make_run(gcp, gcp_api)
    network(run)
    gcp.set_operation_delay(0.3)
    gcp_api.delete("compute", run.compute_path("global/networks/demo-app-vpc"))  # a teardown cut short
    resumed = make_run(gcp, gcp_api)
    resumed.sleep, resumed.poll_seconds = time.sleep, 0.05
    assert network(resumed) == ("created", "demo-app-vpc (custom subnets, regional routing)")
    assert gcp.compute.requests.count("insert_network") == 2


def test_a_cluster_deletion_is_waited_for_an_hour_at_most(gcp, gcp_api, monkeypatch):
    gcp.enable_apis()
    provision(make_run(gcp, gcp_api), lambda state: None)
    gcp.set_operation_delay(3600)
    run = make_run(gcp, gcp_api)
    gcp_api.delete("container", run.location_path(REGION, "clusters/demo-app-gke"))
    waits = fake_clock(monkeypatch, run, 1200.1)
    with pytest.raises(CloudError) as caught:
        gke_cluster(run)
    assert waits == [0.0, 1200.1, 2400.2]  # still waiting at 2400 s, given up at 3600.3 s
    assert (caught.value.title, caught.value.code, caught.value.retryable) == (
        "The deletion of the GKE cluster demo-app-gke is taking too long", "Timeout", True)
    with pytest.raises(Cancelled):  # and Esc stops the wait at once
        gke_cluster(GcpRun(gcp_api, run.plan, cancelled=lambda: True, sleep=run.sleep, poll_seconds=0.0))


def test_a_refused_create_names_the_step_in_the_error(gcp):
    gcp.enable_apis()
    from .gcp_fixtures import api_for

    api = api_for(gcp, gcp.make_key(gcp.add_service_account(
        "limited", {"compute.networks.get", "compute.globalOperations.get"})))
    with pytest.raises(CloudError) as caught:
        provision(make_run(gcp, api), lambda state: None)
    assert caught.value.what == ("The service account may not provision the VPC network. Google said: Permission "
                                 f"'compute.networks.create' denied on resource 'projects/{gcp.project_id}' "
                                 "(or it may not exist).")


@pytest.mark.parametrize("kind", ["cluster", "node_pool"])
def test_one_deleted_by_someone_right_after_the_wizard_looked_is_an_error(gcp, gcp_api, monkeypatch, kind):
    gcp.enable_apis()
    provision(make_run(gcp, gcp_api), lambda state: None)
    run = make_run(gcp, gcp_api)
    run.cancelled = lambda: True  # no waiting: it fails at once
    target = _cluster(gcp) if kind == "cluster" else _cluster(gcp)["nodePools"][0]
    looked = gcp_api.find

    def find(service: str, path: str):
        found = looked(service, path)
        target["status"] = "STOPPING"
        return found

    monkeypatch.setattr(gcp_api, "find", find)
    with pytest.raises(CloudError) as caught:
        (gke_cluster if kind == "cluster" else node_pool)(run)
    what = "The GKE cluster demo-app-gke" if kind == "cluster" else "The node pool porter-pool"
    assert (caught.value.title, caught.value.what, caught.value.code) == (
        f"{what} failed", "Google Cloud reports it as STOPPING.", "STOPPING")


def test_a_node_pool_still_being_made_is_followed_not_made_again(gcp, gcp_api):
    gcp.enable_apis()
    provision(make_run(gcp, gcp_api), lambda state: None)
    run = make_run(gcp, gcp_api)
    pools = run.location_path(REGION, "clusters/demo-app-gke/nodePools")
    gcp_api.delete("container", f"{pools}/porter-pool")
    gcp.set_operation_delay(0.3)
    gcp_api.post("container", pools, {"nodePool": node_pool_spec(run)})  # a run cut short after this
    run.sleep, run.poll_seconds = time.sleep, 0.05
    assert node_pool(run)[0] == "found"
    assert gcp.container.requests.count("create_node_pool") == 1
    assert _cluster(gcp)["nodePools"][0]["status"] == "RUNNING"


def test_a_subnetwork_being_deleted_is_waited_for_then_made_again(gcp, gcp_api):
    gcp.enable_apis()
    run = make_run(gcp, gcp_api)
    network(run)
    subnetwork(run)
    gcp.set_operation_delay(0.3)
    gcp_api.delete("compute", run.compute_path(f"regions/{REGION}/subnetworks/demo-app-nodes"))  # cut short
    run.sleep, run.poll_seconds = time.sleep, 0.05
    assert subnetwork(run)[0] == "created"
    assert gcp.compute.requests.count("insert_subnetwork") == 2


def test_a_node_pool_for_a_cluster_being_deleted_meets_gkes_refusal_at_once(gcp, gcp_api):
    gcp.enable_apis()
    provision(make_run(gcp, gcp_api), lambda state: None)
    run = make_run(gcp, gcp_api)
    gcp_api.delete("container", run.location_path(REGION, "clusters/demo-app-gke/nodePools/porter-pool"))
    gcp.set_operation_delay(3600)
    gcp_api.delete("container", run.location_path(REGION, "clusters/demo-app-gke"))  # STOPPING for an hour
    run.cancelled = lambda: True  # no waiting for the deletion to end
    with pytest.raises(GcpHttpError, match="incompatible operation"):
        node_pool(run)
