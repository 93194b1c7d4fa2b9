"""What a fresh pay-as-you-go subscription holds before Porter's setup runs: its resource providers
(with the registration state a new subscription shows) and Azure's built-in RBAC roles.

The built-in role GUIDs are Azure's real ones, the same in every tenant; their permissions are
abridged to the actions that matter here (Contributor's notActions are why Porter's custom role
exists: it is Contributor plus the right to write role assignments).
"""

from __future__ import annotations

from typing import Any

__all__ = ["BUILTIN_ROLES", "LOCATIONS", "PORTER_PROVIDERS", "PROVIDERS", "builtin_role_id"]

# The eleven providers Porter's setup registers (docs, step 1).
PORTER_PROVIDERS = (
    "Microsoft.Capacity", "Microsoft.Compute", "Microsoft.ContainerRegistry", "Microsoft.ContainerService",
    "Microsoft.ManagedIdentity", "Microsoft.Network", "Microsoft.OperationalInsights",
    "Microsoft.OperationsManagement", "Microsoft.ResourceGraph", "Microsoft.Resources", "Microsoft.Storage",
)

# (name, displayName, latitude, longitude): a subset of Azure's public regions, as ARM lists them.
LOCATIONS = [("eastus", "East US", "37.3719", "-79.8164"), ("eastus2", "East US 2", "36.6681", "-78.3889"),
             ("westus2", "West US 2", "47.233", "-119.852"), ("centralus", "Central US", "41.5908", "-93.6208"),
             ("northeurope", "North Europe", "53.3478", "-6.2597"),
             ("westeurope", "West Europe", "52.3667", "4.9"), ("uksouth", "UK South", "50.941", "-0.799"),
             ("southeastasia", "Southeast Asia", "1.283", "103.833"),
             ("australiaeast", "Australia East", "-33.86", "151.2094")]
_LOCATIONS = [display for _, display, _, _ in LOCATIONS]

# namespace -> (registered in a new subscription?, resource types shown)
PROVIDERS: dict[str, tuple[bool, tuple[str, ...]]] = {
    "Microsoft.Authorization": (True, ("roleAssignments", "roleDefinitions", "permissions")),
    "Microsoft.Capacity": (False, ("resourceProviders", "reservationOrders")),
    "Microsoft.Compute": (False, ("virtualMachines", "virtualMachineScaleSets", "disks", "locations/usages")),
    "Microsoft.ContainerRegistry": (False, ("registries",)),
    "Microsoft.ContainerService": (False, ("managedClusters", "locations/kubernetesVersions")),
    "Microsoft.Features": (True, ("features", "providers")),
    "Microsoft.ManagedIdentity": (False, ("userAssignedIdentities", "Identities")),
    "Microsoft.Network": (False, ("virtualNetworks", "publicIPAddresses", "loadBalancers", "natGateways")),
    "Microsoft.OperationalInsights": (False, ("workspaces",)),
    "Microsoft.OperationsManagement": (False, ("solutions",)),
    "Microsoft.Quota": (False, ("quotas", "quotaRequests", "usages")),
    "Microsoft.ResourceGraph": (True, ("resources", "queries")),
    "Microsoft.Resources": (True, ("subscriptions", "resourceGroups", "deployments", "tags")),
    "Microsoft.Storage": (False, ("storageAccounts",)),
    "Microsoft.Support": (True, ("supportTickets", "services")),
}


def resource_types(namespace: str) -> list[dict[str, Any]]:
    _, types = PROVIDERS[namespace]
    return [{"resourceType": t, "locations": [] if "/" in t else list(_LOCATIONS),
             "apiVersions": ["2024-05-01", "2023-09-01"], "capabilities": "None"} for t in types]


_CONTRIBUTOR_NOT_ACTIONS = [
    "Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write",
    "Microsoft.Authorization/elevateAccess/Action", "Microsoft.Blueprint/blueprintAssignments/write",
    "Microsoft.Blueprint/blueprintAssignments/delete", "Microsoft.Compute/galleries/share/action",
    "Microsoft.Purview/consents/write", "Microsoft.Purview/consents/delete",
]


def _role(name: str, description: str, actions: list[str], not_actions: list[str] | None = None) -> dict[str, Any]:
    return {"roleName": name, "type": "BuiltInRole", "description": description, "assignableScopes": ["/"],
            "permissions": [{"actions": actions, "notActions": not_actions or [], "dataActions": [],
                             "notDataActions": []}],
            "createdOn": "2015-02-02T21:55:09.8806423Z", "updatedOn": "2024-04-01T15:31:38.2432371Z",
            "createdBy": None, "updatedBy": None}


BUILTIN_ROLES: dict[str, dict[str, Any]] = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": _role(
        "Owner", "Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.",
        ["*"]),
    "b24988ac-6180-42a0-ab88-20f7382dd24c": _role(
        "Contributor", "Grants full access to manage all resources, but does not allow you to assign roles in "
        "Azure RBAC, manage assignments in Azure Blueprints, or share image galleries.", ["*"],
        _CONTRIBUTOR_NOT_ACTIONS),
    "acdd72a7-3385-48ef-bd42-f606fba81ae7": _role(
        "Reader", "View all resources, but does not allow you to make any changes.", ["*/read"]),
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": _role(
        "User Access Administrator", "Lets you manage user access to Azure resources.",
        ["*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"]),
}


def builtin_role_id(name: str) -> str:
    return next(guid for guid, role in BUILTIN_ROLES.items() if role["roleName"] == name)
