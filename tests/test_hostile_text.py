"""Issue 12: text that is not ours (profile names, ARNs, regions, subscription names, a cloud's
or Porter's messages, quota names, stack reasons) is shown literally: never parsed as markup, so
`ops[/]admin` neither crashes a screen (MarkupError) nor loses characters, and a relaunch onto the
saved step does not crash either."""
from __future__ import annotations

import io

from rich.console import Console
from textual.app import App

from screens.app import WizardApp
from screens.widgets.confirm_modal import ConfirmModal
from screens.widgets.cost_table import cost_table
from screens.widgets.error_panel import ErrorPanel
from screens.widgets.progress_log import ProgressLog
from screens.widgets.quota_row import QuotaRow
from screens.widgets.step_list import StepList
from textual.widgets import Static
from wizard.errors import WizardError
from wizard.state import StateStore, WizardState

from .hostile import HOSTILE, shown
from .pilot_tools import settle

SIZE = (160, 60)
ALL = " | ".join(HOSTILE)


def screen_text(app: App) -> str:
    """Everything on screen as plain text (what export_screenshot draws, without the SVG)."""
    console = Console(width=app.size.width, height=app.size.height, file=io.StringIO(),
                      force_terminal=True, color_system="truecolor", record=True,
                      legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()


def assert_shown(app: App, *values: str) -> None:
    text = screen_text(app)
    for value in values:
        assert shown(value) in text, f"{value!r} is not on screen literally:\n{text}"


def hostile_error(label: str) -> WizardError:
    return WizardError(f"{label} {HOSTILE[0]}", f"The cloud said: {HOSTILE[2]} {HOSTILE[3]}",
                       f"Check {HOSTILE[1]} and {HOSTILE[4]}.")


def assert_error_shown(app: App) -> None:
    assert_shown(app, HOSTILE[0], HOSTILE[2], HOSTILE[3], HOSTILE[1], HOSTILE[4])


# -- AWS ---------------------------------------------------------------------------------------

async def test_aws_profiles_with_markup_in_their_names(aws, make_ctx, tmp_path, monkeypatch):
    config = tmp_path / "aws-config"
    config.write_text("".join(f"[profile {name}]\nregion = us-east-1\n\n" for name in HOSTILE))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    state = WizardState(project="acme-prod", cloud="aws", step="aws.account", porter_mode="standalone")
    state.aws.credential_source, state.aws.profile = "profile", HOSTILE[0]
    ctx = make_ctx(state)
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert pilot.app.screen.STEP == "aws.account"
        from wizard.aws.session import list_profiles

        listed = [name for name in HOSTILE if name in list_profiles()]
        assert len(listed) >= 4  # botocore drops "Team [Prod]": a profile name has no spaces
        for name in listed:
            assert_shown(pilot.app, f"Profile: {name}")
        await pilot.press("down")  # another hostile profile: its failure is shown too
        await settle(pilot)
        assert pilot.app.screen.STEP == "aws.account"
    # The step (and the chosen profile) were saved: the relaunch comes back to them.
    saved = StateStore(ctx.store.path).load()
    assert saved.step == "aws.account"
    async with WizardApp(make_ctx(saved)).run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert_shown(pilot.app, f"Profile: {HOSTILE[0]}")


async def test_aws_state_values_with_markup(make_ctx):
    state = WizardState(project="acme-prod", cloud="aws", step="aws.connected", porter_mode="standalone")
    aws = state.aws
    aws.account_id, aws.role_arn = "123456789012", f"arn:aws:iam::123456789012:role/{HOSTILE[0]}"
    aws.external_id, aws.stack_name, aws.home_region = HOSTILE[3], HOSTILE[1], HOSTILE[4]
    aws.caller_arn, aws.verified_at = HOSTILE[2], "2024-01-01"
    for launch in range(2):  # the first launch, then the relaunch onto the saved step
        ctx = make_ctx(state)
        async with WizardApp(ctx).run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert pilot.app.screen.STEP == "aws.connected", launch
            assert_shown(pilot.app, aws.role_arn, HOSTILE[3], HOSTILE[1], HOSTILE[4])
        state = StateStore(ctx.store.path).load()


# -- Azure -------------------------------------------------------------------------------------

async def test_azure_subscription_names_with_markup(make_ctx):
    from screens.azure_messages import Loaded
    from wizard.azure.signin import Subscription

    state = WizardState(project="acme-prod", cloud="azure", step="azure.subscription",
                        porter_mode="standalone")
    state.azure.signed_in_as, state.azure.tenant_id = HOSTILE[3], HOSTILE[0]
    subs = [Subscription(f"0000000{i}-0000-0000-0000-000000000000", name, "Enabled", "t")
            for i, name in enumerate(["Dev [/] Test", *HOSTILE])]
    for _ in range(2):
        ctx = make_ctx(state)
        async with WizardApp(ctx).run_test(size=SIZE) as pilot:
            await settle(pilot)  # no admin signed in here: listing fails, shown on the panel
            assert pilot.app.screen.STEP == "azure.subscription"
            pilot.app.screen.post_message(Loaded(subs))
            await settle(pilot)
            assert_shown(pilot.app, HOSTILE[3], HOSTILE[0], *(s.name for s in subs))
        state = StateStore(ctx.store.path).load()


# -- Google Cloud ------------------------------------------------------------------------------

async def test_gcp_state_values_with_markup(make_ctx):
    state = WizardState(project="acme-prod", cloud="gcp", step="gcp.cost", porter_mode="standalone")
    state.gcp.project_id, state.gcp.region = HOSTILE[3], HOSTILE[0]
    for _ in range(2):
        ctx = make_ctx(state)
        async with WizardApp(ctx).run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert pilot.app.screen.STEP == "gcp.cost"
            assert_shown(pilot.app, HOSTILE[3], HOSTILE[0])
        state = StateStore(ctx.store.path).load()


# -- errors, confirmations, notifications -------------------------------------------------------

async def test_errors_confirmations_and_notifications_are_plain(make_ctx):
    state = WizardState(project="acme-prod", cloud="aws", step="aws.connected", porter_mode="standalone")
    async with WizardApp(make_ctx(state)).run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        pilot.app.show_error(hostile_error("Notified"))  # a toast
        await settle(pilot)
        from textual.widgets._toast import Toast

        toasts = "\n".join(str(toast.render()) for toast in pilot.app.screen.query(Toast))
        for value in HOSTILE:
            assert shown(value) in toasts, toasts
        pilot.app.clear_notifications()
        await pilot.app.push_screen(ConfirmModal(f"Delete {HOSTILE[0]}?", ALL, f"Delete {HOSTILE[1]}"))
        await settle(pilot)
        assert_shown(pilot.app, f"Delete {HOSTILE[0]}?", *HOSTILE, f"Delete {HOSTILE[1]}")


class WidgetsApp(App):
    """The shared widgets, fed what clouds send: stack events, quotas, steps, prices, errors."""

    def compose(self):
        yield ErrorPanel(id="error")
        yield ProgressLog(id="progress")
        yield QuotaRow("q", HOSTILE[3], 4)
        yield StepList([("s", f"Create {HOSTILE[0]}")], id="steps")
        yield Static(id="cost")


async def test_shared_widgets_show_cloud_text_plainly():
    from types import SimpleNamespace

    async with WidgetsApp().run_test(size=SIZE) as pilot:
        app = pilot.app
        app.query_one(ErrorPanel).show_error(hostile_error("Stack failed"))
        log = app.query_one(ProgressLog)
        log.start(f"Creating {HOSTILE[1]}")
        log.add("12:00:00", HOSTILE[0], "CREATE_FAILED", f"Reason: {HOSTILE[2]} {HOSTILE[4]}")
        app.query_one(QuotaRow).show_check(SimpleNamespace(error=hostile_error("Quota"), ok=False))
        app.query_one(StepList).update_step(SimpleNamespace(key="s", status="failed", elapsed=0,
                                                            detail=f"{HOSTILE[3]} {HOSTILE[1]}"))
        line = SimpleNamespace(item=HOSTILE[3], detail=HOSTILE[0], monthly=1.0)
        app.query_one("#cost", Static).update(cost_table(SimpleNamespace(
            currency="USD", total=1.0, lines=[line])))
        await settle(pilot)
        assert_shown(app, *HOSTILE)  # the error panel, the event log and the price table

        def rendered(selector: str) -> str:
            return " ".join(str(widget.render()) for widget in app.query(selector))

        assert f"Creating {shown(HOSTILE[1])}" in rendered(".progress-text")
        assert f"{HOSTILE[3]}" in rendered(".quota-figures")
        assert f"✗ Quota {HOSTILE[0]}" in rendered(".quota-result")
        assert f"Create {HOSTILE[0]}" in rendered(".step-label")
        assert f"{HOSTILE[3]} {HOSTILE[1]}" in rendered(".step-detail")


# -- Porter's refusals, a key path, a damaged progress file -------------------------------------

async def test_porters_refusal_is_shown_plainly(logged_in, make_ctx, keyring_backend):
    """Porter's error body is Porter's text: shown as it came, on the hand-off screen."""
    from wizard.secret_store import SERVICE

    from .test_handoff import CLIENT, SECRET, azure_ready

    keyring_backend.set_password(SERVICE, f"azure-client-secret/{CLIENT}", SECRET)
    logged_in.inject("create_azure", 400, ALL)
    async with WizardApp(make_ctx(azure_ready("api"))).run_test(size=SIZE) as pilot:
        for _ in range(100):
            await settle(pilot)
            if pilot.app.screen.query("#error") and pilot.app.screen.query_one("#error").display:
                break
            await pilot.pause(0.05)
        assert_shown(pilot.app, *HOSTILE)


async def test_a_key_path_with_markup_is_shown_plainly(make_ctx, tmp_path):
    """A path is the user's text: the field's refusal quotes it literally (here: no such file)."""
    from screens.widgets.field import Field

    state = WizardState(project="acme-prod", cloud="gcp", step="gcp.key", porter_mode="standalone")
    path = str(tmp_path / "ops[" / "]admin [bold]x.json")
    async with WizardApp(make_ctx(state)).run_test(size=SIZE) as pilot:
        await settle(pilot)
        pilot.app.screen.query_one("#key-path").value = path
        await pilot.press("enter")
        for _ in range(60):
            await settle(pilot)
            if pilot.app.screen.query_one("#key-path-field", Field).has_class("-invalid"):
                break
            await pilot.pause(0.05)
        assert_shown(pilot.app, path)


async def test_the_damaged_progress_screen_shows_the_path_plainly(tmp_path):
    """The path and the parser's complaint come from outside: a folder named `[bold]x` too."""
    from wizard.context import WizardContext
    from wizard.secret_store import SecretStore

    folder = tmp_path / HOSTILE[1] / HOSTILE[3]
    folder.mkdir(parents=True)
    (folder / "state.json").write_text('{"step": "[/]')
    store = StateStore(folder / "state.json")
    try:
        store.load()
    except Exception as err:  # noqa: BLE001 - only StateFileError can come out (tested elsewhere)
        error = err
    ctx = WizardContext(state=WizardState(), store=store, secrets=SecretStore())
    async with WizardApp(ctx, startup_error=error).run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert type(pilot.app.screen).__name__ == "DamagedStateScreen"
        assert_shown(pilot.app, str(folder / "state.json"))
