"""Find-before-create converges (issue 12): provisioning killed at any mutating request, then
resumed, ends in exactly the state of a clean run: each resource once, with the settings the
create path gives it (VPC DNS attributes, public IP mapping, routes, associations, tags)."""
from __future__ import annotations

import urllib.request

import boto3
import pytest

from wizard.aws.plan import TAG_KEY, plan_for
from wizard.aws.provision import Run, provision
from wizard.aws.provision_cluster import nlb_name, role_names

from .kill_sweep import kill_everywhere
from .test_aws_provision import COMPLETE, REGION, inventory, new_run


def _tags(tags: list[dict] | dict | None) -> tuple:
    if isinstance(tags, dict):
        return tuple(sorted(tags.items()))
    return tuple(sorted((t["Key"], t["Value"]) for t in tags or []))


def _tag(item: dict, key: str) -> str:
    return dict(_tags(item.get("Tags"))).get(key, "")


class Accounts:
    """One session whose requests go to moto's account `number` (moto keeps accounts apart by
    the x-moto-account-id header): a fresh, empty account costs nothing, where a full reset takes
    a second or two; one session keeps botocore's loaded service models between accounts."""

    def __init__(self) -> None:
        self.number = 0
        self.session = boto3.Session(region_name=REGION)
        self.session.events.register("before-sign", self._pick)

    def _pick(self, request, **_) -> None:
        request.headers["x-moto-account-id"] = f"{self.number:012d}"

    def fresh(self, number: int) -> boto3.Session:
        self.number = number
        return self.session


def run_in(session: boto3.Session) -> Run:
    return Run(session, plan_for("acme", REGION), poll_seconds=0.05)


