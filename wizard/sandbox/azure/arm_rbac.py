"""RBAC in the ARM double: role definitions and role assignments under
``/{scope}/providers/Microsoft.Authorization`` (azure-mgmt-authorization 4.0, api-version 2022-04-01),
and the authorisation check every ARM route makes with them.

A caller may do an action at a scope when one of its role assignments at or above that scope
names a role whose ``actions`` match the action and whose ``notActions`` do not (ARM's wildcard
rules, case-insensitive). So Contributor may register providers but not write role assignments,
which is the gap Porter's custom role closes. A principal's ``arm_access`` True/False overrides
this for tests.

Error codes and messages are ARM's (InvalidRoleAssignmentId, PrincipalNotFound with its
replication-delay hint, RoleAssignmentExists, RoleDefinitionWithSameNameExists,
RoleDefinitionHasAssignments...). ``InvalidRoleDefinitionId`` is inferred from the role-assignment
twin.
"""

from __future__ import annotations

import re
import time
import uuid
from fnmatch import fnmatchcase
from typing import Any

from .arm_catalogue import BUILTIN_ROLES
from .directory import Directory, ServicePrincipal, User, iso, now_utc
from ..https.service import Reply, Request, ServiceError

__all__ = ["RbacMixin"]

_AUTHZ = "/providers/Microsoft.Authorization"
_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
Principal = User | ServicePrincipal


def _covers(outer: str, inner: str) -> bool:
    outer, inner = outer.rstrip("/").lower(), inner.rstrip("/").lower()
    return outer == "" or inner == outer or inner.startswith(outer + "/")


def _permits(role: dict[str, Any], action: str) -> bool:
    act = action.lower()
    for perm in role.get("permissions", []):
        if any(fnmatchcase(act, a.lower()) for a in perm.get("actions", [])) and \
                not any(fnmatchcase(act, a.lower()) for a in perm.get("notActions", [])):
            return True
    return False


def _filters(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for clause in filter(None, re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE)):
        if m := re.fullmatch(r"(\w+)\s+eq\s+'((?:[^']|'')*)'", clause.strip(), re.IGNORECASE):
            out[m.group(1).lower()] = m.group(2).replace("''", "'")
        elif m := re.fullmatch(r"(atScope|assignedTo)\(\s*(?:'([^']*)')?\s*\)", clause.strip(), re.IGNORECASE):
            out[m.group(1).lower()] = m.group(2) or ""
        else:
            raise ServiceError(400, "UnsupportedQuery", f"The filter '{text}' is not supported.")
    return out


