"""Fixtures for Porter's API: the double (started once per session, cleared per test), a login
for it, and a client that trusts the double's CA, as the sandbox sets it up."""
from __future__ import annotations

import logging
import secrets

import pytest

from wizard.porter.client import PorterClient, PorterError
from wizard.porter.login import PorterLogin

PORTER_PROJECT = "42"
#: A token per run: the tests assert it never shows up in text, so it must be recognisable.
PORTER_TOKEN = "porter-test-token-" + secrets.token_hex(12)


@pytest.fixture(scope="session")
def porter_double():
    from wizard.sandbox.porter import PorterDouble

    with PorterDouble(token=PORTER_TOKEN, project_id=PORTER_PROJECT) as double:
        yield double


@pytest.fixture
def porter(porter_double):
    """The double with nothing received, no faults and no provisioning delay."""
    porter_double.clear()
    porter_double.provision_seconds = 0.0
    yield porter_double
    porter_double.clear()
    porter_double.provision_seconds = 0.0


@pytest.fixture
def porter_login(porter) -> PorterLogin:
    return PorterLogin(host=porter.url, project=PORTER_PROJECT, token=PORTER_TOKEN, source="test")


@pytest.fixture
def porter_client(porter_login, porter) -> PorterClient:
    return PorterClient(porter_login, ca_bundle=porter.ca_path, timeout=10)


@pytest.fixture
def logged_in(porter, monkeypatch, tmp_path):
    """Porter's CLI login as the variables that override its config file (a HOME without one)."""
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    for name, value in (("PORTER_HOST", porter.url), ("PORTER_PROJECT", PORTER_PROJECT),
                        ("PORTER_TOKEN", PORTER_TOKEN), ("PORTER_CA_BUNDLE", porter.ca_path)):
        monkeypatch.setenv(name, value)
    return porter


@pytest.fixture
def no_login(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    for name in ("PORTER_HOST", "PORTER_PROJECT", "PORTER_TOKEN"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def porter_log():
    """What the client and find_login log (the wizard's logger does not propagate to caplog)."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("porter_wizard.porter")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield records
    logger.removeHandler(handler)
    logger.setLevel(old_level)


def error_text(err: PorterError) -> str:
    return " | ".join([str(err), repr(err), err.title, err.what, err.next_step, str(err.args)])


def write_config(home, text: str | bytes) -> None:
    folder = home / ".porter"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "porter.yaml"
    target.write_bytes(text if isinstance(text, bytes) else text.encode())
