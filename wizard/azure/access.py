"""The role and the service principal the platform uses: the custom role, the app registration
`azure-porter-restricted-sp`, its service principal and role assignment at the subscription, a
client secret (365 days) and the seven Microsoft Graph application permissions with admin consent.

Each step finds before it creates, so a re-run (after a crash, or on a second machine) makes
nothing twice. Run by an admin signed in with a device code.
"""
from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from ..errors import Cancelled, CloudError
from ..secret_store import SecretStore
from ..state import WizardState
from . import role
from .cloud import AzureCloud
from .connection import SECRET_DAYS, store_secret
from .credentials import ServicePrincipal, mgmt_kwargs, secret_credential
from .graph import GRAPH_APP_ID, Graph, GraphError

APP_NAME = "azure-porter-restricted-sp"
# The seven Graph application permissions the platform's docs list.
GRAPH_PERMISSIONS = ("Application.ReadWrite.All", "Directory.ReadWrite.All", "Domain.Read.All",
                     "Group.Create", "Group.ReadWrite.All", "RoleManagement.ReadWrite.Directory",
                     "User.ReadWrite.All")
CONSENT_PORTAL_PATH = (f"Azure portal → App registrations → {APP_NAME} → API permissions → "
                       "Grant admin consent for Default Directory")


@dataclass
class AccessRun:
    cloud: AzureCloud
    credential: object  # the signed-in admin
    state: WizardState
    secrets: SecretStore
    save: Callable[[], None]
    role_check: role.RoleCheck | None = None
    cancelled: Callable[[], bool] = lambda: False
    sleep: Callable[[float], None] = time.sleep
    #: How long a new secret may take to be accepted by Entra ID before we call it a failure.
    propagation_timeout_s: float = 120.0
    graph_sp_id: str = ""  # Microsoft Graph's service principal in this tenant
    _graph: Graph | None = None

    @property
    def graph(self) -> Graph:
        if self._graph is None:
            self._graph = Graph(self.cloud, self.credential)
        return self._graph

    @property
    def subscription_id(self) -> str:
        return self.state.azure.subscription_id

    def authorization(self):
        from azure.mgmt.authorization import AuthorizationManagementClient

        return AuthorizationManagementClient(self.credential, self.subscription_id, **mgmt_kwargs(self.cloud))


def custom_role(run: AccessRun) -> tuple[str, str]:
    check = run.role_check or role.find(run.authorization(), run.subscription_id)
    if check.exists and not check.differences:
        run.state.azure.role_id = check.role_id
        return "found", f"{role.ROLE_NAME} already matches"
    # An existing role that differs reaches here only after the user confirmed the update.
    run.state.azure.role_id = role.put(run.authorization(), run.subscription_id, check)
    return ("updated" if check.exists else "created"), role.ROLE_NAME


def _graph_roles(run: AccessRun) -> dict[str, str]:
    found = run.graph.get("/servicePrincipals", **{"$filter": f"appId eq '{GRAPH_APP_ID}'"})["value"]
    if not found:
        raise CloudError("Microsoft Graph is missing from this tenant",
                         "The tenant has no service principal for Microsoft Graph.",
                         "Ask your Entra ID administrator; this is unusual.", code="NoGraph")
    roles = {r["value"]: r["id"] for r in found[0].get("appRoles", [])}
    run.graph_sp_id = found[0]["id"]
    return roles


def app_registration(run: AccessRun) -> tuple[str, str]:
    az = run.state.azure
    roles = _graph_roles(run)
    wanted = [{"id": roles[name], "type": "Role"} for name in GRAPH_PERMISSIONS if name in roles]
    found = run.graph.get("/applications", **{"$filter": f"displayName eq '{APP_NAME}'"})["value"]
    if found:
        app, status = found[0], "found"
        # Add our permissions to whatever it already asks for; never remove anything.
        access = app.get("requiredResourceAccess") or []
        graph = next((a for a in access if a.get("resourceAppId") == GRAPH_APP_ID), None)
        have = {r["id"] for r in (graph or {}).get("resourceAccess", [])}
        if not {w["id"] for w in wanted} <= have:
            if graph is None:
                access.append({"resourceAppId": GRAPH_APP_ID, "resourceAccess": []})
                graph = access[-1]
            graph["resourceAccess"] += [w for w in wanted if w["id"] not in have]
            run.graph.patch(f"/applications/{app['id']}", {"requiredResourceAccess": access})
            status = "updated"
    else:
        app = run.graph.post("/applications", {
            "displayName": APP_NAME, "signInAudience": "AzureADMyOrg",
            "requiredResourceAccess": [{"resourceAppId": GRAPH_APP_ID, "resourceAccess": wanted}]})
        status = "created"
    if az.client_id and az.client_id != app["appId"]:
        az.secret_key_id = ""  # a different app: the old secret is not this one's
    az.client_id, az.app_object_id = app["appId"], app["id"]
    return status, f"client ID {app['appId']}"


