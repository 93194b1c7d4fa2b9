"""The rotation as people meet it: the screen opened from the welcome screen's reminder, and
`porter-wizard rotate azure` in a terminal, both against the local Azure doubles, with the
endpoints set the way a user (or the sandbox) sets them: through the environment."""
from __future__ import annotations

import io
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from textual.widgets import Static

from screens.app import WizardApp
from screens.azure_rotate import SignInCode
from screens.cli import main
from wizard.state import StateStore

from .pilot_tools import is_shown, press, settle, shown_buttons, text_of, wait_for_focus, wait_for_text
from .test_azure_rotation import key_ids, no_secret_written, works

SIZE = (110, 60)


def due_soon(platform) -> None:
    when = datetime.now(timezone.utc) + timedelta(days=10)
    platform.state.secrets[platform.name].expires_at = when.isoformat(timespec="seconds")


def screen_text(pilot) -> str:
    return "\n".join(str(w.render()) for w in pilot.app.screen.query(Static) if is_shown(w))


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
        # Stored, and Porter (given things by hand here) still holds the old secret: both work.
        status = await wait_for_text(pilot, "#rotate-status", "Porter still holds the old secret")
        new = platform.secrets.get(platform.name)
        assert "valid until" in status and works(platform.az, new) and works(platform.az, platform.old.client_secret)
        assert shown_buttons(pilot) == {"porter-has", "later"}
        assert new not in screen_text(pilot)  # masked until asked for
        await wait_for_focus(pilot, ".handoff-row")  # the secret's row takes it after a refresh
        await pilot.press("r")  # the secret's row has the focus
        assert new in screen_text(pilot)
        await pilot.press("c")
        assert pilot.app.clipboard == new
        assert len(key_ids(platform.az)) == 2
        await press(pilot, "porter-has")
        status = await wait_for_text(pilot, "#rotate-status", "✓ Rotated")
        assert new not in screen_text(pilot)  # the card left with the hand-off
        assert "expires" in status and "Porter has it" in status
        assert not is_shown(pilot.app.screen.query_one("#error"))
        assert "364 days left" in text_of(pilot, "#secret-facts")
        await press(pilot, "done")
        assert pilot.app.screen.STEP == "welcome"
        # Back on the welcome screen, the reminder no longer asks for a rotation.
        assert not is_shown(pilot.app.screen.query_one("#reminders"))
        assert "rotate-azure" not in shown_buttons(pilot)
    new = platform.secrets.get(platform.name)
    assert new != platform.old.client_secret and works(platform.az, new)
    assert not works(platform.az, platform.old.client_secret)
    saved = StateStore(platform.store.path).load()
    assert saved.step == "welcome"  # an aside: not a place to resume
    assert (saved.azure.porter_credential, saved.azure.porter_via) == (saved.azure.secret_key_id, "manual")
    assert saved.azure.old_secret_key_id == ""
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
        await wait_for_text(pilot, "#rotate-status", "Porter still holds the old secret")
        box = text_of(pilot, "#device-code")  # hidden once signed in; what it said stays
        assert not is_shown(pilot.app.screen.query_one("#device-code"))
    assert len({m.prompt.code for m in codes}) == 1 and codes[0].prompt.code in box  # seen as it bubbles
    assert f"{platform.az.authority_url}/devicelogin" in box and "enter the code" in box
    assert works(platform.az, platform.secrets.get(platform.name))


