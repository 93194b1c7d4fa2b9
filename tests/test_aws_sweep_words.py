"""The sweep after teardown, word for word: every kind of leftover it reports (kind, ident, ARN),
their order, each one once, nothing of another cluster, a NAT gateway on its way out not counted,
the console link of each, and which AWS refusals mean "not there" and which stop it.

Leftovers are made straight with boto3 in moto (tagged as provisioning tags them) rather than by
provisioning, so each test is quick; the sandbox front answers AWS's own errors where asked.
"""
from __future__ import annotations

import boto3
import pytest

from wizard.aws.plan import TAG_KEY, plan_for
from wizard.aws.provision import Run
from wizard.aws.provision_cluster import nlb_name, role_names
from wizard.aws.sweep import Leftover, sweep
from wizard.errors import CloudError

REGION = "eu-west-1"
ACCOUNT = "123456789012"  # what moto's STS answers for the sandbox's keys
DOING = "look for resources left with the cluster's tag"


def new_run(name: str = "acme", session: boto3.Session | None = None) -> Run:
    return Run(session or boto3.Session(region_name=REGION), plan_for(name, REGION), poll_seconds=0.05)


def ec2_arn(kind: str, ident: str) -> str:
    return f"arn:aws:ec2:{REGION}:{ACCOUNT}:{kind}/{ident}"


def leave_everything(name: str) -> dict[str, str]:
    """One of each kind provisioning makes, tagged for cluster `name`, plus a security group
    (which only the tagging API reports) and a NAT gateway already deleted."""
    session = boto3.Session(region_name=REGION)
    ec2, elb, eks, iam = (session.client(n) for n in ("ec2", "elbv2", "eks", "iam"))
    tags = [{"Key": TAG_KEY, "Value": name}]

    def spec(kind: str) -> list[dict]:
        return [{"ResourceType": kind, "Tags": tags}]

    ids = {"vpc": ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=spec("vpc"))["Vpc"]["VpcId"]}
    ids["subnets"] = sorted(ec2.create_subnet(
        VpcId=ids["vpc"], CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{zone}",
        TagSpecifications=spec("subnet"))["Subnet"]["SubnetId"] for i, zone in ((1, "a"), (2, "b")))
    ids["igw"] = ec2.create_internet_gateway(TagSpecifications=spec("internet-gateway"))[
        "InternetGateway"]["InternetGatewayId"]
    ids["eip"] = ec2.allocate_address(Domain="vpc", TagSpecifications=spec("elastic-ip"))["AllocationId"]
    ids["nat"] = ec2.create_nat_gateway(SubnetId=ids["subnets"][0], AllocationId=ids["eip"],
                                        TagSpecifications=spec("natgateway"))["NatGateway"]["NatGatewayId"]
    spare = ec2.allocate_address(Domain="vpc")["AllocationId"]  # untagged: not a leftover itself
    gone = ec2.create_nat_gateway(SubnetId=ids["subnets"][0], AllocationId=spare,
                                  TagSpecifications=spec("natgateway"))["NatGateway"]["NatGatewayId"]
    ec2.delete_nat_gateway(NatGatewayId=gone)
    ids["rtb"] = ec2.create_route_table(VpcId=ids["vpc"], TagSpecifications=spec("route-table"))[
        "RouteTable"]["RouteTableId"]
    ids["sg"] = ec2.create_security_group(GroupName=f"{name}-sg", Description="x", VpcId=ids["vpc"],
                                          TagSpecifications=spec("security-group"))["GroupId"]
    run = new_run(name)
    ids["nlb"] = elb.create_load_balancer(Name=nlb_name(run), Type="network", Subnets=ids["subnets"],
                                          Tags=tags)["LoadBalancers"][0]["LoadBalancerArn"]
    ids["roles"] = [iam.create_role(RoleName=role, AssumeRolePolicyDocument="{}", Tags=tags)["Role"]["Arn"]
                    for role in role_names(run).values()]
    ids["eks"] = eks.create_cluster(name=name, roleArn=ids["roles"][0], tags={TAG_KEY: name},
                                    resourcesVpcConfig={"subnetIds": ids["subnets"]})["cluster"]["arn"]
    return ids


