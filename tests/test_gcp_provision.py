"""Provisioning on Google Cloud end to end against the doubles, through google-auth: each step
finds or creates, a second run finds everything, an interrupted run resumes, and Google's
failures reach the user in Google's words with what to do."""
from __future__ import annotations

import time

import pytest

from wizard.errors import Cancelled, CloudError
from wizard.gcp.plan import GkePlan
from wizard.gcp.provision import GcpRun, cluster_spec, provision, steps

from .gcp_fixtures import api_for

REGION = "us-central1"
KEYS = ["network", "subnetwork", "cluster", "node_pool", "repository"]
# The node pool is made with the cluster (inline), so its own step finds it on the first run.
FIRST_RUN = ["created", "created", "created", "found", "created"]


def make_run(gcp, api, **kwargs) -> GcpRun:
    plan = GkePlan(project="Demo App", gcp_project=gcp.project_id, region=REGION)
    return GcpRun(api, plan, sleep=lambda s: None, poll_seconds=0.0, **kwargs)


def run_all(run: GcpRun) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    seen: dict[str, tuple[str, str]] = {}
    ids = provision(run, lambda state: seen.__setitem__(state.key, (state.status, state.detail)))
    return ids, seen


def test_steps_in_order():
    assert [key for key, _label, _act in steps()] == KEYS


def test_provision_end_to_end(gcp, gcp_api):
    gcp.enable_apis()
    run = make_run(gcp, gcp_api)
    ids, seen = run_all(run)
    assert [seen[key][0] for key in KEYS] == FIRST_RUN
    plan = run.plan
    network = gcp_api.get("compute", run.compute_path(f"global/networks/{plan.network}"))
    assert network["autoCreateSubnetworks"] is False and plan.marker in network["description"]
    sub = gcp_api.get("compute", run.compute_path(f"regions/{REGION}/subnetworks/{plan.subnetwork}"))
    assert sub["privateIpGoogleAccess"] is True and plan.marker in sub["description"]
    assert {r["rangeName"]: r["ipCidrRange"] for r in sub["secondaryIpRanges"]} == {
        "pods": plan.pods_cidr, "services": plan.services_cidr}
    cluster = gcp_api.get("container", run.location_path(REGION, f"clusters/{plan.cluster}"))
    assert cluster["status"] == "RUNNING" and cluster["location"] == REGION
    assert cluster["resourceLabels"] == plan.labels and cluster["releaseChannel"] == {"channel": "REGULAR"}
    assert cluster["workloadIdentityConfig"] == {"workloadPool": f"{gcp.project_id}.svc.id.goog"}
    assert cluster["ipAllocationPolicy"]["clusterSecondaryRangeName"] == "pods"
    pool = cluster["nodePools"][0]
    assert pool["name"] == plan.node_pool and pool["config"]["machineType"] == plan.machine_type
    assert pool["autoscaling"] == {"enabled": True, "minNodeCount": 1, "maxNodeCount": 3}
    repo = gcp_api.get("artifactregistry", run.location_path(REGION, f"repositories/{plan.repository}"))
    assert repo["format"] == "DOCKER" and repo["labels"] == plan.labels
    assert ids["registry_url"] == f"{REGION}-docker.pkg.dev/{gcp.project_id}/{plan.repository}"
    assert ids["network"] == network["selfLink"] and ids["endpoint"] == cluster["endpoint"]
    assert "3 zones" in seen["node_pool"][1] and "demo-app-nodes" in seen["subnetwork"][1]


def test_second_run_finds_everything(gcp, gcp_api):
    gcp.enable_apis()
    run_all(make_run(gcp, gcp_api))
    gcp.compute.calls.clear()
    ids, seen = run_all(make_run(gcp, gcp_api))
    assert [seen[key][0] for key in KEYS] == ["found"] * 5
    assert not [name for name in gcp.compute.requests if name.startswith("insert_")]
    assert ids["cluster"].endswith("/clusters/demo-app-gke")


def test_operations_followed_while_they_run(gcp, gcp_api):
    gcp.enable_apis()
    gcp.set_operation_delay(0.15)
    _ids, seen = run_all(make_run(gcp, gcp_api))
    assert [seen[key][0] for key in KEYS] == FIRST_RUN
    assert "get_global_operation" in gcp.compute.requests and "get_operation" in gcp.container.requests


