"""Typed access keys reach the keyring and no file the wizard writes."""
from __future__ import annotations

from keyring.backends import fail

from screens.app import WizardApp
from wizard.logs import setup_logging
from wizard.paths import log_file
from wizard.secret_store import SERVICE, SecretStore

from .conftest import files_under
from .pilot_tools import choose_porter_mode, is_shown, press, settle, text_of

KEY_ID = "AKIAZZZZTESTKEY12345"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzKNOWNSECRET"  # the known secret the scan looks for
SIZE = (100, 60)


async def choose_typed_keys(pilot) -> None:
    await pilot.press(*"acme-prod")
    await press(pilot, "continue")
    await choose_porter_mode(pilot)
    source = pilot.app.screen.query_one("#source")
    source.highlighted = source.option_count - 1  # "Type an access key…"
    await settle(pilot)
    assert is_shown(pilot.app.screen.query_one("#keys"))


async def test_typed_secret_goes_to_the_keyring_and_no_file(aws, make_ctx, keyring_backend, home):
    setup_logging(log_file(sandbox=False))
    ctx = make_ctx()
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await choose_typed_keys(pilot)
        pilot.app.screen.query_one("#key-id").value = KEY_ID
        pilot.app.screen.query_one("#secret").value = SECRET
        await press(pilot, "check-keys")
        assert "Account 123456789012" in text_of(pilot, "#identity")
        await press(pilot, "continue")
        await press(pilot, "create")
        await press(pilot, "continue")
        assert "Verified" in text_of(pilot, "#result")
        # A relaunch uses the stored key: the keys path works without typing it again.
        assert ctx.state.aws.credential_source == "keys"
    assert keyring_backend.get_password(SERVICE, "aws-secret-access-key") == SECRET
    assert "aws-secret-access-key" in ctx.state.secrets
    written = files_under(home)
    assert {p.name for p in written} >= {"state.json", "wizard.log"}
    assert log_file(sandbox=False).read_text().strip(), "the log should have content to scan"
    for path in written:
        data = path.read_bytes()
        assert SECRET.encode() not in data, f"the secret leaked into {path}"
        assert SECRET[:20].encode() not in data, f"part of the secret leaked into {path}"


async def test_temporary_keys_need_their_session_token(aws, make_ctx):
    async with WizardApp(make_ctx()).run_test(size=SIZE) as pilot:
        await choose_typed_keys(pilot)
        pilot.app.screen.query_one("#key-id").value = "ASIAZZZZTESTKEY12345"
        pilot.app.screen.query_one("#secret").value = SECRET
        await press(pilot, "check-keys")
        assert "session token" in text_of(pilot, "#token-error")


async def test_without_a_keyring_typed_keys_are_refused_with_the_fix(aws, make_ctx):
    ctx = make_ctx(secrets=SecretStore(fail.Keyring()))
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await choose_typed_keys(pilot)
        assert "no OS keyring backend" in text_of(pilot, "#keyring-problem")
        assert pilot.app.screen.query_one("#check-keys").disabled
