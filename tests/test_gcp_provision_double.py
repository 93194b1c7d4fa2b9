"""The Compute, GKE and Artifact Registry doubles on the wire, through google-auth (GcpApi): the
shapes the provisioning code relies on, operations that run, deletes refused while in use."""
from __future__ import annotations

import time

import pytest

from wizard.gcp.session import GcpHttpError

from .gcp_fixtures import api_for

REGION = "us-central1"


def compute(api, rest: str) -> str:
    return f"/compute/v1/projects/{api.project_id}/{rest}"


def gke(api, rest: str, location: str = REGION) -> str:
    return f"/v1/projects/{api.project_id}/locations/{location}/{rest}"


def make_network(api, name: str = "net") -> dict:
    return api.post("compute", compute(api, "global/networks"), {"name": name, "autoCreateSubnetworks": False,
                                                                 "description": "porter-cluster=demo"})


def make_subnetwork(api, name: str = "nodes", network: str = "net") -> dict:
    return api.post("compute", compute(api, f"regions/{REGION}/subnetworks"), {
        "name": name, "network": f"projects/{api.project_id}/global/networks/{network}", "ipCidrRange": "10.0.0.0/20",
        "privateIpGoogleAccess": True, "secondaryIpRanges": [{"rangeName": "pods", "ipCidrRange": "10.4.0.0/14"},
                                                             {"rangeName": "services", "ipCidrRange": "10.8.0.0/20"}]})


def make_cluster(api, name: str = "demo-gke") -> dict:
    return api.post("container", gke(api, "clusters"), {"cluster": {
        "name": name, "network": "net", "subnetwork": "nodes",
        "nodePools": [{"name": "pool", "initialNodeCount": 1, "config": {"machineType": "e2-standard-2"}}],
        "ipAllocationPolicy": {"useIpAliases": True, "clusterSecondaryRangeName": "pods",
                               "servicesSecondaryRangeName": "services"},
        "workloadIdentityConfig": {"workloadPool": f"{api.project_id}.svc.id.goog"}}})


def wait_done(api, service: str, path: str, done=lambda op: op.get("status") == "DONE") -> dict:
    for _ in range(100):
        op = api.get(service, path)
        if done(op):
            return op
        time.sleep(0.05)
    raise AssertionError(f"{path} never finished")


def compute_op(api, op: dict) -> str:
    if op.get("region"):
        return compute(api, f"regions/{op['region'].rsplit('/', 1)[-1]}/operations/{op['name']}")
    return compute(api, f"global/operations/{op['name']}")


def test_apis_are_off_until_enabled(gcp, gcp_api):
    with pytest.raises(GcpHttpError) as caught:
        gcp_api.get("compute", compute(gcp_api, "global/networks"))
    assert caught.value.status == 403 and caught.value.reason == "SERVICE_DISABLED"
    assert "Compute Engine API has not been used" in caught.value.message


def test_network_wire_shape_and_operation_pending_then_done(gcp, gcp_api):
    gcp.enable_apis()
    gcp.set_operation_delay(0.5)  # long enough to see it running on a busy machine
    op = make_network(gcp_api)
    assert op["kind"] == "compute#operation" and op["operationType"] == "insert" and op["status"] == "PENDING"
    assert op["targetLink"].endswith(f"projects/{gcp.project_id}/global/networks/net")
    assert op["user"] == gcp.account_email and "endTime" not in op
    # The network is there at once, as on Google, while its operation still runs.
    network = gcp_api.get("compute", compute(gcp_api, "global/networks/net"))
    assert network["kind"] == "compute#network" and network["autoCreateSubnetworks"] is False
    assert network["selfLink"] == op["targetLink"] and network["routingConfig"] == {"routingMode": "REGIONAL"}
    assert "subnetworks" not in network
    assert gcp_api.get("compute", compute_op(gcp_api, op))["status"] == "RUNNING"
    done = wait_done(gcp_api, "compute", compute_op(gcp_api, op))
    assert done["progress"] == 100 and "endTime" in done and "error" not in done
    listed = gcp_api.get("compute", compute(gcp_api, "global/networks"))
    assert listed["kind"] == "compute#networkList" and [n["name"] for n in listed["items"]] == ["net"]


