"""The AWS front refuses what EC2 refuses where a teardown's order matters (issue 18), and honours
the tag filters a teardown aims with; the wizard's teardown order passes (see aws_ec2_rules)."""
from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from wizard.aws.plan import TAG_KEY
from wizard.aws.provision import provision
from wizard.aws.teardown import elastic_ip, teardown

from .test_aws_provision import COMPLETE, REGION, inventory, new_run


def _code(exc: pytest.ExceptionInfo) -> tuple[str, str]:
    error = exc.value.response["Error"]
    return error["Code"], error["Message"]


def _network(ec2) -> tuple[str, str]:
    vpc = ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.50.1.0/24", AvailabilityZone=f"{REGION}a")["Subnet"]["SubnetId"]
    return vpc, subnet


def test_an_address_held_by_a_nat_gateway_cannot_be_released_until_the_gateway_is_deleted(aws):
    ec2 = boto3.client("ec2", region_name=REGION)
    _, subnet = _network(ec2)
    held = ec2.allocate_address(Domain="vpc")
    nat = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=held["AllocationId"])["NatGateway"]["NatGatewayId"]
    with pytest.raises(ClientError) as refused:
        ec2.release_address(AllocationId=held["AllocationId"])
    assert _code(refused) == ("InvalidIPAddress.InUse", f"Address {held['PublicIp']} is in use.")
    free = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.release_address(AllocationId=free)  # an address nothing holds goes at once
    ec2.delete_nat_gateway(NatGatewayId=nat)
    ec2.release_address(AllocationId=held["AllocationId"])
    assert ec2.describe_addresses()["Addresses"] == []


def test_a_subnet_with_network_interfaces_cannot_be_deleted(aws):
    ec2 = boto3.client("ec2", region_name=REGION)
    _, subnet = _network(ec2)
    eni = ec2.create_network_interface(SubnetId=subnet)["NetworkInterface"]["NetworkInterfaceId"]
    with pytest.raises(ClientError) as refused:
        ec2.delete_subnet(SubnetId=subnet)
    assert _code(refused) == ("DependencyViolation", f"The subnet '{subnet}' has dependencies and cannot be deleted.")
    ec2.delete_network_interface(NetworkInterfaceId=eni)
    ec2.delete_subnet(SubnetId=subnet)


def test_a_subnet_holding_a_nat_gateway_can_be_deleted_once_the_gateway_is(aws):
    ec2 = boto3.client("ec2", region_name=REGION)
    _, subnet = _network(ec2)
    address = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=address)["NatGateway"]["NatGatewayId"]
    with pytest.raises(ClientError) as refused:
        ec2.delete_subnet(SubnetId=subnet)
    assert _code(refused)[0] == "DependencyViolation"
    ec2.delete_nat_gateway(NatGatewayId=nat)
    ec2.delete_subnet(SubnetId=subnet)


def test_nat_gateways_are_found_by_their_tags_only(aws):
    ec2 = boto3.client("ec2", region_name=REGION)
    _, subnet = _network(ec2)
    ours = ec2.create_nat_gateway(
        SubnetId=subnet, AllocationId=ec2.allocate_address(Domain="vpc")["AllocationId"],
        TagSpecifications=[{"ResourceType": "natgateway", "Tags": [{"Key": TAG_KEY, "Value": "acme"}]}],
    )["NatGateway"]["NatGatewayId"]
    theirs = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=ec2.allocate_address(Domain="vpc")[
        "AllocationId"])["NatGateway"]["NatGatewayId"]

    def found(filters: list[dict]) -> set[str]:
        return {n["NatGatewayId"] for n in ec2.describe_nat_gateways(Filters=filters)["NatGateways"]}

    assert found([{"Name": f"tag:{TAG_KEY}", "Values": ["acme"]}]) == {ours}
    assert found([{"Name": f"tag:{TAG_KEY}", "Values": ["other"]}]) == set()
    assert found([{"Name": "tag-key", "Values": [TAG_KEY]}]) == {ours}
    assert found([{"Name": f"tag:{TAG_KEY}", "Values": ["acme"]}, {"Name": "state", "Values": ["available"]}]) == {ours}
    assert found([]) == {ours, theirs}


def test_the_teardown_order_passes_where_releasing_first_is_refused(aws):
    provision(new_run(), lambda s: None)
    with pytest.raises(ClientError) as refused:
        elastic_ip(new_run())  # before the NAT gateway step: its gateway still holds the address
    assert _code(refused)[0] == "InvalidIPAddress.InUse"
    ec2 = boto3.client("ec2", region_name=REGION)
    nat = ec2.describe_nat_gateways(Filters=[{"Name": f"tag:{TAG_KEY}", "Values": ["acme"]}])["NatGateways"][0]
    with pytest.raises(ClientError) as refused:
        ec2.delete_subnet(SubnetId=nat["SubnetId"])  # the gateway's network interface is in it
    assert _code(refused)[0] == "DependencyViolation"
    assert inventory() == COMPLETE
    teardown(new_run(), lambda s: None)
    assert inventory() == {kind: 0 for kind in COMPLETE}
