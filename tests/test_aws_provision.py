"""Provisioning and teardown against moto: idempotent, resumable after a kill, and clean."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import boto3
import pytest

from wizard.aws.plan import TAG_KEY, plan_for
from wizard.aws.provision import Run, provision
from wizard.aws.sweep import sweep
from wizard.aws.teardown import teardown
from wizard.errors import Cancelled, CloudError

REGION = "eu-west-1"


def new_run(**kwargs) -> Run:
    return Run(boto3.Session(region_name=REGION), plan_for("acme", REGION), poll_seconds=0.05, **kwargs)


def inventory(name: str = "acme") -> dict[str, int]:
    """How many of each thing the cluster's tag (or name) finds."""
    session = boto3.Session(region_name=REGION)
    ec2, elb, eks, iam = (session.client(n) for n in ("ec2", "elbv2", "eks", "iam"))
    tag = [{"Name": f"tag:{TAG_KEY}", "Values": [name]}]
    nats = [n for n in ec2.describe_nat_gateways(Filters=tag)["NatGateways"] if n["State"] != "deleted"]
    roles = [r for r in iam.list_roles()["Roles"] if r["RoleName"].startswith(f"{name}-{REGION}-")]
    lbs = [lb for lb in elb.describe_load_balancers()["LoadBalancers"] if lb["LoadBalancerName"] == f"{name}-nlb"]
    clusters = [c for c in eks.list_clusters()["clusters"] if c == name]
    return {
        "vpc": len(ec2.describe_vpcs(Filters=tag)["Vpcs"]),
        "subnet": len(ec2.describe_subnets(Filters=tag)["Subnets"]),
        "igw": len(ec2.describe_internet_gateways(Filters=tag)["InternetGateways"]),
        "eip": len(ec2.describe_addresses(Filters=tag)["Addresses"]),
        "nat": len(nats),
        "route-table": len(ec2.describe_route_tables(Filters=tag)["RouteTables"]),
        "role": len(roles), "nlb": len(lbs), "cluster": len(clusters),
        "nodegroup": len(eks.list_nodegroups(clusterName=name)["nodegroups"]) if clusters else 0,
    }


STEP_KEYS = ["vpc", "subnets", "igw", "eip", "nat", "routes", "iam", "nlb", "eks", "nodes"]
COMPLETE = {"vpc": 1, "subnet": 4, "igw": 1, "eip": 1, "nat": 1, "route-table": 2, "role": 2,
            "nlb": 1, "cluster": 1, "nodegroup": 1}


def test_provision_builds_everything_once_and_a_rerun_only_finds(aws):
    seen = []
    ids = provision(new_run(), seen.append)
    assert inventory() == COMPLETE
    assert {s.key: s.status for s in seen if s.finished} == {key: "created" for key in STEP_KEYS}
    assert ids["vpc"].startswith("vpc-") and ids["eks"].endswith(":cluster/acme")
    again = []
    provision(new_run(), again.append)
    assert {s.status for s in again if s.finished} == {"found"}
    assert inventory() == COMPLETE


def test_every_resource_carries_the_cluster_tag(aws):
    provision(new_run(), lambda s: None)
    ec2 = boto3.client("ec2", region_name=REGION)
    subnets = ec2.describe_subnets(Filters=[{"Name": "tag:porter.run/cluster", "Values": ["acme"]}])["Subnets"]
    assert all({"Key": "kubernetes.io/cluster/acme", "Value": "shared"} in s["Tags"] for s in subnets)
    assert len({s["AvailabilityZone"] for s in subnets}) == 2
    cluster = boto3.client("eks", region_name=REGION).describe_cluster(name="acme")["cluster"]
    assert cluster["tags"][TAG_KEY] == "acme"


KILLABLE = """
import boto3, sys
from wizard.aws.plan import plan_for
from wizard.aws.provision import Run, provision
provision(Run(boto3.Session(region_name="eu-west-1"), plan_for("acme", "eu-west-1"), poll_seconds=0.05),
          lambda s: None)
"""


@pytest.mark.parametrize("kill_at", [("ec2", "CreateNatGateway"), ("eks", "")])
def test_killed_mid_way_then_resumed_makes_nothing_twice(aws, kill_at):
    service, action = kill_at
    hold = 2.0
    aws.front.latency(service, action or "*", hold)  # hold the process in that call, then kill it
    env = {**os.environ, "AWS_DEFAULT_REGION": REGION}
    child = subprocess.Popen([sys.executable, "-c", KILLABLE], env=env)
    deadline = time.monotonic() + 60
    while not any(s == service and (a == action or not action) for s, a in aws.front.requests):
        assert child.poll() is None and time.monotonic() < deadline, "provisioning never got there"
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    # The request in flight still reaches AWS after its client died, as it can in real life:
    # the resumed run must find what it made rather than make it again.
    time.sleep(hold + 0.5)
    partial = inventory()
    assert partial["vpc"] == 1 and partial["cluster"] == 0
    aws.front.clear()
    provision(new_run(), lambda s: None)
    assert inventory() == COMPLETE


