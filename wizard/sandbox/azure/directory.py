"""The Entra ID tenant shared by the three doubles: users, app registrations, service principals,
their client secrets, admin-consent grants and the tokens issued to each principal.

The token endpoint issues tokens from here, ARM and Graph look the bearer token up here to learn
who is calling, and Graph edits the applications here, so a secret added through Graph's
``addPassword`` is at once a working ``client_secret`` at the token endpoint.

Access tokens are JWT-shaped (header.payload.signature, base64url) with the claims Azure puts in
them (aud, iss, oid, tid, appid, roles/scp) so code that peeks at a token sees what it would see
for real; the signature is random bytes. The doubles never verify signatures: a token is valid
when it is in ``tokens`` and not expired.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = [
    "ARM_PUBLIC_AUDIENCES", "GRAPH_APP_ID", "GRAPH_APP_ROLES", "GRAPH_PUBLIC_AUDIENCES", "PUBLIC_CLIENTS",
    "Application", "Directory", "Password", "ServicePrincipal", "Token", "User", "iso", "now_utc",
]

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
ARM_PUBLIC_AUDIENCES = ("https://management.azure.com", "https://management.core.windows.net")
GRAPH_PUBLIC_AUDIENCES = ("https://graph.microsoft.com", GRAPH_APP_ID)

# First-party public clients that may run the device-code flow in any tenant: Azure CLI (also
# azure-identity's default for DeviceCodeCredential), Azure PowerShell, Microsoft Graph CLI tools.
PUBLIC_CLIENTS = {
    "04b07795-8ddb-461a-bbee-02f9e1bf7b46": "Microsoft Azure CLI",
    "1950a258-227b-4e31-a9cf-717495945fc2": "Microsoft Azure PowerShell",
    "14d82eec-204b-4c2f-b7e8-296a70dab67e": "Microsoft Graph Command Line Tools",
}

# Microsoft Graph application permissions (appRoles of the Graph service principal) that Porter's
# setup asks for. The GUIDs are Microsoft's real, tenant-independent appRole ids, as published in
# the Graph permissions reference; descriptions are abridged.
GRAPH_APP_ROLES: dict[str, tuple[str, str]] = {
    "Application.ReadWrite.All": ("1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9", "Read and write all applications"),
    "Directory.ReadWrite.All": ("19dbc75e-c2e2-444c-a770-ec69d8559fc7", "Read and write directory data"),
    "Domain.Read.All": ("dbb9058a-0e50-45d7-ae91-66909b5d4664", "Read domains"),
    "Group.Create": ("bf7b1a76-6e77-406b-b258-bf5c7720e98f", "Create groups"),
    "Group.ReadWrite.All": ("62a82d76-70ea-41e2-9197-370581804d09", "Read and write all groups"),
    "RoleManagement.ReadWrite.Directory": ("9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8",
                                           "Read and write all directory RBAC settings"),
    "User.ReadWrite.All": ("741f803b-c850-494e-b5df-cde7c675a1ca", "Read and write all users' full profiles"),
}


def now_utc() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """Graph and ARM write UTC timestamps as ``2025-01-31T12:00:00Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def jwt_shaped(claims: dict[str, Any]) -> str:
    header = {"typ": "JWT", "alg": "RS256", "kid": "porter-sandbox"}
    parts = [b64url(json.dumps(p, separators=(",", ":")).encode()) for p in (header, claims)]
    return ".".join(parts + [b64url(secrets.token_bytes(32))])


@dataclass
class User:
    object_id: str
    upn: str
    display_name: str
    directory_admin: bool = False  # may grant tenant-wide admin consent (Global/Privileged Role Admin)
    arm_access: bool | None = None  # None: decided by ARM role assignments
    created: float = field(default_factory=time.monotonic)
    kind = "User"


@dataclass
class Password:
    key_id: str
    secret: str
    display_name: str | None
    start: datetime
    end: datetime
    usable_from: float = 0.0  # time.monotonic(): new secrets can take a while to reach the STS

    def as_graph(self, *, with_secret: bool = False) -> dict[str, Any]:
        return {
            "customKeyIdentifier": None, "displayName": self.display_name, "endDateTime": iso(self.end),
            "hint": self.secret[:3], "keyId": self.key_id, "secretText": self.secret if with_secret else None,
            "startDateTime": iso(self.start),
        }


