"""The cluster Porter is asked to build: the contract its dashboard sends on Provision.

Shapes from porter-dev/porter-archive@ed607ee, as protojson (camelCase fields, enum value names):
dashboard/src/components/ProvisionerSettings.tsx (EKS), AzureProvisionerSettings.tsx (AKS) and
GCPProvisionerSettings.tsx (GKE) build `new Contract({cluster: new Cluster({projectId, kind,
cloudProvider, cloudProviderCredentialsId, kindValues: {case: "eksKind" | "aksKind" | "gkeKind"}})})`
from @porter-dev/api-contracts; protobuf-es names a TypeScript enum member after the proto value
with the enum's prefix removed (EnumCloudProvider.AWS is ENUM_CLOUD_PROVIDER_AWS, the name the Go
handlers use, e.g. api/server/handlers/project_integration/create_aws.go).

The sizes are the wizard's own plan (the same cluster the quota and cost steps spoke of). The
Kubernetes version is left out so that Porter picks its current default, rather than the wizard
naming one that may have gone stale.
"""
from __future__ import annotations

from ..state import WizardState


def _nodes(kind: str, instance: str, low: int, high: int, key: str) -> list[dict]:
    # The dashboard always adds a system and a monitoring group before the application one.
    system = "t3.medium" if kind == "eks" else instance
    return [{"instanceType": system, "minInstances": 1, "maxInstances": 2, key: f"{_TYPE[kind]}_SYSTEM"},
            {"instanceType": instance, "minInstances": low, "maxInstances": high,
             key: f"{_TYPE[kind]}_APPLICATION"}]


_TYPE = {"eks": "NODE_GROUP_TYPE", "aks": "NODE_POOL_TYPE", "gke": "GKE_NODE_POOL_TYPE"}


def contract_for(state: WizardState, cloud: str) -> dict:
    """The contract for this project's cluster in the cloud chosen, with Porter's credential ID."""
    project_id = int(state.porter_project)
    credential = getattr(state, cloud).porter_integration_id
    if cloud == "aws":
        from ..aws.plan import plan_for

        plan = plan_for(state.project, state.aws.region)
        kind = {"eksKind": {
            "clusterName": plan.name, "region": plan.region, "cidrRange": plan.vpc_cidr,
            "network": {"vpcCidr": plan.vpc_cidr},
            "nodeGroups": _nodes("eks", plan.node_type, plan.nodes_min, plan.nodes_max, "nodeGroupType")}}
        names = ("ENUM_KUBERNETES_KIND_EKS", "ENUM_CLOUD_PROVIDER_AWS")
        credential = credential or state.aws.role_arn
    elif cloud == "azure":
        from ..azure.plan import AksPlan

        plan = AksPlan(state.project, state.azure.region, tier=state.azure.tier or "Free")
        kind = {"aksKind": {
            "clusterName": plan.cluster_name, "location": plan.region, "cidrRange": plan.vnet_cidr,
            "skuTier": "AKS_SKU_TIER_STANDARD" if plan.tier == "Standard" else "AKS_SKU_TIER_FREE",
            "nodePools": _nodes("aks", plan.node_size, plan.nodes_min, plan.nodes_max, "nodePoolType")}}
        names = ("ENUM_KUBERNETES_KIND_AKS", "ENUM_CLOUD_PROVIDER_AZURE")
    elif cloud == "gcp":
        from ..gcp.plan import GkePlan

        plan = GkePlan(state.project, state.gcp.project_id, state.gcp.region)
        kind = {"gkeKind": {
            "clusterName": plan.base, "region": plan.region,
            "network": {"cidrRange": plan.subnet_cidr, "podCidr": plan.pods_cidr,
                        "serviceCidr": plan.services_cidr},
            "nodePools": _nodes("gke", plan.machine_type, plan.nodes_per_zone, plan.nodes_per_zone * 3,
                                "nodePoolType")}}
        names = ("ENUM_KUBERNETES_KIND_GKE", "ENUM_CLOUD_PROVIDER_GCP")
    else:
        raise ValueError(cloud)
    return {"cluster": {"projectId": project_id, "kind": names[0], "cloudProvider": names[1],
                        "cloudProviderCredentialsId": credential, **kind}}
