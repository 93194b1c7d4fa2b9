"""Quota checks and increase requests (wizard/aws/quotas.py) word for word: which instances and NAT
gateways count, what each failure says it was doing, the client settings every call carries, and
an open request found again whatever its state."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from botocore.stub import Stubber

from wizard.aws import quotas as q
from wizard.aws.plan import plan_for
from wizard.aws.session import client_config
from wizard.errors import CloudError, WizardError

REGION = "eu-west-1"
PLAN = plan_for("acme", REGION)


@pytest.fixture
def session(aws):
    return boto3.Session(region_name=REGION)


def need(key: str) -> q.QuotaNeed:
    return next(n for n in q.needs(PLAN) if n.key == key)


def check(session, key: str) -> q.QuotaCheck:
    return next(c for c in q.check_all(session, PLAN) if c.need.key == key)


class RecordingSession:
    """A boto3 session that remembers the config each client was made with."""

    def __init__(self, session) -> None:
        self._session, self.configs = session, []

    def client(self, name, **kwargs):
        self.configs.append((name, kwargs.get("config")))
        return self._session.client(name, **kwargs)


def test_every_client_carries_the_wizards_retries_timeouts_and_user_agent(session, aws):
    """Standard retries absorb a brief throttle, and a short connect timeout says "network down"
    in seconds: a client made without them waits minutes or gives up at once."""
    aws.quotas.approve_after(30)
    recording = RecordingSession(session)
    vcpu = next(c for c in q.check_all(recording, PLAN) if c.need.key == "vcpu")
    request = q.request_increase(recording, vcpu)
    q.request_status(recording, "vcpu", request.request_id)
    wanted = client_config()
    assert sorted(name for name, _ in recording.configs) == sorted(
        ["ec2", "elbv2", "eks", "service-quotas", "service-quotas", "service-quotas"])
    for name, config in recording.configs:
        assert config is not None, name
        # botocore keeps max_attempts (retries after the first) as total_max_attempts (all tries).
        assert config.retries == {"mode": "standard", "total_max_attempts": wanted.retries["max_attempts"] + 1}
        assert (config.connect_timeout, config.read_timeout, config.user_agent_extra) == \
            (wanted.connect_timeout, wanted.read_timeout, wanted.user_agent_extra), name


def stubbed_ec2(instances=(), types=()):
    """EC2 answering describe_instances (only for exactly the filter the check must send)."""
    ec2 = boto3.client("ec2", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(ec2)
    stub.add_response("describe_instances", {"Reservations": [{"Instances": list(instances)}]},
                      {"Filters": [{"Name": "instance-state-name", "Values": ["pending", "running"]}]})
    if types:
        stub.add_response("describe_instance_types", {"InstanceTypes": [
            {"InstanceType": t, "VCpuInfo": {"DefaultVCpus": v}} for t, v in types]})
    stub.activate()
    return ec2, stub


def test_vcpus_count_pending_and_running_on_demand_standard_instances_only():
    """Pending instances use the quota already; spot has its own quota, and so do the g/p/x/… families."""
    ec2, stub = stubbed_ec2(
        instances=[{"InstanceType": "m5.xlarge"}, {"InstanceType": "t3.large", "InstanceLifecycle": "spot"},
                   {"InstanceType": "c5.2xlarge"}, {"InstanceType": "g4dn.xlarge"},
                   {"InstanceType": "m5.xlarge", "InstanceLifecycle": "scheduled"}],
        types=[("m5.xlarge", 4), ("c5.2xlarge", 8)])
    assert q._vcpus_in_use({"ec2": ec2}) == 4 + 8 + 4
    stub.assert_no_pending_responses()


def test_spot_instances_do_not_count_in_moto_either(session):
    ec2 = session.client("ec2")
    ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="m5.xlarge",
                      InstanceMarketOptions={"MarketType": "spot"})
    ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="m5.large")
    assert check(session, "vcpu").usage == 2


def test_nat_gateways_count_per_zone_and_deleted_ones_do_not(session):
    ec2 = session.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    a, b = (ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.1.{n}.0/24", AvailabilityZone=f"{REGION}{z}")
            ["Subnet"]["SubnetId"] for n, z in ((1, "a"), (2, "b")))

    def nat(subnet):
        allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
        return ec2.create_nat_gateway(SubnetId=subnet, AllocationId=allocation)["NatGateway"]["NatGatewayId"]
    assert check(session, "nat").usage == 0
    nat(a), nat(b)
    assert check(session, "nat").usage == 1  # one per zone: the quota is per Availability Zone
    nat(a)
    gone = nat(b)
    ec2.delete_nat_gateway(NatGatewayId=gone)
    ec2.delete_nat_gateway(NatGatewayId=nat(b))
    assert check(session, "nat").usage == 2


def test_a_failed_request_or_follow_says_what_it_was_doing(session, aws):
    vcpu = check(session, "vcpu")
    aws.quotas.inject("RequestServiceQuotaIncrease", code="AccessDeniedException", message="no")
    with pytest.raises(CloudError) as caught:
        q.request_increase(session, vcpu)
    assert caught.value.what == ("Your identity is not allowed to request a higher On-demand standard vCPUs "
                                 "quota (servicequotas:RequestServiceQuotaIncrease). AWS said: no")
    aws.quotas.inject("GetRequestedServiceQuotaChange", code="AccessDeniedException", message="no")
    with pytest.raises(CloudError) as caught:
        q.request_status(session, "vcpu", "r-1")
    assert caught.value.what == ("Your identity is not allowed to follow a quota increase request "
                                 "(servicequotas:GetRequestedServiceQuotaChange). AWS said: no")


def test_an_open_request_in_case_opened_is_found_again_with_its_key(session, aws):
    """Someone's request that AWS has turned into a support case is still the open one to follow."""
    aws.quotas.approve_after(0.2)  # CASE_OPENED after half of it
    vcpu = check(session, "vcpu")
    first = q.request_increase(session, vcpu)
    time.sleep(0.15)
    again = q.request_increase(session, vcpu)
    assert (again.key, again.request_id, again.status) == ("vcpu", first.request_id, "CASE_OPENED")
    followed = q.request_status(session, "vcpu", first.request_id)
    assert (followed.key, followed.request_id, followed.desired) == ("vcpu", first.request_id, 6.0)


