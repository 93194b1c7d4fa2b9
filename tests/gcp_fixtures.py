"""Fixtures for Google Cloud tests: the doubles (started once per session, cleared per test) and
an API session for a fresh key of the seeded Owner service account, through google-auth."""
from __future__ import annotations

import pytest

from wizard.gcp.endpoints import Endpoints
from wizard.gcp.session import GcpApi


@pytest.fixture(scope="session")
def gcp_doubles():
    from wizard.sandbox.gcp import GcpDoubles

    with GcpDoubles() as doubles:
        yield doubles


@pytest.fixture
def gcp(gcp_doubles):
    """A fresh project: default APIs only (none of the five), one Owner service account."""
    gcp_doubles.set_operation_delay(0.0)
    gcp_doubles.clear()
    yield gcp_doubles
    gcp_doubles.clear()


def api_for(doubles, key: dict) -> GcpApi:
    # No sleeping between throttled retries in tests: the retry count is what matters.
    return GcpApi(key, Endpoints(doubles.api_template, doubles.ca_path), sleep=lambda s: None)


@pytest.fixture
def gcp_api(gcp) -> GcpApi:
    return api_for(gcp, gcp.make_key())


@pytest.fixture
def credentials_made(monkeypatch) -> list[str]:
    """The service-account e-mail of every google-auth credential made from here on. Each is
    made slowly, so threads that would each make their own are all inside it at once."""
    import time

    from google.oauth2 import service_account

    made: list[str] = []
    original = service_account.Credentials.from_service_account_info

    def slow(info, **kwargs):
        made.append(info["client_email"])
        time.sleep(0.2)
        return original(info, **kwargs)

    monkeypatch.setattr(service_account.Credentials, "from_service_account_info", staticmethod(slow))
    return made


def fake_clock(monkeypatch, run, step: float) -> list[float]:
    """stepwise's waits on a clock that moves `step` seconds at each of the run's sleeps; returns
    the clock's reading at each sleep."""
    from types import SimpleNamespace

    from wizard import stepwise

    clock, waits = [0.0], []

    def sleep(seconds: float) -> None:
        waits.append(clock[0])
        clock[0] += step

    monkeypatch.setattr(stepwise, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    run.sleep = sleep
    return waits
