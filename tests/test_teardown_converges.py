"""Teardown converges and touches nothing of the user's (issues 12 and 18): a teardown killed at
any mutating request, then run again, ends where a clean teardown ends: nothing of the cluster
left, and everything else in the region and account exactly as it was before provisioning,
including the user's own untagged network, addresses, roles and load balancer."""
from __future__ import annotations

import json
import urllib.request

import boto3
import pytest

from wizard.aws.plan import TAG_KEY
from wizard.aws.provision import provision
from wizard.aws.sweep import sweep
from wizard.aws.teardown import teardown

from .kill_sweep import kill_everywhere
from .test_aws_provision import COMPLETE, REGION, inventory
from .test_provision_converges import Accounts, _tags, run_in

USER_ROLES = ("user-app-role", "acme-app")  # the second shares the cluster's name as a prefix
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def user_resources(session: boto3.Session) -> None:
    """What the user had in the region before the wizard came: an untagged VPC with a subnet, a
    gateway, a route table, a security group, a NAT gateway and a load balancer; an empty VPC;
    Elastic IPs
    (untagged, and one of *another* cluster's, with our tag key); IAM roles of theirs."""
    ec2, elb, iam = session.client("ec2"), session.client("elbv2"), session.client("iam")
    vpc = ec2.create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.99.1.0/24", AvailabilityZone=f"{REGION}a")[
        "Subnet"]["SubnetId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
    ec2.create_vpc(CidrBlock="10.98.0.0/16")  # an empty one, which nothing stops a delete of
    ec2.allocate_address(Domain="vpc")
    ec2.allocate_address(Domain="vpc", TagSpecifications=[{"ResourceType": "elastic-ip", "Tags": [
        {"Key": TAG_KEY, "Value": "other"}, {"Key": "kubernetes.io/cluster/other", "Value": "owned"}]}])
    held = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.create_nat_gateway(SubnetId=subnet, AllocationId=held)
    group = ec2.create_security_group(GroupName="user-web", Description="the user's", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    for name in USER_ROLES:
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)
    iam.attach_role_policy(RoleName=USER_ROLES[0], PolicyArn="arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy")
    elb.create_load_balancer(Name="user-nlb", Type="network", Scheme="internal", Subnets=[subnet])


def _attached(igw: dict, label: dict[str, str]) -> list[str]:
    return sorted(label.get(a["VpcId"], "?") for a in igw.get("Attachments", []))


def inventory_all(session: boto3.Session) -> dict[str, dict[str, tuple]]:
    """Everything of the kinds provisioning makes (and security groups) in the region and
    account, tagged or not: kind -> {id: settings}. Settings name what they refer to by what it
    is (a VPC by its CIDR, a subnet by its CIDR, ...), never by ID, so two accounts built the same
    way have equal `anonymous()` inventories."""
    ec2, elb, eks, iam = (session.client(n) for n in ("ec2", "elbv2", "eks", "iam"))
    vpcs = ec2.describe_vpcs()["Vpcs"]
    label = {v["VpcId"]: f"vpc {v['CidrBlock']}{' default' if v.get('IsDefault') else ''}" for v in vpcs}
    subnets = ec2.describe_subnets()["Subnets"]
    label.update({s["SubnetId"]: f"subnet {s['CidrBlock']}" for s in subnets})
    igws = ec2.describe_internet_gateways()["InternetGateways"]
    label.update({i["InternetGatewayId"]: f"igw of {_attached(i, label)}"
                  f" {_tags(i.get('Tags'))}" for i in igws})
    nats = [n for n in ec2.describe_nat_gateways()["NatGateways"] if n["State"] != "deleted"]
    label.update({n["NatGatewayId"]: f"nat in {label.get(n['SubnetId'], '?')}" for n in nats})
    addresses = ec2.describe_addresses()["Addresses"]
    holder = {a.get("AllocationId"): label[n["NatGatewayId"]] for n in nats for a in n.get("NatGatewayAddresses", [])}
    groups = ec2.describe_security_groups()["SecurityGroups"]
    label.update({g["GroupId"]: f"sg {g['GroupName']} in {label.get(g.get('VpcId'), '?')}" for g in groups})

    def name(ident: str | None) -> str:
        return "" if ident is None else "local" if ident == "local" else label.get(ident, f"unknown {ident}")

    def rules(permissions: list[dict]) -> tuple:
        return tuple(sorted((p.get("IpProtocol"), p.get("FromPort"), p.get("ToPort"),
                             tuple(sorted(r["CidrIp"] for r in p.get("IpRanges", []))),
                             tuple(sorted(name(u.get("GroupId")) for u in p.get("UserIdGroupPairs", []))))
                            for p in permissions))

    def attr(vpc_id: str, attribute: str) -> bool:
        key = attribute[0].upper() + attribute[1:]
        return ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute=attribute)[key]["Value"]

    lbs = elb.describe_load_balancers()["LoadBalancers"]
    lb_tags = {d["ResourceArn"]: d["Tags"] for d in elb.describe_tags(
        ResourceArns=[lb["LoadBalancerArn"] for lb in lbs])["TagDescriptions"]} if lbs else {}
    clusters = [eks.describe_cluster(name=c)["cluster"] for c in eks.list_clusters()["clusters"]]
    roles = [iam.get_role(RoleName=r["RoleName"])["Role"] for r in iam.list_roles()["Roles"]]
    return {
        "vpc": {v["VpcId"]: (label[v["VpcId"]], attr(v["VpcId"], "enableDnsSupport"),
                             attr(v["VpcId"], "enableDnsHostnames"), _tags(v.get("Tags"))) for v in vpcs},
        "subnet": {s["SubnetId"]: (label[s["SubnetId"]], s["AvailabilityZone"], name(s["VpcId"]),
                                   s.get("MapPublicIpOnLaunch", False), _tags(s.get("Tags"))) for s in subnets},
        "igw": {i["InternetGatewayId"]: (label[i["InternetGatewayId"]], tuple(sorted(
            a.get("State", "") for a in i.get("Attachments", [])))) for i in igws},
        "route-table": {t["RouteTableId"]: (
            name(t["VpcId"]),
            tuple(sorted((r.get("DestinationCidrBlock"), name(r.get("GatewayId") or r.get("NatGatewayId")),
                          r.get("State")) for r in t.get("Routes", []))),
            tuple(sorted("main" if a.get("Main") else name(a.get("SubnetId")) for a in t.get("Associations", []))),
            _tags(t.get("Tags"))) for t in ec2.describe_route_tables()["RouteTables"]},
        "eip": {a["AllocationId"]: (a.get("Domain"), holder.get(a["AllocationId"], ""),
                                    bool(a.get("AssociationId")), _tags(a.get("Tags"))) for a in addresses},
        "nat": {n["NatGatewayId"]: (label[n["NatGatewayId"]], n["State"], n.get("ConnectivityType"),
                                    _tags(n.get("Tags"))) for n in nats},
        "security-group": {g["GroupId"]: (label[g["GroupId"]], g.get("Description"), rules(g.get("IpPermissions", [])),
                                          rules(g.get("IpPermissionsEgress", [])), _tags(g.get("Tags")))
                           for g in groups},
        "load-balancer": {lb["LoadBalancerArn"]: (
            lb["LoadBalancerName"], lb["Type"], lb["Scheme"], lb["State"]["Code"], name(lb.get("VpcId")),
            tuple(sorted(name(z["SubnetId"]) for z in lb["AvailabilityZones"])),
            _tags(lb_tags.get(lb["LoadBalancerArn"]))) for lb in lbs},
        "eks-cluster": {c["name"]: (c["status"], c["version"], c["roleArn"].rsplit("/", 1)[-1], tuple(sorted(
            name(s) for s in c["resourcesVpcConfig"]["subnetIds"])), _tags(c.get("tags"))) for c in clusters},
        "iam-role": {r["RoleName"]: (r.get("Path"), json.dumps(r["AssumeRolePolicyDocument"], sort_keys=True),
                                     tuple(sorted(p["PolicyArn"] for p in iam.list_attached_role_policies(
                                         RoleName=r["RoleName"])["AttachedPolicies"])),
                                     tuple(iam.list_role_policies(RoleName=r["RoleName"])["PolicyNames"]),
                                     _tags(r.get("Tags"))) for r in roles},
    }


