"""Machines without a keyring (servers, SSH): the advice fits the cloud at hand, nothing is made in
Azure before the wizard knows it can keep the secret, and "Keep it for this run only" keeps the
secret in memory (never a file) for this run; a relaunch says what to give again."""
from __future__ import annotations

import json

import pytest
from keyring.backends.fail import Keyring as FailKeyring
from textual.widgets import TextArea

from screens.app import WizardApp
from wizard import handoff
from wizard.azure import signin
from wizard.azure.cloud import current_cloud
from wizard.azure.connection import porter_credential
from wizard.context import WizardContext
from wizard.errors import CloudError, WizardError
from wizard.gcp.connection import load_key
from wizard.logs import setup_logging
from wizard.paths import log_file
from wizard.secret_store import THIS_RUN_BUTTON, SecretStore
from wizard.state import SecretRecord, WizardState

from .pilot_tools import press, settle, shown_buttons, text_of, wait_for_focus, wait_for_text
from .test_azure_rotation import works
from .test_azure_secret_scan import assert_in_no_file
from .test_flow_azure import SIZE, azure_state, wait_for_step
from .test_gcp_secret_scan import _secret_parts
from .test_flow_gcp import gcp_state

GRAPH_CREATES = ("applications.create", "servicePrincipals.create", "appRoleAssignments.create")
ARM_CREATES = ("roleDefinitions.put", "roleAssignments.put")


def _creates(azure) -> list[str]:
    return ([r for r in azure.graph.requests if r in GRAPH_CREATES or "addPassword" in r]
            + [r for r in azure.arm.requests if r in ARM_CREATES])


def _no_keyring() -> SecretStore:
    return SecretStore(FailKeyring())


def test_the_advice_fits_the_cloud():
    store = _no_keyring()
    aws, az, gcp = (store.problem(cloud=c).next_step for c in ("aws", "azure", "gcp"))
    assert "AWS profile" in aws and THIS_RUN_BUTTON not in aws
    assert THIS_RUN_BUTTON in az and "client secret" in az and "AWS" not in az
    assert THIS_RUN_BUTTON in gcp and "service-account key" in gcp and "AWS" not in gcp
    for advice in (aws, az, gcp, store.problem().next_step):
        assert "gnome-keyring" in advice  # the Linux recipe stays
    assert "AWS" not in store.problem().next_step and THIS_RUN_BUTTON not in store.problem().next_step


def test_a_session_store_keeps_secrets_in_memory_only():
    backend = FailKeyring()
    store = SecretStore(backend)
    store.keep_for_this_run()
    assert store.problem(cloud="azure") is None
    store.put("x", "s3cret-value-for-this-run")
    assert store.get("x") == "s3cret-value-for-this-run"
    store.delete("x")
    assert store.get("x") is None
    assert SecretStore.for_this_run(backend).session_only


def _admin_state(azure) -> WizardState:
    state = azure_state("azure.access")
    state.azure.signin_method, state.azure.tenant_id = "device", azure.tenant_id
    state.azure.subscription_id = azure.subscription_id
    return state


async def test_azure_setup_without_a_keyring_makes_nothing_then_keeps_the_secret_for_this_run(
        azure, make_ctx, home):
    setup_logging(log_file(sandbox=False))
    ctx = make_ctx(_admin_state(azure), secrets=_no_keyring())
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        signin.remember_admin(signin.device_code_sign_in(current_cloud(), lambda prompt: None))
        await settle(pilot)
        before_graph, before_arm = len(azure.graph.requests), len(azure.arm.requests)
        await press(pilot, "start")
        await settle(pilot)
        assert _creates(azure) == []
        assert len(azure.graph.requests) == before_graph and len(azure.arm.requests) == before_arm
        assert "No keyring" in text_of(pilot, "#error") and THIS_RUN_BUTTON in text_of(pilot, "#error")
        assert "AWS" not in text_of(pilot, "#error")
        assert "this-run" in shown_buttons(pilot) and not ctx.state.azure.setup_done_at

        await press(pilot, "this-run")
        for _ in range(80):
            await settle(pilot)
            if ctx.state.azure.setup_done_at:
                break
            await pilot.pause(0.1)
        assert ctx.state.azure.setup_done_at, text_of(pilot, "#error")
        assert "relaunch" in text_of(pilot, "#job-status")
        assert "this-run" not in shown_buttons(pilot)
    az = ctx.state.azure
    made = ctx.secrets.get(az.secret_name)
    assert made and ctx.secrets.session_only
    assert ctx.state.secrets[az.secret_name].session_only
    # The hand-off reads it just in time from memory.
    assert dict((i.label, i.value) for i in handoff.items(ctx.state, ctx.secrets, "azure"))["Client secret"] == made
    ctx.save()
    assert_in_no_file(home, [made])
    assert '"session_only": true' in ctx.store.path.read_text()


def _relaunched(ctx_state: WizardState, make_ctx) -> WizardContext:
    """A new run on the same machine: the state from the file, a fresh store (no keyring)."""
    return make_ctx(ctx_state, secrets=_no_keyring())


