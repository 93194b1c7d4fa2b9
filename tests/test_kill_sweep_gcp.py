"""Find-before-create converges on Google Cloud (issue 12): provisioning or teardown killed at any
request that changes something, then run again, ends in exactly the state of a clean run: each
resource once, with the settings the create path gives it, and nothing else in the project
touched. The doubles' kill switch (wizard/sandbox/https/kill.py) stops every request once tripped."""
from __future__ import annotations

import re

import pytest

from wizard.gcp.plan import GkePlan
from wizard.gcp.provision import GcpRun, provision
from wizard.gcp.teardown import teardown

from .kill_sweep import kill_everywhere
from .gcp_fixtures import api_for

REGION = "us-central1"
PROVISIONING = ["insert_network", "insert_subnetwork", "create_cluster", "create_repository"]


def tail(ref: str | None) -> str:
    return (ref or "").rsplit("/", 1)[-1]


def _gke(text: str) -> str:
    """GKE names its own firewall rules and node tags after the cluster's id: keep the rest."""
    return re.sub(r"^gke-(.+)-[0-9a-f]{8}-(\w+)$", r"gke-\1-<id>-\2", text)


def _items(api, service: str, path: str, key: str) -> list[dict]:
    return list(api.get(service, path).get(key) or [])


def end_state(gcp) -> dict[str, list]:
    """Every network, subnetwork, firewall rule, cluster and repository of the project, with its
    settings; names kept, ids and times (which Google makes up) left out."""
    api, p = api_for(gcp, gcp.make_key()), gcp.project_id
    compute = f"/compute/v1/projects/{p}"
    subnets = [s for scope in (api.get("compute", f"{compute}/aggregated/subnetworks").get("items") or {}).values()
               for s in scope.get("subnetworks") or []]
    clusters = _items(api, "container", f"/v1/projects/{p}/locations/-/clusters", "clusters")

    def pool(n: dict) -> tuple:
        c = n.get("config", {})
        return (n["name"], n.get("status"), n.get("initialNodeCount"), tuple(n.get("locations") or []),
                c.get("machineType"), c.get("diskSizeGb"), c.get("diskType"), sorted((c.get("labels") or {}).items()),
                c.get("workloadMetadataConfig"), sorted((n.get("autoscaling") or {}).items()),
                sorted((n.get("management") or {}).items()))

    return {
        "network": sorted((n["name"], n.get("description"), n.get("autoCreateSubnetworks"),
                           (n.get("routingConfig") or {}).get("routingMode"))
                          for n in _items(api, "compute", f"{compute}/global/networks", "items")),
        "subnetwork": sorted((s["name"], tail(s.get("region")), tail(s.get("network")), s.get("description"),
                              s.get("ipCidrRange"), s.get("privateIpGoogleAccess"),
                              sorted((r["rangeName"], r["ipCidrRange"]) for r in s.get("secondaryIpRanges") or []))
                             for s in subnets),
        "firewall": sorted((_gke(f["name"]), tail(f.get("network")), f.get("direction"), f.get("priority"),
                            tuple(f.get("sourceRanges") or []), tuple(_gke(t) for t in f.get("targetTags") or []),
                            str(f.get("allowed")))
                           for f in _items(api, "compute", f"{compute}/global/firewalls", "items")),
        "cluster": sorted((c["name"], c.get("location"), c.get("status"), c.get("currentMasterVersion"),
                           c.get("network"), c.get("subnetwork"), sorted((c.get("resourceLabels") or {}).items()),
                           c.get("releaseChannel"), c.get("workloadIdentityConfig"),
                           sorted((c.get("ipAllocationPolicy") or {}).items()), tuple(c.get("locations") or []),
                           sorted(pool(n) for n in c.get("nodePools") or []))
                          for c in clusters),
        "repository": sorted((tail(r["name"]), r.get("format"), r.get("mode"), r.get("description"),
                              sorted((r.get("labels") or {}).items()))
                             for r in _items(api, "artifactregistry", f"/v1/projects/{p}/locations/{REGION}/"
                                                                      "repositories", "repositories")),
    }


def new_run(gcp, key: dict) -> GcpRun:
    """A fresh run, as a relaunch makes one: the same key, nothing remembered."""
    plan = GkePlan(project="Demo App", gcp_project=gcp.project_id, region=REGION)
    return GcpRun(api_for(gcp, key), plan, sleep=lambda s: None, poll_seconds=0.0)


def fresh_project(gcp) -> dict:
    """The seed, the APIs on, and something of someone else's that nothing may touch."""
    gcp.clear()
    gcp.enable_apis()
    key = gcp.make_key()
    api, compute = api_for(gcp, key), f"/compute/v1/projects/{gcp.project_id}/global"
    api.post("compute", f"{compute}/networks", {"name": "other-vpc", "autoCreateSubnetworks": False})
    api.post("compute", f"{compute}/firewalls", {
        "name": "other-allow-ssh", "network": "global/networks/other-vpc", "sourceRanges": ["0.0.0.0/0"],
        "allowed": [{"IPProtocol": "tcp", "ports": ["22"]}]})
    return key


def provisioned(gcp, key: dict) -> None:
    """Provisioned cleanly, plus a rule added by hand on our network (teardown deletes it)."""
    run = new_run(gcp, key)
    provision(run, lambda s: None)
    run.api.post("compute", run.compute_path("global/firewalls"), {
        "name": "allow-ssh", "network": f"global/networks/{run.plan.network}", "sourceRanges": ["0.0.0.0/0"],
        "allowed": [{"IPProtocol": "tcp", "ports": ["22"]}]})


