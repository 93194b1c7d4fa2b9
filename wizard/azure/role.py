"""The custom role porter-aks-restricted, exactly as the platform's docs define it."""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from .errors import azure_call

ROLE_NAME = "porter-aks-restricted"
DESCRIPTION = "Grants Porter access to manage resources for an AKS cluster."
ACTIONS = ["*"]
NOT_ACTIONS = ["Microsoft.Authorization/elevateAccess/Action",
               "Microsoft.Blueprint/blueprintAssignments/write",
               "Microsoft.Blueprint/blueprintAssignments/delete",
               "Microsoft.Compute/galleries/share/action"]


@dataclass(frozen=True)
class RoleCheck:
    role_id: str          # the full ARM ID of the definition
    exists: bool
    differences: list[str]


def _scope(subscription_id: str) -> str:
    return f"/subscriptions/{subscription_id}"


def _definition(subscription_id: str):
    from azure.mgmt.authorization.models import Permission, RoleDefinition

    return RoleDefinition(role_name=ROLE_NAME, description=DESCRIPTION, role_type="CustomRole",
                          permissions=[Permission(actions=ACTIONS, not_actions=NOT_ACTIONS,
                                                  data_actions=[], not_data_actions=[])],
                          assignable_scopes=[_scope(subscription_id)])


def find(client, subscription_id: str) -> RoleCheck:
    """`client` is an AuthorizationManagementClient. Compares an existing role with ours."""
    with azure_call(f"look up the {ROLE_NAME} role"):
        found = list(client.role_definitions.list(_scope(subscription_id),
                                                  filter=f"roleName eq '{ROLE_NAME}'"))
    if not found:
        # Role definition IDs are GUIDs; a stable one per subscription makes re-runs idempotent.
        name = str(uuid.uuid5(uuid.NAMESPACE_URL, f"porter-aks-restricted/{subscription_id}"))
        return RoleCheck(f"{_scope(subscription_id)}/providers/Microsoft.Authorization/roleDefinitions/{name}",
                         False, [])
    role = found[0]
    perms = role.permissions[0] if role.permissions else None
    differences = []
    if not perms or sorted(perms.actions or []) != ACTIONS:
        differences.append(f"actions are {perms.actions if perms else []}, not {ACTIONS}")
    if not perms or sorted(perms.not_actions or []) != sorted(NOT_ACTIONS):
        differences.append("its notActions differ from the four the platform requires")
    if _scope(subscription_id) not in (role.assignable_scopes or []):
        differences.append("it is not assignable at this subscription")
    return RoleCheck(role.id, True, differences)


def put(client, subscription_id: str, check: RoleCheck) -> str:
    """Create the role, or (only after the user confirmed) make an existing one match ours."""
    name = check.role_id.rsplit("/", 1)[-1]
    with azure_call(f"create the {ROLE_NAME} role"):
        made = client.role_definitions.create_or_update(_scope(subscription_id), name,
                                                        _definition(subscription_id))
    return made.id
