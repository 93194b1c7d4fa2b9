"""Signing in and setting up the platform's role and service principal (wizard/azure/signin.py,
access.py) with the real azure-identity / azure-mgmt clients and Graph REST, against the doubles."""
from __future__ import annotations

import threading
import time
import uuid
from datetime import datetime, timezone

import pytest

from wizard.azure import access, role, signin
from wizard.azure.connection import porter_credential
from wizard.azure.credentials import check_token
from wizard.azure.graph import GRAPH_APP_ID
from wizard.errors import Cancelled, CloudError
from wizard.sandbox.memory_keyring import MemoryKeyring
from wizard.secret_store import SecretStore
from wizard.state import WizardState

from .azure_double_fixtures import GRAPH_PERMISSIONS, claims
from .test_azure_services import cloud_of


def admin_sign_in(az, user=None):
    shown = []

    def show(prompt):
        shown.append(prompt)
        threading.Timer(0.1, az.approve_device_code, args=(prompt.code, user)).start()

    signed = signin.device_code_sign_in(cloud_of(az), show)
    return signed, shown


def run_for(az, signed, store=None, saves=None):
    state = WizardState(project="demo", cloud="azure")
    state.azure.tenant_id, state.azure.subscription_id = az.tenant_id, az.subscription_id
    saves = saves if saves is not None else []
    return access.AccessRun(cloud_of(az), signed.credential, state, store or SecretStore(MemoryKeyring()),
                            save=lambda: saves.append(state.to_json()), sleep=lambda s: None)


def test_device_code_shows_the_code_first_then_lists_the_subscription(az):
    signed, shown = admin_sign_in(az)
    assert len(shown) == 1 and shown[0].url.startswith(az.authority_url) and len(shown[0].code) == 9
    assert (signed.who, signed.tenant_id) == (az.admin_user.upn, az.tenant_id)
    subs = signin.subscriptions(cloud_of(az), signed.credential)
    assert [(s.subscription_id, s.name, s.usable) for s in subs] == [(az.subscription_id, "Pay-As-You-Go", True)]


def test_setup_makes_everything_once_and_the_secret_works(az):
    signed, _ = admin_sign_in(az)
    saves: list[str] = []
    run = run_for(az, signed, saves=saves)
    seen = []
    access.set_up(run, lambda s: seen.append((s.key, s.status)))
    finals = {k: s for k, s in seen if s not in ("waiting", "working")}
    assert finals == {"role": "created", "app": "created", "sp": "created", "assignment": "created",
                      "secret": "created", "consent": "created"}
    az_state = run.state.azure
    secret = run.secrets.get(az_state.secret_name)
    assert secret and all(secret not in saved for saved in saves)  # never in the state file
    expires = datetime.fromisoformat(run.state.secrets[az_state.secret_name].expires_at)
    assert 364 <= (expires - datetime.now(timezone.utc)).days <= 365
    credential = porter_credential(az_state, run.secrets, cloud_of(az))
    check_token(cloud_of(az), credential)
    graph_token = credential.get_token(az.graph_scope).token
    assert sorted(claims(graph_token)["roles"]) == sorted(GRAPH_PERMISSIONS)
    assert az_state.consent == "granted" and az_state.role_id.endswith(role.find(
        run.authorization(), az.subscription_id).role_id.rsplit("/", 1)[-1])

    again = run_for(az, signed, store=run.secrets)
    again.state.azure = az_state
    seen.clear()
    access.set_up(again, lambda s: seen.append((s.key, s.status)))
    finals = {k: s for k, s in seen if s not in ("waiting", "working")}
    assert set(finals.values()) == {"found"}, finals


def test_a_non_admin_gets_the_portal_path_for_consent(az):
    az.set_directory_admin(az.non_admin_user.object_id, False)
    signed, _ = admin_sign_in(az, az.non_admin_user)
    # A Contributor may not create role definitions; an Owner made the role and assignment earlier.
    run = run_for(az, signed)
    steps = {key: fn for key, _, fn in access.steps()}
    for key in ("app", "sp"):
        steps[key](run)
    status, detail = steps["consent"](run)
    assert status == "manual" and "Grant admin consent" in detail and run.state.azure.consent == "manual"


