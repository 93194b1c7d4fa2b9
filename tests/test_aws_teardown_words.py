"""AWS teardown, word for word (issue 18): the steps' order, keys, titles, statuses and details a
user reads; the order of the deleting calls AWS needs (NAT gateway gone before its address is
released, route tables disassociated before deleted, gateway detached before deleted, policies
detached before the role goes); which AWS error codes mean "already gone" and which fail the step
that met them; waits that end on a failed state; only the cluster's tagged things deleted; and
Esc stopping between steps."""
from __future__ import annotations

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from wizard.aws.plan import TAG_KEY
from wizard.aws.provision import provision
from wizard.aws.teardown import teardown
from wizard.errors import Cancelled, CloudError

from .test_aws_provision import REGION, inventory, new_run

ROLES = "acme-eu-west-1-eks-cluster, acme-eu-west-1-eks-nodes"
TITLES = [("nodes", "Node group"), ("eks", "EKS cluster"), ("nlb", "Network Load Balancer"),
          ("nat", "NAT gateway"), ("eip", "Elastic IP"), ("routes", "Route tables"), ("subnets", "Subnets"),
          ("igw", "Internet gateway"), ("vpc", "VPC"), ("iam", "IAM roles for EKS")]
TRUST = '{"Version": "2012-10-17", "Statement": []}'
RETRY = "Open it in the AWS console to see why, fix that, then resume."


def tear(run=None) -> list[tuple[str, str, str, str]]:
    """Each report the screen gets, as it was when reported (the StepState is reused)."""
    seen = []
    teardown(run or new_run(), lambda s: seen.append((s.key, s.label, s.status, s.detail)))
    return seen


def finished(seen: list[tuple]) -> list[tuple[str, str, str]]:
    return [(k, status, detail) for k, _, status, detail in seen if status not in ("waiting", "working")]


def tags(name: str, kind: str) -> list[dict]:
    return [{"ResourceType": kind, "Tags": [{"Key": TAG_KEY, "Value": name}]}]


def tagged_nat(name: str) -> tuple[str, str, str]:
    """A VPC, subnet, Elastic IP and NAT gateway with the cluster tag `name` (no EKS): cheaper than
    provisioning where only the NAT step matters. (vpc, allocation, NAT gateway) IDs."""
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16", TagSpecifications=tags(name, "vpc"))["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.42.1.0/24", TagSpecifications=tags(name, "subnet"))[
        "Subnet"]["SubnetId"]
    eip = ec2.allocate_address(Domain="vpc", TagSpecifications=tags(name, "elastic-ip"))["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=eip, TagSpecifications=tags(name, "natgateway"))[
        "NatGateway"]["NatGatewayId"]
    return vpc, eip, nat


def eks_only(cluster: str = "acme") -> None:
    """An EKS cluster with a node group named as acme's, straight in the sandbox (no network)."""
    eks = boto3.client("eks", region_name=REGION)
    eks.create_cluster(name=cluster, roleArn="arn:aws:iam::123456789012:role/r",
                       resourcesVpcConfig={"subnetIds": []})
    eks.create_nodegroup(clusterName=cluster, nodegroupName="acme-nodes", subnets=["subnet-1"],
                         nodeRole="arn:aws:iam::123456789012:role/n")


def answering(run, event: str, status: int, parsed: dict) -> None:
    """botocore answers `event` (service.Operation) of this run's clients with `parsed`, as its
    Stubber does: states moto never reaches (the front rewrites only REST JSON answers, and a
    deleted node group is gone from moto at once)."""
    run.session.events.register(f"before-call.{event}", lambda **_: (AWSResponse("", status, {}, None), parsed))


def bounded(polls: int = 40):
    """A Run's cancelled(): True after `polls` asks, so a wait that misses a failed state ends
    (as Cancelled) instead of polling for an hour."""
    asked = iter(range(polls))
    return lambda: next(asked, None) is None


@pytest.fixture
def provisioned(aws) -> dict[str, str]:
    ids = provision(new_run(), lambda s: None)
    aws.front.reset_log()
    return ids


