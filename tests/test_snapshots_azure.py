"""What the Azure screens look like at a fixed terminal size (SVG snapshots in __snapshots__/).
Only screens that draw without asking Azure anything, so the pictures don't depend on timing."""
from __future__ import annotations

import pytest

from screens.app import WizardApp
from wizard.state import WizardState

from .pilot_tools import press
from .test_snapshots import SIZE, _settle

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
SUBSCRIPTION = "0b1f6471-1bf0-4dda-aec3-111122223333"
CLIENT = "9c3e1a52-6f0e-4d1b-8a0a-444455556666"


def azure_state(step: str) -> WizardState:
    state = WizardState(step=step, project="demo", cloud="azure")
    az = state.azure
    az.signin_method, az.tenant_id, az.subscription_id = "secret", TENANT, SUBSCRIPTION
    az.subscription_name, az.client_id, az.region = "Pay-As-You-Go", CLIENT, "westeurope"
    return state


@pytest.fixture
def snap(snap_compare, make_ctx):
    def take(state: WizardState, run_before=_settle) -> bool:
        return snap_compare(WizardApp(make_ctx(state)), terminal_size=SIZE, run_before=run_before)
    return take


def test_azure_signin_with_a_mistyped_tenant(snap, azure):
    async def typed(pilot):
        await _settle(pilot)
        await press(pilot, "show-sp")
        pilot.app.screen.query_one("#tenant").value = "contoso.onmicrosoft.com"
        await press(pilot, "check-sp")
        await _settle(pilot)
    state = WizardState(step="azure.signin", project="demo", cloud="azure")
    assert snap(state, run_before=typed)


def test_azure_cost_and_tier(snap, azure):
    assert snap(azure_state("azure.cost"))


def test_azure_teardown_before_start(snap, azure):
    assert snap(azure_state("azure.teardown"))