# -- each step on its own, against what a tenant may already hold --------------------------------

RG_SCOPE = "/resourceGroups/porter-demo"


@pytest.fixture
def admin(az):
    """The signed-in admin: a fresh sign-in per test (the doubles are back to their seed)."""
    signed, _ = admin_sign_in(az)
    return signed


def made_through(run, *keys):
    steps = {key: fn for key, _, fn in access.steps()}
    return [steps[key](run) for key in keys]


def assignments_of(run, principal_id):
    """(scope, role definition id) of each of the principal's assignments, as ARM lists them."""
    listed = run.authorization().role_assignments.list_for_subscription(filter=f"principalId eq '{principal_id}'")
    return sorted((a.scope.lower(), a.role_definition_id.lower()) for a in listed)


def assign(run, scope, role_id, principal_id):
    from azure.mgmt.authorization.models import RoleAssignmentCreateParameters

    run.authorization().role_assignments.create(scope, str(uuid.uuid4()), RoleAssignmentCreateParameters(
        role_definition_id=role_id, principal_id=principal_id, principal_type="ServicePrincipal"))


def test_the_role_at_a_resource_group_is_not_the_subscription_wide_assignment(az, admin):
    run = run_for(az, admin)
    made_through(run, "role", "app", "sp")
    a = run.state.azure
    subscription = f"/subscriptions/{az.subscription_id}"
    assign(run, subscription + RG_SCOPE, a.role_id, a.sp_object_id)  # someone assigned it to one group
    assign(run, subscription, a.role_id, az.service_principal.object_id)  # and to another principal
    assert access.role_assignment(run)[0] == "created"
    assert (subscription.lower(), a.role_id.lower()) in assignments_of(run, a.sp_object_id)
    assert access.role_assignment(run)[0] == "found"


def test_another_role_at_the_subscription_is_not_the_platform_role(az, admin):
    from wizard.sandbox.azure.arm_catalogue import builtin_role_id

    run = run_for(az, admin)
    made_through(run, "role", "app", "sp")
    a = run.state.azure
    subscription = f"/subscriptions/{az.subscription_id}"
    reader = f"{subscription}/providers/Microsoft.Authorization/roleDefinitions/{builtin_role_id('Reader')}"
    assign(run, subscription, reader, a.sp_object_id)
    assert access.role_assignment(run)[0] == "created"
    assert (subscription.lower(), a.role_id.lower()) in assignments_of(run, a.sp_object_id)


def test_a_re_run_finds_the_assignment_whatever_the_case_of_the_saved_ids(az, admin):
    """ARM compares ids without case and may answer in another case than the one saved: a re-run
    that missed the assignment would ask for a second one, which ARM refuses (409)."""
    run = run_for(az, admin)
    made_through(run, "role", "app", "sp", "assignment")
    run.state.azure.role_id = run.state.azure.role_id.upper()
    assert access.role_assignment(run)[0] == "found"
    run.state.azure.role_id = run.state.azure.role_id.lower()
    assert access.role_assignment(run)[0] == "found"


def test_a_service_principal_made_seconds_ago_is_assigned_before_arm_s_replica_knows_it(az, admin):
    az.arm.principal_replication_delay = 60.0
    run = run_for(az, admin)
    made_through(run, "role", "app", "sp")
    assert access.role_assignment(run)[0] == "created"


def test_a_differing_role_is_updated_and_a_matching_one_found(az, admin):
    from azure.mgmt.authorization.models import Permission, RoleDefinition

    run = run_for(az, admin)
    check = access.look_up_role(cloud_of(az), admin.credential, az.subscription_id)
    assert not check.exists
    scope = f"/subscriptions/{az.subscription_id}"
    run.authorization().role_definitions.create_or_update(scope, check.role_id.rsplit("/", 1)[-1], RoleDefinition(
        role_name=role.ROLE_NAME, role_type="CustomRole", assignable_scopes=[scope],
        permissions=[Permission(actions=["*"], not_actions=role.NOT_ACTIONS[:1])]))
    run.role_check = access.look_up_role(cloud_of(az), admin.credential, az.subscription_id)
    assert run.role_check.differences
    assert access.custom_role(run)[0] == "updated"
    assert access.look_up_role(cloud_of(az), admin.credential, az.subscription_id).differences == []
    run.role_check = None
    run.state.azure.role_id = ""
    assert access.custom_role(run)[0] == "found" and run.state.azure.role_id.lower() == check.role_id.lower()


