"""The Porter steps at 80x24, the size a support engineer's SSH window often is: how Porter is
reached, the hand-off card (secret masked), and who builds the cluster."""
from __future__ import annotations

import pytest

from screens.app import WizardApp
from wizard.secret_store import SERVICE
from wizard.state import WizardState

from .test_handoff import CLIENT, SECRET, aws_ready, azure_ready
from .test_snapshots import _settle

SIZE = (80, 24)


@pytest.fixture
def snap(snap_compare, make_ctx):
    def take(state: WizardState) -> bool:
        return snap_compare(WizardApp(make_ctx(state)), terminal_size=SIZE, run_before=_settle)
    return take


def test_connect_to_porter_without_a_login(snap, no_login):
    assert snap(WizardState(step="aws.porter", project="demo", cloud="aws"))


def test_azure_hand_off_by_hand_with_the_secret_masked(snap, keyring_backend):
    keyring_backend.set_password(SERVICE, f"azure-client-secret/{CLIENT}", SECRET)
    assert snap(azure_ready())


def test_aws_hand_off_standalone(snap):
    assert snap(aws_ready("standalone"))


def test_porter_builds_the_cluster_by_hand(snap):
    state = WizardState(step="gcp.provision", project="demo", cloud="gcp", porter_mode="manual")
    state.gcp.region = "us-central1"
    assert snap(state)
