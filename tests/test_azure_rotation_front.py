"""The rotation as people meet it: the screen opened from the welcome screen's reminder, and
`porter-wizard rotate azure` in a terminal, both against the local Azure doubles, with the
endpoints set the way a user (or the sandbox) sets them: through the environment."""
from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta, timezone

import keyring
import pytest

from screens.app import WizardApp
from screens.azure_rotate import SignInCode
from screens.cli import main
from wizard.logs import log
from wizard.state import StateStore

from .azure_double_fixtures import az, started  # noqa: F401 - fixtures
from .pilot_tools import is_shown, press, settle, shown_buttons, text_of, wait_for_text
from .test_azure_rotation import key_ids, no_secret_written, platform, works  # noqa: F401 - fixture

SIZE = (110, 60)


@pytest.fixture
def endpoints(az, monkeypatch):
    """current_cloud() reads these, as it does for a user of a sovereign cloud or the sandbox."""
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", az.authority_url)
    monkeypatch.setenv("PORTER_AZURE_ARM_URL", az.arm_url)
    monkeypatch.setenv("PORTER_AZURE_GRAPH_URL", az.graph_url)
    monkeypatch.setenv("PORTER_AZURE_CA_BUNDLE", az.ca_path)


def due_soon(platform) -> None:
    when = datetime.now(timezone.utc) + timedelta(days=10)
    platform.state.secrets[platform.name].expires_at = when.isoformat(timespec="seconds")


async def test_rotation_from_the_welcome_reminder_and_back(platform, endpoints, make_ctx):
    due_soon(platform)
    ctx = make_ctx(platform.state, secrets=platform.secrets)
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "days left" in text_of(pilot, "#reminders")
        await press(pilot, "rotate-azure")
        assert pilot.app.screen.STEP == "azure_rotate"
        facts = text_of(pilot, "#secret-facts")
        assert platform.old.client_id in facts and "days left" in facts and platform.old.key_id in facts
        await press(pilot, "rotate")
        status = await wait_for_text(pilot, "#rotate-status", "✓ Rotated")
        assert "expires" in status and not is_shown(pilot.app.screen.query_one("#error"))
        assert "364 days left" in text_of(pilot, "#secret-facts")
        await press(pilot, "done")
        assert pilot.app.screen.STEP == "welcome"
        # Back on the welcome screen, the reminder no longer asks for a rotation.
        assert not is_shown(pilot.app.screen.query_one("#reminders"))
        assert "rotate-azure" not in shown_buttons(pilot)
    new = platform.secrets.get(platform.name)
    assert new != platform.old.client_secret and works(platform.az, new)
    assert StateStore(platform.store.path).load().step == "welcome"  # an aside: not a place to resume
    no_secret_written(platform.home, platform.old.client_secret, new)


async def test_a_half_way_failure_says_the_old_secret_still_works(platform, endpoints, make_ctx):
    due_soon(platform)
    platform.az.arm.inject("subscriptions.get", status=403, code="AuthorizationFailed", times=None,
                           message="The client does not have authorization to perform action.")
    async with WizardApp(make_ctx(platform.state, secrets=platform.secrets)).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "rotate-azure")
        await press(pilot, "rotate")
        await wait_for_text(pilot, "#rotate-status", "Not rotated")
        error = text_of(pilot, "#error")
        assert "The new secret did not work" in error and "the current secret still works" in error
        assert {"rotate", "done"} <= shown_buttons(pilot)
        assert str(pilot.app.screen.query_one("#rotate").label) == "Try again"
        assert "undone" in str(pilot.app.screen.query_one("#step-add .step-state").render())
    assert platform.secrets.get(platform.name) == platform.old.client_secret
    assert key_ids(platform.az) == [platform.old.key_id]


def admin_enters_the_code_soon(az) -> threading.Thread:
    """The admin, at a browser elsewhere, enters whichever code the wizard shows."""
    def enter():
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not az.pending_device_codes():
            time.sleep(0.05)
        for code in az.pending_device_codes():
            az.approve_device_code(code)
    helper = threading.Thread(target=enter)
    helper.start()
    return helper