def test_only_network_load_balancers_count(session):
    ec2, elbv2 = session.client("ec2"), session.client("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.2.{n}.0/24", AvailabilityZone=f"{REGION}{z}")
               ["Subnet"]["SubnetId"] for n, z in ((1, "a"), (2, "b"))]
    assert check(session, "nlb").usage == 0
    for name, kind in (("web", "application"), ("ingress", "network"), ("edge", "network")):
        elbv2.create_load_balancer(Name=name, Subnets=subnets, Type=kind)
    assert check(session, "nlb").usage == 2


def test_a_quota_never_applied_in_the_account_reads_the_aws_default(session, aws):
    """GetServiceQuota answers NoSuchResourceException for a quota that only has its AWS default."""
    aws.quotas.inject("GetServiceQuota", code="NoSuchResourceException", message="no applied value", times=None)
    checks = {c.need.key: c for c in q.check_all(session, PLAN)}
    assert all(c.error is None for c in checks.values())
    assert checks["vcpu"].limit == 5 and checks["eks"].limit > 0
    assert aws.quotas.requests.count("GetAWSDefaultServiceQuota") == 7


def test_the_needs_are_these_quotas_with_the_labels_the_screen_shows():
    assert [(n.key, n.label, n.service, n.code, n.needed) for n in q.needs(PLAN)] == [
        ("vcpu", "On-demand standard vCPUs", "ec2", "L-1216C47A", PLAN.node_vcpus),
        ("eip", "Elastic IP addresses", "ec2", "L-0263D0A3", 1),
        ("vpc", "VPCs", "vpc", "L-F678F1CE", 1),
        ("igw", "Internet gateways", "vpc", "L-A4707A72", 1),
        ("nat", "NAT gateways per Availability Zone", "vpc", "L-FE5A380F", 1),
        ("nlb", "Network Load Balancers", "elasticloadbalancing", "L-69A177A2", 1),
        ("eks", "EKS clusters", "eks", "L-1194D53C", 1)]