def test_empty_list_has_no_items_and_missing_is_404(gcp, gcp_api):
    gcp.enable_apis()
    assert "items" not in gcp_api.get("compute", compute(gcp_api, "global/networks"))
    assert gcp_api.find("compute", compute(gcp_api, "global/networks/nope")) is None
    with pytest.raises(GcpHttpError) as caught:
        gcp_api.get("compute", compute(gcp_api, "global/networks/nope"))
    assert caught.value.code == "NOT_FOUND" and "was not found" in caught.value.message


def test_duplicate_insert_is_409_with_computes_reason(gcp, gcp_api):
    gcp.enable_apis()
    make_network(gcp_api)
    response = gcp_api.session.post(gcp_api.url("compute", compute(gcp_api, "global/networks")), json={"name": "net"})
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["message"] == f"The resource 'projects/{gcp.project_id}/global/networks/net' already exists"
    assert error["errors"][0]["reason"] == "alreadyExists" and error["errors"][0]["domain"] == "global"


def test_subnetwork_listed_on_network_and_network_delete_in_use(gcp, gcp_api):
    gcp.enable_apis()
    make_network(gcp_api)
    op = make_subnetwork(gcp_api)
    assert op["region"].endswith(f"/regions/{REGION}")
    network = gcp_api.get("compute", compute(gcp_api, "global/networks/net"))
    sub = gcp_api.get("compute", compute(gcp_api, f"regions/{REGION}/subnetworks/nodes"))
    assert network["subnetworks"] == [sub["selfLink"]] and sub["network"] == network["selfLink"]
    assert [r["rangeName"] for r in sub["secondaryIpRanges"]] == ["pods", "services"]
    failed = gcp_api.delete("compute", compute(gcp_api, "global/networks/net"))
    assert failed["status"] == "DONE" and failed["httpErrorStatusCode"] == 400
    error = failed["error"]["errors"][0]
    assert error["code"] == "RESOURCE_IN_USE_BY_ANOTHER_RESOURCE"
    assert f"is already being used by 'projects/{gcp.project_id}/regions/{REGION}/subnetworks/nodes'" in error["message"]
    assert gcp_api.find("compute", compute(gcp_api, "global/networks/net")) is not None


def test_delete_keeps_resource_until_done_and_second_delete_not_ready(gcp, gcp_api):
    gcp.enable_apis()
    make_network(gcp_api)
    gcp.set_operation_delay(0.5)  # long enough to see it running on a busy machine
    op = gcp_api.delete("compute", compute(gcp_api, "global/networks/net"))
    assert op["operationType"] == "delete" and op["status"] != "DONE"
    assert gcp_api.find("compute", compute(gcp_api, "global/networks/net")) is not None
    with pytest.raises(GcpHttpError) as caught:
        gcp_api.delete("compute", compute(gcp_api, "global/networks/net"))
    assert caught.value.status == 400 and "not ready" in caught.value.message
    pending = gcp_api.get("compute", compute(gcp_api, "global/operations"),
                          {"filter": f'(targetLink = "{op["targetLink"]}") (status != "DONE")'})["items"]
    assert [each["name"] for each in pending] == [op["name"]]
    wait_done(gcp_api, "compute", compute_op(gcp_api, op))
    assert gcp_api.find("compute", compute(gcp_api, "global/networks/net")) is None