class RbacMixin:
    """Role definitions/assignments state and handlers; mixed into ArmService."""

    directory: Directory
    role_definitions: dict[str, dict[str, Any]]  # custom roles by GUID
    role_assignments: dict[str, dict[str, Any]]  # by name (GUID)
    principal_replication_delay: float

    def _caller(self, req: Request) -> Principal: ...  # provided by ArmService
    def _scope(self, req: Request) -> str: ...  # provided by ArmService

    def route_rbac(self, route: Any) -> None:
        authz = r"(?P<scope>(?:/subscriptions/[^/]+(?:/resourceGroups/[^/]+)?)?)/providers/Microsoft\.Authorization"
        one_def, one_ra = authz + r"/roleDefinitions/(?P<id>[^/]+)", authz + r"/roleAssignments/(?P<name>[^/]+)"
        route("roleDefinitions.list", "GET", authz + r"/roleDefinitions", self._list_role_definitions)
        route("roleDefinitions.get", "GET", one_def, self._get_role_definition)
        route("roleDefinitions.put", "PUT", one_def, self._put_role_definition)
        route("roleDefinitions.delete", "DELETE", one_def, self._delete_role_definition)
        route("roleAssignments.list", "GET", authz + r"/roleAssignments", self._list_role_assignments)
        route("roleAssignments.get", "GET", one_ra, self._get_role_assignment)
        route("roleAssignments.put", "PUT", one_ra, self._put_role_assignment)
        route("roleAssignments.delete", "DELETE", one_ra, self._delete_role_assignment)

    def assign(self, scope: str, role_guid: str, principal: Principal, name: str | None = None) -> str:
        name = name or str(uuid.uuid4())
        self.role_assignments[name] = self._assignment_record(scope, role_guid, principal.object_id,
                                                              principal.kind, "seed")
        return name

    def _allowed(self, who: Principal, scope: str, action: str) -> bool:
        if who.arm_access is not None:
            return who.arm_access
        for ra in self.role_assignments.values():
            if ra["principalId"] == who.object_id and _covers(ra["scope"], scope):
                role = self._role(ra["roleGuid"])
                if role is not None and _permits(role, action):
                    return True
        return False

    def _check(self, who: Principal, scope: str, action: str) -> None:
        if scope == "" and action == "Microsoft.Authorization/roleDefinitions/read":
            return  # anyone signed in may read the tenant-wide built-in roles
        if not self._allowed(who, scope, action):
            client = who.upn if isinstance(who, User) else who.app_id
            raise ServiceError(403, "AuthorizationFailed", f"The client '{client}' with object id '{who.object_id}' "
                               f"does not have authorization to perform action '{action}' over scope '{scope or '/'}' "
                               "or the scope is invalid. If access was recently granted, please refresh your "
                               "credentials.")

    # -- role definitions ---------------------------------------------------------------------
    def _role(self, guid: str) -> dict[str, Any] | None:
        return self.role_definitions.get(guid.lower()) or BUILTIN_ROLES.get(guid.lower())

    def _role_json(self, guid: str, scope: str) -> dict[str, Any]:
        role = self._role(guid)
        assert role is not None
        prefix = re.match(r"(/subscriptions/[^/]+)?", scope).group(0)  # type: ignore[union-attr]
        return {"id": f"{prefix}{_AUTHZ}/roleDefinitions/{guid}", "name": guid,
                "type": "Microsoft.Authorization/roleDefinitions", "properties": dict(role)}

    def _role_visible(self, guid: str, scope: str) -> bool:
        role = self._role(guid)
        return role is not None and any(_covers(a, scope) or _covers(scope, a) for a in role["assignableScopes"])

    def _list_role_definitions(self, req: Request) -> Any:
        who, scope = self._caller(req), self._scope(req)
        self._check(who, scope, "Microsoft.Authorization/roleDefinitions/read")
        wanted = _filters(req.query.get("$filter", ""))
        found = []
        for guid in [*BUILTIN_ROLES, *self.role_definitions]:
            role = self._role(guid)
            if not self._role_visible(guid, scope) or role is None:
                continue
            if "rolename" in wanted and role["roleName"].casefold() != wanted["rolename"].casefold():
                continue
            if "type" in wanted and role["type"].casefold() != wanted["type"].casefold():
                continue
            found.append(self._role_json(guid, scope))
        return {"value": found}

    def _get_role_definition(self, req: Request) -> Any:
        who, scope, guid = self._caller(req), self._scope(req), req.params["id"].lower()
        self._check(who, scope, "Microsoft.Authorization/roleDefinitions/read")
        if not self._role_visible(guid, scope):
            raise ServiceError(404, "RoleDefinitionDoesNotExist",
                               f"The specified role definition with ID '{guid}' does not exist.")
        return self._role_json(guid, scope)

    def _put_role_definition(self, req: Request) -> Any:
        who, scope, guid = self._caller(req), self._scope(req), req.params["id"].lower()
        self._check(who, scope, "Microsoft.Authorization/roleDefinitions/write")
        if not _GUID.fullmatch(guid):
            # Code as ARM answers for role assignments (InvalidRoleAssignmentId), by analogy.
            raise ServiceError(400, "InvalidRoleDefinitionId", f"The role definition ID '{guid}' is not valid. "
                               "The role definition ID must be a GUID.")
        props = (req.json() or {}).get("properties") or {}
        name, scopes = props.get("roleName"), props.get("assignableScopes") or []
        if not name or not scopes:
            raise ServiceError(400, "InvalidRequestContent", "roleName and assignableScopes are required.")
        for other, role in [*BUILTIN_ROLES.items(), *self.role_definitions.items()]:
            if other != guid and role["roleName"].casefold() == name.casefold():
                raise ServiceError(409, "RoleDefinitionWithSameNameExists", "A custom role with the same name "
                                   "already exists in this directory. Use a different name.")
        old = self.role_definitions.get(guid, {})
        stamp = iso(now_utc())
        perms = [{k: list(p.get(k) or []) for k in ("actions", "notActions", "dataActions", "notDataActions")}
                 for p in props.get("permissions") or []]
        # ARM stores every role written through this API as a CustomRole, whatever "type" says.
        self.role_definitions[guid] = {
            "roleName": name, "type": "CustomRole", "description": props.get("description"),
            "assignableScopes": list(scopes), "permissions": perms, "createdOn": old.get("createdOn", stamp),
            "updatedOn": stamp, "createdBy": old.get("createdBy", who.object_id), "updatedBy": who.object_id}
        return Reply(201, self._role_json(guid, scope))

    def _delete_role_definition(self, req: Request) -> Any:
        who, scope, guid = self._caller(req), self._scope(req), req.params["id"].lower()
        self._check(who, scope, "Microsoft.Authorization/roleDefinitions/delete")
        if guid not in self.role_definitions:
            return Reply(204)
        if any(ra["roleGuid"] == guid for ra in self.role_assignments.values()):
            raise ServiceError(409, "RoleDefinitionHasAssignments", "There are existing role assignments "
                               "referencing role (code: RoleDefinitionHasAssignments).")
        body = self._role_json(guid, scope)
        del self.role_definitions[guid]
        return body

    # -- role assignments ---------------------------------------------------------------------
    def _assignment_record(self, scope: str, role_guid: str, principal_id: str, kind: str, by: str) -> dict[str, Any]:
        stamp = iso(now_utc())
        sub = re.match(r"(/subscriptions/[^/]+)?", scope).group(0)  # type: ignore[union-attr]
        return {"scope": scope or "/", "roleGuid": role_guid.lower(), "principalId": principal_id,
                "roleDefinitionId": f"{sub}{_AUTHZ}/roleDefinitions/{role_guid.lower()}", "principalType": kind,
                "createdOn": stamp, "updatedOn": stamp, "createdBy": by, "updatedBy": by}

    def _assignment_json(self, name: str) -> dict[str, Any]:
        ra = self.role_assignments[name]
        props = {k: ra[k] for k in ("roleDefinitionId", "principalId", "principalType", "scope", "createdOn",
                                    "updatedOn", "createdBy", "updatedBy")}
        props.update(condition=None, conditionVersion=None, description=ra.get("description"),
                     delegatedManagedIdentityResourceId=None)
        scope = "" if ra["scope"] == "/" else ra["scope"]
        return {"properties": props, "id": f"{scope}{_AUTHZ}/roleAssignments/{name}",
                "type": "Microsoft.Authorization/roleAssignments", "name": name}

    def _list_role_assignments(self, req: Request) -> Any:
        who, scope = self._caller(req), self._scope(req) or "/"
        self._check(who, scope, "Microsoft.Authorization/roleAssignments/read")
        wanted = _filters(req.query.get("$filter", ""))
        found = []
        for name, ra in self.role_assignments.items():
            above, below = _covers(ra["scope"], scope), _covers(scope, ra["scope"])
            if not (above or (below and "atscope" not in wanted)):
                continue
            principal = wanted.get("principalid") or wanted.get("assignedto")
            if principal and ra["principalId"] != principal.lower():
                continue
            found.append(self._assignment_json(name))
        return {"value": found}

    def _find_assignment(self, req: Request, scope: str) -> str | None:
        name = req.params["name"].lower()
        ra = self.role_assignments.get(name)
        return name if ra is not None and ra["scope"].lower() == (scope or "/").lower() else None

    def _get_role_assignment(self, req: Request) -> Any:
        who, scope = self._caller(req), self._scope(req)
        self._check(who, scope, "Microsoft.Authorization/roleAssignments/read")
        name = self._find_assignment(req, scope)
        if name is None:
            raise ServiceError(404, "RoleAssignmentNotFound",
                               f"The role assignment '{req.params['name']}' is not found.")
        return self._assignment_json(name)

    def _put_role_assignment(self, req: Request) -> Any:
        who, scope, name = self._caller(req), self._scope(req), req.params["name"].lower()
        self._check(who, scope, "Microsoft.Authorization/roleAssignments/write")
        if not _GUID.fullmatch(name):
            raise ServiceError(400, "InvalidRoleAssignmentId", f"The role assignment ID '{name}' is not valid. The "
                               "role assignment ID must be a GUID.")
        props = (req.json() or {}).get("properties") or {}
        role_guid = str(props.get("roleDefinitionId") or "").rstrip("/").rsplit("/", 1)[-1].lower()
        if not self._role_visible(role_guid, scope):
            raise ServiceError(400, "RoleDefinitionDoesNotExist",
                               f"The specified role definition with ID '{role_guid}' does not exist.")
        principal_id, kind = str(props.get("principalId") or "").lower(), props.get("principalType")
        principal = self.directory.principal(principal_id) if _GUID.fullmatch(principal_id) else None
        replicating = principal is not None and not kind and \
            time.monotonic() - principal.created < self.principal_replication_delay
        if principal is None or replicating:
            raise ServiceError(400, "PrincipalNotFound", f"Principal {principal_id.replace('-', '')} does not exist "
                               f"in the directory {self.directory.tenant_id}. Check that you have the correct "
                               "principal ID. If you are creating this principal and then immediately assigning a "
                               "role, this error might be related to a replication delay. In this case, set the "
                               "role assignment principalType property to a value, such as ServicePrincipal, User, "
                               "or Group.  See https://aka.ms/docs-principaltype")
        if kind and kind != principal.kind:
            raise ServiceError(400, "UnmatchedPrincipalType", f"The PrincipalId '{principal_id}' has type "
                               f"'{principal.kind}' , which is different from specified PrincipalType '{kind}'.")
        for other, ra in self.role_assignments.items():
            if other == name or (ra["scope"].lower() == (scope or "/").lower() and ra["roleGuid"] == role_guid
                                 and ra["principalId"] == principal_id):
                raise ServiceError(409, "RoleAssignmentExists", "The role assignment already exists.")
        record = self._assignment_record(scope, role_guid, principal_id, principal.kind, who.object_id)
        record["description"] = props.get("description")
        self.role_assignments[name] = record
        return Reply(201, self._assignment_json(name))

    def _delete_role_assignment(self, req: Request) -> Any:
        who, scope = self._caller(req), self._scope(req)
        self._check(who, scope, "Microsoft.Authorization/roleAssignments/delete")
        name = self._find_assignment(req, scope)
        if name is None:
            return Reply(204)
        body = self._assignment_json(name)
        del self.role_assignments[name]
        return body