def test_steps_words_and_the_order_of_deletions(aws, provisioned):
    ids = provisioned
    seen = tear()
    # Every row is drawn first, in reverse dependency order, then each step reports working, then done.
    assert seen[:10] == [(k, label, "waiting", "") for k, label in TITLES]
    assert [(k, status) for k, _, status, _ in seen[10::2]] == [(k, "working") for k, _ in TITLES]
    subnets = ", ".join(ids[f"subnet-{tier}-{zone}"] for zone in "ab" for tier in ("public", "private"))
    assert finished(seen) == [
        ("nodes", "deleted", "acme-nodes"), ("eks", "deleted", "acme"), ("nlb", "deleted", "acme-nlb"),
        ("nat", "deleted", ids["nat"]), ("eip", "deleted", ids["eip"]), ("routes", "deleted", "2 route tables"),
        ("subnets", "deleted", subnets), ("igw", "deleted", ids["igw"]), ("vpc", "deleted", ids["vpc"]),
        ("iam", "deleted", ROLES)]
    assert [label for _, label, _, _ in seen[10:]] == [label for _, label in TITLES for _ in (1, 2)]
    # AWS refuses each of these out of order: the NAT gateway holds its address until deleted
    # (and teardown waits for that: it is asked about between the two), a table with subnets,
    # an attached gateway, a role with policies cannot be deleted.
    ec2 = [("ec2", a) for a in ["DeleteNatGateway", "ReleaseAddress"] + ["DisassociateRouteTable"] * 2
           + ["DeleteRouteTable"] + ["DisassociateRouteTable"] * 2 + ["DeleteRouteTable"] + ["DeleteSubnet"] * 4
           + ["DetachInternetGateway", "DeleteInternetGateway", "DeleteVpc"]]
    iam = [("iam", a) for a in ["DetachRolePolicy", "DeleteRole"] + ["DetachRolePolicy"] * 3 + ["DeleteRole"]]
    assert aws.front.mutations == [("eks", "DELETE /clusters/acme/node-groups/acme-nodes"),
                                   ("eks", "DELETE /clusters/acme"),
                                   ("elasticloadbalancing", "DeleteLoadBalancer"), *ec2, *iam]
    asked = aws.front.requests
    nat_at = asked.index(("ec2", "DeleteNatGateway"))
    assert asked[nat_at + 1] == ("ec2", "DescribeNatGateways")
    assert [r for r in asked if r[0] == "eks"] == [("eks", "")] * 4  # delete, wait, delete, wait
    assert inventory() == dict.fromkeys(inventory(), 0)
    # Run again (as after a crash): every step finds nothing, and says what it looked for.
    assert finished(tear()) == [
        ("nodes", "absent", "acme-nodes"), ("eks", "absent", "acme"), ("nlb", "absent", "acme-nlb"),
        ("nat", "absent", ""), ("eip", "absent", ""), ("routes", "absent", "0 route tables"),
        ("subnets", "absent", ""), ("igw", "absent", ""), ("vpc", "absent", ""), ("iam", "absent", "")]


def test_only_the_clusters_own_things_are_deleted(aws, provisioned):
    """Another cluster's things (our tag key, value "other", or acme's names in another cluster)
    and untagged ones of each kind stay, NAT gateways included, whatever their state."""
    ec2, eks = boto3.client("ec2", region_name=REGION), boto3.client("eks", region_name=REGION)
    vpc, eip, nat = tagged_nat("other")
    subnet = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"][0]["SubnetId"]
    igw = ec2.create_internet_gateway(TagSpecifications=tags("other", "internet-gateway"))[
        "InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    table = ec2.create_route_table(VpcId=vpc, TagSpecifications=tags("other", "route-table"))[
        "RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
    held = ec2.allocate_address(Domain="vpc")["AllocationId"]
    untagged_nat = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=held)["NatGateway"]["NatGatewayId"]
    eks_only("other")  # a node group named acme-nodes, in the other cluster
    iam = boto3.client("iam", region_name=REGION)
    iam.create_role(RoleName="other-eu-west-1-eks-cluster", AssumeRolePolicyDocument=TRUST)
    before = {n["NatGatewayId"]: n["State"] for n in ec2.describe_nat_gateways()["NatGateways"]}
    assert finished(tear())[3] == ("nat", "deleted", provisioned["nat"])
    after = {n["NatGatewayId"]: n["State"] for n in ec2.describe_nat_gateways()["NatGateways"]}
    assert before[nat] in ("pending", "available")  # live, as a teardown's NAT filter would look for
    assert [after[n] for n in (nat, untagged_nat)] == [before[n] for n in (nat, untagged_nat)]
    assert ec2.describe_subnets(SubnetIds=[subnet])["Subnets"][0]["SubnetId"] == subnet
    assert [a["AllocationId"] for a in ec2.describe_addresses(AllocationIds=[eip, held])["Addresses"]] == [eip, held]
    assert ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"][0]["Associations"][0]["SubnetId"] == subnet
    assert ec2.describe_internet_gateways(InternetGatewayIds=[igw])["InternetGateways"][0]["Attachments"] == [
        {"State": "available", "VpcId": vpc}]
    assert ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["VpcId"] == vpc
    assert eks.list_clusters()["clusters"] == ["other"]
    assert eks.list_nodegroups(clusterName="other")["nodegroups"] == ["acme-nodes"]
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == ["other-eu-west-1-eks-cluster"]


@pytest.mark.parametrize("service,action,code,key,sentence", [
    ("eks", "*", "AccessDeniedException", "nodes", "delete the node group"),
    ("elasticloadbalancing", "DescribeLoadBalancers", "AccessDenied", "nlb", "delete the Network Load Balancer"),
    ("ec2", "DescribeNatGateways", "UnauthorizedOperation", "nat", "delete the NAT gateway"),
    ("iam", "ListAttachedRolePolicies", "AccessDenied", "iam", "delete the IAM roles for EKS"),
])
def test_a_refusal_fails_the_step_that_met_it(aws, service, action, code, key, sentence):
    # An empty account: the steps before find their thing already gone, which is fine. Once only:
    # the refused call itself must fail the step (a refused delete is not "already gone").
    aws.front.inject(service, action, code=code, message="from the test", times=1)
    seen = []
    with pytest.raises(CloudError) as caught:
        teardown(new_run(), lambda s: seen.append((s.key, s.label, s.status, s.detail)))
    assert (caught.value.title, caught.value.what, caught.value.code) == (
        "AWS denied access", f"Your identity is not allowed to {sentence}. AWS said: from the test", code)
    keys = [k for k, _ in TITLES]
    before = keys[:keys.index(key)]
    assert [(k, s) for k, s, _ in finished(seen)] == [(k, "absent") for k in before] + [(key, "failed")]


