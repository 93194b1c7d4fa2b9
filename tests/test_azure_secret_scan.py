"""Azure secrets reach the keyring and no file the wizard writes: a client secret typed in (and a
wrong one, whose error is logged), and the one the setup makes for the service principal."""
from __future__ import annotations

from screens.app import WizardApp
from wizard.azure import signin
from wizard.azure.cloud import current_cloud
from wizard.logs import setup_logging
from wizard.paths import log_file
from wizard.secret_store import SERVICE

from .conftest import files_under
from .pilot_tools import press, settle
from .test_flow_azure import SIZE, azure_state, wait_for_step

WRONG = "Wq8~wrong.secret-but-shaped-like-azure-ones_0123456789"


def assert_in_no_file(home, secrets: list[str]) -> None:
    written = files_under(home)
    assert {p.name for p in written} >= {"state.json", "wizard.log"}
    assert log_file(sandbox=False).read_text().strip(), "the log should have content to scan"
    for path in written:
        data = path.read_bytes()
        for secret in secrets:
            assert secret[:16].encode() not in data, f"a secret leaked into {path}"


async def test_typed_and_made_secrets_stay_in_the_keyring(azure, make_ctx, keyring_backend, home):
    setup_logging(log_file(sandbox=False))
    sp = azure.service_principal
    ctx = make_ctx(azure_state("azure.signin"))
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "show-sp")
        screen = pilot.app.screen
        for field, value in (("tenant", azure.tenant_id), ("subscription", azure.subscription_id),
                             ("client", sp.client_id), ("secret", WRONG)):
            screen.query_one(f"#{field}").value = value
        await press(pilot, "check-sp")
        assert pilot.app.screen.STEP == "azure.signin"  # refused: the error is shown and logged
        screen.query_one("#secret").value = sp.client_secret
        await press(pilot, "check-sp")
        await wait_for_step(pilot, "azure.subscription")
    assert keyring_backend.get_password(SERVICE, ctx.state.azure.secret_name) == sp.client_secret
    assert_in_no_file(home, [sp.client_secret, WRONG])

    # The setup path: an admin signs in and the wizard makes a new secret for its own app.
    ctx.state = azure_state("azure.access")
    ctx.state.azure.signin_method, ctx.state.azure.tenant_id = "device", azure.tenant_id
    ctx.state.azure.subscription_id = azure.subscription_id
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        # Signed in earlier in this session (the sandbox approves device codes by itself).
        signin.remember_admin(signin.device_code_sign_in(current_cloud(), lambda prompt: None))
        await settle(pilot)
        await press(pilot, "start")
        await wait_for_step(pilot, "azure.access")
        for _ in range(50):
            await settle(pilot)
            if ctx.state.azure.setup_done_at:
                break
            await pilot.pause(0.1)
    made = keyring_backend.get_password(SERVICE, ctx.state.azure.secret_name)
    assert made and made != sp.client_secret
    assert_in_no_file(home, [sp.client_secret, WRONG, made])
