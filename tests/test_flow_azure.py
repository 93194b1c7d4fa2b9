"""The Azure flow through the screens, against the sandbox's Azure doubles: sign in with a device
code, pick the subscription, register providers, set up the role and service principal, region."""
from __future__ import annotations

import pytest

from screens.app import WizardApp
from wizard.azure import signin
from wizard.state import WizardState

from .pilot_tools import press, settle, shown_buttons, text_of

SIZE = (110, 60)


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch):
    for screen in ("screens.azure_providers.AzureProvidersScreen", "screens.azure_quotas.AzureQuotasScreen",
                   "screens.azure_provision.AzureProvisionScreen", "screens.azure_teardown.AzureTeardownScreen"):
        monkeypatch.setattr(f"{screen}.POLL_SECONDS", 0.05)


def azure_state(step: str) -> WizardState:
    return WizardState(step=step, project="demo", cloud="azure")


async def wait_for_step(pilot, step: str, rounds: int = 100) -> None:
    for _ in range(rounds):
        await settle(pilot)
        if pilot.app.screen.STEP == step:
            return
        await pilot.pause(0.1)
    raise AssertionError(f"still on {pilot.app.screen.STEP}, not {step}")


async def test_device_code_sign_in_to_region(azure, make_ctx, logged_in):
    ctx = make_ctx(azure_state("azure.signin"))
    ctx.state.porter_mode, ctx.state.porter_host, ctx.state.porter_project = "api", logged_in.url, "42"
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "device")
        await wait_for_step(pilot, "azure.subscription")
        assert azure.subscription_name in str(pilot.app.screen.query_one("#subscriptions").options[0].prompt)
        await pilot.press("enter")
        await wait_for_step(pilot, "azure.providers")
        for _ in range(50):
            await settle(pilot)
            if not pilot.app.screen.query_one("#continue").disabled:
                break
            await pilot.pause(0.1)
        assert "All registered" in text_of(pilot, "#providers-status")
        await press(pilot, "continue")
        await wait_for_step(pilot, "azure.access")
        await press(pilot, "start")
        for _ in range(50):
            await settle(pilot)
            if "continue" in shown_buttons(pilot):
                break
            await pilot.pause(0.1)
        assert "ready" in text_of(pilot, "#job-status"), text_of(pilot, "#error")
        await press(pilot, "continue")
        await wait_for_step(pilot, "azure.handoff")  # the new service principal goes to Porter
        for _ in range(50):
            await settle(pilot)
            if "continue" in shown_buttons(pilot):
                break
            await pilot.pause(0.1)
        await press(pilot, "continue")
        await wait_for_step(pilot, "azure.region")
        await pilot.press(*"westeurope", "enter", "enter")
        await settle(pilot)
        assert pilot.app.screen.STEP == "azure.quotas"
    az = ctx.state.azure
    assert (az.signin_method, az.signed_in_as, az.subscription_id) == \
        ("device", azure.admin_user.upn, azure.subscription_id)
    assert az.client_id and az.consent == "granted" and az.region == "westeurope"
    assert ctx.secrets.get(az.secret_name)
    saved = ctx.store.path.read_text()
    assert ctx.secrets.get(az.secret_name) not in saved and az.secret_key_id in saved
    # Connected means Porter has it: the double of Porter's API received this very secret.
    sent = [i for i in logged_in.integrations if i["cloud"] == "azure"]
    assert [(i["azure_client_id"], i["service_principal_key"]) for i in sent] == \
        [(az.client_id, ctx.secrets.get(az.secret_name))]
    assert az.porter_via == "api" and az.porter_credential == az.secret_key_id


async def test_a_relaunch_in_the_middle_asks_to_sign_in_again(azure, make_ctx):
    state = azure_state("azure.providers")
    state.azure.signin_method, state.azure.tenant_id = "device", azure.tenant_id
    state.azure.subscription_id = azure.subscription_id
    signin.remember_admin(None)
    async with WizardApp(make_ctx(state)).run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "Sign in again" in text_of(pilot, "#error")
        assert pilot.app.screen.query_one("#continue").disabled
