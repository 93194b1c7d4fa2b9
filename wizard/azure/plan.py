"""What the wizard builds in Azure for one cluster: one place for names, sizes and tags, so the
quota checks, the cost review, provisioning and teardown all speak of the same cluster.

Everything lives in one resource group, `<project>-<region>` (the name the platform's docs use).
Teardown deletes the cluster and the network but keeps the group and its container registry by
default, because the registry holds the build images (as the docs say).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

# Azure tag names may not contain "/", so not AWS's "porter.run/cluster".
TAG_KEY = "porter-cluster"
MANAGED_BY = ("porter-managed-by", "porter-wizard")
# vCPUs of the node sizes we offer (Standard Basv2 family: the docs ask for its quota).
VCPUS = {"Standard_B2as_v2": 2, "Standard_B4as_v2": 4, "Standard_B8as_v2": 8}
# The quota family each size counts against, as Microsoft.Compute names it.
FAMILY = {size: "standardBasv2Family" for size in VCPUS}
TIERS = ("Free", "Standard")


@dataclass(frozen=True)
class AksPlan:
    project: str
    region: str
    tier: str = "Free"
    node_size: str = "Standard_B4as_v2"
    nodes_min: int = 2
    nodes_max: int = 4
    node_disk_gb: int = 64
    vnet_cidr: str = "10.80.0.0/16"
    nodes_subnet_cidr: str = "10.80.0.0/20"
    kubernetes_version: str = ""  # "" lets AKS pick its default version

    @property
    def resource_group(self) -> str:
        return f"{self.project}-{self.region}"

    @property
    def cluster_name(self) -> str:
        return f"{self.project}-aks"

    @property
    def vnet_name(self) -> str:
        return f"{self.project}-vnet"

    @property
    def registry_name(self) -> str:
        """ACR names are global, 5-50 letters and digits: the project plus a stable suffix from
        the subscription-independent group name keeps re-runs on the same name."""
        base = re.sub(r"[^a-z0-9]", "", self.project.lower())[:40] or "porter"
        suffix = hashlib.sha256(self.resource_group.encode()).hexdigest()[:6]
        return f"{base}{suffix}"

    @property
    def node_family(self) -> str:
        return FAMILY[self.node_size]

    @property
    def vcpus_needed(self) -> int:
        """The node pool at its maximum, plus the one extra node an upgrade surges to."""
        return VCPUS[self.node_size] * (self.nodes_max + 1)

    def tags(self) -> dict[str, str]:
        return {TAG_KEY: self.project, MANAGED_BY[0]: MANAGED_BY[1]}


def plan_for(project: str, region: str, tier: str = "Free") -> AksPlan:
    return AksPlan(project=project, region=region, tier=tier or "Free")