def test_rotate_azure_in_a_terminal_without_a_porter_login_waits_then_finishes(terminal, capsys):
    old = terminal.old
    assert main(["rotate", "azure"]) == 3  # rotated; Porter does not have the new secret yet
    printed = capsys.readouterr()
    assert "… Add a new client secret" in printed.out and "Rotated: the new secret" in printed.out
    assert "! Remove the old secret: kept" in printed.out
    assert "Porter still holds the old secret, which stays valid until" in printed.err
    assert "porter-wizard handoff azure --reveal" in printed.err and "rotate azure --finish" in printed.err
    new = terminal.secrets.get(terminal.name)
    assert new != old.client_secret and new not in printed.out + printed.err
    assert old.client_secret not in printed.out + printed.err
    assert works(terminal.az, new) and works(terminal.az, old.client_secret)  # both, for Porter
    saved = StateStore(terminal.store.path).load().azure
    assert sorted(key_ids(terminal.az)) == sorted([old.key_id, saved.secret_key_id])
    assert saved.old_secret_key_id == old.key_id and saved.old_secret_expires_at

    assert main(["rotate", "azure", "--finish", "--yes"]) == 0  # Porter has it now
    printed = capsys.readouterr()
    assert "✓ Remove the old secret: deleted" in printed.out and "Finished" in printed.out
    assert not works(terminal.az, old.client_secret) and works(terminal.az, new)
    saved = StateStore(terminal.store.path).load().azure
    assert key_ids(terminal.az) == [saved.secret_key_id] and saved.old_secret_key_id == ""
    assert (saved.porter_credential, saved.porter_via) == (saved.secret_key_id, "manual")
    assert "rotate azure: remove deleted" in (terminal.home / "wizard.log").read_text()
    no_secret_written(terminal.home, old.client_secret, new)  # the state and the log

    assert main(["rotate", "azure", "--finish", "--yes"]) == 0  # again: nothing left to do
    assert "No rotation is waiting" in capsys.readouterr().out
    assert main(["status"]) == 0  # and status lists it, a year out, and Porter up to date
    assert "Azure client secret: expires" in capsys.readouterr().out


class _Terminal:
    """stdin as a person at a terminal: isatty, and their answer."""

    def __init__(self, answer: str) -> None:
        self._lines = io.StringIO(answer + "\n")

    def isatty(self) -> bool:
        return True

    def readline(self, *args) -> str:
        return self._lines.readline(*args)


def test_finish_asks_at_a_terminal_and_needs_yes_elsewhere(terminal, capsys, monkeypatch):
    assert main(["rotate", "azure"]) == 3
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # a script: no terminal to ask in
    assert main(["rotate", "azure", "--finish"]) == 1
    assert "add --yes" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", _Terminal("n"))
    assert main(["rotate", "azure", "--finish"]) == 3
    assert "Nothing removed" in capsys.readouterr().out
    assert len(key_ids(terminal.az)) == 2
    monkeypatch.setattr("sys.stdin", _Terminal("y"))
    assert main(["rotate", "azure", "--finish"]) == 0
    assert "Has Porter got the new secret" in capsys.readouterr().out
    assert len(key_ids(terminal.az)) == 1 and not works(terminal.az, terminal.old.client_secret)


def test_a_second_rotation_waits_until_the_first_is_finished(terminal, capsys):
    assert main(["rotate", "azure"]) == 3
    waiting = list(key_ids(terminal.az))
    assert main(["rotate", "azure"]) == 1  # Porter may hold either secret: nothing is made
    err = capsys.readouterr().err
    assert "A rotation is waiting for Porter" in err and "--finish" in err
    assert key_ids(terminal.az) == waiting


def test_on_the_api_path_an_unreachable_porter_keeps_both_secrets(terminal, capsys, monkeypatch, tmp_path):
    """Porter's API chosen, but its login leads nowhere: the hand-off fails, nothing is removed."""
    terminal.state.porter_mode, terminal.state.porter_project = "api", "7"
    terminal.store.save(terminal.state)
    monkeypatch.setenv("HOME", str(tmp_path))  # no Porter CLI config of the machine's own
    monkeypatch.setenv("PORTER_TOKEN", "porter-test-token")
    monkeypatch.setenv("PORTER_PROJECT", "7")
    monkeypatch.setenv("PORTER_HOST", "https://127.0.0.1:9")  # nothing listens there
    assert main(["rotate", "azure"]) == 3
    printed = capsys.readouterr()
    assert "Porter still holds the old secret" in printed.err
    assert works(terminal.az, terminal.old.client_secret) and len(key_ids(terminal.az)) == 2
    saved = StateStore(terminal.store.path).load().azure
    assert saved.old_secret_key_id == terminal.old.key_id and saved.porter_credential != saved.secret_key_id


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
        assert main(["rotate", "azure"]) == 3  # Porter holds the expired secret: it needs the new one
    finally:
        helper.join()
    printed = capsys.readouterr()
    assert "which expired on" in printed.err and "Porter cannot reach your cluster" in printed.err
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


