"""Expiry reminders: on the welcome screen from 30 days before, and `porter-wizard status` for cron."""
from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone

from screens.app import WizardApp
from wizard.reminders import credential_statuses, due
from wizard.state import SecretRecord, StateStore, WizardState

from .pilot_tools import settle, text_of

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


def state_with(**expiries: str) -> WizardState:
    state = WizardState()
    for name, when in expiries.items():
        state.secrets[name] = SecretRecord(kind="azure-client-secret", stored_at="2025-11-23", expires_at=when)
    return state


def test_due_from_thirty_days_before_and_after_expiry():
    state = state_with(far=(NOW + timedelta(days=31)).isoformat(), soon=(NOW + timedelta(days=30)).isoformat(),
                       gone=(NOW - timedelta(days=2)).isoformat())
    statuses = {s.name: s for s in credential_statuses(state, NOW)}
    assert statuses["far"].days_left == 31 and not statuses["far"].due
    assert statuses["soon"].due and not statuses["soon"].expired
    assert statuses["gone"].expired and "EXPIRED" in statuses["gone"].describe()
    assert [s.name for s in due(state, NOW)] == ["gone", "soon"]


def test_a_key_without_expiry_is_never_due():
    state = WizardState()
    state.secrets["aws-secret-access-key"] = SecretRecord(kind="aws-access-key", stored_at="2026-01-01")
    assert due(state, NOW) == [] and "does not expire" in credential_statuses(state, NOW)[0].describe()


async def test_welcome_shows_the_reminder(make_ctx):
    soon = (datetime.now(timezone.utc) + timedelta(days=10)).isoformat()
    async with WizardApp(make_ctx(state_with(**{"azure-client-secret": soon}))).run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        shown = text_of(pilot, "#reminders")
        assert "Azure client secret: expires" in shown and "days left" in shown


async def test_welcome_has_no_reminder_when_nothing_is_due(make_ctx):
    far = (datetime.now(timezone.utc) + timedelta(days=200)).isoformat()
    async with WizardApp(make_ctx(state_with(**{"azure-client-secret": far}))).run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        assert not pilot.app.screen.query("#reminders")


def run_status(*args: str) -> subprocess.CompletedProcess:
    cli = [sys.executable, "-c", "import sys; from screens.cli import main; sys.exit(main(sys.argv[1:]))"]
    return subprocess.run([*cli, "status", *args], capture_output=True, text=True, stdin=subprocess.DEVNULL)


def test_status_exit_codes_for_cron(home):
    store = StateStore(home / "state.json")
    ok = (datetime.now(timezone.utc) + timedelta(days=200)).isoformat()
    store.save(state_with(**{"azure-client-secret": ok}))
    fine = run_status()
    assert fine.returncode == 0 and "days left" in fine.stdout
    soon = (datetime.now(timezone.utc) + timedelta(days=5)).isoformat()
    store.save(state_with(**{"azure-client-secret": soon}))
    warned = run_status()
    assert warned.returncode == 1 and "!!" in warned.stdout and "rotate" in warned.stderr
    store.path.write_text("{broken")
    broken = run_status()
    assert broken.returncode == 2 and "Traceback" not in broken.stderr


def test_status_with_no_credentials(home):
    result = run_status()
    assert result.returncode == 0 and "No stored credentials" in result.stdout
