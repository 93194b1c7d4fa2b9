"""What an admin (or a user who typed a service principal in) reads while the wizard sets up or
checks Azure access (wizard/azure/access.py), word for word, and what each step leaves: the client
secret's name and expiry on the app and in the state, how long a new secret is waited for, which
Graph permissions are named missing, and when the setup is recorded as done. Against the local
doubles of Entra ID, ARM and Graph (fixtures of azure_double_fixtures.py)."""
from __future__ import annotations

import base64
import json
import os
import time
import types
from datetime import datetime, timedelta, timezone

import pytest
from azure.core.credentials import AccessToken
from keyring.backends.fail import Keyring as FailKeyring

from wizard.azure import access, role, signin
from wizard.azure.graph import GRAPH_APP_ID
from wizard.errors import Cancelled, CloudError, KeyringUnavailable
from wizard.secret_store import SecretStore

from .azure_double_fixtures import GRAPH_PERMISSIONS
from .test_azure_access import admin_sign_in, grant, made_through, run_for, typed_run
from .test_azure_services import cloud_of

PORTAL = ("Azure portal → App registrations → azure-porter-restricted-sp → API permissions → "
          "Grant admin consent for Default Directory")
NO_KEYRING = ("No keyring to keep your secret in",
              "The wizard stores secrets only in your OS keyring, and no OS keyring backend is available on "
              "this machine.",
              "On a desktop, unlock your login keyring (GNOME Keyring, KWallet, macOS Keychain). On a server, "
              "install and start one (`apt install gnome-keyring dbus-user-session`, then `dbus-run-session -- "
              "sh`, `gnome-keyring-daemon --unlock`), then try again; or press Keep it for this run only: the "
              "wizard keeps the client secret in memory until it quits (never in a file), and a relaunch asks "
              "for it again.")


@pytest.fixture
def admin(az):
    """The signed-in admin: a fresh device-code sign-in per test."""
    return admin_sign_in(az)[0]


def words(error) -> tuple[str, str, str]:
    return error.title, error.what, error.next_step


def finals(seen) -> dict[str, tuple[str, str, str]]:
    """Each step's last (label, status, detail), as the screen's rows show them."""
    return {s.key: (s.label, s.status, s.detail) for s in seen}


def utc_now_recorded(text: str) -> bool:
    """A timestamp the wizard recorded just now, in UTC with its offset written out."""
    moment = datetime.fromisoformat(text)
    return moment.utcoffset() == timedelta(0) and abs(datetime.now(timezone.utc) - moment) < timedelta(minutes=1)