def anonymous(inv: dict[str, dict[str, tuple]]) -> dict[str, list]:
    """The inventory without IDs: what two accounts built the same way have in common."""
    return {kind: sorted(items.values()) for kind, items in inv.items()}


def account_with_cluster(session: boto3.Session) -> None:
    """The user's things, then a cluster provisioned cleanly."""
    user_resources(session)
    provision(run_in(session), lambda s: None)


def test_a_clean_teardown_removes_ours_and_leaves_the_users_things_exactly(aws):
    session = boto3.Session(region_name=REGION)
    user_resources(session)
    before = inventory_all(session)
    provision(run_in(session), lambda s: None)
    assert inventory() == COMPLETE
    during = inventory_all(session)
    assert all(set(before[kind]) <= set(during[kind]) for kind in before)
    steps = []
    teardown(run_in(session), steps.append)
    assert {s.status for s in steps if s.finished} == {"deleted"}
    assert inventory() == {kind: 0 for kind in COMPLETE}
    assert sweep(run_in(session)) == []
    assert inventory_all(session) == before  # the user's things untouched, IDs and settings alike
    # The inventory does see the user's things (else the equality proves little).
    seen = anonymous(before)
    assert ("vpc 10.99.0.0/16", True, False, ()) in seen["vpc"]
    other = tuple(sorted({TAG_KEY: "other", "kubernetes.io/cluster/other": "owned"}.items()))
    assert any(e[3] == other for e in seen["eip"])
    assert [e[1] for e in seen["eip"]].count("nat in subnet 10.99.1.0/24") == 1
    assert set(USER_ROLES) <= set(before["iam-role"]) and len(seen["load-balancer"]) == 1