def test_a_failed_read_says_which_quota_and_is_reported_under_its_own_need(session, aws):
    aws.quotas.inject("GetServiceQuota", code="AccessDeniedException", message="no", times=None)
    reported = []
    checks = q.check_all(session, PLAN, on_result=reported.append)
    assert sorted(c.need.key for c in reported) == sorted(c.need.key for c in checks) == sorted(
        n.key for n in q.needs(PLAN))
    eks = next(c for c in checks if c.need.key == "eks")
    assert eks.error.what == ("Your identity is not allowed to read the EKS clusters quota "
                              "(servicequotas:GetServiceQuota). AWS said: no")


def test_a_failed_count_says_what_it_was_counting():
    import botocore.exceptions

    def refused(clients):
        raise botocore.exceptions.ClientError({"Error": {"Code": "UnauthorizedOperation", "Message": "no"}},
                                              "DescribeAddresses")
    sq = type("SQ", (), {"get_service_quota": lambda self, **kw: {"Quota": {"Value": 5.0}}})()
    eip = need("eip")
    with ThreadPoolExecutor(2) as pool:
        result = q.check_one({"service-quotas": sq}, q.QuotaNeed(eip.key, eip.label, eip.service, eip.code, 1,
                                                                 refused), pool)
    assert result.need.key == "eip"
    assert result.error.what == "Your identity is not allowed to count the Elastic IP addresses in use. AWS said: no"


def test_clients_that_cannot_be_made_say_the_checks_could_not_be_prepared():
    import botocore.exceptions

    class NoRegion:
        def client(self, name, **kwargs):
            raise botocore.exceptions.NoRegionError()
    with pytest.raises(WizardError) as caught:
        q.check_all(NoRegion(), PLAN)
    assert caught.value.what == "Could not prepare the quota checks: You must specify a region."


class AllAtOnce:
    """Every call waits until all fourteen reads (a limit and a usage per need) are in flight."""

    def __init__(self, barrier):
        self._barrier = barrier

    def client(self, name, **kwargs):
        return self

    def _wait(self, answer):
        self._barrier.wait()
        return answer

    def get_service_quota(self, **kwargs):
        return self._wait({"Quota": {"Value": 50.0}})

    def get_paginator(self, name):
        key = {"describe_instances": "Reservations", "describe_load_balancers": "LoadBalancers"}[name]
        return type("P", (), {"paginate": lambda _, **kw: [self._wait({key: []})]})()

    def __getattr__(self, name):  # describe_addresses, describe_vpcs, list_clusters...
        key = {"describe_addresses": "Addresses", "describe_vpcs": "Vpcs", "list_clusters": "clusters",
               "describe_internet_gateways": "InternetGateways", "describe_nat_gateways": "NatGateways"}[name]
        return lambda **kwargs: self._wait({key: []})


def test_all_fourteen_reads_are_in_flight_at_once():
    """The screen costs one round trip however many quotas: fewer threads would never fill the barrier."""
    barrier = threading.Barrier(2 * len(q.needs(PLAN)), timeout=5)
    checks = q.check_all(AllAtOnce(barrier), PLAN)
    assert [(c.error, c.limit, c.usage) for c in checks] == [(None, 50.0, 0)] * 7
    assert not barrier.broken


def test_nat_gateways_still_being_made_count_too():
    """A pending NAT gateway holds its place in the quota already (moto makes them available at once)."""
    ec2 = boto3.client("ec2", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(ec2)
    stub.add_response("describe_nat_gateways", {"NatGateways": [
        {"NatGatewayId": "nat-1", "SubnetId": "subnet-a", "State": "pending"},
        {"NatGatewayId": "nat-2", "SubnetId": "subnet-a", "State": "available"}]},
        {"Filters": [{"Name": "state", "Values": ["pending", "available"]}]})
    stub.add_response("describe_subnets", {"Subnets": [{"SubnetId": "subnet-a", "AvailabilityZone": "eu-west-1a"}]},
                      {"SubnetIds": ["subnet-a"]})
    with stub:
        assert q._nat_per_zone({"ec2": ec2}) == 2
    stub.assert_no_pending_responses()
