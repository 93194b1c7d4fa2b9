"""What each screen looks like at a fixed terminal size (SVG snapshots in __snapshots__/).

Values that change from run to run (ExternalId, sandbox port, timestamps) are fixed in the state
so that a difference in a snapshot is a difference in the screen.
"""
from __future__ import annotations

import boto3
import pytest

from screens.app import WizardApp
from wizard.aws import role_stack as rs
from wizard.errors import StateFileError
from wizard.state import WizardState

from .pilot_tools import settle
from .states import EXTERNAL_ID, cluster_state, connected_state, state_at

SIZE = (100, 40)
async def _settle(pilot) -> None:
    await settle(pilot)
    await steady_cursor(pilot)


async def steady_cursor(pilot) -> None:
    """A focused input's cursor blinks; caught in either phase it would make snapshots flaky."""
    from textual.widgets import Input

    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


@pytest.fixture
def snap(snap_compare, make_ctx):
    def take(state: WizardState | None = None, run_before=_settle, **ctx_args) -> bool:
        app = WizardApp(make_ctx(state, **ctx_args))
        return snap_compare(app, terminal_size=SIZE, run_before=run_before)
    return take


def test_welcome(snap, aws):
    assert snap()


def test_welcome_with_a_bad_project_name(snap, aws):
    async def typed(pilot):
        await pilot.press(*"Acme")
        await _settle(pilot)
    assert snap(run_before=typed)


def test_account_with_detected_identity(snap, aws):
    assert snap(state_at("aws.account"))


def test_grant_with_no_stack(snap, aws):
    assert snap(state_at("aws.grant"))


def test_grant_with_a_stack_of_another_project(snap, aws):
    rs.RoleStack(boto3.Session(), "us-east-1").create("porter-someone-else")
    assert snap(state_at("aws.grant"))


def test_grant_update_confirmation(snap, aws):
    rs.RoleStack(boto3.Session(), "us-east-1").create("porter-someone-else")

    async def ask(pilot):
        await settle(pilot)
        pilot.app.screen.query_one("#update").press()
        await _settle(pilot)
    assert snap(state_at("aws.grant"), run_before=ask)


def test_verify_success(snap, aws):
    rs.RoleStack(boto3.Session(), "us-east-1").create(EXTERNAL_ID)
    assert snap(connected_state("aws.verify"))


def test_verify_access_denied(snap, aws):
    rs.RoleStack(boto3.Session(), "us-east-1").create("porter-another-external-id")
    assert snap(connected_state("aws.verify"))


def test_connected(snap, aws):
    from wizard import handoff

    state = connected_state("aws.connected")
    handoff.record(state, "aws", "manual")  # connected means Porter has it
    assert snap(state)


def test_damaged_state(snap_compare, make_ctx):
    error = StateFileError("Saved progress is damaged",
                           "/home/user/.config/porter-wizard/state.json is not a progress file this "
                           "wizard can read (Expecting value: line 1 column 1 (char 0)).",
                           "Start over: the damaged file is kept beside it as a .damaged copy.")
    app = WizardApp(make_ctx(), startup_error=error)
    assert snap_compare(app, terminal_size=SIZE, run_before=_settle)


@pytest.fixture
def role(aws, monkeypatch):
    rs.RoleStack(boto3.Session(), "us-east-1").create(EXTERNAL_ID)
    monkeypatch.setattr("screens.aws_quotas.AwsQuotasScreen.POLL_SECONDS", 0.05)
    return aws


def test_region(snap, role):
    assert snap(connected_state("aws.region"))


def test_quotas_all_passing_after_an_approved_increase(snap, role):
    assert snap(cluster_state("aws.quotas"))


def test_quotas_with_a_denied_increase(snap, role):
    role.quotas.deny_next("ec2", "L-1216C47A")
    assert snap(cluster_state("aws.quotas"))


def test_cost(snap, role):
    assert snap(cluster_state("aws.cost"))


def test_provision_before_start(snap, role):
    assert snap(cluster_state("aws.provision"))


def test_cluster(snap, role):
    state = cluster_state("aws.cluster")
    state.aws.cluster_arn = "arn:aws:eks:eu-west-1:123456789012:cluster/acme-prod"
    state.aws.cost_monthly, state.aws.provisioned_at = "283.72", "2026-11-23T10:30:00+00:00"
    assert snap(state)


def test_teardown_before_start(snap, role):
    assert snap(cluster_state("aws.teardown"))
