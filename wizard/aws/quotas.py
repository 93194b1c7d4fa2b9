"""Service-quota checks for what the cluster needs, and automatic increase requests.

Each check reads the applied quota (Service Quotas) and the current usage (the service's own
describe call) at the same time, and all checks run at once, so the whole screen costs about one
round trip however many quotas there are.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import WizardError
from .console import console_host
from .errors import aws_call
from .plan import ClusterPlan
from .session import client_config

if TYPE_CHECKING:
    import boto3

# The on-demand families the "standard" vCPU quota covers.
_STANDARD_FAMILIES = set("acdhimrtz")


@dataclass(frozen=True)
class QuotaNeed:
    key: str
    label: str
    service: str
    code: str
    needed: int
    #: Counts what is in use, given the clients made once by clients_for().
    usage: Callable[[dict], int]


@dataclass(frozen=True)
class QuotaCheck:
    need: QuotaNeed
    limit: float = 0.0
    usage: int = 0
    error: WizardError | None = None

    @property
    def short_by(self) -> int:
        return max(0, math.ceil(self.usage + self.need.needed - self.limit))

    @property
    def ok(self) -> bool:
        return self.error is None and self.short_by == 0

    @property
    def desired(self) -> int:
        """What to ask for: enough for this cluster on top of what is already used."""
        return math.ceil(self.usage + self.need.needed)


@dataclass(frozen=True)
class IncreaseRequest:
    key: str
    request_id: str
    status: str  # PENDING, CASE_OPENED, APPROVED, DENIED, CASE_CLOSED, NOT_APPROVED, INVALID_REQUEST
    desired: float

    @property
    def done(self) -> bool:
        return self.status not in ("PENDING", "CASE_OPENED")

    @property
    def approved(self) -> bool:
        return self.status == "APPROVED"


def clients_for(session: boto3.Session) -> dict:
    """The clients the checks use, made once: making a client costs tens of milliseconds, and
    making them from one session in several threads at once is not safe."""
    return {name: session.client(name, config=client_config())
            for name in ("ec2", "elbv2", "eks", "service-quotas")}


def _vcpus_in_use(clients: dict) -> int:
    ec2 = clients["ec2"]
    pages = ec2.get_paginator("describe_instances").paginate(
        Filters=[{"Name": "instance-state-name", "Values": ["pending", "running"]}])
    types: dict[str, int] = {}
    for page in pages:
        for reservation in page["Reservations"]:
            for instance in reservation["Instances"]:
                if instance.get("InstanceLifecycle") == "spot":
                    continue  # spot has its own quota
                itype = instance["InstanceType"]
                if itype[0] in _STANDARD_FAMILIES:
                    types[itype] = types.get(itype, 0) + 1
    if not types:
        return 0  # the usual case on a new account: one call, not two
    info = ec2.describe_instance_types(InstanceTypes=list(types))["InstanceTypes"]
    vcpus = {t["InstanceType"]: t["VCpuInfo"]["DefaultVCpus"] for t in info}
    return sum(vcpus[t] * n for t, n in types.items())


def _count(service: str, call: str, key: str, **kwargs) -> Callable[[dict], int]:
    def usage(clients: dict) -> int:
        return len(getattr(clients[service], call)(**kwargs)[key])
    return usage


def _nat_per_zone(clients: dict) -> int:
    ec2 = clients["ec2"]
    gateways = ec2.describe_nat_gateways(
        Filters=[{"Name": "state", "Values": ["pending", "available"]}])["NatGateways"]
    subnets = {g["SubnetId"] for g in gateways}
    if not subnets:
        return 0
    zone_of = {s["SubnetId"]: s["AvailabilityZone"]
               for s in ec2.describe_subnets(SubnetIds=list(subnets))["Subnets"]}
    per_zone: dict[str, int] = {}
    for g in gateways:
        zone = zone_of.get(g["SubnetId"], "")
        per_zone[zone] = per_zone.get(zone, 0) + 1
    return max(per_zone.values())


def _network_load_balancers(clients: dict) -> int:
    pages = clients["elbv2"].get_paginator("describe_load_balancers").paginate()
    return sum(1 for page in pages for lb in page["LoadBalancers"] if lb.get("Type") == "network")


def needs(plan: ClusterPlan) -> list[QuotaNeed]:
    return [
        QuotaNeed("vcpu", "On-demand standard vCPUs", "ec2", "L-1216C47A", plan.node_vcpus, _vcpus_in_use),
        QuotaNeed("eip", "Elastic IP addresses", "ec2", "L-0263D0A3", 1,
                  _count("ec2", "describe_addresses", "Addresses")),
        QuotaNeed("vpc", "VPCs", "vpc", "L-F678F1CE", 1, _count("ec2", "describe_vpcs", "Vpcs")),
        QuotaNeed("igw", "Internet gateways", "vpc", "L-A4707A72", 1,
                  _count("ec2", "describe_internet_gateways", "InternetGateways")),
        QuotaNeed("nat", "NAT gateways per Availability Zone", "vpc", "L-FE5A380F", 1, _nat_per_zone),
        QuotaNeed("nlb", "Network Load Balancers", "elasticloadbalancing", "L-69A177A2", 1,
                  _network_load_balancers),
        QuotaNeed("eks", "EKS clusters", "eks", "L-1194D53C", 1,
                  _count("eks", "list_clusters", "clusters")),
    ]


def _applied_limit(clients: dict, need: QuotaNeed) -> float:
    import botocore.exceptions

    sq = clients["service-quotas"]
    try:
        return float(sq.get_service_quota(ServiceCode=need.service, QuotaCode=need.code)["Quota"]["Value"])
    except botocore.exceptions.ClientError as exc:
        # A quota never changed in this account may exist only as the AWS default.
        if exc.response.get("Error", {}).get("Code") != "NoSuchResourceException":
            raise
        return float(sq.get_aws_default_service_quota(ServiceCode=need.service,
                                                       QuotaCode=need.code)["Quota"]["Value"])


def check_one(clients: dict, need: QuotaNeed, pool: ThreadPoolExecutor) -> QuotaCheck:
    def limit() -> float:
        with aws_call(f"read the {need.label} quota (servicequotas:GetServiceQuota)"):
            return _applied_limit(clients, need)

    def usage() -> int:
        with aws_call(f"count the {need.label} in use"):
            return need.usage(clients)

    limit_f, usage_f = pool.submit(limit), pool.submit(usage)
    try:
        return QuotaCheck(need, limit=limit_f.result(), usage=usage_f.result())
    except WizardError as err:
        return QuotaCheck(need, error=err)


def check_all(session: boto3.Session, plan: ClusterPlan,
              on_result: Callable[[QuotaCheck], None] = lambda check: None) -> list[QuotaCheck]:
    """Every check at once; each result is reported as soon as it is known."""
    wanted = needs(plan)
    with aws_call("prepare the quota checks"):
        clients = clients_for(session)
    with ThreadPoolExecutor(max_workers=2 * len(wanted)) as calls, \
            ThreadPoolExecutor(max_workers=len(wanted)) as checks:
        def run(need: QuotaNeed) -> QuotaCheck:
            result = check_one(clients, need, calls)
            on_result(result)
            return result
        return list(checks.map(run, wanted))


def request_increase(session: boto3.Session, check: QuotaCheck) -> IncreaseRequest:
    import botocore.exceptions

    sq = session.client("service-quotas", config=client_config())
    need = check.need
    with aws_call(f"request a higher {need.label} quota (servicequotas:RequestServiceQuotaIncrease)"):
        try:
            made = sq.request_service_quota_increase(ServiceCode=need.service, QuotaCode=need.code,
                                                     DesiredValue=float(check.desired))["RequestedQuota"]
        except botocore.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ResourceAlreadyExistsException":
                raise
            # A request is already open (ours from before a relaunch, or someone else's): track it.
            history = sq.list_requested_service_quota_change_history_by_quota(
                ServiceCode=need.service, QuotaCode=need.code)["RequestedQuotas"]
            made = next(r for r in history if r["Status"] in ("PENDING", "CASE_OPENED"))
    return IncreaseRequest(need.key, made["Id"], made["Status"], float(made["DesiredValue"]))


def request_status(session: boto3.Session, key: str, request_id: str) -> IncreaseRequest:
    sq = session.client("service-quotas", config=client_config())
    with aws_call("follow a quota increase request (servicequotas:GetRequestedServiceQuotaChange)"):
        r = sq.get_requested_service_quota_change(RequestId=request_id)["RequestedQuota"]
    return IncreaseRequest(key, r["Id"], r["Status"], float(r["DesiredValue"]))


def console_url(need: QuotaNeed, region: str, partition: str = "aws") -> str:
    return f"https://{console_host(partition)}/servicequotas/home/services/{need.service}/quotas/{need.code}?region={region}"
