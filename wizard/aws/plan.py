"""What the wizard builds in AWS for one cluster: one place for sizes, names and tags, so the
quota checks, the cost review, provisioning and teardown all speak of the same cluster."""
from __future__ import annotations

from dataclasses import dataclass

TAG_KEY = "porter.run/cluster"
MANAGED_BY = ("porter.run/managed-by", "porter-wizard")
# vCPUs of the node types we offer; EC2's DescribeInstanceTypes says the same.
VCPUS = {"t3.medium": 2, "t3.large": 2, "t3.xlarge": 4, "m5.large": 2, "m5.xlarge": 4}


@dataclass(frozen=True)
class ClusterPlan:
    name: str
    region: str
    vpc_cidr: str = "10.78.0.0/16"
    zones: int = 2  # EKS requires subnets in at least two Availability Zones
    node_type: str = "t3.large"
    nodes_min: int = 1
    nodes_desired: int = 2
    nodes_max: int = 3
    node_disk_gb: int = 50
    kubernetes_version: str = "1.31"

    @property
    def node_vcpus(self) -> int:
        return VCPUS[self.node_type] * self.nodes_max  # the node group may scale to its maximum

    def tags(self, **extra: str) -> dict[str, str]:
        return {TAG_KEY: self.name, MANAGED_BY[0]: MANAGED_BY[1], **extra}

    def ec2_tags(self, resource_type: str, name: str) -> list[dict]:
        tags = [{"Key": k, "Value": v} for k, v in self.tags(Name=name).items()]
        return [{"ResourceType": resource_type, "Tags": tags}]


def plan_for(project: str, region: str) -> ClusterPlan:
    return ClusterPlan(name=project, region=region)