def test_an_existing_app_keeps_what_it_asks_for_and_gains_ours(az, admin):
    run = run_for(az, admin)
    other_api = {"resourceAppId": "00000002-0000-0000-c000-000000000000",
                 "resourceAccess": [{"id": "311a71cc-e848-46a1-bdf8-97ff7156d8e6", "type": "Scope"}]}
    foreign = {"id": "e1fe6dd8-ba31-4d61-89e7-88639da4683d", "type": "Scope"}  # Graph User.Read
    app = run.graph.post("/applications", {"displayName": access.APP_NAME, "requiredResourceAccess": [
        other_api, {"resourceAppId": GRAPH_APP_ID, "resourceAccess": [
            foreign, {"id": GRAPH_PERMISSIONS["Domain.Read.All"], "type": "Role"}]}]})
    run.state.azure.client_id, run.state.azure.secret_key_id = app["appId"], "kept-key"
    assert access.app_registration(run)[0] == "updated"
    access_now = run.graph.get(f"/applications/{app['id']}")["requiredResourceAccess"]
    graph = [a for a in access_now if a["resourceAppId"] == GRAPH_APP_ID]
    assert other_api in access_now and len(graph) == 1
    ids = [r["id"] for r in graph[0]["resourceAccess"]]
    assert foreign["id"] in ids and sorted(ids) == sorted({foreign["id"], *GRAPH_PERMISSIONS.values()})
    assert run.state.azure.secret_key_id == "kept-key"  # the same app: its secret still counts
    updates = az.graph.requests.count("applications.update")
    assert access.app_registration(run)[0] == "found" and az.graph.requests.count("applications.update") == updates


def test_an_existing_app_without_graph_permissions_gains_them(az, admin):
    run = run_for(az, admin)
    app = run.graph.post("/applications", {"displayName": access.APP_NAME, "requiredResourceAccess": []})
    assert access.app_registration(run)[0] == "updated"
    access_now = run.graph.get(f"/applications/{app['id']}")["requiredResourceAccess"]
    assert [(a["resourceAppId"], sorted(r["id"] for r in a["resourceAccess"])) for a in access_now] == [
        (GRAPH_APP_ID, sorted(GRAPH_PERMISSIONS.values()))]


def test_another_app_than_the_saved_one_forgets_the_saved_secret(az, admin):
    run = run_for(az, admin)
    run.state.azure.client_id, run.state.azure.secret_key_id = "an-app-of-an-earlier-setup", "its-key"
    made_through(run, "app")
    assert run.state.azure.secret_key_id == "" and run.state.azure.client_id != "an-app-of-an-earlier-setup"


def test_consent_grants_only_what_is_missing(az, admin):
    run = run_for(az, admin)
    made_through(run, "app", "sp")
    sp = run.state.azure.sp_object_id
    access._graph_roles(run)
    run.graph.post(f"/servicePrincipals/{sp}/appRoleAssignments", {
        "principalId": sp, "resourceId": run.graph_sp_id, "appRoleId": GRAPH_PERMISSIONS["Group.Create"]})
    assert access.admin_consent(run)[0] == "created"  # a second grant of Group.Create would be refused
    granted = sorted(g["appRoleId"] for g in run.graph.get(f"/servicePrincipals/{sp}/appRoleAssignments")["value"])
    assert granted == sorted(GRAPH_PERMISSIONS.values()) and run.state.azure.consent == "granted"
    run.state.azure.consent = ""
    assert access.admin_consent(run)[0] == "found" and run.state.azure.consent == "granted"