def test_cancel_after_network_then_resume(gcp, gcp_api):
    gcp.enable_apis()
    run = make_run(gcp, gcp_api, cancelled=lambda: "network" in run.ids)
    with pytest.raises(Cancelled):
        run_all(run)
    assert gcp_api.find("container", run.location_path(REGION, f"clusters/{run.plan.cluster}")) is None
    _ids, seen = run_all(make_run(gcp, gcp_api))
    assert [seen[key][0] for key in KEYS] == ["found", "created", "created", "found", "created"]


def test_esc_while_the_cluster_is_made_then_resume_follows_it(gcp, gcp_api):
    gcp.enable_apis()
    gcp.set_operation_delay(0.3)
    # Esc once the cluster's create has been sent: the wait on its operation stops at once.
    run = make_run(gcp, gcp_api, cancelled=lambda: "create_cluster" in gcp.container.requests)
    run.poll_seconds, run.sleep = 0.05, time.sleep
    with pytest.raises(Cancelled):
        run_all(run)
    cluster = gcp_api.get("container", run.location_path(REGION, f"clusters/{run.plan.cluster}"))
    assert cluster["status"] == "PROVISIONING"
    resumed = make_run(gcp, gcp_api)
    resumed.poll_seconds, resumed.sleep = 0.05, time.sleep
    _ids, seen = run_all(resumed)
    assert seen["cluster"][0] == "found" and seen["node_pool"][0] == "found"  # followed, not made again
    assert gcp.container.requests.count("create_cluster") == 1


def test_failed_cluster_create_names_googles_message(gcp, gcp_api):
    gcp.enable_apis()
    message = "Insufficient regional quota to satisfy request: resource \"CPUS\": request requires '6.0'"
    gcp.container.fail_next_create("cluster", message)
    states = []
    with pytest.raises(CloudError) as caught:
        provision(make_run(gcp, gcp_api), states.append)
    assert message in caught.value.what and "Tear down" in caught.value.next_step
    assert caught.value.title.startswith("Creating the GKE cluster")
    assert {s.key for s in states if s.status == "failed"} == {"cluster"}
    with pytest.raises(CloudError) as again:  # resumed: the failed cluster is said as such, not remade
        run_all(make_run(gcp, gcp_api))
    assert message in again.value.what and gcp.container.requests.count("create_cluster") == 1


def test_failed_node_pool_names_googles_message(gcp, gcp_api):
    gcp.enable_apis()
    run_all(make_run(gcp, gcp_api))
    run = make_run(gcp, gcp_api)
    gcp_api.delete("container", run.location_path(REGION, f"clusters/{run.plan.cluster}/nodePools/porter-pool"))
    gcp.container.fail_next_create("node_pool", "Machine type e2-standard-2 is not available in us-central1-c")
    with pytest.raises(CloudError) as caught:
        run_all(run)
    assert "not available" in caught.value.what


def test_throttled_once_is_retried(gcp, gcp_api):
    gcp.enable_apis()
    gcp.compute.inject("insert_network", status=429, code="RATE_LIMIT_EXCEEDED", message="Quota exceeded for "
                       "quota metric 'Queries' and limit 'Queries per minute'")
    _ids, seen = run_all(make_run(gcp, gcp_api))
    assert seen["network"][0] == "created"
    assert gcp.compute.requests.count("insert_network") == 2


def test_permission_denied(gcp):
    gcp.enable_apis()
    email = gcp.add_service_account("limited", {"compute.networks.get", "compute.globalOperations.get"})
    api = api_for(gcp, gcp.make_key(email))
    with pytest.raises(CloudError) as caught:
        run_all(make_run(gcp, api))
    assert caught.value.title == "Google Cloud denied access"
    assert "compute.networks.create" in caught.value.what


def test_api_not_enabled(gcp, gcp_api):
    with pytest.raises(CloudError) as caught:
        run_all(make_run(gcp, gcp_api))
    assert "not enabled" in caught.value.title and "Compute Engine API" in caught.value.title
    assert caught.value.code == "SERVICE_DISABLED"


def test_only_container_api_off(gcp, gcp_api):
    gcp.enable_apis("compute.googleapis.com")
    with pytest.raises(CloudError) as caught:
        run_all(make_run(gcp, gcp_api))
    assert caught.value.title == "The Kubernetes Engine API is not enabled"


def test_cluster_spec_matches_plan(gcp, gcp_api):
    run = make_run(gcp, gcp_api)
    spec = cluster_spec(run)
    assert spec["ipAllocationPolicy"] == {"useIpAliases": True, "clusterSecondaryRangeName": "pods",
                                          "servicesSecondaryRangeName": "services"}
    assert spec["nodePools"][0]["config"]["diskSizeGb"] == run.plan.node_disk_gb
