"""Provisioning steps for the network: VPC, subnets, gateways, routes. Each returns
(found|created, id) and records what it found or made in run.ids for the later steps."""
from __future__ import annotations

import ipaddress

from .plan import TAG_KEY
from .provision import Run


def _by_tag(run: Run, extra: list[dict] | None = None) -> list[dict]:
    return [{"Name": f"tag:{TAG_KEY}", "Values": [run.plan.name]}, *(extra or [])]


def vpc(run: Run) -> tuple[str, str]:
    ec2 = run.client("ec2")
    found = ec2.describe_vpcs(Filters=_by_tag(run))["Vpcs"]
    if found:
        run.ids["vpc"] = found[0]["VpcId"]
        return "found", run.ids["vpc"]
    made = ec2.create_vpc(CidrBlock=run.plan.vpc_cidr,
                          TagSpecifications=run.plan.ec2_tags("vpc", f"{run.plan.name}-vpc"))["Vpc"]
    run.ids["vpc"] = made["VpcId"]
    # EKS nodes need DNS hostnames to register with the control plane.
    ec2.modify_vpc_attribute(VpcId=made["VpcId"], EnableDnsHostnames={"Value": True})
    return "created", made["VpcId"]


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
        if subnet is None:
            tier = name.split("-")[0]
            # Tags EKS reads to place public and internal load balancers.
            role = "kubernetes.io/role/elb" if tier == "public" else "kubernetes.io/role/internal-elb"
            spec = run.plan.ec2_tags("subnet", f"{run.plan.name}-{name}")
            spec[0]["Tags"] += [{"Key": "porter.run/subnet", "Value": name}, {"Key": role, "Value": "1"},
                                {"Key": f"kubernetes.io/cluster/{run.plan.name}", "Value": "shared"}]
            subnet = ec2.create_subnet(VpcId=run.ids["vpc"], CidrBlock=cidr, AvailabilityZone=zone,
                                       TagSpecifications=spec)["Subnet"]
            made += 1
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
    found = ec2.describe_addresses(Filters=_by_tag(run))["Addresses"]
    if found:
        run.ids["eip"] = found[0]["AllocationId"]
        return "found", f"{found[0].get('PublicIp', '')} ({run.ids['eip']})"
    made = ec2.allocate_address(Domain="vpc", TagSpecifications=run.plan.ec2_tags(
        "elastic-ip", f"{run.plan.name}-nat-ip"))
    run.ids["eip"] = made["AllocationId"]
    return "created", f"{made.get('PublicIp', '')} ({made['AllocationId']})"


def nat_gateway(run: Run) -> tuple[str, str]:
    ec2 = run.client("ec2")
    live = ec2.describe_nat_gateways(Filters=_by_tag(run, [{"Name": "state", "Values": [
        "pending", "available"]}]))["NatGateways"]
    status = "found"
    if live:
        nat_id = live[0]["NatGatewayId"]
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
    if found:
        table = found[0]
    else:
        spec = run.plan.ec2_tags("route-table", f"{run.plan.name}-{tier}")
        spec[0]["Tags"].append({"Key": "porter.run/route-table", "Value": tier})
        table = ec2.create_route_table(VpcId=run.ids["vpc"], TagSpecifications=spec)["RouteTable"]
    table_id = run.ids[f"rt-{tier}"] = table["RouteTableId"]
    if not any(r.get("DestinationCidrBlock") == "0.0.0.0/0" for r in table.get("Routes", [])):
        ec2.create_route(RouteTableId=table_id, DestinationCidrBlock="0.0.0.0/0", **target)
    associated = {a.get("SubnetId") for a in table.get("Associations", [])}
    for subnet in subnet_ids(run, tier):
        if subnet not in associated:
            ec2.associate_route_table(RouteTableId=table_id, SubnetId=subnet)
    return created


def routes(run: Run) -> tuple[str, str]:
    made_public = _route_table(run, "public", {"GatewayId": run.ids["igw"]})
    made_private = _route_table(run, "private", {"NatGatewayId": run.ids["nat"]})
    return ("created" if made_public or made_private else "found"), "public → internet, private → NAT"
