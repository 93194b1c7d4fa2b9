"""After teardown: look everywhere for anything still carrying the cluster's tag.

The Resource Groups Tagging API sees most tagged resources but not all (and not IAM, which is
global), so each kind provisioning makes is also looked up with its own service's call.
"""
from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

from .console import console_host
from .errors import aws_call
from .plan import TAG_KEY
from .provision import Run
from .provision_cluster import nlb_name, role_names
from .provision_network import _by_tag


@dataclass(frozen=True)
class Leftover:
    kind: str
    ident: str
    arn: str

    def console_url(self, partition: str = "aws") -> str:
        # The console's own ARN resolver opens the right page for any resource type.
        return f"https://{console_host(partition)}/go/view?arn={urllib.parse.quote(self.arn, safe='')}"


def _ec2_arn(run: Run, owner: tuple[str, str], kind: str, ident: str) -> str:
    partition, account = owner
    return f"arn:{partition}:ec2:{run.plan.region}:{account}:{kind}/{ident}"


def sweep(run: Run) -> list[Leftover]:
    found: dict[str, Leftover] = {}
    with aws_call("look for resources left with the cluster's tag"):
        tagging = run.client("resourcegroupstaggingapi")
        pages = tagging.get_paginator("get_resources").paginate(
            TagFilters=[{"Key": TAG_KEY, "Values": [run.plan.name]}])
        for page in pages:
            for item in page["ResourceTagMappingList"]:
                arn = item["ResourceARN"]
                resource = arn.split(":", 5)[-1]
                if resource.startswith("natgateway/"):
                    # Deleted NAT gateways stay listed (as "deleted") for about an hour; EC2's
                    # own lookup below knows their state.
                    continue
                found[arn] = Leftover(resource.split("/")[0], resource.split("/")[-1], arn)
        ec2 = run.client("ec2")
        lookups = [
            ("vpc", ec2.describe_vpcs(Filters=_by_tag(run))["Vpcs"], "VpcId"),
            ("subnet", ec2.describe_subnets(Filters=_by_tag(run))["Subnets"], "SubnetId"),
            ("internet-gateway", ec2.describe_internet_gateways(Filters=_by_tag(run))["InternetGateways"],
             "InternetGatewayId"),
            ("elastic-ip", ec2.describe_addresses(Filters=_by_tag(run))["Addresses"], "AllocationId"),
            ("natgateway", [n for n in ec2.describe_nat_gateways(Filters=_by_tag(run))["NatGateways"]
                            if n["State"] not in ("deleted", "deleting")], "NatGatewayId"),
            ("route-table", ec2.describe_route_tables(Filters=_by_tag(run))["RouteTables"], "RouteTableId"),
        ]
        who = run.client("sts").get_caller_identity()
        owner = (who["Arn"].split(":")[1], who["Account"])  # GovCloud and China have their own
        for kind, items, key in lookups:
            for item in items:
                arn = _ec2_arn(run, owner, kind, item[key])
                found.setdefault(arn, Leftover(kind, item[key], arn))
        found.update({lo.arn: lo for lo in _named_leftovers(run)})
    by_ident: dict[str, Leftover] = {}
    for leftover in found.values():
        by_ident.setdefault(leftover.ident, leftover)  # the same resource seen by two lookups
    return sorted(by_ident.values(), key=lambda lo: (lo.kind, lo.ident))


def _named_leftovers(run: Run) -> list[Leftover]:
    out = []
    elb, eks, iam = run.client("elbv2"), run.client("eks"), run.client("iam")
    try:
        for lb in elb.describe_load_balancers(Names=[nlb_name(run)])["LoadBalancers"]:
            out.append(Leftover("loadbalancer", lb["LoadBalancerName"], lb["LoadBalancerArn"]))
    except Exception as exc:  # noqa: BLE001
        if getattr(exc, "response", {}).get("Error", {}).get("Code") != "LoadBalancerNotFound":
            raise
    if run.plan.name in eks.list_clusters()["clusters"]:
        cluster = eks.describe_cluster(name=run.plan.name)["cluster"]
        out.append(Leftover("cluster", run.plan.name, cluster["arn"]))
    for name in role_names(run).values():
        try:
            out.append(Leftover("role", name, iam.get_role(RoleName=name)["Role"]["Arn"]))
        except Exception as exc:  # noqa: BLE001
            if getattr(exc, "response", {}).get("Error", {}).get("Code") != "NoSuchEntity":
                raise
    return out
