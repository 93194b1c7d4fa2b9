"""Signing in and setting up the platform's role and service principal (wizard/azure/signin.py,
access.py) with the real azure-identity / azure-mgmt clients and Graph REST, against the doubles."""
from __future__ import annotations

import threading
from datetime import datetime, timezone

from wizard.azure import access, role, signin
from wizard.azure.connection import porter_credential
from wizard.azure.credentials import check_token
from wizard.sandbox.memory_keyring import MemoryKeyring
from wizard.secret_store import SecretStore
from wizard.state import WizardState

from .azure_double_fixtures import GRAPH_PERMISSIONS, az, claims, started  # noqa: F401 - fixtures
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