def test_cluster_lifecycle_firewalls_and_subnetwork_in_use(gcp, gcp_api):
    gcp.enable_apis()
    make_network(gcp_api)
    make_subnetwork(gcp_api)
    gcp.set_operation_delay(0.5)  # long enough to see it running on a busy machine
    op = make_cluster(gcp_api)
    assert op["operationType"] == "CREATE_CLUSTER" and op["status"] == "RUNNING" and op["zone"] == REGION
    cluster = gcp_api.get("container", gke(gcp_api, "clusters/demo-gke"))
    assert cluster["status"] == "PROVISIONING" and cluster["locations"] == [f"{REGION}-a", f"{REGION}-b", f"{REGION}-c"]
    with pytest.raises(GcpHttpError) as caught:
        gcp_api.delete("container", gke(gcp_api, "clusters/demo-gke"))
    assert caught.value.code == "FAILED_PRECONDITION" and op["name"] in caught.value.message
    wait_done(gcp_api, "container", gke(gcp_api, f"operations/{op['name']}"))
    cluster = gcp_api.get("container", gke(gcp_api, "clusters/demo-gke"))
    assert cluster["status"] == "RUNNING" and cluster["endpoint"] and cluster["nodePools"][0]["status"] == "RUNNING"
    assert cluster["workloadIdentityConfig"]["workloadPool"] == f"{gcp.project_id}.svc.id.goog"
    link = gcp_api.get("compute", compute(gcp_api, "global/networks/net"))["selfLink"]
    rules = gcp_api.get("compute", compute(gcp_api, "global/firewalls"), {"filter": f'network = "{link}"'})["items"]
    assert sorted(r["name"].rsplit("-", 1)[1] for r in rules) == ["all", "master", "vms"]
    assert all(r["name"].startswith("gke-demo-gke-") for r in rules)
    gcp.set_operation_delay(0)
    failed = gcp_api.delete("compute", compute(gcp_api, f"regions/{REGION}/subnetworks/nodes"))
    assert failed["error"]["errors"][0]["code"] == "RESOURCE_IN_USE_BY_ANOTHER_RESOURCE"
    gcp.set_operation_delay(0.5)  # long enough to see it running on a busy machine
    delete = gcp_api.delete("container", gke(gcp_api, "clusters/demo-gke"))
    assert delete["operationType"] == "DELETE_CLUSTER"
    assert gcp_api.get("container", gke(gcp_api, "clusters/demo-gke"))["status"] == "STOPPING"
    wait_done(gcp_api, "container", gke(gcp_api, f"operations/{delete['name']}"))
    with pytest.raises(GcpHttpError) as caught:
        gcp_api.get("container", gke(gcp_api, "clusters/demo-gke"))
    assert caught.value.message == f"Not found: projects/{gcp.project_id}/locations/{REGION}/clusters/demo-gke."
    assert "items" not in gcp_api.get("compute", compute(gcp_api, "global/firewalls"))


def test_cluster_needs_its_network_and_ranges(gcp, gcp_api):
    gcp.enable_apis()
    with pytest.raises(GcpHttpError) as caught:
        make_cluster(gcp_api)
    assert caught.value.status == 400 and caught.value.code == "INVALID_ARGUMENT"
    make_network(gcp_api)
    gcp_api.post("compute", compute(gcp_api, f"regions/{REGION}/subnetworks"),
                 {"name": "nodes", "network": "global/networks/net", "ipCidrRange": "10.0.0.0/20"})
    with pytest.raises(GcpHttpError) as caught:
        make_cluster(gcp_api)
    assert "secondary range" in caught.value.message