@dataclass
class Application:
    object_id: str
    app_id: str
    display_name: str
    created: datetime = field(default_factory=now_utc)
    passwords: list[Password] = field(default_factory=list)
    required_resource_access: list[dict[str, Any]] = field(default_factory=list)
    sign_in_audience: str = "AzureADMyOrg"
    extra: dict[str, Any] = field(default_factory=dict)  # other properties PATCHed or POSTed


@dataclass
class ServicePrincipal:
    object_id: str
    app_id: str
    display_name: str
    app_roles: list[dict[str, Any]] = field(default_factory=list)
    app_owner_tenant: str = ""
    directory_admin: bool = False
    arm_access: bool | None = None
    created: float = field(default_factory=time.monotonic)
    kind = "ServicePrincipal"


@dataclass
class AppRoleAssignment:
    id: str
    principal_id: str
    resource_id: str
    app_role_id: str
    created: datetime = field(default_factory=now_utc)


@dataclass
class Token:
    value: str
    principal_id: str
    kind: str  # "app" (client credentials) or "user" (device code / refresh token)
    client_id: str
    audience: str
    expires_at: float  # time.time()

    @property
    def expired(self) -> bool:
        return time.time() >= self.expires_at


@dataclass
class DeviceCode:
    device_code: str
    user_code: str
    client_id: str
    scope: str
    expires_at: float
    user_id: str | None = None
    declined: bool = False
    redeemed: bool = False
    created: float = field(default_factory=time.time)