def end_state(session: boto3.Session | None = None, name: str = "acme") -> dict[str, list]:
    """Every resource of the cluster, by kind, with its settings; IDs replaced by what they
    stand for, so two accounts built the same way compare equal."""
    session = session or boto3.Session(region_name=REGION)
    ec2, elb, eks, iam = (session.client(n) for n in ("ec2", "elbv2", "eks", "iam"))
    tag = [{"Name": f"tag:{TAG_KEY}", "Values": [name]}]
    vpcs = ec2.describe_vpcs(Filters=tag)["Vpcs"]
    subnets = ec2.describe_subnets(Filters=tag)["Subnets"]
    subnet_name = {s["SubnetId"]: _tag(s, "porter.run/subnet") for s in subnets}
    igws = ec2.describe_internet_gateways(Filters=tag)["InternetGateways"]
    nats = [n for n in ec2.describe_nat_gateways(Filters=tag)["NatGateways"] if n["State"] != "deleted"]
    eips = ec2.describe_addresses(Filters=tag)["Addresses"]
    kind = {**{i["InternetGatewayId"]: "igw" for i in igws}, **{n["NatGatewayId"]: "nat" for n in nats},
            **{v["VpcId"]: "vpc" for v in vpcs}, **{e["AllocationId"]: "eip" for e in eips}}

    def attr(vpc_id: str, attribute: str) -> bool:
        key = attribute[0].upper() + attribute[1:]
        return ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute=attribute)[key]["Value"]

    def route(r: dict) -> tuple:
        target = r.get("GatewayId") or r.get("NatGatewayId") or ""
        return (r.get("DestinationCidrBlock"), "local" if target == "local" else kind.get(target, target),
                r.get("State"))

    lbs = [lb for lb in elb.describe_load_balancers()["LoadBalancers"] if lb["LoadBalancerName"] == nlb_name(
        new_run())]
    clusters = [eks.describe_cluster(name=c)["cluster"] for c in eks.list_clusters()["clusters"] if c == name]
    groups = [eks.describe_nodegroup(clusterName=name, nodegroupName=g)["nodegroup"]
              for g in (eks.list_nodegroups(clusterName=name)["nodegroups"] if clusters else [])]
    roles = [iam.get_role(RoleName=r["RoleName"])["Role"] for r in iam.list_roles()["Roles"]
             if r["RoleName"] in role_names(new_run()).values()]
    return {
        "vpc": sorted((v["CidrBlock"], attr(v["VpcId"], "enableDnsSupport"),
                       attr(v["VpcId"], "enableDnsHostnames"), _tags(v.get("Tags"))) for v in vpcs),
        "subnet": sorted((subnet_name[s["SubnetId"]], s["CidrBlock"], s["AvailabilityZone"],
                          kind.get(s["VpcId"]), s.get("MapPublicIpOnLaunch", False), _tags(s.get("Tags")))
                         for s in subnets),
        "igw": sorted((tuple(sorted((kind.get(a["VpcId"]), a.get("State")) for a in i.get("Attachments", []))),
                       _tags(i.get("Tags"))) for i in igws),
        "eip": sorted((e.get("Domain"), bool(e.get("AssociationId") or e.get("NetworkInterfaceId")),
                       _tags(e.get("Tags"))) for e in eips),
        "nat": sorted((n["State"], subnet_name.get(n["SubnetId"]),
                       tuple(kind.get(a.get("AllocationId")) for a in n.get("NatGatewayAddresses", [])),
                       _tags(n.get("Tags"))) for n in nats),
        "route-table": sorted((_tag(t, "porter.run/route-table"), kind.get(t["VpcId"]),
                               tuple(sorted(route(r) for r in t.get("Routes", []))),
                               tuple(sorted(subnet_name.get(a.get("SubnetId"), "main" if a.get("Main") else "?")
                                            for a in t.get("Associations", []))),
                               _tags(t.get("Tags")))
                              for t in ec2.describe_route_tables(Filters=tag)["RouteTables"]),
        "nlb": sorted((lb["Type"], lb["Scheme"], lb["State"]["Code"],
                       tuple(sorted(subnet_name.get(z["SubnetId"], "?") for z in lb["AvailabilityZones"])),
                       _tags([t for d in elb.describe_tags(ResourceArns=[lb["LoadBalancerArn"]])["TagDescriptions"]
                              for t in d["Tags"]])) for lb in lbs),
        "cluster": sorted((c["name"], c["status"], c["version"], c["roleArn"].rsplit("/", 1)[-1],
                           tuple(sorted(subnet_name.get(s, "?") for s in c["resourcesVpcConfig"]["subnetIds"])),
                           _tags(c.get("tags"))) for c in clusters),
        "nodegroup": sorted((g["nodegroupName"], g["status"], tuple(g["instanceTypes"]),
                             g["nodeRole"].rsplit("/", 1)[-1],
                             tuple(sorted(subnet_name.get(s, "?") for s in g["subnets"])),
                             tuple(sorted(g["scalingConfig"].items())), _tags(g.get("tags"))) for g in groups),
        "role": sorted((r["RoleName"], tuple(sorted(p["PolicyName"] for p in iam.list_attached_role_policies(
            RoleName=r["RoleName"])["AttachedPolicies"])), _tags(r.get("Tags"))) for r in roles),
    }


def clean_run(aws) -> tuple[dict[str, list], list[tuple[str, str]]]:
    """The end state of an uninterrupted provisioning, and the mutating requests it made."""
    aws.reset()
    provision(new_run(), lambda s: None)
    return end_state(), aws.front.mutations


def killed_then_resumed(aws, session: boto3.Session, k: int, *, after: bool) -> dict[str, list]:
    """In a fresh account: provisioning fails at its k-th mutating request, then is resumed."""
    aws.front.reset_log()
    aws.front.fail_at(k, after=after)
    with pytest.raises(Exception):  # noqa: B017, PT011 - any failure: the "killed" process stops
        provision(run_in(session), lambda s: None)
    assert len(aws.front.mutations) == k, "the run did not stop at the failed request"
    aws.front.clear()
    provision(run_in(session), lambda s: None)
    return end_state(session)