def test_consent_stops_when_asked_and_a_graph_failure_is_not_taken_for_a_refusal(az, admin):
    from wizard.azure.graph import GraphError

    run = run_for(az, admin)
    made_through(run, "app", "sp")
    run.cancelled = lambda: True
    with pytest.raises(Cancelled):
        access.admin_consent(run)
    run.cancelled = lambda: False
    az.graph.inject("appRoleAssignments.create", status=400, code="Request_BadRequest", message="Bad request.")
    with pytest.raises(GraphError):
        access.admin_consent(run)
    assert run.state.azure.consent == ""


def test_without_a_keyring_nothing_is_made(az):
    from keyring.backends.fail import Keyring as FailKeyring

    from wizard.errors import KeyringUnavailable

    run = run_for(az, signin.SignedIn(None, "nobody", az.tenant_id), store=SecretStore(FailKeyring()))
    with pytest.raises(KeyringUnavailable):
        access.set_up(run, lambda s: None)
    assert az.graph.requests == [] and az.arm.requests == []


# -- the client secret ------------------------------------------------------------------------------

def test_a_step_with_no_keyring_makes_no_secret_it_could_not_keep(az, admin):
    from keyring.backends.fail import Keyring as FailKeyring

    from wizard.errors import KeyringUnavailable

    run = run_for(az, admin)
    made_through(run, "app", "sp")
    run.secrets = SecretStore(FailKeyring())
    with pytest.raises(KeyringUnavailable):
        access.client_secret(run)
    assert "applications.addPassword" not in az.graph.requests


def test_a_kept_secret_entra_id_refuses_is_replaced_by_one_that_works(az, admin):
    run = run_for(az, admin)
    made_through(run, "app", "sp", "secret")
    a = run.state.azure
    run.secrets.put(a.secret_name, "a-secret-entra-id-never-issued")
    assert access.client_secret(run)[0] == "created"
    assert access._works(run, run.secrets.get(a.secret_name))
    # A working secret whose key id the wizard does not know (typed in, or another app's) is
    # not taken as the app's own: a new one is made.
    a.secret_key_id = ""
    assert access.client_secret(run)[0] == "created" and a.secret_key_id
    assert access.client_secret(run) == ("found", "the secret in your keyring still works")


def test_a_new_secret_is_waited_for_with_growing_pauses_until_it_works(az, admin):
    run = run_for(az, admin)
    made_through(run, "app", "sp")
    az.directory.secret_propagation_delay = 1.2
    slept = []
    run.sleep = lambda s: (slept.append(s), time.sleep(0.25))
    status, detail = access.client_secret(run)
    assert status == "created" and slept[:2] == [1.0, 2.0]
    assert access._works(run, run.secrets.get(run.state.azure.secret_name))
    expires = run.state.secrets[run.state.azure.secret_name].expires_at
    assert detail == f"expires {expires[:10]}"


def test_a_secret_never_accepted_in_time_is_kept_and_retrying_is_offered(az, admin):
    saves = []
    run = run_for(az, admin, saves=saves)
    made_through(run, "app", "sp")
    az.directory.secret_propagation_delay = 60.0
    slept = []
    run.sleep, run.propagation_timeout_s = slept.append, 1.0
    started_at = time.monotonic()
    with pytest.raises(CloudError) as caught:
        access.client_secret(run)
    assert caught.value.code == "SecretNotReady" and caught.value.retryable
    assert time.monotonic() - started_at >= 1.0
    assert slept[:6] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0] and max(slept) == 10.0
    a = run.state.azure
    assert run.secrets.get(a.secret_name) and a.secret_key_id in saves[-1]  # stored and saved first


def test_stopping_while_the_new_secret_spreads(az, admin):
    run = run_for(az, admin)
    made_through(run, "app", "sp")
    az.directory.secret_propagation_delay = 60.0
    run.cancelled = lambda: True
    with pytest.raises(Cancelled):
        access.client_secret(run)


# -- a service principal typed in: what it holds -------------------------------------------------