def test_cancel_stops_between_steps_and_resume_finishes(aws):
    calls = {"n": 0}

    def cancel_after_three() -> bool:
        calls["n"] += 1
        return calls["n"] > 3

    with pytest.raises(Cancelled):
        provision(new_run(cancelled=cancel_after_three), lambda s: None)
    assert inventory()["vpc"] == 1 and inventory()["cluster"] == 0
    provision(new_run(), lambda s: None)
    assert inventory() == COMPLETE


def test_teardown_leaves_nothing_tagged_and_can_run_twice(aws):
    provision(new_run(), lambda s: None)
    steps = []
    teardown(new_run(), steps.append)
    assert inventory() == {k: 0 for k in COMPLETE}
    assert sweep(new_run()) == []
    assert {s.status for s in steps if s.finished} == {"deleted"}
    again = []
    teardown(new_run(), again.append)
    assert {s.status for s in again if s.finished} == {"absent"}


def test_sweep_finds_what_teardown_did_not(aws):
    provision(new_run(), lambda s: None)
    ec2 = boto3.client("ec2", region_name=REGION)
    stray = ec2.allocate_address(Domain="vpc", TagSpecifications=[{"ResourceType": "elastic-ip", "Tags": [
        {"Key": TAG_KEY, "Value": "acme"}]}])["AllocationId"]
    teardown(new_run(), lambda s: None)
    assert inventory()["eip"] == 0
    extra = ec2.allocate_address(Domain="vpc", TagSpecifications=[{"ResourceType": "elastic-ip", "Tags": [
        {"Key": TAG_KEY, "Value": "acme"}]}])["AllocationId"]
    left = sweep(new_run())
    assert [(lo.kind, lo.ident) for lo in left] == [("elastic-ip", extra)]
    assert left[0].console_url().startswith("https://console.aws.amazon.com/go/view?arn=arn%3Aaws%3Aec2")
    assert stray != extra


@pytest.mark.parametrize("code,title", [("Throttling", "AWS is throttling requests"),
                                        ("UnauthorizedOperation", "AWS denied access")])
def test_cloud_errors_while_provisioning_name_the_step(aws, code, title):
    aws.front.inject("ec2", "CreateNatGateway", code=code, message="from the test", times=10)
    states = []
    with pytest.raises(CloudError) as caught:
        provision(new_run(), states.append)
    assert caught.value.title == title and "nat gateway" in caught.value.what.lower()
    assert {s.key for s in states if s.status == "failed"} == {"nat"}


def test_a_failed_resource_state_is_an_error_with_a_next_step():
    run = new_run()
    with pytest.raises(CloudError) as caught:
        run.wait_until("the EKS cluster", lambda: "FAILED", {"ACTIVE"}, {"FAILED"})
    assert "FAILED" in caught.value.what and "console" in caught.value.next_step


def test_a_cluster_that_fails_is_reported_with_a_next_step(aws):
    # moto's clusters are ACTIVE at once; the front makes EKS answer FAILED, as AWS does when,
    # say, the cluster role lacks a permission.
    aws.front.override_json("eks", r"^/clusters/acme$", {"cluster": {"status": "FAILED"}})
    states = []
    with pytest.raises(CloudError) as caught:
        provision(new_run(), states.append)
    assert caught.value.title == "The EKS cluster failed"
    assert "FAILED" in caught.value.what and "console" in caught.value.next_step
    assert {s.key for s in states if s.status == "failed"} == {"eks"}
    aws.front.clear()  # the cause fixed: resuming finishes the job without duplicates
    provision(new_run(), lambda s: None)
    assert inventory() == COMPLETE


def test_a_node_group_that_fails_to_create_is_reported(aws):
    aws.front.override_json("eks", r"^/clusters/acme/node-groups/acme-nodes$",
                            {"nodegroup": {"status": "CREATE_FAILED"}})
    with pytest.raises(CloudError) as caught:
        provision(new_run(), lambda s: None)
    assert caught.value.title == "The node group failed" and caught.value.code == "CREATE_FAILED"