def service_principal(run: AccessRun) -> tuple[str, str]:
    az = run.state.azure
    found = run.graph.get("/servicePrincipals", **{"$filter": f"appId eq '{az.client_id}'"})["value"]
    if found:
        az.sp_object_id = found[0]["id"]
        return "found", f"object ID {az.sp_object_id}"
    made = run.graph.post("/servicePrincipals", {"appId": az.client_id})
    az.sp_object_id = made["id"]
    return "created", f"object ID {az.sp_object_id}"


def role_assignment(run: AccessRun) -> tuple[str, str]:
    from azure.mgmt.authorization.models import RoleAssignmentCreateParameters

    az, client = run.state.azure, run.authorization()
    scope = f"/subscriptions/{run.subscription_id}"
    existing = client.role_assignments.list_for_subscription(filter=f"principalId eq '{az.sp_object_id}'")
    if any(a.role_definition_id.lower() == az.role_id.lower() and a.scope.lower() == scope.lower()
           for a in existing):
        return "found", f"{role.ROLE_NAME} at the subscription"
    # principal_type matters: the SDK's default ("User") is refused for a service principal, and
    # naming it lets ARM accept a principal made seconds ago that its replica has not seen yet.
    client.role_assignments.create(scope, str(uuid.uuid4()), RoleAssignmentCreateParameters(
        role_definition_id=az.role_id, principal_id=az.sp_object_id, principal_type="ServicePrincipal"))
    return "created", f"{role.ROLE_NAME} at the subscription"


def _works(run: AccessRun, secret: str) -> bool:
    from .credentials import check_token

    try:
        check_token(run.cloud, secret_credential(
            run.cloud, ServicePrincipal(run.state.azure.tenant_id, run.state.azure.client_id), secret))
    except CloudError:
        return False
    return True


def client_secret(run: AccessRun) -> tuple[str, str]:
    az = run.state.azure
    current = run.secrets.get(az.secret_name)
    if current and az.secret_key_id and _works(run, current):
        return "found", "the secret in your keyring still works"
    problem = run.secrets.problem(cloud="azure")
    if problem:
        raise problem  # before making a secret we could not keep
    ends = datetime.now(timezone.utc) + timedelta(days=SECRET_DAYS)
    made = run.graph.post(f"/applications/{az.app_object_id}/addPassword", {"passwordCredential": {
        # Named by the day it was made, as the rotation names its secrets.
        "displayName": f"porter-wizard {datetime.now(timezone.utc).date().isoformat()}",
        "endDateTime": ends.isoformat(timespec="seconds").replace("+00:00", "Z")}})
    ends = _parse_end(made.get("endDateTime")) or ends
    store_secret(run.state, run.secrets, made["secretText"], ends)
    az.secret_key_id = made["keyId"]
    run.save()
    _wait_until_accepted(run, made["secretText"])
    return "created", f"expires {ends.date().isoformat()}"


def _wait_until_accepted(run: AccessRun, secret: str) -> None:
    """Entra ID takes a while (seconds, sometimes a minute) to accept a new secret everywhere;
    wait here, so the next steps don't fail with "invalid client secret"."""
    deadline, pause = time.monotonic() + run.propagation_timeout_s, 1.0
    while not _works(run, secret):
        if run.cancelled():
            raise Cancelled("the new client secret")
        if time.monotonic() > deadline:
            raise CloudError("The new client secret is not accepted yet",
                             f"Entra ID still refuses the secret after {int(run.propagation_timeout_s)} s.",
                             "It is stored; press Retry in a minute.", code="SecretNotReady",
                             retryable=True)
        run.sleep(pause)
        pause = min(pause * 2, 10.0)


