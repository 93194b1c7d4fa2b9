"""The connected path through the screens, against the double of Porter's API: the login is found
and checked, the credentials reach Porter (the double sees exactly them, the secret never on
screen or in a file), Porter's access check is followed, and Porter, not the wizard, builds the
cluster."""
from __future__ import annotations

import json

from screens.app import WizardApp
from wizard.secret_store import SERVICE
from wizard.state import WizardState

from .conftest import files_under
from .pilot_tools import press, settle, shown_buttons, text_of
from .porter_fixtures import PORTER_PROJECT, PORTER_TOKEN
from .test_handoff import CLIENT, SECRET, azure_ready

SIZE = (80, 24)


async def wait_for(pilot, ready, what: str, rounds: int = 100) -> None:
    for _ in range(rounds):
        await settle(pilot)
        if ready():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"{what}: not on {pilot.app.screen.STEP}")


async def test_the_login_is_found_checked_and_chosen(logged_in, make_ctx):
    ctx = make_ctx(WizardState(step="azure.porter", project="demo", cloud="azure"))
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "Porter login found" in text_of(pilot, "#login"), "the login")
        assert logged_in.url in text_of(pilot, "#login") and PORTER_TOKEN not in pilot.app.export_screenshot()
        await pilot.press("enter")  # the API path is highlighted once a login is found
        await wait_for(pilot, lambda: pilot.app.screen.STEP == "azure.signin", "the next step")
    assert (ctx.state.porter_mode, ctx.state.porter_host, ctx.state.porter_project) == \
        ("api", logged_in.url, PORTER_PROJECT)
    assert logged_in.requests.count("get_project") == 1


async def test_a_refused_token_is_said_and_the_dashboard_path_stays_open(logged_in, make_ctx, monkeypatch):
    monkeypatch.setenv("PORTER_TOKEN", "not-the-token")
    ctx = make_ctx(WizardState(step="gcp.porter", project="demo", cloud="gcp"))
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "Porter login found" in text_of(pilot, "#login"), "the login")
        await pilot.press("enter")
        await wait_for(pilot, lambda: pilot.app.screen.query_one("#error").display, "the error")
        assert pilot.app.screen.STEP == "gcp.porter" and "porter auth login" in text_of(pilot, "#error")
        await pilot.press("down", "enter")  # by hand instead
        await wait_for(pilot, lambda: pilot.app.screen.STEP == "gcp.key", "the key step")
    assert ctx.state.porter_mode == "manual"


async def test_without_a_login_the_api_is_offered_with_how_to_get_one(no_login, make_ctx):
    ctx = make_ctx(WizardState(step="aws.porter", project="demo", cloud="aws"))
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "No Porter login" in text_of(pilot, "#login"), "the search")
        assert "porter auth login" in text_of(pilot, "#login")
        assert pilot.app.screen.query_one("#modes").get_option("api").disabled
        await pilot.press("enter")  # by hand is highlighted
        await wait_for(pilot, lambda: pilot.app.screen.STEP == "aws.account", "the next step")
    assert ctx.state.porter_mode == "manual"


async def test_azure_credentials_go_to_porter_and_never_on_screen(logged_in, make_ctx, keyring_backend, home):
    keyring_backend.set_password(SERVICE, f"azure-client-secret/{CLIENT}", SECRET)
    state = azure_ready("api")
    state.porter_host, state.porter_project = logged_in.url, PORTER_PROJECT
    ctx = make_ctx(state)
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "continue" in shown_buttons(pilot), "Porter's answer")
        assert "100%" in text_of(pilot, "#status")
        assert SECRET[:12] not in pilot.app.export_screenshot()
        await press(pilot, "continue")
        assert pilot.app.screen.STEP == "azure.region"
    sent = [i for i in logged_in.integrations if i["cloud"] == "azure"]
    assert len(sent) == 1 and sent[0]["service_principal_key"] == SECRET
    assert (sent[0]["azure_client_id"], sent[0]["azure_tenant_id"], sent[0]["azure_subscription_id"]) == \
        (CLIENT, state.azure.tenant_id, state.azure.subscription_id)
    az = ctx.state.azure
    assert az.porter_via == "api" and az.porter_credential == az.secret_key_id and az.porter_integration_id
    for path in files_under(home):
        data = path.read_bytes()
        assert SECRET[:16].encode() not in data and PORTER_TOKEN.encode() not in data, path


async def test_porter_refusing_the_credentials_offers_retry_and_the_card(logged_in, make_ctx, keyring_backend):
    keyring_backend.set_password(SERVICE, f"azure-client-secret/{CLIENT}", SECRET)
    logged_in.inject("create_azure", 500, "unable to connect to the cluster control plane")
    ctx = make_ctx(azure_ready("api"))
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "send" in shown_buttons(pilot), "the failure")
        assert shown_buttons(pilot) == {"send", "by-hand"} and not ctx.state.azure.porter_via
        await press(pilot, "send")  # the fault was for one call: now Porter takes it
        await wait_for(pilot, lambda: "continue" in shown_buttons(pilot), "Porter's answer")
    assert ctx.state.azure.porter_via == "api"


async def test_the_google_key_goes_to_porter_then_porter_builds_the_cluster(logged_in, make_ctx, sandbox_gcp):
    from wizard.gcp.connection import store_key
    from wizard.gcp.key import parse_key

    key = sandbox_gcp.make_key()
    state = WizardState(step="gcp.handoff", project="demo", cloud="gcp", porter_mode="api",
                        porter_host=logged_in.url, porter_project=PORTER_PROJECT)
    ctx = make_ctx(state)
    store_key(ctx.state, ctx.secrets, parse_key(json.dumps(key), None))
    ctx.state.gcp.region = "us-central1"
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "continue" in shown_buttons(pilot), "Porter's answer")
        assert "PRIVATE KEY" not in pilot.app.export_screenshot()
    sent = [i for i in logged_in.integrations if i["cloud"] == "gcp"]
    assert json.loads(sent[0]["gcp_key_data"]) == key and sent[0]["gcp_project_id"] == key["project_id"]

    ctx.state.step, ctx.state.gcp.cost_acknowledged_at = "gcp.provision", "2026-11-30T00:00:00+00:00"
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "Porter builds your cluster" in text_of(pilot, ".title")
        await press(pilot, "start")
        await wait_for(pilot, lambda: ctx.state.porter_cluster_status == "ready", "Porter's cluster")
        assert "provisioned" in text_of(pilot, "#porter-status")
    contract = logged_in.contracts[-1]["cluster"]
    assert contract["cloudProvider"] == "ENUM_CLOUD_PROVIDER_GCP" and contract["gkeKind"]["region"] == "us-central1"
    assert contract["cloudProviderCredentialsId"] == ctx.state.gcp.porter_integration_id
    assert sandbox_gcp.container.requests.count("create_cluster") == 0  # nothing built from here


async def test_by_hand_porter_builds_it_unless_told_otherwise(make_ctx):
    state = WizardState(step="azure.provision", project="demo", cloud="azure", porter_mode="manual")
    state.azure.region = "westeurope"
    ctx = make_ctx(state)
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert shown_buttons(pilot) == {"build-here", "quit"}
        assert "press Provision there" in text_of(pilot, "#who-builds")
        await press(pilot, "build-here")
        await press(pilot, "cancel")  # declined: still Porter's
        assert pilot.app.screen.STEP == "azure.provision" and not ctx.state.cluster_builder