class Directory:
    """All of one tenant. Callers hold the shared lock (see server.py) while using it."""

    def __init__(self, tenant_id: str, domain: str) -> None:
        self.tenant_id, self.domain = tenant_id, domain
        self.users: dict[str, User] = {}
        self.applications: dict[str, Application] = {}  # by object id
        self.service_principals: dict[str, ServicePrincipal] = {}  # by object id
        self.app_role_assignments: dict[str, AppRoleAssignment] = {}
        self.tokens: dict[str, Token] = {}  # access tokens
        self.refresh_tokens: dict[str, tuple[str, str]] = {}  # token -> (user id, client id)
        self.device_codes: dict[str, DeviceCode] = {}  # by device_code
        # audience (no trailing slash) -> the doubles that accept it ("arm", "graph")
        self.resources: dict[str, set[str]] = {}
        self.token_lifetime = 3599
        self.secret_propagation_delay = 0.0

    def reset(self) -> None:
        """Forget every object (the caller re-seeds). Issued tokens stay valid for principals that
        are seeded again under the same ids, so a credential cached across ``clear()`` still works."""
        for table in (self.users, self.applications, self.service_principals, self.app_role_assignments,
                      self.device_codes):
            table.clear()

    # -- lookups --------------------------------------------------------------------------
    def principal(self, ref: str) -> User | ServicePrincipal | None:
        """By object id, appId (service principals) or UPN (users)."""
        ref_l = ref.lower()
        for user in self.users.values():
            if ref_l in (user.object_id, user.upn.lower()):
                return user
        for sp in self.service_principals.values():
            if ref_l in (sp.object_id, sp.app_id):
                return sp
        return None

    def app_by_app_id(self, app_id: str) -> Application | None:
        return next((a for a in self.applications.values() if a.app_id == app_id.lower()), None)

    def sp_by_app_id(self, app_id: str) -> ServicePrincipal | None:
        return next((s for s in self.service_principals.values() if s.app_id == app_id.lower()), None)

    @property
    def graph_sp(self) -> ServicePrincipal:
        sp = self.sp_by_app_id(GRAPH_APP_ID)
        assert sp is not None, "the Microsoft Graph service principal is part of the seed"
        return sp

    def graph_roles_of(self, principal_id: str) -> list[str]:
        """Values of the Graph app roles admin-consented to a service principal."""
        graph = self.graph_sp
        by_id = {r["id"]: r["value"] for r in graph.app_roles}
        return sorted(by_id[a.app_role_id] for a in self.app_role_assignments.values()
                      if a.principal_id == principal_id and a.resource_id == graph.object_id
                      and a.app_role_id in by_id)

    def audience_services(self, audience: str) -> set[str]:
        return self.resources.get(audience.rstrip("/").lower(), set())

    # -- creation -------------------------------------------------------------------------
    def add_user(self, upn: str, display_name: str, *, admin: bool, arm_access: bool | None,
                 object_id: str | None = None) -> User:
        user = User(object_id or str(uuid.uuid4()), upn, display_name, admin, arm_access)
        self.users[user.object_id] = user
        return user

    def add_application(self, display_name: str, *, object_id: str | None = None,
                        app_id: str | None = None) -> Application:
        app = Application(object_id or str(uuid.uuid4()), app_id or str(uuid.uuid4()), display_name)
        self.applications[app.object_id] = app
        return app

    def add_service_principal(self, app_id: str, display_name: str, *, object_id: str | None = None,
                              app_roles: list[dict[str, Any]] | None = None) -> ServicePrincipal:
        sp = ServicePrincipal(object_id or str(uuid.uuid4()), app_id.lower(), display_name,
                              app_roles or [], self.tenant_id)
        self.service_principals[sp.object_id] = sp
        return sp

    def add_password(self, app: Application, *, display_name: str | None = None, end: datetime | None = None,
                     key_id: str | None = None, secret: str | None = None) -> Password:
        start = now_utc()
        password = Password(key_id or str(uuid.uuid4()), secret or new_client_secret(), display_name, start,
                            end or start + timedelta(days=365),
                            usable_from=time.monotonic() + self.secret_propagation_delay)
        app.passwords.append(password)
        return password

    # -- tokens ---------------------------------------------------------------------------
    def issue_access_token(self, principal: User | ServicePrincipal, *, client_id: str, audience: str,
                           authority: str) -> Token:
        issued = int(time.time())
        claims: dict[str, Any] = {
            "aud": audience, "iss": f"https://sts.windows.net/{self.tenant_id}/", "iat": issued, "nbf": issued,
            "exp": issued + self.token_lifetime, "appid": client_id, "oid": principal.object_id,
            "sub": principal.object_id, "tid": self.tenant_id, "ver": "1.0", "uti": secrets.token_urlsafe(16),
        }
        if isinstance(principal, User):
            claims.update(idtyp="user", upn=principal.upn, name=principal.display_name, scp="user_impersonation")
        else:
            claims["idtyp"] = "app"
            if "graph" in self.audience_services(audience):
                claims["roles"] = self.graph_roles_of(principal.object_id)
        token = Token(jwt_shaped(claims), principal.object_id, "user" if isinstance(principal, User) else "app",
                      client_id, audience, issued + self.token_lifetime)
        self.tokens[token.value] = token
        return token

    def id_token(self, user: User, *, client_id: str, issuer: str) -> str:
        issued = int(time.time())
        return jwt_shaped({
            "aud": client_id, "iss": issuer, "iat": issued, "nbf": issued, "exp": issued + self.token_lifetime,
            "name": user.display_name, "oid": user.object_id, "preferred_username": user.upn,
            "sub": b64url(user.object_id.encode()), "tid": self.tenant_id, "ver": "2.0",
        })

    def client_info(self, user: User) -> str:
        # msal builds the account's home_account_id "uid.utid" from this.
        return b64url(json.dumps({"uid": user.object_id, "utid": self.tenant_id}).encode())

    def new_refresh_token(self, user: User, client_id: str) -> str:
        value = "0.sandbox." + secrets.token_urlsafe(48)
        self.refresh_tokens[value] = (user.object_id, client_id)
        return value


def new_client_secret() -> str:
    # Entra secrets are 40 characters with "Q~" at positions 4-5 (after a 3-character hint and a
    # version digit); some tools key on that shape.
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-~"
    body = "".join(secrets.choice(alphabet) for _ in range(37))
    return body[:3] + "8Q~" + body[3:]