def killed_then_resumed(aws, session: boto3.Session, k: int, *, after: bool) -> dict[str, dict[str, tuple]]:
    """In a fresh account: a cluster provisioned, its teardown fails at its k-th mutating
    request, then a new teardown (as after a relaunch) runs to the end; the inventory then."""
    account_with_cluster(session)
    aws.front.reset_log()
    aws.front.fail_at(k, after=after)
    with pytest.raises(Exception):  # noqa: B017, PT011 - any failure: the "killed" process stops
        teardown(run_in(session), lambda s: None)
    assert len(aws.front.mutations) == k, "the teardown did not stop at the failed request"
    aws.front.clear()
    teardown(run_in(session), lambda s: None)
    return inventory_all(session)


def test_teardown_killed_at_any_mutating_request_then_run_again_converges(aws):
    """As for provisioning: after-k for every k, plus before-1, covers every point a kill can
    stop a teardown; each resumed teardown must end as the clean one did."""
    session = boto3.Session(region_name=REGION)
    user_resources(session)
    before = inventory_all(session)
    provision(run_in(session), lambda s: None)
    aws.front.reset_log()
    teardown(run_in(session), lambda s: None)
    made, clean = aws.front.mutations, anonymous(inventory_all(session))
    assert clean == anonymous(before)
    accounts = Accounts()
    try:
        diverged = kill_everywhere("AWS teardown", clean, made, lambda number, k, after: anonymous(
            killed_then_resumed(aws, accounts.fresh(number), k, after=after)))
    finally:
        # As in the provisioning sweep: empty the accounts made here so the next reset is quick.
        urllib.request.urlopen(urllib.request.Request(f"{aws.moto_url}/moto-api/reset", method="POST"),
                               timeout=120).close()
    assert diverged == {}
    assert len(made) >= 15  # the sweep did cover a whole teardown