def test_a_clean_run_then_a_rerun_changes_nothing(aws):
    clean, made = clean_run(aws)
    assert {kind: len(items) for kind, items in clean.items()} == COMPLETE == inventory()
    assert all(dns_support and dns_names for _, dns_support, dns_names, _ in clean["vpc"])
    assert [s[4] for s in clean["subnet"]] == [False, False, True, True]  # private-*, public-*
    assert ("0.0.0.0/0", "nat", "active") in clean["route-table"][0][2]
    assert ("0.0.0.0/0", "igw", "active") in clean["route-table"][1][2]
    assert ("ec2", "ModifyVpcAttribute") in made
    aws.front.reset_log()
    provision(new_run(), lambda s: None)
    assert aws.front.mutations == []  # idempotent: the second run only reads
    assert end_state() == clean


def test_issue_12_a_vpc_left_without_dns_hostnames_is_fixed_on_resume(aws):
    clean, _ = clean_run(aws)
    aws.reset()
    aws.front.fail_at(1, after=True)  # CreateVpc lands, the run dies before ModifyVpcAttribute
    with pytest.raises(Exception):  # noqa: B017, PT011
        provision(new_run(), lambda s: None)
    assert end_state()["vpc"][0][2] is False
    aws.front.clear()
    seen = []
    provision(new_run(), seen.append)
    assert {s.key: s.status for s in seen if s.finished}["vpc"] == "found"
    assert end_state() == clean


def test_found_resources_get_their_tags_and_settings_back(aws):
    """Damage a finished cluster the ways a kill or a hand edit can; a rerun repairs it all."""
    clean, _ = clean_run(aws)
    session = boto3.Session(region_name=REGION)
    ec2, elb, iam = session.client("ec2"), session.client("elbv2"), session.client("iam")
    tag = [{"Name": f"tag:{TAG_KEY}", "Values": ["acme"]}]
    vpc = ec2.describe_vpcs(Filters=tag)["Vpcs"][0]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": False})
    ec2.delete_tags(Resources=[vpc], Tags=[{"Key": "Name"}])
    for s in ec2.describe_subnets(Filters=tag)["Subnets"]:
        ec2.modify_subnet_attribute(SubnetId=s["SubnetId"], MapPublicIpOnLaunch={"Value": False})
        ec2.delete_tags(Resources=[s["SubnetId"]], Tags=[{"Key": "kubernetes.io/cluster/acme"}])
    public = next(t for t in ec2.describe_route_tables(Filters=tag)["RouteTables"]
                  if _tag(t, "porter.run/route-table") == "public")
    ec2.delete_route(RouteTableId=public["RouteTableId"], DestinationCidrBlock="0.0.0.0/0")
    for a in public["Associations"]:
        ec2.disassociate_route_table(AssociationId=a["RouteTableAssociationId"])
    ec2.delete_tags(Resources=[ec2.describe_addresses(Filters=tag)["Addresses"][0]["AllocationId"]],
                    Tags=[{"Key": "Name"}])
    node_role = role_names(new_run())["nodes"]
    iam.detach_role_policy(RoleName=node_role, PolicyArn="arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy")
    iam.untag_role(RoleName=node_role, TagKeys=["porter.run/managed-by"])
    lb = elb.describe_load_balancers(Names=[nlb_name(new_run())])["LoadBalancers"][0]["LoadBalancerArn"]
    elb.remove_tags(ResourceArns=[lb], TagKeys=["porter.run/managed-by"])
    assert end_state() != clean
    provision(new_run(), lambda s: None)
    assert end_state() == clean
    aws.front.reset_log()
    provision(new_run(), lambda s: None)
    assert aws.front.mutations == []


def test_killed_at_any_mutating_request_then_resumed_converges(aws):
    """The sweep (tests/kill_sweep.py), each kill point in a fresh moto account."""
    clean, made = clean_run(aws)
    accounts = Accounts()
    try:
        diverged = kill_everywhere("AWS provisioning", clean, made, lambda number, k, after: killed_then_resumed(
            aws, accounts.fresh(number), k, after=after))
    finally:
        # moto's state is per process, shared by every moto server in it: empty the accounts made
        # here (a reset takes longer the more accounts there are) so the next test's reset is quick.
        urllib.request.urlopen(urllib.request.Request(f"{aws.moto_url}/moto-api/reset", method="POST"),
                               timeout=120).close()
    assert diverged == {}
    assert len(made) >= 20  # the sweep did cover a whole provisioning