@pytest.fixture
def no_porter_login(monkeypatch, tmp_path):
    """No Porter CLI config and no PORTER_* variables: Porter's API cannot be reached."""
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in ("PORTER_TOKEN", "PORTER_PROJECT", "PORTER_HOST"):
        monkeypatch.delenv(name, raising=False)


async def test_later_keeps_both_and_the_screen_opens_again_where_it_stopped(platform, endpoints, make_ctx):
    from screens.azure_rotate import open_rotation

    due_soon(platform)
    ctx = make_ctx(platform.state, secrets=platform.secrets)
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "rotate-azure")
        await press(pilot, "rotate")
        await wait_for_text(pilot, "#rotate-status", "Porter still holds the old secret")
        await press(pilot, "later")
        status = text_of(pilot, "#rotate-status")
        assert "Both secrets stay valid" in status and "until" in status and "rotate azure --finish" in status
        assert shown_buttons(pilot) == {"done"}
        await press(pilot, "done")
        assert pilot.app.screen.STEP == "welcome"
        assert len(key_ids(platform.az)) == 2

        open_rotation(pilot.app)  # later: the screen starts at the hand-off
        await settle(pilot)
        assert "Kept for Porter" in text_of(pilot, "#secret-facts")
        assert shown_buttons(pilot) == {"porter-has", "later"}
        assert not is_shown(pilot.app.screen.query_one("#step-add"))
        await press(pilot, "porter-has")
        await wait_for_text(pilot, "#rotate-status", "✓ Rotated")
    assert len(key_ids(platform.az)) == 1 and not works(platform.az, platform.old.client_secret)
    assert StateStore(platform.store.path).load().azure.old_secret_key_id == ""


async def test_on_the_api_path_a_refusal_offers_retry_and_by_hand(platform, endpoints, make_ctx, no_porter_login):
    due_soon(platform)
    platform.state.porter_mode = "api"
    async with WizardApp(make_ctx(platform.state, secrets=platform.secrets)).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "rotate-azure")
        await press(pilot, "rotate")
        await wait_for_text(pilot, "#rotate-status", "Porter still holds the old secret")
        error = text_of(pilot, "#error")
        assert "Porter's API cannot be reached" in error and "Retry" in error
        assert shown_buttons(pilot) == {"porter-retry", "by-hand", "later"}
        await press(pilot, "porter-retry")  # still no login: the same refusal, nothing removed
        await wait_for_text(pilot, "#error", "Porter's API cannot be reached")
        assert len(key_ids(platform.az)) == 2
        await press(pilot, "by-hand")
        assert shown_buttons(pilot) == {"porter-has", "later"} and not is_shown(pilot.app.screen.query_one("#error"))
        new = platform.secrets.get(platform.name)
        assert new not in screen_text(pilot)
        await press(pilot, "porter-has")
        await wait_for_text(pilot, "#rotate-status", "✓ Rotated")
    saved = StateStore(platform.store.path).load().azure
    assert (saved.porter_via, saved.porter_credential) == ("manual", saved.secret_key_id)
    assert key_ids(platform.az) == [saved.secret_key_id]


async def test_a_failed_finish_keeps_both_and_says_why(platform, endpoints, make_ctx):
    from screens.azure_rotate import open_rotation

    due_soon(platform)
    async with WizardApp(make_ctx(platform.state, secrets=platform.secrets)).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "rotate-azure")
        await press(pilot, "rotate")
        await wait_for_text(pilot, "#rotate-status", "Porter still holds the old secret")
        platform.az.graph.inject("applications.removePassword", status=403, code="Authorization_RequestDenied",
                                 message="Insufficient privileges to complete the operation.")
        await press(pilot, "porter-has")
        # Porter has the new one (recorded); the old one could not go: said, and kept for later.
        await wait_for_text(pilot, "#rotate-status", "✓ Rotated")
        assert "The old secret is still on the app" in text_of(pilot, "#error")
        await press(pilot, "done")
        open_rotation(pilot.app)
        await settle(pilot)
        assert shown_buttons(pilot) == {"remove-old", "later"}
        assert "Porter has the new secret" in text_of(pilot, "#rotate-status")
        await press(pilot, "remove-old")
        await wait_for_text(pilot, "#rotate-status", "✓ Rotated")
    assert len(key_ids(platform.az)) == 1
