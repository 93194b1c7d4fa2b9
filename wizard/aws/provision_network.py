"""Provisioning steps for the network: VPC, subnets, gateways, routes. Each returns
(found|created, id) and records what it found or made in run.ids for the later steps.

Find-before-create converges: a found resource is brought to the state the create path would have
left (attributes, tags, attachments, routes), since a run killed between a create and the calls
after it leaves it half done. Every such fix first reads, so a second call changes nothing."""
from __future__ import annotations

import ipaddress

from .plan import TAG_KEY
from .provision import Run


def _by_tag(run: Run, extra: list[dict] | None = None) -> list[dict]:
    return [{"Name": f"tag:{TAG_KEY}", "Values": [run.plan.name]}, *(extra or [])]


def ensure_tags(ec2, resource_id: str, have: list[dict] | None, want: list[dict]) -> None:
    """Add (or set back) the wanted tags a found resource lacks; other tags are left alone."""
    current = {t["Key"]: t["Value"] for t in have or []}
    missing = [t for t in want if current.get(t["Key"]) != t["Value"]]
    if missing:
        ec2.create_tags(Resources=[resource_id], Tags=missing)


# EKS nodes need DNS support and DNS hostnames to register with the control plane.
VPC_ATTRIBUTES = {"enableDnsSupport": "EnableDnsSupport", "enableDnsHostnames": "EnableDnsHostnames"}


def vpc(run: Run) -> tuple[str, str]:
    ec2 = run.client("ec2")
    spec = run.plan.ec2_tags("vpc", f"{run.plan.name}-vpc")
    found = ec2.describe_vpcs(Filters=_by_tag(run))["Vpcs"]
    if found:
        made, status = found[0], "found"
        ensure_tags(ec2, made["VpcId"], made.get("Tags"), spec[0]["Tags"])
    else:
        made, status = ec2.create_vpc(CidrBlock=run.plan.vpc_cidr, TagSpecifications=spec)["Vpc"], "created"
    run.ids["vpc"] = made["VpcId"]
    # Read, then set what is off (one attribute per call): a run killed right after CreateVpc
    # left a VPC without DNS hostnames.
    for attribute, param in VPC_ATTRIBUTES.items():
        key = attribute[0].upper() + attribute[1:]
        if not ec2.describe_vpc_attribute(VpcId=made["VpcId"], Attribute=attribute)[key]["Value"]:
            ec2.modify_vpc_attribute(VpcId=made["VpcId"], **{param: {"Value": True}})
    return status, made["VpcId"]


def _zones(run: Run) -> list[str]:
    zones = run.client("ec2").describe_availability_zones(
        Filters=[{"Name": "state", "Values": ["available"]},
                 {"Name": "zone-type", "Values": ["availability-zone"]}])["AvailabilityZones"]
    return sorted(z["ZoneName"] for z in zones)[: run.plan.zones]


def _subnet_layout(run: Run) -> list[tuple[str, str, str]]:
    """(tier-zone name, zone, CIDR): public /20s at the bottom of the range, private /19s above."""
    net = ipaddress.ip_network(run.plan.vpc_cidr)
    public = list(net.subnets(new_prefix=20))
    private = list(net.subnets(new_prefix=19))[4:]
    layout = []
    for i, zone in enumerate(_zones(run)):
        layout.append((f"public-{zone[-1]}", zone, str(public[i])))
        layout.append((f"private-{zone[-1]}", zone, str(private[i])))
    return layout


def subnets(run: Run) -> tuple[str, str]:
    ec2 = run.client("ec2")
    existing = {next((t["Value"] for t in s.get("Tags", []) if t["Key"] == "porter.run/subnet"), ""): s
                for s in ec2.describe_subnets(Filters=_by_tag(run))["Subnets"]}
    made = 0
    layout = _subnet_layout(run)
    for name, zone, cidr in layout:
        subnet = existing.get(name)
        tier = name.split("-")[0]
        # Tags EKS reads to place public and internal load balancers.
        role = "kubernetes.io/role/elb" if tier == "public" else "kubernetes.io/role/internal-elb"
        spec = run.plan.ec2_tags("subnet", f"{run.plan.name}-{name}")
        spec[0]["Tags"] += [{"Key": "porter.run/subnet", "Value": name}, {"Key": role, "Value": "1"},
                            {"Key": f"kubernetes.io/cluster/{run.plan.name}", "Value": "shared"}]
        if subnet is None:
            subnet = ec2.create_subnet(VpcId=run.ids["vpc"], CidrBlock=cidr, AvailabilityZone=zone,
                                       TagSpecifications=spec)["Subnet"]
            made += 1
        else:
            ensure_tags(ec2, subnet["SubnetId"], subnet.get("Tags"), spec[0]["Tags"])
        # Public subnets give their instances a public IP (what EKS wants of a public subnet);
        # a run killed after CreateSubnet left it off.
        if tier == "public" and not subnet.get("MapPublicIpOnLaunch"):
            ec2.modify_subnet_attribute(SubnetId=subnet["SubnetId"], MapPublicIpOnLaunch={"Value": True})
        run.ids[f"subnet-{name}"] = subnet["SubnetId"]
    return ("created" if made else "found"), f"{len(layout)} subnets ({made} new)"