@pytest.mark.parametrize("event,parsed,key,title,state", [
    ("eks.DescribeNodegroup", {"nodegroup": {"status": "DELETE_FAILED"}}, "nodes",
     "Deleting the node group failed", "DELETE_FAILED"),
    ("eks.DescribeCluster", {"cluster": {"status": "FAILED"}}, "eks", "Deleting the EKS cluster failed", "FAILED"),
])
def test_an_eks_deletion_that_fails_ends_the_wait(aws, event, parsed, key, title, state):
    eks_only()
    run = new_run(cancelled=bounded())
    answering(run, event, 200, parsed)
    seen = []
    with pytest.raises(CloudError) as caught:
        teardown(run, lambda s: seen.append((s.key, s.label, s.status, s.detail)))
    what = title.replace(" failed", "")
    assert (caught.value.title, caught.value.what, caught.value.next_step, caught.value.code) == (
        title, f"AWS reports {what[0].lower() + what[1:]} as {state}.", RETRY, state)
    assert finished(seen)[-1] == (key, "failed", "")


def test_a_refused_describe_while_waiting_fails_the_step(aws):
    eks_only()
    run = new_run(cancelled=bounded())
    answering(run, "eks.DescribeNodegroup", 403, {"Error": {"Code": "AccessDeniedException", "Message": "no"}})
    with pytest.raises(CloudError) as caught:
        teardown(run, lambda s: None)
    assert (caught.value.title, caught.value.code) == ("AWS denied access", "AccessDeniedException")


@pytest.mark.parametrize("action", ["ListAttachedRolePolicies", "DeleteRole"])
def test_a_role_already_gone_is_not_reported_as_deleted(aws, action):
    iam = boto3.client("iam", region_name=REGION)
    for name in ROLES.split(", "):
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)
    # IAM says the first role is gone (deleted by someone else meanwhile): skipped, not an error.
    aws.front.inject("iam", action, code="NoSuchEntity", message="gone", times=1)
    assert finished(tear())[-1] == ("iam", "deleted", "acme-eu-west-1-eks-nodes")
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == ["acme-eu-west-1-eks-cluster"]


def test_a_nat_gateway_that_fails_to_delete_keeps_its_address(aws):
    _, eip, nat = tagged_nat("acme")
    run = new_run(cancelled=bounded())

    def failed(parsed, **_):  # moto's own answer, but the gateway reports "failed" as AWS can
        for gateway in parsed.get("NatGateways", []):
            gateway["State"] = "failed" if gateway["State"] == "deleted" else gateway["State"]
    run.session.events.register("after-call.ec2.DescribeNatGateways", failed)
    seen = []
    with pytest.raises(CloudError) as caught:
        teardown(run, lambda s: seen.append((s.key, s.label, s.status, s.detail)))
    assert (caught.value.title, caught.value.what, caught.value.code) == (
        "Deleting the NAT gateway failed", "AWS reports deleting the NAT gateway as failed.", "failed")
    assert finished(seen)[-1] == ("nat", "failed", "")
    assert ("ec2", "ReleaseAddress") not in aws.front.mutations
    assert boto3.client("ec2", region_name=REGION).describe_addresses(AllocationIds=[eip])["Addresses"]


def test_cancel_stops_between_steps_and_a_rerun_finishes(aws):
    first, second = tagged_nat("acme"), tagged_nat("acme")  # two of each: details list them all
    nat = first[2]
    asked = {"n": 0}

    def cancel_after_three() -> bool:
        asked["n"] += 1
        return asked["n"] > 3

    seen = []
    with pytest.raises(Cancelled) as caught:
        teardown(new_run(cancelled=cancel_after_three), lambda s: seen.append((s.key, s.label, s.status, s.detail)))
    assert caught.value.args == ("NAT gateway",)
    assert finished(seen) == [("nodes", "absent", "acme-nodes"), ("eks", "absent", "acme"),
                              ("nlb", "absent", "acme-nlb")]
    assert seen[-1] == ("nlb", "Network Load Balancer", "absent", "acme-nlb")  # nat never started
    ec2 = boto3.client("ec2", region_name=REGION)
    assert ec2.describe_nat_gateways(NatGatewayIds=[nat])["NatGateways"][0]["State"] == "available"
    assert finished(tear())[3:5] == [("nat", "deleted", f"{nat}, {second[2]}"),
                                     ("eip", "deleted", f"{first[1]}, {second[1]}")]
