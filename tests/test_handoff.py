"""The hand-off by hand: the card shows what Porter needs, the secret masked until `r`, `c` copies
the focused row, and the step is done only when the user says Porter has them; nothing secret
reaches a file, the log or a screen capture unless revealed. Also `status` and `handoff` CLI."""
from __future__ import annotations

import json

from screens.app import WizardApp
from screens.cli import main
from wizard import handoff
from wizard.logs import setup_logging
from wizard.paths import log_file, state_file
from wizard.secret_store import SERVICE
from wizard.state import SecretRecord, StateStore, WizardState

from .conftest import files_under
from .pilot_tools import press, settle, shown_buttons

SIZE = (80, 24)
SECRET = "Zx9~handoff.secret-value_0123456789abcdefABCDEF"
CLIENT = "11111111-2222-3333-4444-555555555555"


def azure_ready(mode: str = "manual") -> WizardState:
    state = WizardState(step="azure.handoff", project="demo", cloud="azure", porter_mode=mode)
    az = state.azure
    az.tenant_id, az.subscription_id = "aaaaaaaa-0000-0000-0000-000000000001", "bbbbbbbb-0000-0000-0000-000000000002"
    az.client_id, az.secret_key_id = CLIENT, "cccccccc-0000-0000-0000-000000000003"
    state.secrets[az.secret_name] = SecretRecord(kind="azure-client-secret", stored_at="2026-11-30T00:00:00+00:00",
                                                 expires_at="2027-11-30T00:00:00+00:00")
    return state


def aws_ready(mode: str = "manual") -> WizardState:
    state = WizardState(step="aws.handoff", project="demo", cloud="aws", porter_mode=mode)
    aws = state.aws
    aws.account_id, aws.role_arn = "123456789012", "arn:aws:iam::123456789012:role/porter-manager"
    aws.external_id = "0f8fad5b-d9cb-469f-a165-70867728950e"
    return state


def screen_text(pilot) -> str:
    return pilot.app.export_screenshot()


async def test_azure_card_masks_the_secret_until_asked(make_ctx, keyring_backend, home):
    setup_logging(log_file(sandbox=False))
    keyring_backend.set_password(SERVICE, f"azure-client-secret/{CLIENT}", SECRET)
    ctx = make_ctx(azure_ready())
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert pilot.app.screen.STEP == "azure.handoff"
        assert shown_buttons(pilot) == {"confirm"}  # no Continue until Porter has them
        assert CLIENT in screen_text(pilot) and SECRET[:12] not in screen_text(pilot)
        secret_row = pilot.app.screen.query_one("#handoff-3")
        secret_row.focus()
        await pilot.press("c")
        assert pilot.app.clipboard == SECRET  # copied without being shown
        assert SECRET[:12] not in screen_text(pilot)
        await pilot.press("r")
        await pilot.pause()
        assert SECRET in screen_text(pilot)
        await pilot.press("r")
        await pilot.pause()
        assert SECRET[:12] not in screen_text(pilot)
        await press(pilot, "confirm")
        await settle(pilot)
        assert pilot.app.screen.STEP == "azure.region"
    az = ctx.state.azure
    assert (az.porter_via, az.porter_credential) == ("manual", az.secret_key_id)
    assert handoff.porter_is_current(ctx.state, "azure")
    for path in files_under(home):
        assert SECRET[:16].encode() not in path.read_bytes(), f"the secret leaked into {path}"


async def test_aws_card_lists_what_porter_asks_for_and_copies_it(make_ctx):
    ctx = make_ctx(aws_ready())
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        shown = screen_text(pilot)
        for value in (ctx.state.aws.account_id, ctx.state.aws.role_arn, ctx.state.aws.external_id):
            assert value in shown  # whole, never cut
        pilot.app.screen.query_one("#handoff-1").focus()
        await pilot.press("c")
        assert pilot.app.clipboard == ctx.state.aws.role_arn


async def test_a_rotated_secret_makes_porter_out_of_date(make_ctx):
    state = azure_ready()
    handoff.record(state, "azure", "manual")
    assert handoff.porter_is_current(state, "azure")
    state.azure.secret_key_id = "dddddddd-0000-0000-0000-000000000004"  # rotated since
    assert not handoff.porter_is_current(state, "azure")
    lines = handoff.porter_statuses(state)
    assert [(line.cloud, line.ok) for line in lines] == [("azure", False)]
    assert "older one" in lines[0].text


def test_status_says_whether_porter_has_the_current_credential(home, capsys):
    store = StateStore(state_file(sandbox=False))
    state = aws_ready()
    store.save(state)
    assert main(["status"]) == 1
    assert "Porter does NOT have the current role and ExternalId" in capsys.readouterr().out
    handoff.record(state, "aws", "manual")
    store.save(state)
    assert main(["status"]) == 0
    assert "Porter has the current role and ExternalId (given by hand" in capsys.readouterr().out


def test_standalone_is_not_an_alarm(home, capsys):
    StateStore(state_file(sandbox=False)).save(aws_ready("standalone"))
    assert main(["status"]) == 0
    assert "standalone" in capsys.readouterr().out


def test_handoff_command_prints_ids_and_never_the_secret_into_a_pipe(home, capsys, keyring_backend,
                                                                    monkeypatch):
    import keyring

    monkeypatch.setattr(keyring, "get_keyring", lambda: keyring_backend)
    keyring_backend.set_password(SERVICE, f"azure-client-secret/{CLIENT}", SECRET)
    StateStore(state_file(sandbox=False)).save(azure_ready())
    assert main(["handoff", "azure"]) == 0
    out = capsys.readouterr().out
    assert CLIENT in out and SECRET not in out and "--reveal" in out
    assert main(["handoff", "azure", "--reveal"]) == 2  # stdout is not a terminal here
    assert SECRET not in capsys.readouterr().out
    assert main(["handoff", "azure", "--done"]) == 0
    saved = json.loads(state_file(sandbox=False).read_text())
    assert saved["azure"]["porter_via"] == "manual"
    assert SECRET not in state_file(sandbox=False).read_text()


async def test_google_card_offers_the_file_and_keeps_the_key_masked(make_ctx, sandbox_gcp, home):
    from wizard.gcp.connection import store_key
    from wizard.gcp.key import parse_key

    setup_logging(log_file(sandbox=False))
    key = sandbox_gcp.make_key()
    key_file = home.parent / "Downloads" / "key.json"
    key_file.parent.mkdir(parents=True)
    key_file.write_text(json.dumps(key))
    ctx = make_ctx(WizardState(step="gcp.handoff", project="demo", cloud="gcp", porter_mode="manual"))
    store_key(ctx.state, ctx.secrets, parse_key(json.dumps(key), None))
    ctx.state.gcp.key_file = str(key_file)
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        shown = screen_text(pilot)
        assert key["client_email"] in shown and "PRIVATE" not in shown
        rows = list(pilot.app.screen.query(".handoff-row"))
        assert str(key_file) in str(rows[2].render())  # the file to upload, whole
        rows[3].focus()
        await pilot.press("c")
        assert json.loads(pilot.app.clipboard) == key  # the key's JSON, copied without being shown
        assert "PRIVATE" not in screen_text(pilot)
    for path in files_under(home):
        assert b"PRIVATE KEY" not in path.read_bytes(), f"the key leaked into {path}"


def test_handoff_command_never_prints_an_escape_sequence_from_the_progress_file(home, capsys):
    state = aws_ready()
    state.aws.account_id = "1234\x1b[2J5678"  # a tampered progress file
    StateStore(state_file(sandbox=False)).save(state)
    assert main(["handoff", "aws"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "1234␛[2J5678" in out