def everything(ids: dict[str, str], *, tagging_only: bool = True) -> list[Leftover]:
    """What sweep must answer for leave_everything("acme"), in its order: by kind, then ident."""
    roles = role_names(new_run())
    return [
        Leftover("cluster", "acme", ids["eks"]),
        Leftover("elastic-ip", ids["eip"], ec2_arn("elastic-ip", ids["eip"])),
        Leftover("internet-gateway", ids["igw"], ec2_arn("internet-gateway", ids["igw"])),
        Leftover("loadbalancer", "acme-nlb", ids["nlb"]),
        Leftover("natgateway", ids["nat"], ec2_arn("natgateway", ids["nat"])),
        Leftover("role", roles["cluster"], ids["roles"][0]),
        Leftover("role", roles["nodes"], ids["roles"][1]),
        Leftover("route-table", ids["rtb"], ec2_arn("route-table", ids["rtb"])),
        *([Leftover("security-group", ids["sg"], ec2_arn("security-group", ids["sg"]))] if tagging_only else []),
        *(Leftover("subnet", s, ec2_arn("subnet", s)) for s in ids["subnets"]),
        Leftover("vpc", ids["vpc"], ec2_arn("vpc", ids["vpc"])),
    ]


def tagging_answers(aws, arns: list[str]) -> None:
    """The Resource Groups Tagging API's answer replaced by the front (its JSON is merged)."""
    mappings = [{"ResourceARN": arn, "Tags": [{"Key": TAG_KEY, "Value": "acme"}]} for arn in arns]
    aws.front.override_json("tagging", r"^/$", {"ResourceTagMappingList": mappings}, method="POST")


def test_an_empty_account_has_no_leftovers(aws):
    # No load balancer (LoadBalancerNotFound), no roles (NoSuchEntity), no cluster: nothing.
    assert sweep(new_run()) == []


def test_every_kind_is_reported_once_with_its_arn_and_nothing_of_others(aws):
    leave_everything("other")  # another cluster of the same account, same region
    ec2 = boto3.client("ec2", region_name=REGION)
    untagged = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    ec2.create_subnet(VpcId=untagged, CidrBlock="10.9.1.0/24")
    ec2.create_internet_gateway()
    ids = leave_everything("acme")
    # moto's tagging API lists the VPC, subnets, gateways, load balancer and cluster too, and the
    # deleted NAT gateway: each is still reported once, the deleted gateway not at all.
    assert sweep(new_run()) == everything(ids)


def test_each_lookup_finds_its_kind_when_the_tagging_api_does_not(aws):
    # The tagging API misses some tagged resources (and never lists IAM): EC2's, ELB's, EKS's and
    # IAM's own lookups must find each kind on their own.
    ids = leave_everything("acme")
    tagging_answers(aws, [])
    assert sweep(new_run()) == everything(ids, tagging_only=False)


def test_the_tagging_api_s_nat_gateways_are_left_to_ec2(aws):
    # The tagging API keeps listing a deleted NAT gateway for about an hour; only EC2 knows its
    # state, so a gateway the tagging API alone names is not a leftover (and what it lists after
    # that gateway is still read: the security group only it reports).
    ids = leave_everything("acme")
    tagging_answers(aws, [ec2_arn("natgateway", "nat-0123456789abcdef0"), ec2_arn("security-group", ids["sg"])])
    assert sweep(new_run()) == everything(ids)


def test_a_nat_gateway_being_deleted_is_not_a_leftover(aws):
    ids = leave_everything("acme")
    # moto marks a gateway "deleted" at once and never answers "deleting", as AWS does for a
    # while: the test's session reads EC2's answer with that gateway in that state.
    session = boto3.Session(region_name=REGION)

    def deleting(parsed, **_):
        for gateway in parsed.get("NatGateways", []):
            if gateway["NatGatewayId"] == ids["nat"]:
                gateway["State"] = "deleting"

    session.events.register("after-call.ec2.DescribeNatGateways", deleting)
    assert sweep(new_run(session=session)) == [lo for lo in everything(ids) if lo.kind != "natgateway"]


