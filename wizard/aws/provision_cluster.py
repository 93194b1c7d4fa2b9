"""Provisioning steps for the cluster itself: IAM roles, the load balancer, EKS and its nodes.

As for the network, a found resource is brought to the state the create path leaves (policies,
tags) before its step counts as done; see provision_network."""
from __future__ import annotations

import json

from .provision import Run
from .provision_network import subnet_ids

CLUSTER_POLICIES = ["AmazonEKSClusterPolicy"]
NODE_POLICIES = ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"]


def role_names(run: Run) -> dict[str, str]:
    # IAM is global: the region keeps two clusters of one project in two regions apart.
    base = f"{run.plan.name}-{run.plan.region}"[:48]
    return {"cluster": f"{base}-eks-cluster", "nodes": f"{base}-eks-nodes"}


def _error_code(exc: Exception) -> str:
    return getattr(exc, "response", {}).get("Error", {}).get("Code", "")


def _ensure_role(run: Run, name: str, service: str, policies: list[str]) -> tuple[bool, str]:
    iam = run.client("iam")
    created = False
    want_tags = [{"Key": k, "Value": v} for k, v in run.plan.tags().items()]
    try:
        role = iam.get_role(RoleName=name)["Role"]
    except Exception as exc:  # noqa: BLE001 - only "no such role" means create
        if _error_code(exc) != "NoSuchEntity":
            raise
        trust = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]}
        role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust), Tags=want_tags)["Role"]
        created = True
    else:
        have = {t["Key"]: t["Value"] for t in role.get("Tags", [])}
        missing = [t for t in want_tags if have.get(t["Key"]) != t["Value"]]
        if missing:
            iam.tag_role(RoleName=name, Tags=missing)
    arn = role["Arn"]
    # Attach what is missing even on a found role: a run stopped between create and attach
    # leaves a role without its policies.
    attached = {p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]}
    partition = arn.split(":")[1]
    for policy in policies:
        policy_arn = f"arn:{partition}:iam::aws:policy/{policy}"
        if policy_arn not in attached:
            iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
    return created, arn


def iam_roles(run: Run) -> tuple[str, str]:
    names = role_names(run)
    made_c, run.ids["cluster-role"] = _ensure_role(run, names["cluster"], "eks.amazonaws.com", CLUSTER_POLICIES)
    made_n, run.ids["node-role"] = _ensure_role(run, names["nodes"], "ec2.amazonaws.com", NODE_POLICIES)
    return ("created" if made_c or made_n else "found"), f"{names['cluster']}, {names['nodes']}"


def nlb_name(run: Run) -> str:
    return f"{run.plan.name}-nlb"[:32]  # ELB names are at most 32 characters, unique per region


def load_balancer(run: Run) -> tuple[str, str]:
    elb = run.client("elbv2")
    status = "found"
    want_tags = [{"Key": k, "Value": v} for k, v in run.plan.tags().items()]
    try:
        lb = elb.describe_load_balancers(Names=[nlb_name(run)])["LoadBalancers"][0]
    except Exception as exc:  # noqa: BLE001
        if _error_code(exc) != "LoadBalancerNotFound":
            raise
        lb = elb.create_load_balancer(
            Name=nlb_name(run), Type="network", Scheme="internet-facing",
            Subnets=subnet_ids(run, "public"), Tags=want_tags)["LoadBalancers"][0]
        status = "created"
    else:
        # Its type, scheme and subnets are set at creation for good; its tags can be set back.
        have = {t["Key"]: t["Value"] for d in elb.describe_tags(ResourceArns=[lb["LoadBalancerArn"]])[
            "TagDescriptions"] for t in d.get("Tags", [])}
        missing = [t for t in want_tags if have.get(t["Key"]) != t["Value"]]
        if missing:
            elb.add_tags(ResourceArns=[lb["LoadBalancerArn"]], Tags=missing)
    arn = run.ids["nlb"] = lb["LoadBalancerArn"]
    run.wait_until("the load balancer", lambda: elb.describe_load_balancers(
        LoadBalancerArns=[arn])["LoadBalancers"][0]["State"]["Code"], {"active"}, {"failed"})
    return status, lb.get("DNSName", arn)


def eks_cluster(run: Run) -> tuple[str, str]:
    eks = run.client("eks")
    name = run.plan.name
    status = "found"
    try:
        # A found cluster is taken as it is: its version, role and subnets are set at creation
        # (changing them means an upgrade or a new cluster, not a cheap fix), and it is created
        # in one call with its tags, so a kill cannot leave it half made. We only wait for it.
        cluster = eks.describe_cluster(name=name)["cluster"]
    except Exception as exc:  # noqa: BLE001
        if _error_code(exc) != "ResourceNotFoundException":
            raise
        cluster = eks.create_cluster(
            name=name, version=run.plan.kubernetes_version, roleArn=run.ids["cluster-role"],
            resourcesVpcConfig={"subnetIds": subnet_ids(run, "private") + subnet_ids(run, "public"),
                                "endpointPublicAccess": True, "endpointPrivateAccess": True},
            tags=run.plan.tags())["cluster"]
        status = "created"
    run.ids["eks"] = cluster["arn"]
    run.wait_until("the EKS cluster", lambda: eks.describe_cluster(name=name)["cluster"]["status"],
                   {"ACTIVE"}, {"FAILED", "DELETING"})
    return status, cluster["arn"]


def node_group(run: Run) -> tuple[str, str]:
    eks = run.client("eks")
    cluster, group = run.plan.name, f"{run.plan.name}-nodes"
    status = "found"
    try:
        # Like the cluster: a found node group is taken as it is (one call makes it whole; its
        # instance type, disk and subnets cannot be changed in place), and waited for.
        eks.describe_nodegroup(clusterName=cluster, nodegroupName=group)
    except Exception as exc:  # noqa: BLE001
        if _error_code(exc) != "ResourceNotFoundException":
            raise
        eks.create_nodegroup(
            clusterName=cluster, nodegroupName=group, nodeRole=run.ids["node-role"],
            subnets=subnet_ids(run, "private"), instanceTypes=[run.plan.node_type],
            diskSize=run.plan.node_disk_gb, tags=run.plan.tags(),
            scalingConfig={"minSize": run.plan.nodes_min, "desiredSize": run.plan.nodes_desired,
                           "maxSize": run.plan.nodes_max})
        status = "created"
    run.wait_until("the node group", lambda: eks.describe_nodegroup(
        clusterName=cluster, nodegroupName=group)["nodegroup"]["status"],
        {"ACTIVE"}, {"CREATE_FAILED", "DEGRADED", "DELETING"})
    run.ids["nodes"] = group
    return status, f"{group}: {run.plan.nodes_desired} × {run.plan.node_type}"