def typed_run(az, principal, secret):
    from .azure_double_fixtures import secret_credential

    state = WizardState(project="demo", cloud="azure")
    state.azure.tenant_id, state.azure.subscription_id = az.tenant_id, az.subscription_id
    saves = []
    run = access.AccessRun(cloud_of(az), secret_credential(az, principal, secret), state,
                           SecretStore(MemoryKeyring()), save=lambda: saves.append(state.to_json()))
    return run, saves


def test_a_typed_service_principal_with_a_role_at_the_subscription_passes(az):
    sp = az.service_principal  # the seed gives it Owner at the subscription
    run, saves = typed_run(az, sp.client_id, sp.client_secret)
    assert access.check_assignment(run) == ("found", "1 role assignment(s) at the subscription")
    assert run.state.azure.sp_object_id == sp.object_id


def test_a_typed_service_principal_with_a_role_on_one_group_only_is_refused(az):
    from wizard.sandbox.azure.arm_catalogue import builtin_role_id

    sp = az.add_service_principal("group-only", arm_role=None)
    az.arm.assign(az.subscription_scope + RG_SCOPE, builtin_role_id("Owner"), az.directory.principal(sp.object_id))
    az.allow_arm(sp.object_id, True)  # it may list its assignments, so the answer is about what it holds
    run, saves = typed_run(az, sp.client_id, sp.client_secret)
    with pytest.raises(CloudError) as caught:
        access.verify(run, lambda s: None)
    assert caught.value.code == "NoRoleAssignment" and not run.state.azure.setup_done_at and saves == []
    # what the user reads: what is wrong, and both ways out
    error = caught.value
    assert error.title == "The service principal has no role on this subscription"
    assert error.what == "It can sign in, but Azure lets it do nothing in the subscription."
    assert error.next_step == (f"Assign it {role.ROLE_NAME} (or Contributor + User Access Administrator) at the "
                               "subscription: Subscriptions → Access control (IAM) → Add role assignment; or go "
                               "back and use device-code sign-in to let the wizard do it.")


def grant(az, admin, principal_id, names):
    run = run_for(az, admin)
    access._graph_roles(run)
    for name in names:
        run.graph.post(f"/servicePrincipals/{principal_id}/appRoleAssignments", {
            "principalId": principal_id, "resourceId": run.graph_sp_id, "appRoleId": GRAPH_PERMISSIONS[name]})


def test_a_typed_service_principal_s_missing_permissions_are_named(az, admin):
    sp = az.service_principal
    grant(az, admin, sp.object_id, [n for n in access.GRAPH_PERMISSIONS if n != "Group.Create"])
    run, _ = typed_run(az, sp.client_id, sp.client_secret)
    status, detail = access.check_permissions(run)
    assert status == "manual" and detail.startswith("missing Group.Create: ") and run.state.azure.consent == "manual"


def test_a_typed_service_principal_with_every_permission_is_verified_and_saved(az, admin):
    sp = az.service_principal
    grant(az, admin, sp.object_id, access.GRAPH_PERMISSIONS)
    run, saves = typed_run(az, sp.client_id, sp.client_secret)
    seen = []
    access.verify(run, lambda s: seen.append((s.key, s.status)))
    assert {k: s for k, s in seen if s not in ("waiting", "working")} == {"assignment": "found", "consent": "found"}
    assert run.state.azure.consent == "granted" and run.state.azure.setup_done_at
    assert run.state.azure.setup_done_at in saves[-1]


def test_a_typed_secret_s_expiry_is_the_soonest_still_valid(az, admin):
    from datetime import timedelta

    sp = az.service_principal
    credential = typed_run(az, sp.client_id, sp.client_secret)[0].credential
    assert access.typed_secret_expiry(cloud_of(az), credential, sp.client_id) is None  # may not read its app yet
    grant(az, admin, sp.object_id, ["Application.ReadWrite.All"])
    app = az.directory.app_by_app_id(sp.client_id)
    now = datetime.now(timezone.utc)
    az.directory.add_password(app, end=now + timedelta(days=30))
    az.directory.add_password(app, end=now - timedelta(days=1))  # expired: nobody signs in with it
    found = access.typed_secret_expiry(cloud_of(az), credential, sp.client_id)
    assert found is not None and abs((found - (now + timedelta(days=30))).total_seconds()) < 2
