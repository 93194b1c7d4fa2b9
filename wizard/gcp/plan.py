"""What the wizard builds in Google Cloud for one cluster: one place for names, sizes and labels,
so the provision checks, the cost review, provisioning and teardown all speak of the same cluster.

A regional GKE Standard cluster (its control plane and nodes spread over the region's zones) in
its own VPC network, and an Artifact Registry Docker repository in the same region for the build
images. Teardown keeps the repository unless asked, as on the other clouds.

Labels: GKE clusters, node pools and Artifact Registry repositories carry ``porter-cluster=<project>``.
VPC networks and subnetworks cannot hold labels, so their description carries the same marker,
which is how the sweep after teardown finds them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

LABEL_KEY = "porter-cluster"
MANAGED_BY = ("porter-managed-by", "porter-wizard")
#: vCPUs of the machine types we offer (E2: general purpose, the cheapest that runs the platform).
VCPUS = {"e2-standard-2": 2, "e2-standard-4": 4, "e2-standard-8": 8}
#: Permissions the service account needs on the project (what testIamPermissions is asked).
PERMISSIONS = (
    "compute.networks.create", "compute.networks.delete", "compute.subnetworks.create",
    "compute.subnetworks.delete", "compute.firewalls.create", "compute.firewalls.delete",
    "compute.regions.get", "compute.regions.list", "container.clusters.create", "container.clusters.delete",
    "container.clusters.get", "container.operations.get", "artifactregistry.repositories.create",
    "artifactregistry.repositories.delete", "iam.serviceAccounts.actAs", "resourcemanager.projects.get",
    "serviceusage.services.enable", "serviceusage.services.get", "serviceusage.services.list",
    # A resumed run brings what it finds back to the plan (labels, autoscaling, private access).
    "container.clusters.update", "compute.subnetworks.setPrivateIpGoogleAccess",
    "artifactregistry.repositories.update",
)


def label_value(text: str) -> str:
    """Google label values: lowercase letters, digits, _ and -, at most 63 characters."""
    return re.sub(r"[^a-z0-9_-]", "-", text.lower())[:63]


def resource_name(text: str, limit: int = 40) -> str:
    """Compute/GKE names: start with a letter, lowercase letters, digits and -, no trailing -."""
    name = re.sub(r"[^a-z0-9-]", "-", text.lower()).strip("-") or "porter"
    if not name[0].isalpha():
        name = "p-" + name
    return name[:limit].rstrip("-")


@dataclass(frozen=True)
class GkePlan:
    project: str  # the Porter project's name (not the Google Cloud project)
    gcp_project: str  # the Google Cloud project ID
    region: str
    machine_type: str = "e2-standard-2"
    nodes_per_zone: int = 1
    zones: int = 3  # a regional cluster puts its node pool in three of the region's zones
    node_disk_gb: int = 100
    disk_type: str = "pd-balanced"
    subnet_cidr: str = "10.90.0.0/20"
    pods_cidr: str = "10.92.0.0/14"
    services_cidr: str = "10.96.0.0/20"
    extra_labels: dict[str, str] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return resource_name(self.project, 30)

    @property
    def network(self) -> str:
        return f"{self.base}-vpc"

    @property
    def subnetwork(self) -> str:
        return f"{self.base}-nodes"

    @property
    def cluster(self) -> str:
        return f"{self.base}-gke"

    @property
    def node_pool(self) -> str:
        return "porter-pool"

    @property
    def repository(self) -> str:
        return f"{self.base}-images"

    @property
    def marker(self) -> str:
        """What networks and subnetworks carry in their description, since they have no labels."""
        return f"{LABEL_KEY}={label_value(self.project)}"

    @property
    def labels(self) -> dict[str, str]:
        return {LABEL_KEY: label_value(self.project), MANAGED_BY[0]: MANAGED_BY[1], **self.extra_labels}

    @property
    def nodes(self) -> int:
        return self.nodes_per_zone * self.zones

    @property
    def vcpus(self) -> int:
        return VCPUS[self.machine_type] * self.nodes

    @property
    def quota_needs(self) -> dict[str, int]:
        """Regional Compute Engine quotas the cluster uses, by metric (one node more for surge
        upgrades: GKE adds a node before it drains one)."""
        surge = self.nodes + 1
        return {
            "CPUS": VCPUS[self.machine_type] * surge,
            "IN_USE_ADDRESSES": surge + 1,  # one per node, one for the load balancer
            "SSD_TOTAL_GB": self.node_disk_gb * surge,  # pd-balanced counts as SSD
            "INSTANCE_GROUPS": self.zones,
            "INSTANCE_GROUP_MANAGERS": self.zones,
        }