def test_a_relaunch_after_a_one_run_azure_secret_says_to_give_it_again(make_ctx):
    state = azure_state("azure.region")
    state.azure.tenant_id, state.azure.client_id = "t", "c"
    state.secrets[state.azure.secret_name] = SecretRecord("azure-client-secret", "2026-01-01T00:00:00+00:00",
                                                          session_only=True)
    ctx = _relaunched(state, make_ctx)
    with pytest.raises(CloudError) as caught:
        porter_credential(state.azure, ctx.secrets)
    assert "one run only" in caught.value.title and "type the secret again" in caught.value.next_step
    with pytest.raises(WizardError) as caught:
        handoff.items(state, ctx.secrets, "azure")
    assert "one run only" in caught.value.title

    # Without the marker: the usual "not in the keyring".
    state.secrets[state.azure.secret_name].session_only = False
    with pytest.raises(CloudError) as caught:
        porter_credential(state.azure, make_ctx(state, secrets=_no_keyring()).secrets)
    assert "not in the keyring" in caught.value.title


async def test_gcp_key_without_a_keyring_then_for_this_run_then_a_relaunch(sandbox_gcp, make_ctx, home):
    setup_logging(log_file(sandbox=False))
    key = sandbox_gcp.make_key()
    ctx = make_ctx(gcp_state("gcp.key"), secrets=_no_keyring())
    ctx.sandbox = False
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        pilot.app.screen.query_one("#key-paste", TextArea).text = json.dumps(key, indent=2)
        await press(pilot, "continue")
        assert pilot.app.screen.STEP == "gcp.key"
        error = text_of(pilot, "#error")
        assert "No keyring" in error and THIS_RUN_BUTTON in error and "AWS" not in error
        assert "this-run" in shown_buttons(pilot) and not ctx.state.gcp.client_email
        await press(pilot, "this-run")
        await wait_for_step(pilot, "gcp.apis")
    gcp = ctx.state.gcp
    assert ctx.secrets.get(gcp.secret_name) and ctx.state.secrets[gcp.secret_name].session_only
    assert load_key(ctx.state, ctx.secrets).key_id == key["private_key_id"]
    assert dict((i.label, i.value) for i in handoff.items(ctx.state, ctx.secrets, "gcp"))["Key (JSON)"]
    ctx.save()
    assert_in_no_file(home, _secret_parts(key))

    # Relaunch: the key step says the key was kept for one run only.
    again = _relaunched(ctx.store.load(), make_ctx)
    with pytest.raises(CloudError) as caught:
        load_key(again.state, again.secrets)
    assert "one run only" in caught.value.title and "give the key again" in caught.value.next_step
    again.state.step = "gcp.key"
    async with WizardApp(again).run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "kept for one run only" in text_of(pilot, "#kept-one-run")
        assert "use-stored" not in shown_buttons(pilot)


async def test_a_typed_azure_secret_without_a_keyring_can_be_kept_for_this_run(azure, make_ctx, home):
    setup_logging(log_file(sandbox=False))
    sp = azure.service_principal
    ctx = make_ctx(azure_state("azure.signin"), secrets=_no_keyring())
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "show-sp")
        screen = pilot.app.screen
        for field, value in (("tenant", azure.tenant_id), ("subscription", azure.subscription_id),
                             ("client", sp.client_id), ("secret", sp.client_secret)):
            screen.query_one(f"#{field}").value = value
        await press(pilot, "check-sp")
        assert pilot.app.screen.STEP == "azure.signin"
        assert "this-run" in shown_buttons(pilot) and "AWS" not in text_of(pilot, "#secret-field .field-error")
        await press(pilot, "this-run")
        await wait_for_step(pilot, "azure.subscription")
    assert ctx.secrets.get(ctx.state.azure.secret_name) == sp.client_secret
    assert ctx.state.secrets[ctx.state.azure.secret_name].session_only
    ctx.save()
    assert_in_no_file(home, [sp.client_secret])


async def test_rotation_without_a_keyring_offers_this_run_then_hands_the_new_secret_over(
        platform, endpoints, make_ctx):
    """An admin rotating a year later on a server without a keyring: Rotate stops before making
    anything, the error names the button the screen shows, and after it the new secret lives in
    memory only, reaches Porter through the card, and never a file."""
    from .test_azure_rotation_front import admin_enters_the_code_soon, due_soon, screen_text

    setup_logging(log_file(sandbox=False))
    due_soon(platform)
    ctx = make_ctx(platform.state, secrets=_no_keyring())  # a relaunch: the old secret is not here
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "rotate-azure")
        before = list(platform.az.graph.requests)
        await press(pilot, "rotate")
        await wait_for_text(pilot, "#rotate-status", "Not rotated")
        assert THIS_RUN_BUTTON in text_of(pilot, "#error") and "this-run" in shown_buttons(pilot)
        assert not [r for r in platform.az.graph.requests[len(before):] if "addPassword" in r]
        assert pilot.app.focused.id == "this-run"
        helper = admin_enters_the_code_soon(platform.az)  # the old secret is gone: an admin signs in
        try:
            await press(pilot, "this-run")
            status = await wait_for_text(pilot, "#rotate-status", "Porter still holds the old secret")
        finally:
            helper.join()
        assert "for this run only" in status and "keyring" not in status.replace("no keyring", "")
        new = ctx.secrets.get(platform.name)
        assert new and works(platform.az, new) and ctx.secrets.session_only
        await wait_for_focus(pilot, ".handoff-row")  # the secret's row takes it after a refresh
        await pilot.press("r")
        assert new in screen_text(pilot)  # the card gives it to Porter from memory
        await press(pilot, "porter-has")
        await wait_for_text(pilot, "#rotate-status", "✓ Rotated")
    ctx.save()
    assert_in_no_file(platform.home, [new])
    assert ctx.state.secrets[platform.name].session_only
