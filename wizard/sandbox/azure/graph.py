"""Microsoft Graph v1.0, the subset Porter's setup script uses, as plain REST (what the wizard
sends through an azure-core pipeline; msgraph-sdk is not needed).

Applications (create, filter, get, PATCH requiredResourceAccess, addPassword/removePassword,
delete), service principals (create from an appId, filter, get), admin consent as
``appRoleAssignments`` on the client's service principal (or ``appRoleAssignedTo`` on the
resource's), and ``/me``. The tenant's Microsoft Graph service principal is seeded with the appRoles
of the seven application permissions Porter asks for, under their real ids.

Rights, simplified from Entra's: a signed-in user may create and edit app registrations (the
tenant default "users can register applications"); granting admin consent needs a directory admin
(``directory_admin`` on the principal), else 403 Authorization_RequestDenied. An app-only caller
needs Application.ReadWrite.All or Directory.ReadWrite.All consented (reads included: the
Read.All roles are not modelled). Errors carry
Graph's shape, ``{"error": {"code", "message", "innerError": {date, request-id, client-request-id}}}``.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from .directory import Application, AppRoleAssignment, Directory, ServicePrincipal, User, iso, now_utc
from ..https.service import Reply, Request, Service, ServiceError

__all__ = ["GraphService"]

_DENIED = "Insufficient privileges to complete the operation."
_WRITERS = {"Application.ReadWrite.All", "Directory.ReadWrite.All"}


def _not_found(ref: str) -> ServiceError:
    return ServiceError(404, "Request_ResourceNotFound", f"Resource '{ref}' does not exist or one of its queried "
                        "reference-property objects are not present.")


def _parse_filter(text: str, allowed: tuple[str, ...]) -> tuple[str, str] | None:
    if not text:
        return None
    m = re.fullmatch(r"\s*(\w+)\s+eq\s+'((?:[^']|'')*)'\s*", text)
    if not m or m.group(1) not in allowed:
        raise ServiceError(400, "Request_UnsupportedQuery", f"Unsupported or invalid query filter clause specified "
                           f"for property '{m.group(1) if m else text}' of resource.")
    return m.group(1), m.group(2).replace("''", "'")


def _when(text: Any, field: str) -> datetime | None:
    if text in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise ServiceError(400, "Request_BadRequest", f"Invalid value specified for property '{field}'.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class GraphService(Service):
    name = "graph"

    def __init__(self, lock: Any, directory: Directory) -> None:
        super().__init__(lock)
        self.directory = directory
        v, app, sp = r"/v1\.0", r"/v1\.0/applications/(?P<id>[^/]+)", r"/v1\.0/servicePrincipals/(?P<id>[^/]+)"
        r = self.route
        r("applications.create", "POST", v + r"/applications", self._create_app)
        r("applications.list", "GET", v + r"/applications", self._list_apps)
        r("applications.get", "GET", v + r"/applications\(appId='(?P<appid>[^']+)'\)", self._get_app)
        r("applications.get", "GET", app, self._get_app)
        r("applications.update", "PATCH", app, self._update_app)
        r("applications.delete", "DELETE", app, self._delete_app)
        r("applications.addPassword", "POST", app + r"/addPassword", self._add_password)
        r("applications.removePassword", "POST", app + r"/removePassword", self._remove_password)
        r("servicePrincipals.create", "POST", v + r"/servicePrincipals", self._create_sp)
        r("servicePrincipals.list", "GET", v + r"/servicePrincipals", self._list_sps)
        r("servicePrincipals.get", "GET", v + r"/servicePrincipals\(appId='(?P<appid>[^']+)'\)", self._get_sp)
        r("servicePrincipals.get", "GET", sp, self._get_sp)
        r("appRoleAssignments.create", "POST", sp + r"/appRoleAssignments", self._grant)
        r("appRoleAssignments.create", "POST", sp + r"/appRoleAssignedTo", self._grant)
        r("appRoleAssignments.list", "GET", sp + r"/appRoleAssignments", self._list_grants)
        r("appRoleAssignments.delete", "DELETE", sp + r"/appRoleAssignments/(?P<aid>[^/]+)", self._revoke)
        r("me.get", "GET", v + r"/me", self._me)

    # -- wire shape -----------------------------------------------------------------------
    def error_body(self, status: int, code: str, message: str) -> Any:
        return {"error": {"code": code, "message": message, "innerError": {
            "date": iso(now_utc()), "request-id": str(uuid.uuid4()), "client-request-id": str(uuid.uuid4())}}}

    def common_headers(self) -> dict[str, str]:
        return {"request-id": str(uuid.uuid4()), "OData-Version": "4.0"}

    def _context(self, what: str) -> str:
        return f"{self.base_url}/v1.0/$metadata#{what}"

    # -- callers --------------------------------------------------------------------------
    def _caller(self, req: Request) -> User | ServicePrincipal:
        token = req.bearer
        if not token:
            raise ServiceError(401, "InvalidAuthenticationToken", "Access token is empty.")
        record = self.directory.tokens.get(token)
        who = self.directory.principal(record.principal_id) if record else None
        if record is None or who is None:
            raise ServiceError(401, "InvalidAuthenticationToken", "Access token validation failure.")
        if record.expired:
            raise ServiceError(401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.")
        if "graph" not in self.directory.audience_services(record.audience):
            raise ServiceError(401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")
        if isinstance(who, ServicePrincipal) and not who.directory_admin \
                and not _WRITERS & set(self.directory.graph_roles_of(who.object_id)):
            raise ServiceError(403, "Authorization_RequestDenied", _DENIED)
        return who

    def _app(self, req: Request) -> Application:
        d = self.directory
        if "appid" in req.params:
            app = d.app_by_app_id(req.params["appid"])
        else:
            app = d.applications.get(req.params["id"].lower())
        if app is None:
            raise _not_found(req.params.get("id") or req.params.get("appid", ""))
        return app

    def _sp(self, ref: str) -> ServicePrincipal:
        sp = self.directory.service_principals.get(ref.lower())
        if sp is None:
            raise _not_found(ref)
        return sp

    # -- applications -----------------------------------------------------------------------
    def _app_json(self, app: Application) -> dict[str, Any]:
        body = {
            "id": app.object_id, "deletedDateTime": None, "appId": app.app_id, "applicationTemplateId": None,
            "createdDateTime": iso(app.created), "displayName": app.display_name, "description": None,
            "identifierUris": [], "publisherDomain": self.directory.domain, "signInAudience": app.sign_in_audience,
            "tags": [], "appRoles": [], "keyCredentials": [],
            "passwordCredentials": [p.as_graph() for p in app.passwords],
            "requiredResourceAccess": app.required_resource_access,
            "api": {"requestedAccessTokenVersion": None, "oauth2PermissionScopes": []},
            "publicClient": {"redirectUris": []}, "web": {"redirectUris": [], "homePageUrl": None},
        }
        body.update(app.extra)
        return body

    def _apply(self, app: Application, body: dict[str, Any]) -> None:
        for key, value in body.items():
            if key == "displayName":
                app.display_name = str(value)
            elif key == "requiredResourceAccess":
                app.required_resource_access = list(value or [])
            elif key == "signInAudience":
                app.sign_in_audience = str(value)
            elif key not in ("id", "appId", "passwordCredentials", "@odata.type"):
                app.extra[key] = value

    def _create_app(self, req: Request) -> Any:
        self._caller(req)
        body = req.json()
        if not body.get("displayName"):
            raise ServiceError(400, "Request_BadRequest", "Property 'displayName' is required.")
        app = self.directory.add_application(str(body["displayName"]))
        self._apply(app, body)
        return Reply(201, {"@odata.context": self._context("applications/$entity"), **self._app_json(app)})

    def _list_apps(self, req: Request) -> Any:
        self._caller(req)
        wanted = _parse_filter(req.query.get("$filter", ""), ("displayName", "appId"))
        apps = [a for a in self.directory.applications.values()
                if wanted is None or {"displayName": a.display_name, "appId": a.app_id}[wanted[0]] == wanted[1]]
        return {"@odata.context": self._context("applications"), "value": [self._app_json(a) for a in apps]}

    def _get_app(self, req: Request) -> Any:
        self._caller(req)
        return {"@odata.context": self._context("applications/$entity"), **self._app_json(self._app(req))}

    def _update_app(self, req: Request) -> Any:
        self._caller(req)
        self._apply(self._app(req), req.json())
        return Reply(204)

    def _delete_app(self, req: Request) -> Any:
        self._caller(req)
        app = self._app(req)
        del self.directory.applications[app.object_id]
        sp = self.directory.sp_by_app_id(app.app_id)
        if sp is not None:  # deleting the registration removes its home-tenant service principal too
            del self.directory.service_principals[sp.object_id]
        return Reply(204)

    def _add_password(self, req: Request) -> Any:
        self._caller(req)
        app = self._app(req)
        spec = req.json().get("passwordCredential") or {}
        end = _when(spec.get("endDateTime"), "endDateTime")
        if end is not None and end <= now_utc():
            raise ServiceError(400, "Request_BadRequest", "Invalid value specified for property 'endDateTime'.")
        # Without an end, Graph gives "startDateTime + 2 years" (application-addPassword's request body:
        # https://learn.microsoft.com/en-us/graph/api/application-addpassword).
        end = end or now_utc() + timedelta(days=730)
        password = self.directory.add_password(app, display_name=spec.get("displayName"), end=end)
        return {"@odata.context": self._context("microsoft.graph.passwordCredential"),
                **password.as_graph(with_secret=True)}

    def _remove_password(self, req: Request) -> Any:
        self._caller(req)
        app = self._app(req)
        key_id = str(req.json().get("keyId") or "").lower()
        kept = [p for p in app.passwords if p.key_id != key_id]
        if len(kept) == len(app.passwords):
            raise ServiceError(400, "Request_BadRequest", f"No password credential found with keyId {key_id}.")
        app.passwords = kept
        return Reply(204)

    # -- service principals -----------------------------------------------------------------
    def _sp_json(self, sp: ServicePrincipal) -> dict[str, Any]:
        return {
            "id": sp.object_id, "deletedDateTime": None, "accountEnabled": True, "appId": sp.app_id,
            "appDisplayName": sp.display_name, "displayName": sp.display_name, "appOwnerOrganizationId":
            sp.app_owner_tenant, "appRoleAssignmentRequired": False, "servicePrincipalType": "Application",
            "servicePrincipalNames": [sp.app_id], "signInAudience": "AzureADMyOrg", "tags": [],
            "appRoles": sp.app_roles, "oauth2PermissionScopes": [], "keyCredentials": [], "passwordCredentials": [],
        }

    def _create_sp(self, req: Request) -> Any:
        self._caller(req)
        d = self.directory
        app_id = str(req.json().get("appId") or "").lower()
        app = d.app_by_app_id(app_id)
        if app is None:
            raise ServiceError(400, "Request_BadRequest", f"The appId '{app_id}' of the service principal does not "
                               "reference a valid application object.")
        if d.sp_by_app_id(app_id) is not None:
            raise ServiceError(409, "Request_MultipleObjectsWithSameKeyValue", "The service principal cannot be "
                               f"created, updated, or restored because the service principal name {app_id} is "
                               "already in use.")
        sp = d.add_service_principal(app_id, app.display_name)
        return Reply(201, {"@odata.context": self._context("servicePrincipals/$entity"), **self._sp_json(sp)})

    def _list_sps(self, req: Request) -> Any:
        self._caller(req)
        wanted = _parse_filter(req.query.get("$filter", ""), ("displayName", "appId"))
        sps = [s for s in self.directory.service_principals.values()
               if wanted is None or {"displayName": s.display_name, "appId": s.app_id}[wanted[0]] == wanted[1]]
        return {"@odata.context": self._context("servicePrincipals"), "value": [self._sp_json(s) for s in sps]}

    def _get_sp(self, req: Request) -> Any:
        self._caller(req)
        if "appid" in req.params:
            sp = self.directory.sp_by_app_id(req.params["appid"])
            if sp is None:
                raise _not_found(req.params["appid"])
        else:
            sp = self._sp(req.params["id"])
        return {"@odata.context": self._context("servicePrincipals/$entity"), **self._sp_json(sp)}

    # -- admin consent (application permissions) -----------------------------------------------
    def _grant_json(self, grant: AppRoleAssignment) -> dict[str, Any]:
        d = self.directory
        principal, resource = d.service_principals.get(grant.principal_id), d.service_principals.get(grant.resource_id)
        return {"id": grant.id, "deletedDateTime": None, "appRoleId": grant.app_role_id,
                "createdDateTime": iso(grant.created),
                "principalDisplayName": principal.display_name if principal else None,
                "principalId": grant.principal_id, "principalType": "ServicePrincipal",
                "resourceDisplayName": resource.display_name if resource else None, "resourceId": grant.resource_id}

    def _grant(self, req: Request) -> Any:
        who = self._caller(req)
        if not who.directory_admin:
            raise ServiceError(403, "Authorization_RequestDenied", _DENIED)
        body = req.json()
        principal_id = str(body.get("principalId") or "").lower()
        resource_id, role_id = str(body.get("resourceId") or "").lower(), str(body.get("appRoleId") or "").lower()
        self._sp(req.params["id"])
        principal, resource = self._sp(principal_id), self._sp(resource_id)
        if role_id not in {r["id"] for r in resource.app_roles}:
            raise ServiceError(400, "Request_BadRequest", "Permission being assigned was not found on application "
                               f"'{resource.app_id}'.")
        for grant in self.directory.app_role_assignments.values():
            if (grant.principal_id, grant.resource_id, grant.app_role_id) == \
                    (principal.object_id, resource.object_id, role_id):
                raise ServiceError(400, "Request_BadRequest", "Permission being assigned already exists on the object")
        grant = AppRoleAssignment(str(uuid.uuid4()), principal.object_id, resource.object_id, role_id)
        self.directory.app_role_assignments[grant.id] = grant
        return Reply(201, {"@odata.context": self._context("appRoleAssignments/$entity"), **self._grant_json(grant)})

    def _list_grants(self, req: Request) -> Any:
        self._caller(req)
        sp = self._sp(req.params["id"])
        grants = [g for g in self.directory.app_role_assignments.values() if g.principal_id == sp.object_id]
        return {"@odata.context": self._context("appRoleAssignments"), "value": [self._grant_json(g) for g in grants]}

    def _revoke(self, req: Request) -> Any:
        who = self._caller(req)
        if not who.directory_admin:
            raise ServiceError(403, "Authorization_RequestDenied", _DENIED)
        if self.directory.app_role_assignments.pop(req.params["aid"].lower(), None) is None:
            raise _not_found(req.params["aid"])
        return Reply(204)

    def _me(self, req: Request) -> Any:
        who = self._caller(req)
        if not isinstance(who, User):
            raise ServiceError(400, "BadRequest", "/me request is only valid with delegated authentication flow.")
        return {"@odata.context": self._context("users/$entity"), "id": who.object_id,
                "displayName": who.display_name, "userPrincipalName": who.upn, "mail": None,
                "businessPhones": [], "givenName": None, "surname": None, "jobTitle": None,
                "mobilePhone": None, "officeLocation": None, "preferredLanguage": None}
