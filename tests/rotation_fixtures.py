"""The Azure rotation tests' fixtures: a platform service principal with its secret stored and its
progress saved, the endpoints as a user sets them, and a terminal whose keyring holds the secret."""
from __future__ import annotations

import logging

import keyring
import pytest

from wizard.logs import log
from wizard.secret_store import SecretStore
from wizard.state import StateStore

from .test_azure_rotation import Platform, Porter, grant_app_writes, platform_state


@pytest.fixture
def platform(az, home, keyring_backend) -> Platform:
    grant_app_writes(az)
    state = platform_state(az)
    secrets = SecretStore(keyring_backend)
    secrets.put(state.azure.secret_name, az.service_principal.client_secret)
    store = StateStore(home / "state.json")
    store.save(state)
    return Platform(az, state, store, secrets, home, Porter(az.service_principal.client_secret))


@pytest.fixture
def endpoints(az, monkeypatch):
    """current_cloud() reads these, as it does for a user of a sovereign cloud or the sandbox."""
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", az.authority_url)
    monkeypatch.setenv("PORTER_AZURE_ARM_URL", az.arm_url)
    monkeypatch.setenv("PORTER_AZURE_GRAPH_URL", az.graph_url)
    monkeypatch.setenv("PORTER_AZURE_CA_BUNDLE", az.ca_path)


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