def subnet_ids(run: Run, tier: str) -> list[str]:
    return [v for k, v in sorted(run.ids.items()) if k.startswith(f"subnet-{tier}-")]


def internet_gateway(run: Run) -> tuple[str, str]:
    ec2 = run.client("ec2")
    found = ec2.describe_internet_gateways(Filters=_by_tag(run))["InternetGateways"]
    status = "found"
    if found:
        igw = found[0]
        ensure_tags(ec2, igw["InternetGatewayId"], igw.get("Tags"),
                    run.plan.ec2_tags("internet-gateway", f"{run.plan.name}-igw")[0]["Tags"])
    else:
        igw = ec2.create_internet_gateway(
            TagSpecifications=run.plan.ec2_tags("internet-gateway", f"{run.plan.name}-igw"))["InternetGateway"]
        status = "created"
    run.ids["igw"] = igw["InternetGatewayId"]
    if not any(a.get("VpcId") == run.ids["vpc"] for a in igw.get("Attachments", [])):
        ec2.attach_internet_gateway(InternetGatewayId=run.ids["igw"], VpcId=run.ids["vpc"])
    return status, run.ids["igw"]


def elastic_ip(run: Run) -> tuple[str, str]:
    ec2 = run.client("ec2")
    spec = run.plan.ec2_tags("elastic-ip", f"{run.plan.name}-nat-ip")
    found = ec2.describe_addresses(Filters=_by_tag(run))["Addresses"]
    if found:
        run.ids["eip"] = found[0]["AllocationId"]
        ensure_tags(ec2, run.ids["eip"], found[0].get("Tags"), spec[0]["Tags"])
        return "found", f"{found[0].get('PublicIp', '')} ({run.ids['eip']})"
    made = ec2.allocate_address(Domain="vpc", TagSpecifications=spec)
    run.ids["eip"] = made["AllocationId"]
    return "created", f"{made.get('PublicIp', '')} ({made['AllocationId']})"


def nat_gateway(run: Run) -> tuple[str, str]:
    ec2 = run.client("ec2")
    live = ec2.describe_nat_gateways(Filters=_by_tag(run, [{"Name": "state", "Values": [
        "pending", "available"]}]))["NatGateways"]
    status = "found"
    if live:
        # Pending or available is fine: it becomes available by itself, and its subnet and
        # address cannot be changed anyway. Only its tags are set back.
        nat_id = live[0]["NatGatewayId"]
        ensure_tags(ec2, nat_id, live[0].get("Tags"),
                    run.plan.ec2_tags("natgateway", f"{run.plan.name}-nat")[0]["Tags"])
    else:
        nat_id = ec2.create_nat_gateway(
            SubnetId=subnet_ids(run, "public")[0], AllocationId=run.ids["eip"],
            TagSpecifications=run.plan.ec2_tags("natgateway", f"{run.plan.name}-nat"))["NatGateway"]["NatGatewayId"]
        status = "created"
    run.ids["nat"] = nat_id
    run.wait_until("the NAT gateway", lambda: ec2.describe_nat_gateways(
        NatGatewayIds=[nat_id])["NatGateways"][0]["State"], {"available"}, {"failed", "deleted"})
    return status, nat_id


def _route_table(run: Run, tier: str, target: dict[str, str]) -> bool:
    ec2 = run.client("ec2")
    found = [t for t in ec2.describe_route_tables(Filters=_by_tag(run))["RouteTables"]
             if {"Key": "porter.run/route-table", "Value": tier} in t.get("Tags", [])]
    created = not found
    spec = run.plan.ec2_tags("route-table", f"{run.plan.name}-{tier}")
    spec[0]["Tags"].append({"Key": "porter.run/route-table", "Value": tier})
    if found:
        table = found[0]
        ensure_tags(ec2, table["RouteTableId"], table.get("Tags"), spec[0]["Tags"])
    else:
        table = ec2.create_route_table(VpcId=run.ids["vpc"], TagSpecifications=spec)["RouteTable"]
    table_id = run.ids[f"rt-{tier}"] = table["RouteTableId"]
    default = next((r for r in table.get("Routes", []) if r.get("DestinationCidrBlock") == "0.0.0.0/0"), None)
    if default is None:
        ec2.create_route(RouteTableId=table_id, DestinationCidrBlock="0.0.0.0/0", **target)
    elif default.get("State") == "blackhole" or any(default.get(k) != v for k, v in target.items()):
        # Pointing elsewhere (an older gateway, one since deleted): point it at this run's target.
        ec2.replace_route(RouteTableId=table_id, DestinationCidrBlock="0.0.0.0/0", **target)
    associated = {a.get("SubnetId") for a in table.get("Associations", [])}
    for subnet in subnet_ids(run, tier):
        if subnet not in associated:
            ec2.associate_route_table(RouteTableId=table_id, SubnetId=subnet)
    return created


def routes(run: Run) -> tuple[str, str]:
    made_public = _route_table(run, "public", {"GatewayId": run.ids["igw"]})
    made_private = _route_table(run, "private", {"NatGatewayId": run.ids["nat"]})
    return ("created" if made_public or made_private else "found"), "public → internet, private → NAT"