def _parse_end(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def admin_consent(run: AccessRun) -> tuple[str, str]:
    az = run.state.azure
    roles = _graph_roles(run)
    granted = {g["appRoleId"] for g in run.graph.get(f"/servicePrincipals/{az.sp_object_id}/appRoleAssignments")["value"]}
    missing = [name for name in GRAPH_PERMISSIONS if roles.get(name) and roles[name] not in granted]
    try:
        for name in missing:
            if run.cancelled():
                raise Cancelled("admin consent")
            run.graph.post(f"/servicePrincipals/{az.sp_object_id}/appRoleAssignments",
                           {"principalId": az.sp_object_id, "resourceId": run.graph_sp_id, "appRoleId": roles[name]})
    except GraphError as err:
        if err.status_code != 403:
            raise
        az.consent = "manual"
        return "manual", f"you may not grant admin consent: {CONSENT_PORTAL_PATH}"
    az.consent = "granted"
    return ("found" if not missing else "created"), f"{len(GRAPH_PERMISSIONS)} permissions consented"


def steps() -> list[tuple[str, str, Callable[[AccessRun], tuple[str, str]]]]:
    return [("role", f"Custom role {role.ROLE_NAME}", custom_role),
            ("app", f"App registration {APP_NAME}", app_registration),
            ("sp", "Service principal", service_principal),
            ("assignment", "Role assignment at the subscription", role_assignment),
            ("secret", "Client secret (365 days)", client_secret),
            ("consent", "Microsoft Graph permissions and admin consent", admin_consent)]


def set_up(run: AccessRun, on_step) -> None:
    from ..stepwise import run_steps
    from .errors import azure_call

    # Before anything is made: the role, app, service principal and assignment are no use
    # without a secret the wizard can keep (in the keyring, or in memory for this run only).
    problem = run.secrets.problem(cloud="azure")
    if problem:
        raise problem
    run_steps(run, steps(), on_step, "set up", azure_call)
    run.state.azure.setup_done_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    run.save()


def typed_secret_expiry(cloud: AzureCloud, credential, client_id: str) -> datetime | None:
    """When a secret typed in (not made here) expires, if the app may read its own registration
    (it may once the setup granted Application.ReadWrite.All). Graph does not say which of the
    app's secrets was typed, so with several we take the soonest still valid: an early reminder
    is harmless, a late one is not. None when Graph won't tell."""
    try:
        app = Graph(cloud, credential).get(f"/applications(appId='{client_id}')")
    except Exception:  # noqa: BLE001 - optional information; the sign-in itself worked
        return None
    now = datetime.now(timezone.utc)
    ends = [e for e in (_parse_end(p.get("endDateTime")) for p in app.get("passwordCredentials", []))
            if e and e > now]
    return min(ends) if ends else None


def _claims(token: str) -> dict:
    """The payload of our own access token: read to learn who we are and what was consented, not
    trusted for anything (Entra ID checks the token, not us)."""
    import base64
    import json

    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def check_assignment(run: AccessRun) -> tuple[str, str]:
    """For a service principal typed in: does it hold a role on the subscription?"""
    oid = _claims(run.credential.get_token(run.cloud.arm_scope).token).get("oid", "")
    run.state.azure.sp_object_id = oid
    scope = f"/subscriptions/{run.subscription_id}".lower()
    held = [a for a in run.authorization().role_assignments.list_for_subscription(
        filter=f"principalId eq '{oid}'") if a.scope.lower() == scope]
    if not held:
        raise CloudError("The service principal has no role on this subscription",
                         "It can sign in, but Azure lets it do nothing in the subscription.",
                         f"Assign it {role.ROLE_NAME} (or Contributor + User Access Administrator) at "
                         "the subscription: Subscriptions → Access control (IAM) → Add role "
                         "assignment; or go back and use device-code sign-in to let the wizard do it.",
                         code="NoRoleAssignment")
    return "found", f"{len(held)} role assignment(s) at the subscription"


def check_permissions(run: AccessRun) -> tuple[str, str]:
    """For a service principal typed in: which Graph permissions were consented (its own Graph
    token lists them)."""
    roles = set(_claims(run.credential.get_token(run.cloud.graph_scope).token).get("roles", []))
    missing = [name for name in GRAPH_PERMISSIONS if name not in roles]
    if missing:
        run.state.azure.consent = "manual"
        return "manual", f"missing {', '.join(missing)}: {CONSENT_PORTAL_PATH}"
    run.state.azure.consent = "granted"
    return "found", f"all {len(GRAPH_PERMISSIONS)} consented"


def verify_steps() -> list[tuple[str, str, Callable[[AccessRun], tuple[str, str]]]]:
    return [("assignment", "Role at the subscription", check_assignment),
            ("consent", "Microsoft Graph permissions", check_permissions)]


def verify(run: AccessRun, on_step) -> None:
    from ..stepwise import run_steps
    from .errors import azure_call

    run_steps(run, verify_steps(), on_step, "check", azure_call)
    run.state.azure.setup_done_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    run.save()


def look_up_role(cloud: AzureCloud, credential, subscription_id: str) -> role.RoleCheck:
    from azure.mgmt.authorization import AuthorizationManagementClient

    return role.find(AuthorizationManagementClient(credential, subscription_id, **mgmt_kwargs(cloud)),
                     subscription_id)