@pytest.fixture
def other_day():
    """A local time zone whose date is not UTC's today (UTC+14 late in the UTC day, UTC-12 early)."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "ABC-14" if datetime.now(timezone.utc).hour >= 12 else "XYZ+12"
    time.tzset()
    assert datetime.now().date() != datetime.now(timezone.utc).date()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


# -- before anything is made: no keyring ----------------------------------------------------------

def test_without_a_keyring_the_admin_is_told_how_to_keep_the_client_secret(az):
    nobody = signin.SignedIn(None, "nobody", az.tenant_id)
    run = run_for(az, nobody, store=SecretStore(FailKeyring()))
    with pytest.raises(KeyringUnavailable) as caught:
        access.set_up(run, lambda s: None)
    assert words(caught.value) == NO_KEYRING
    with pytest.raises(KeyringUnavailable) as caught:
        access.client_secret(run)
    assert words(caught.value) == NO_KEYRING
    assert az.graph.requests == [] and az.arm.requests == []


# -- the client secret: its name, its expiry, the wait until Entra ID accepts it -------------------

def test_the_new_secret_is_named_by_the_utc_day_and_ends_in_365_days(az, admin, other_day):
    # Graph gives a password asked for without an end two years (addPassword's documented default,
    # as the double does): a request that lost its end would show here.
    run = run_for(az, admin)
    made_through(run, "app", "sp")
    asked_at = datetime.now(timezone.utc)
    status, detail = access.client_secret(run)
    a = run.state.azure
    made = [p for p in az.directory.app_by_app_id(a.client_id).passwords if p.key_id == a.secret_key_id]
    assert len(made) == 1
    assert made[0].display_name == f"porter-wizard {asked_at.date().isoformat()}"
    assert abs(made[0].end - (asked_at + timedelta(days=365))) < timedelta(seconds=30)
    stored = datetime.fromisoformat(run.state.secrets[a.secret_name].expires_at)
    assert stored == made[0].end.replace(microsecond=0)
    assert (status, detail) == ("created", f"expires {stored.date().isoformat()}")


def test_a_new_secret_is_waited_for_until_the_timeout_has_passed(az, admin, monkeypatch):
    saves = []
    run = run_for(az, admin, saves=saves)
    made_through(run, "app", "sp")
    az.directory.secret_propagation_delay = 600.0
    clock = [1000.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        clock[0] += seconds

    monkeypatch.setattr(access, "time", types.SimpleNamespace(monotonic=lambda: clock[0]))
    run.sleep, run.propagation_timeout_s = sleep, 3.0
    with pytest.raises(CloudError) as caught:
        access.client_secret(run)
    # 1 s, then 2 s: the deadline (3 s) is reached, not passed, so one more pause before giving up
    assert slept == [1.0, 2.0, 4.0] and clock[0] == 1007.0
    assert words(caught.value) == ("The new client secret is not accepted yet",
                                   "Entra ID still refuses the secret after 3 s.",
                                   "It is stored; press Retry in a minute.")
    assert caught.value.code == "SecretNotReady" and caught.value.retryable
    a = run.state.azure
    assert run.secrets.get(a.secret_name) and a.secret_key_id in saves[-1]


def test_stopping_names_what_was_stopped(az, admin):
    run = run_for(az, admin)
    made_through(run, "app", "sp")
    az.directory.secret_propagation_delay = 600.0
    run.cancelled = lambda: True
    with pytest.raises(Cancelled) as caught:
        access.client_secret(run)
    assert str(caught.value) == "the new client secret"
    with pytest.raises(Cancelled) as caught:
        access.admin_consent(run)
    assert str(caught.value) == "admin consent"


# -- the whole setup: which step Azure refused, and when it was done --------------------------------

def test_a_refused_setup_step_is_named_and_a_finished_setup_is_recorded_in_utc(az, admin):
    graph = az.directory.sp_by_app_id(GRAPH_APP_ID)  # listed after the tenant's other principals
    az.directory.service_principals[graph.object_id] = az.directory.service_principals.pop(graph.object_id)
    saves = []
    run = run_for(az, admin, saves=saves)
    az.graph.inject("applications.create", status=400, code="Request_BadRequest", message="Bad request.")
    seen = []
    with pytest.raises(CloudError) as caught:
        access.set_up(run, seen.append)
    assert words(caught.value) == ("Azure could not set up the app registration azure-porter-restricted-sp",
                                   "Request_BadRequest: Bad request.",
                                   "Fix what Azure names above and press Retry.")
    assert finals(seen)["app"][1] == "failed" and not run.state.azure.setup_done_at and saves == []
    seen.clear()
    access.set_up(run, seen.append)
    a = run.state.azure
    expires = run.state.secrets[a.secret_name].expires_at[:10]
    assert finals(seen) == {
        "role": (f"Custom role {role.ROLE_NAME}", "found", f"{role.ROLE_NAME} already matches"),
        "app": ("App registration azure-porter-restricted-sp", "created", f"client ID {a.client_id}"),
        "sp": ("Service principal", "created", f"object ID {a.sp_object_id}"),
        "assignment": ("Role assignment at the subscription", "created", f"{role.ROLE_NAME} at the subscription"),
        "secret": ("Client secret (365 days)", "created", f"expires {expires}"),
        "consent": ("Microsoft Graph permissions and admin consent", "created", "7 permissions consented")}
    done = a.setup_done_at
    assert utc_now_recorded(done) and done in saves[-1]
    # one app of this tenant only, asking for the seven Graph permissions as application permissions
    # (what the portal's "Grant admin consent" grants, for an admin who must do it by hand)
    app = az.directory.app_by_app_id(a.client_id)
    assert (app.display_name, app.sign_in_audience) == ("azure-porter-restricted-sp", "AzureADMyOrg")
    assert app.required_resource_access == [{"resourceAppId": GRAPH_APP_ID, "resourceAccess": [
        {"id": GRAPH_PERMISSIONS[name], "type": "Role"} for name in access.GRAPH_PERMISSIONS]}]


def test_a_tenant_without_microsoft_graph_is_named(az, admin):
    graph = az.directory.sp_by_app_id(GRAPH_APP_ID)
    del az.directory.service_principals[graph.object_id]
    run = run_for(az, admin)
    with pytest.raises(CloudError) as caught:
        access.app_registration(run)
    assert words(caught.value) == ("Microsoft Graph is missing from this tenant",
                                   "The tenant has no service principal for Microsoft Graph.",
                                   "Ask your Entra ID administrator; this is unusual.")
    assert caught.value.code == "NoGraph" and "applications.create" not in az.graph.requests


# -- a service principal typed in: what is checked and named ---------------------------------------

def test_checking_a_typed_service_principal_shows_both_rows_and_records_when(az, admin):
    sp = az.service_principal
    grant(az, admin, sp.object_id, access.GRAPH_PERMISSIONS)
    run, saves = typed_run(az, sp.client_id, sp.client_secret)
    seen = []
    access.verify(run, seen.append)
    assert finals(seen) == {
        "assignment": ("Role at the subscription", "found", "1 role assignment(s) at the subscription"),
        "consent": ("Microsoft Graph permissions", "found", "all 7 consented")}
    done = run.state.azure.setup_done_at
    assert utc_now_recorded(done) and done in saves[-1]


def test_a_typed_service_principal_azure_will_not_answer_is_named_with_the_check(az):
    sp = az.add_service_principal("no-access", arm_role=None)
    az.allow_arm(sp.object_id, False)
    run, saves = typed_run(az, sp.client_id, sp.client_secret)
    seen = []
    with pytest.raises(CloudError) as caught:
        access.verify(run, seen.append)
    assert words(caught.value) == (
        "Azure denied access",
        f"Your identity may not check the role at the subscription. Azure said: The client '{sp.client_id}' "
        f"with object id '{sp.object_id}' does not have authorization to perform action "
        f"'Microsoft.Authorization/roleAssignments/read' over scope '/subscriptions/{az.subscription_id}' or "
        "the scope is invalid. If access was recently granted, please refresh your credentials.",
        "Sign in as an Owner (or User Access Administrator) of the subscription, or ask one to run this step.")
    assert finals(seen)["assignment"][1] == "failed" and not run.state.azure.setup_done_at and saves == []


class TokenWith:
    """A credential whose access tokens carry these claims: Entra ID leaves `roles` out of an app's
    token when nothing was consented (the doubles always write it)."""

    def __init__(self, claims: dict) -> None:
        self.claims = claims

    def get_token(self, *scopes, **kwargs) -> AccessToken:
        def part(data) -> str:
            return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
        return AccessToken(".".join([part({"typ": "JWT"}), part(self.claims), "sig"]), int(time.time()) + 3600)


def test_the_missing_graph_permissions_are_named_whatever_the_token_s_length(az):
    run, _ = typed_run(az, "unused", "unused")
    everything = f"missing {', '.join(access.GRAPH_PERMISSIONS)}: {PORTAL}"
    for pad in range(20):  # every length of payload mod 4 and mod 5: base64url without its padding
        run.credential = TokenWith({"oid": "x" * pad})
        assert access.check_permissions(run) == ("manual", everything)
        assert run.state.azure.consent == "manual"
        run.credential = TokenWith({"oid": "x" * pad, "roles": list(access.GRAPH_PERMISSIONS)})
        assert access.check_permissions(run) == ("found", "all 7 consented")
        assert run.state.azure.consent == "granted"
    run.credential = TokenWith({"roles": ["Domain.Read.All", "Group.Create", "Group.ReadWrite.All",
                                          "RoleManagement.ReadWrite.Directory", "User.ReadWrite.All"]})
    assert access.check_permissions(run) == (
        "manual", f"missing Application.ReadWrite.All, Directory.ReadWrite.All: {PORTAL}")


def test_a_typed_secret_ending_this_very_second_is_not_still_valid(az, admin, monkeypatch):
    now = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=30)

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            return now if tz else now.replace(tzinfo=None)

    monkeypatch.setattr(access, "datetime", Frozen)
    app = az.directory.add_application("typed-in")
    az.directory.add_password(app, end=now - timedelta(days=1))
    az.directory.add_password(app, end=now)
    assert access.typed_secret_expiry(cloud_of(az), admin.credential, app.app_id) is None
    az.directory.add_password(app, end=now + timedelta(days=10))
    assert access.typed_secret_expiry(cloud_of(az), admin.credential, app.app_id) == now + timedelta(days=10)
