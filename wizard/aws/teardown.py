"""Teardown: delete what provisioning made, in reverse dependency order, then sweep by tag.

Each step deletes only what carries the cluster's tag (or its unique name), and tolerates what
is already gone, so an interrupted teardown can simply be run again.
"""
from __future__ import annotations

from collections.abc import Callable

from .provision import Run, StepState
from .provision_cluster import nlb_name, role_names
from .provision_network import _by_tag

_GONE = {"ResourceNotFoundException", "LoadBalancerNotFound", "NoSuchEntity", "InvalidVpcID.NotFound",
         "InvalidSubnetID.NotFound", "InvalidInternetGatewayID.NotFound", "InvalidAllocationID.NotFound",
         "InvalidRouteTableID.NotFound", "NatGatewayNotFound"}


def _gone(exc: Exception) -> bool:
    return getattr(exc, "response", {}).get("Error", {}).get("Code", "") in _GONE


def _delete_until_gone(run: Run, what: str, name: str, delete: Callable[[], object],
                       status: Callable[[], str], failed: set[str]) -> tuple[str, str]:
    """Ask for the deletion, then wait until the describe call no longer finds it."""
    try:
        delete()
    except Exception as exc:  # noqa: BLE001 - only "already gone" is fine here
        if _gone(exc):
            return "absent", name
        raise

    def state() -> str:
        try:
            return status()
        except Exception as exc:  # noqa: BLE001
            if _gone(exc):
                return "GONE"
            raise
    run.wait_until(f"deleting {what}", state, {"GONE"}, failed)
    return "deleted", name


def node_group(run: Run) -> tuple[str, str]:
    eks, cluster, group = run.client("eks"), run.plan.name, f"{run.plan.name}-nodes"
    return _delete_until_gone(
        run, "the node group", group,
        lambda: eks.delete_nodegroup(clusterName=cluster, nodegroupName=group),
        lambda: eks.describe_nodegroup(clusterName=cluster, nodegroupName=group)["nodegroup"]["status"],
        {"DELETE_FAILED"})


def eks_cluster(run: Run) -> tuple[str, str]:
    eks, name = run.client("eks"), run.plan.name
    return _delete_until_gone(run, "the EKS cluster", name, lambda: eks.delete_cluster(name=name),
                              lambda: eks.describe_cluster(name=name)["cluster"]["status"], {"FAILED"})


def load_balancer(run: Run) -> tuple[str, str]:
    elb = run.client("elbv2")
    try:
        arn = elb.describe_load_balancers(Names=[nlb_name(run)])["LoadBalancers"][0]["LoadBalancerArn"]
    except Exception as exc:  # noqa: BLE001
        if _gone(exc):
            return "absent", nlb_name(run)
        raise
    elb.delete_load_balancer(LoadBalancerArn=arn)
    return "deleted", nlb_name(run)


def nat_gateway(run: Run) -> tuple[str, str]:
    ec2 = run.client("ec2")
    live = ec2.describe_nat_gateways(Filters=_by_tag(run, [{"Name": "state", "Values": [
        "pending", "available", "deleting"]}]))["NatGateways"]
    for nat in live:
        ec2.delete_nat_gateway(NatGatewayId=nat["NatGatewayId"])
        # Its Elastic IP can only be released once the gateway is fully deleted.
        run.wait_until("deleting the NAT gateway", lambda n=nat["NatGatewayId"]: ec2.describe_nat_gateways(
            NatGatewayIds=[n])["NatGateways"][0]["State"], {"deleted"}, {"failed"})
    return ("deleted" if live else "absent"), ", ".join(n["NatGatewayId"] for n in live)


def _delete_tagged(run: Run, describe: str, key: str, ident: str, delete: str) -> tuple[str, str]:
    """Delete every EC2 resource of one kind that carries the cluster's tag."""
    ec2 = run.client("ec2")
    found = getattr(ec2, describe)(Filters=_by_tag(run))[key]
    for item in found:
        getattr(ec2, delete)(**{ident: item[ident]})
    return ("deleted" if found else "absent"), ", ".join(item[ident] for item in found)


def elastic_ip(run: Run) -> tuple[str, str]:
    return _delete_tagged(run, "describe_addresses", "Addresses", "AllocationId", "release_address")


def route_tables(run: Run) -> tuple[str, str]:
    ec2 = run.client("ec2")
    tables = ec2.describe_route_tables(Filters=_by_tag(run))["RouteTables"]
    for table in tables:
        for assoc in table.get("Associations", []):
            if not assoc.get("Main"):
                ec2.disassociate_route_table(AssociationId=assoc["RouteTableAssociationId"])
        ec2.delete_route_table(RouteTableId=table["RouteTableId"])
    return ("deleted" if tables else "absent"), f"{len(tables)} route tables"


def subnets(run: Run) -> tuple[str, str]:
    return _delete_tagged(run, "describe_subnets", "Subnets", "SubnetId", "delete_subnet")


def internet_gateway(run: Run) -> tuple[str, str]:
    ec2 = run.client("ec2")
    found = ec2.describe_internet_gateways(Filters=_by_tag(run))["InternetGateways"]
    for igw in found:
        for attachment in igw.get("Attachments", []):
            ec2.detach_internet_gateway(InternetGatewayId=igw["InternetGatewayId"], VpcId=attachment["VpcId"])
        ec2.delete_internet_gateway(InternetGatewayId=igw["InternetGatewayId"])
    return ("deleted" if found else "absent"), ", ".join(i["InternetGatewayId"] for i in found)


def vpc(run: Run) -> tuple[str, str]:
    return _delete_tagged(run, "describe_vpcs", "Vpcs", "VpcId", "delete_vpc")


def iam_roles(run: Run) -> tuple[str, str]:
    iam = run.client("iam")
    deleted = []
    for name in role_names(run).values():
        try:
            for policy in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
                iam.detach_role_policy(RoleName=name, PolicyArn=policy["PolicyArn"])
            iam.delete_role(RoleName=name)
            deleted.append(name)
        except Exception as exc:  # noqa: BLE001
            if not _gone(exc):
                raise
    return ("deleted" if deleted else "absent"), ", ".join(deleted)


def steps() -> list[tuple[str, str, Callable[[Run], tuple[str, str]]]]:
    return [
        ("nodes", "Node group", node_group), ("eks", "EKS cluster", eks_cluster),
        ("nlb", "Network Load Balancer", load_balancer), ("nat", "NAT gateway", nat_gateway),
        ("eip", "Elastic IP", elastic_ip), ("routes", "Route tables", route_tables),
        ("subnets", "Subnets", subnets), ("igw", "Internet gateway", internet_gateway),
        ("vpc", "VPC", vpc), ("iam", "IAM roles for EKS", iam_roles),
    ]


def teardown(run: Run, on_step: Callable[[StepState], None]) -> None:
    from .provision import run_steps

    run_steps(run, steps(), on_step, "delete")