async def test_an_expired_secret_shows_a_device_code_on_the_screen(platform, endpoints, make_ctx):
    due_soon(platform)
    platform.az.expire_secret(platform.old.client_id)
    codes = []
    app = WizardApp(make_ctx(platform.state, secrets=platform.secrets))
    hook = lambda message: codes.append(message) if isinstance(message, SignInCode) else None  # noqa: E731
    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await settle(pilot)
        await press(pilot, "rotate-azure")
        helper = admin_enters_the_code_soon(platform.az)
        try:
            await press(pilot, "rotate")
        finally:
            helper.join()
        await wait_for_text(pilot, "#rotate-status", "✓ Rotated")
        box = text_of(pilot, "#device-code")  # hidden once signed in; what it said stays
        assert not is_shown(pilot.app.screen.query_one("#device-code"))
    assert len({m.prompt.code for m in codes}) == 1 and codes[0].prompt.code in box  # seen as it bubbles
    assert f"{platform.az.authority_url}/devicelogin" in box and "enter the code" in box
    assert works(platform.az, platform.secrets.get(platform.name))


@pytest.fixture
def own_log():
    yield
    for handler in list(log.handlers):  # the CLI pointed the wizard's log at this test's home
        log.removeHandler(handler)
        handler.close()
    log.addHandler(logging.NullHandler())
    azure = logging.getLogger("azure")  # and azure's log at the same file
    azure.handlers, azure.propagate = [], True


@pytest.fixture
def terminal(platform, endpoints, own_log):
    """The CLI's keyring is the process's: the in-memory one holding the current secret."""
    previous = keyring.get_keyring()
    keyring.set_keyring(platform.secrets.backend)
    yield platform
    keyring.set_keyring(previous)


def test_rotate_azure_in_a_terminal(terminal, capsys):
    assert main(["rotate", "azure"]) == 0
    out = capsys.readouterr().out
    assert "… Add a new client secret" in out and "✓ Remove the old secret: deleted" in out
    assert "Rotated: the new secret" in out
    new = terminal.secrets.get(terminal.name)
    assert new != terminal.old.client_secret and works(terminal.az, new)
    assert not works(terminal.az, terminal.old.client_secret)
    saved = StateStore(terminal.store.path).load()
    assert saved.azure.secret_key_id != terminal.old.key_id and key_ids(terminal.az) == [saved.azure.secret_key_id]
    assert "rotate azure: remove deleted" in (terminal.home / "wizard.log").read_text()
    no_secret_written(terminal.home, terminal.old.client_secret, new)  # the state and the log

    assert main(["status"]) == 0  # and status lists it, a year out
    assert "Azure client secret: expires" in capsys.readouterr().out


def test_rotate_azure_failing_half_way_exits_1_and_says_the_old_secret_works(terminal, capsys):
    terminal.az.arm.inject("subscriptions.get", status=403, code="AuthorizationFailed", times=None,
                           message="The client does not have authorization to perform action.")
    assert main(["rotate", "azure"]) == 1
    err = capsys.readouterr().err
    assert "Not rotated" in err and "the current secret still works" in err
    assert terminal.secrets.get(terminal.name) == terminal.old.client_secret


def test_rotate_azure_with_an_expired_secret_prints_a_device_code(terminal, capsys):
    az = terminal.az
    az.expire_secret(terminal.old.client_id)
    helper = admin_enters_the_code_soon(az)
    try:
        assert main(["rotate", "azure"]) == 0
    finally:
        helper.join()
    printed = capsys.readouterr()
    assert f"Open {az.authority_url}/devicelogin" in printed.out and "enter the code" in printed.out
    # azure-identity's warning about the expired secret went to the log, not amid the progress.
    assert "get_token failed" not in printed.err
    assert "AADSTS7000222" in (terminal.home / "wizard.log").read_text()
    assert works(az, terminal.secrets.get(terminal.name))


@pytest.mark.parametrize("argv", [["rotate", "azure", "--sandbox"], ["--sandbox", "rotate", "azure"]])
def test_rotate_in_the_sandbox_explains_where_to_do_it(argv, home, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "porter-wizard --sandbox" in err and "in memory" in err


def test_rotate_azure_before_azure_is_set_up(home, own_log, capsys):
    assert main(["rotate", "azure"]) == 1
    assert "Azure is not set up yet" in capsys.readouterr().err
