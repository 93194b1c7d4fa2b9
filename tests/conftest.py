"""Shared fixtures: the product's own sandbox (moto's server behind the checking front), a private
config directory, and a way to build the app around a given state."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from wizard.context import WizardContext
from wizard.sandbox.memory_keyring import MemoryKeyring
from wizard.sandbox.runtime import Sandbox
from wizard.secret_store import SecretStore
from wizard.state import StateStore, WizardState

# The doubles' fixtures, for every test module that names them (no imports needed).
pytest_plugins = ("tests.porter_fixtures", "tests.azure_double_fixtures", "tests.gcp_fixtures",
                  "tests.rotation_fixtures", "tests.terminal_fixtures")


@pytest.fixture(scope="session")
def sandbox():
    """One moto server for the whole run; each test gets a clean account through `aws`."""
    box = Sandbox(demo_pacing=False).start()
    yield box
    box.stop()


@pytest.fixture
def aws(sandbox):
    from wizard.aws.connection import forget_sessions

    sandbox.reset()
    forget_sessions()  # a role session of a previous test's account must not leak into this one
    yield sandbox
    sandbox.front.clear()


@pytest.fixture
def role(aws):
    """The PorterRole stack with the test states' ExternalId, as the Grant step leaves it."""
    import boto3

    from wizard.aws import role_stack as rs

    from .states import EXTERNAL_ID

    rs.RoleStack(boto3.Session(), "us-east-1").create(EXTERNAL_ID)
    return aws


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("PORTER_WIZARD_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def keyring_backend() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture
def make_ctx(home, keyring_backend):
    def build(state: WizardState | None = None, *, sandbox_endpoint: str = "http://127.0.0.1:PORT",
              secrets: SecretStore | None = None, force: bool = False) -> WizardContext:
        store = StateStore(home / "state.json")
        ctx = WizardContext(state=state or WizardState(), store=store,
                            secrets=secrets or SecretStore(keyring_backend), sandbox=True,
                            sandbox_endpoint=sandbox_endpoint, force=force)
        return ctx
    return build


def files_under(root: Path) -> list[Path]:
    return [Path(d) / f for d, _, names in os.walk(root) for f in names]


@pytest.fixture
def azure(sandbox):
    """The sandbox's Azure doubles, back at their seed, with the SDKs' settings pointing at them
    (the sandbox sets AZURE_AUTHORITY_HOST, PORTER_AZURE_ARM_URL, ... as it does for a user)."""
    from wizard.azure import signin

    doubles = sandbox.azure()
    sandbox.reset_azure()
    signin.remember_admin(None)
    yield doubles
    signin.remember_admin(None)
    doubles.clear()


@pytest.fixture
def sandbox_gcp(sandbox):
    """The sandbox's Google Cloud doubles, back at their seed with a freshly "downloaded" key
    (PORTER_SANDBOX_GCP_KEY), the wizard's endpoint settings pointing at them as for a user."""
    doubles = sandbox.gcp()
    sandbox.reset_gcp()
    yield doubles
    doubles.clear()
