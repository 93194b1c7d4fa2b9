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