def act(job: str, gcp, key: dict) -> None:
    if job == "provision":
        provision(new_run(gcp, key), lambda s: None)
    else:
        teardown(new_run(gcp, key), lambda s: None, delete_registry=job == "teardown+registry")


def prepare(job: str, gcp) -> dict:
    key = fresh_project(gcp)
    if job != "provision":
        provisioned(gcp, key)
    return key


def clean_run(job: str, gcp) -> tuple[dict[str, list], list[str]]:
    key = prepare(job, gcp)
    gcp.fail_at(0)  # off, and the mutation list emptied
    act(job, gcp, key)
    return end_state(gcp), gcp.mutations


def killed_then_resumed(job: str, gcp, k: int, *, after: bool) -> dict[str, list]:
    key = prepare(job, gcp)
    gcp.fail_at(k, after=after)
    with pytest.raises(Exception):  # noqa: B017, PT011 - any failure: the "killed" process stops
        act(job, gcp, key)
    assert len(gcp.mutations) == (k if after else k - 1), "the run did not stop at the failed request"
    gcp.fail_at(0)
    act(job, gcp, key)
    return end_state(gcp)


@pytest.fixture
def fast(gcp):
    gcp.set_operation_delay(0.0)
    yield gcp
    gcp.fail_at(0)


def test_a_clean_run_then_a_rerun_changes_nothing(fast):
    clean, made = clean_run("provision", fast)
    assert made == PROVISIONING
    assert {kind: len(items) for kind, items in clean.items()} == {
        "network": 2, "subnetwork": 1, "firewall": 4, "cluster": 1, "repository": 1}  # 3 of GKE's, 1 other
    ((_name, _loc, status, _v, network, subnet, labels, channel, identity, _ip, zones, pools),) = clean["cluster"]
    assert (status, network, subnet, channel) == ("RUNNING", "demo-app-vpc", "demo-app-nodes", {"channel": "REGULAR"})
    assert identity == {"workloadPool": f"{fast.project_id}.svc.id.goog"} and len(zones) == 3
    assert ("porter-cluster", "demo-app") in labels and pools[0][4] == "e2-standard-2"
    fast.fail_at(0)
    act("provision", fast, fast.make_key())
    assert fast.mutations == []  # idempotent: the second run only reads
    assert end_state(fast) == clean


@pytest.mark.parametrize("registry", [False, True])
def test_a_clean_teardown_leaves_only_what_is_not_ours(fast, registry):
    job = "teardown+registry" if registry else "teardown"
    clean, made = clean_run(job, fast)
    assert made == ["delete_cluster", "delete_subnetwork", "delete_firewall", "delete_network",
                    *(["delete_repository"] if registry else [])]
    assert clean["network"] == [("other-vpc", None, False, "REGIONAL")]
    assert [f[0] for f in clean["firewall"]] == ["other-allow-ssh"]
    assert clean["subnetwork"] == clean["cluster"] == []
    assert [r[0] for r in clean["repository"]] == ([] if registry else ["demo-app-images"])
    fast.fail_at(0)
    act(job, fast, fast.make_key())
    assert fast.mutations == []
    assert end_state(fast) == clean


def test_found_resources_get_their_labels_and_settings_back(fast):
    """Damage a finished cluster the ways a hand edit can; a rerun repairs it all, and labels
    someone added stay."""
    clean, _ = clean_run("provision", fast)
    run = new_run(fast, fast.make_key())
    api, plan = run.api, run.plan
    subnet = run.compute_path(f"regions/{REGION}/subnetworks/{plan.subnetwork}")
    api.post("compute", f"{subnet}/setPrivateIpGoogleAccess", {"privateIpGoogleAccess": False})
    cluster = run.location_path(REGION, f"clusters/{plan.cluster}")
    api.post("container", f"{cluster}:setResourceLabels", {
        "resourceLabels": {"team": "a"}, "labelFingerprint": api.get("container", cluster)["labelFingerprint"]})
    api.post("container", f"{cluster}/nodePools/{plan.node_pool}:setAutoscaling", {"autoscaling": {"enabled": False}})
    repo = run.location_path(REGION, f"repositories/{plan.repository}")
    api.call("PATCH", "artifactregistry", repo, body={"labels": {"team": "a"}}, params={"updateMask": "labels"})
    assert end_state(fast) != clean
    fast.fail_at(0)
    provision(new_run(fast, fast.make_key()), lambda s: None)
    assert fast.mutations == ["set_private_ip_google_access", "set_resource_labels", "set_node_pool_autoscaling",
                              "patch_repository"]
    repaired = end_state(fast)
    assert {**repaired, "cluster": None, "repository": None} == {**clean, "cluster": None, "repository": None}
    for kind, at in (("cluster", 6), ("repository", 4)):  # where the labels are in its tuple
        (item,) = clean[kind]
        assert repaired[kind] == [(*item[:at], sorted([*item[at], ("team", "a")]), *item[at + 1:])]
    fast.fail_at(0)
    provision(new_run(fast, fast.make_key()), lambda s: None)
    assert fast.mutations == []


@pytest.mark.parametrize("job", ["provision", "teardown", "teardown+registry"])
def test_killed_at_any_mutating_request_then_resumed_converges(fast, job):
    """The sweep: after-k for every k, plus before-1, covers every point a kill can stop a run
    (killing after k leaves Google as killing before k+1 does; see the AWS sweep)."""
    clean, made = clean_run(job, fast)
    assert kill_everywhere(f"GCP {job}", clean, made,
                           lambda _, k, after: killed_then_resumed(job, fast, k, after=after)) == {}
    assert len(made) >= 4
