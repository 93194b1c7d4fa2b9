"""What the Google Cloud screens look like at a fixed terminal size (SVG snapshots in
__snapshots__/). Only screens that draw without asking Google anything (or fail offline), so the
pictures don't depend on timing."""
from __future__ import annotations

import pytest

from screens.app import WizardApp
from wizard.state import WizardState

from .pilot_tools import press
from .test_snapshots import SIZE, _settle


def gcp_state(step: str) -> WizardState:
    state = WizardState(step=step, project="demo", cloud="gcp")
    gcp = state.gcp
    gcp.project_id, gcp.client_email = "acme-prod-4821", "porter@acme-prod-4821.iam.gserviceaccount.com"
    gcp.key_id, gcp.region = "5e1a25264bba30e2d1f0c9aa", "us-central1"
    return state


@pytest.fixture
def snap(snap_compare, make_ctx):
    def take(state: WizardState, run_before=_settle) -> bool:
        ctx = make_ctx(state)
        ctx.sandbox = False  # no sandbox banner path: the key field starts empty
        return snap_compare(WizardApp(ctx), terminal_size=SIZE, run_before=run_before)
    return take


def test_gcp_key_given_user_credentials(snap):
    async def typed(pilot):
        await _settle(pilot)
        from textual.widgets import TextArea

        pilot.app.screen.query_one("#key-paste", TextArea).text = (
            '{"type": "authorized_user", "client_id": "7640.apps.googleusercontent.com", "refresh_token": "x"}')
        await press(pilot, "continue")
        await _settle(pilot)
    assert snap(WizardState(step="gcp.key", project="demo", cloud="gcp"), run_before=typed)


def test_gcp_cost(snap):
    assert snap(gcp_state("gcp.cost"))


def test_gcp_teardown_before_start(snap):
    assert snap(gcp_state("gcp.teardown"))