def test_one_resource_under_two_arns_is_listed_once_with_the_first_arn(aws):
    # When the tagging API spells a resource's ARN otherwise than sweep builds it, the resource is
    # still one leftover: the one the tagging API named (looked at first).
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": [{"Key": TAG_KEY, "Value": "acme"}]}])["Vpc"]["VpcId"]
    spelled = f"arn:aws:ec2:{REGION}:210987654321:vpc/{vpc}"
    tagging_answers(aws, [spelled])
    assert sweep(new_run()) == [Leftover("vpc", vpc, spelled)]


@pytest.mark.parametrize("partition,host", [
    ("aws", "console.aws.amazon.com"),
    ("aws-us-gov", "console.amazonaws-us-gov.com"),
    ("aws-cn", "console.amazonaws.cn"),
])
def test_the_console_link_opens_the_arn_in_the_partition_s_console(partition, host):
    role = Leftover("role", "acme-eu-west-1-eks-cluster",
                    f"arn:{partition}:iam::{ACCOUNT}:role/acme-eu-west-1-eks-cluster")
    # Every ':' and '/' of the ARN quoted, or the console's resolver would not read it whole.
    assert role.console_url(partition) == (
        f"https://{host}/go/view?arn=arn%3A{partition}%3Aiam%3A%3A{ACCOUNT}%3Arole%2Facme-eu-west-1-eks-cluster")


def test_the_console_link_defaults_to_the_commercial_partition():
    nat = Leftover("natgateway", "nat-1", ec2_arn("natgateway", "nat-1"))
    assert nat.console_url() == ("https://console.aws.amazon.com/go/view?arn=arn%3Aaws%3Aec2%3A"
                                 f"{REGION}%3A{ACCOUNT}%3Anatgateway%2Fnat-1")


def test_not_found_answers_mean_not_there_and_the_sweep_goes_on(aws):
    ids = leave_everything("acme")
    tagging_answers(aws, [])  # the named lookups alone (the tagging API lists the load balancer)
    # As AWS answers for a load balancer or role deleted between two calls: the rest is reported.
    aws.front.inject("elasticloadbalancing", "DescribeLoadBalancers", code="LoadBalancerNotFound",
                     message="gone", status=400)
    aws.front.inject("iam", "GetRole", code="NoSuchEntity", message="gone", status=404)  # the first role
    kept = [lo for lo in everything(ids, tagging_only=False)
            if lo.kind != "loadbalancer" and lo.arn != ids["roles"][0]]
    assert sweep(new_run()) == kept


@pytest.mark.parametrize("service,action,code,status,title,what,next_step", [
    ("elasticloadbalancing", "DescribeLoadBalancers", "ValidationError", 400, f"AWS could not {DOING}",
     "ValidationError. AWS said: from the test",
     "Fix what AWS names above and press Retry; if it persists, send the log to support."),
    ("iam", "GetRole", "AccessDenied", 403, "AWS denied access",
     f"Your identity is not allowed to {DOING}. AWS said: from the test",
     "Use credentials with administrator rights for setup, or ask your AWS administrator for the "
     "missing permission named above."),
], ids=["elb-ValidationError", "iam-AccessDenied"])
def test_other_refusals_of_the_named_lookups_stop_the_sweep(aws, service, action, code, status, title,
                                                             what, next_step):
    # A refusal is not an absence: reporting "nothing left" here would hide what is left.
    aws.front.inject(service, action, code=code, message="from the test", status=status, times=5)
    with pytest.raises(CloudError) as caught:
        sweep(new_run())
    err = caught.value
    assert (err.title, err.what, err.next_step, err.code) == (title, what, next_step, code)
