"""The service quotas the Service Quotas double knows: what an EKS cluster with a managed node
group needs, with the codes, names and defaults AWS reports."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

_Json = dict[str, Any]
_SERVICE_NAMES = {
    "ec2": "Amazon Elastic Compute Cloud (Amazon EC2)",
    "vpc": "Amazon Virtual Private Cloud (Amazon VPC)",
    "elasticloadbalancing": "Elastic Load Balancing (ELB)",
    "eks": "Amazon Elastic Kubernetes Service (Amazon EKS)",
}
_VCPU_METRIC = {
    "MetricNamespace": "AWS/Usage", "MetricName": "ResourceCount", "MetricStatisticRecommendation": "Maximum",
    "MetricDimensions": {"Class": "Standard/OnDemand", "Resource": "vCPU", "Service": "EC2", "Type": "Resource"},
}
VCPU_QUOTA = ("ec2", "L-1216C47A")


@dataclass(frozen=True)
class Quota:
    service_code: str
    quota_code: str
    name: str
    default: float
    usage_metric: _Json | None = field(default=None, compare=False, hash=False)


CATALOGUE: tuple[Quota, ...] = (
    Quota(*VCPU_QUOTA, "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances", 5.0, _VCPU_METRIC),
    Quota("ec2", "L-0263D0A3", "EC2-VPC Elastic IPs", 5.0),
    Quota("vpc", "L-F678F1CE", "VPCs per Region", 5.0),
    Quota("vpc", "L-A4707A72", "Internet gateways per Region", 5.0),
    Quota("vpc", "L-FE5A380F", "NAT gateways per Availability Zone", 5.0),
    Quota("elasticloadbalancing", "L-69A177A2", "Network Load Balancers per Region", 50.0),
    Quota("eks", "L-1194D53C", "Clusters", 100.0),
    Quota("eks", "L-6D54EA21", "Managed node groups per cluster", 30.0),
)
_BY_KEY = {(q.service_code, q.quota_code): q for q in CATALOGUE}