def test_failed_cluster_create_and_node_pools(gcp, gcp_api):
    gcp.enable_apis()
    make_network(gcp_api)
    make_subnetwork(gcp_api)
    gcp.container.fail_next_create("cluster", "Insufficient regional quota: CPUS")
    op = make_cluster(gcp_api)
    assert op["status"] == "DONE" and op["error"] == {"code": 13, "message": "Insufficient regional quota: CPUS"}
    cluster = gcp_api.get("container", gke(gcp_api, "clusters/demo-gke"))
    assert cluster["status"] == "ERROR" and cluster["statusMessage"] == "Insufficient regional quota: CPUS"
    make_cluster(gcp_api, "other")
    pool = gcp_api.post("container", gke(gcp_api, "clusters/other/nodePools"), {"nodePool": {"name": "extra"}})
    assert pool["operationType"] == "CREATE_NODE_POOL" and pool["status"] == "DONE"
    assert gcp_api.get("container", gke(gcp_api, "clusters/other/nodePools/extra"))["status"] == "RUNNING"
    with pytest.raises(GcpHttpError) as caught:
        gcp_api.post("container", gke(gcp_api, "clusters/other/nodePools"), {"nodePool": {"name": "extra"}})
    assert caught.value.status == 409
    gone = gcp_api.delete("container", gke(gcp_api, "clusters/other/nodePools/extra"))
    assert gone["operationType"] == "DELETE_NODE_POOL"
    assert gcp_api.find("container", gke(gcp_api, "clusters/other/nodePools/extra")) is None


def test_repository_wire_shape_and_operations(gcp, gcp_api):
    gcp.enable_apis()
    gcp.set_operation_delay(0.5)  # long enough to see it running on a busy machine
    path = gke(gcp_api, "repositories")
    op = gcp_api.post("artifactregistry", path, {"format": "DOCKER", "labels": {"porter-cluster": "demo"}},
                      params={"repositoryId": "demo-images"})
    assert op["name"].startswith(f"projects/{gcp.project_id}/locations/{REGION}/operations/") and op["done"] is False
    done = wait_done(gcp_api, "artifactregistry", f"/v1/{op['name']}", done=lambda each: each["done"])
    repo = done["response"]
    assert repo["@type"] == "type.googleapis.com/google.devtools.artifactregistry.v1.Repository"
    assert repo["name"] == f"projects/{gcp.project_id}/locations/{REGION}/repositories/demo-images"
    got = gcp_api.get("artifactregistry", f"{path}/demo-images")
    assert got["format"] == "DOCKER" and got["labels"] == {"porter-cluster": "demo"} and "createTime" in got
    assert [r["name"] for r in gcp_api.get("artifactregistry", path)["repositories"]] == [repo["name"]]
    with pytest.raises(GcpHttpError) as caught:
        gcp_api.post("artifactregistry", path, {"format": "DOCKER"}, params={"repositoryId": "demo-images"})
    assert caught.value.code == "ALREADY_EXISTS"
    gcp.set_operation_delay(0)
    gcp_api.delete("artifactregistry", f"{path}/demo-images")
    assert gcp_api.find("artifactregistry", f"{path}/demo-images") is None
    assert gcp_api.get("artifactregistry", path) == {}


def test_leftovers_planted_in_aggregated_lists(gcp, gcp_api):
    gcp.enable_apis()
    gcp.compute.add_leftover("disk", "pvc-1", f"{REGION}-b", {"goog-k8s-cluster-name": "demo-gke"})
    gcp.compute.add_leftover("address", "lb-ip", REGION, {"porter-cluster": "demo"})
    disks = gcp_api.get("compute", compute(gcp_api, "aggregated/disks"))["items"]
    assert disks[f"zones/{REGION}-b"]["disks"][0]["labels"] == {"goog-k8s-cluster-name": "demo-gke"}
    addresses = gcp_api.get("compute", compute(gcp_api, "aggregated/addresses"))["items"]
    assert addresses[f"regions/{REGION}"]["addresses"][0]["name"] == "lb-ip"
    gcp_api.delete("compute", compute(gcp_api, f"zones/{REGION}-b/disks/pvc-1"))
    assert gcp_api.get("compute", compute(gcp_api, "aggregated/disks"))["items"] == {}


def test_permission_checked(gcp):
    gcp.enable_apis()
    email = gcp.add_service_account("reader", {"compute.networks.get", "compute.networks.list"})
    api = api_for(gcp, gcp.make_key(email))
    assert "items" not in api.get("compute", compute(api, "global/networks"))
    with pytest.raises(GcpHttpError) as caught:
        make_network(api)
    assert caught.value.status == 403 and "compute.networks.create" in caught.value.message
