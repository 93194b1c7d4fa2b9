"""Ctrl+Q while a cloud job runs asks first, as Esc does: declining keeps it running; quitting
leaves a note that says what is still being built and that relaunching resumes it. With nothing
running, Ctrl+Q quits at once."""
from __future__ import annotations

from screens.app import WizardApp
from textual.widgets import Button

from .pilot_tools import settle
from .test_flow_gcp import SIZE, quick_polls  # noqa: F401 - fixture
from .test_flow_gcp_faults import connected


def _running(pilot) -> list:
    return [w for w in pilot.app.workers if w.group == "job" and w.is_running]


async def test_ctrl_q_during_provisioning_asks_first_and_no_keeps_it_running(sandbox_gcp, make_ctx):
    sandbox_gcp.enable_apis()
    sandbox_gcp.set_operation_delay(1.0)  # long enough to be asked mid-way
    ctx = connected(sandbox_gcp, make_ctx(), "gcp.provision")
    ctx.state.gcp.checks_passed_at = ctx.state.gcp.cost_acknowledged_at = "2026-11-23T10:00:00+00:00"
    app = WizardApp(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        pilot.app.screen.query_one("#start", Button).press()  # not press(): that waits for the end
        for _ in range(50):
            await pilot.pause(0.02)
            if _running(pilot):
                break
        assert _running(pilot), "the provision never started"
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert type(pilot.app.screen).__name__ == "_QuitModal"
        assert "Google Cloud provisioning" in str(pilot.app.screen.query_one(".dialog-title").render())
        assert pilot.app.is_running and app.return_code is None
        await pilot.press("escape")  # no (the default)
        await pilot.pause()
        assert pilot.app.screen.STEP == "gcp.provision"
        assert _running(pilot) and pilot.app.is_running  # still building
        assert "quit-while-running" not in app.exit_notes
        await pilot.press("ctrl+q")
        await pilot.pause()
        pilot.app.screen.query_one("#confirm", Button).press()
        await pilot.pause()
    assert app.return_code == 0
    note = app.exit_notes["quit-while-running"]
    assert "Google Cloud provisioning" in note and "Relaunch porter-wizard to resume it" in note
    assert ctx.state.gcp.provision_status == "running"  # so the relaunch offers Resume
    sandbox_gcp.set_operation_delay(0.0)


async def test_a_second_ctrl_q_on_the_question_quits(sandbox_gcp, make_ctx):
    sandbox_gcp.enable_apis()
    sandbox_gcp.set_operation_delay(1.0)
    ctx = connected(sandbox_gcp, make_ctx(), "gcp.provision")
    ctx.state.gcp.checks_passed_at = ctx.state.gcp.cost_acknowledged_at = "2026-11-23T10:00:00+00:00"
    app = WizardApp(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        pilot.app.screen.query_one("#start", Button).press()
        for _ in range(50):
            await pilot.pause(0.02)
            if _running(pilot):
                break
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert "quit-while-running" in app.exit_notes
    sandbox_gcp.set_operation_delay(0.0)


async def test_ctrl_q_with_nothing_running_quits_at_once(sandbox_gcp, make_ctx):
    ctx = connected(sandbox_gcp, make_ctx(), "gcp.provision")
    app = WizardApp(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_code == 0 and not app.exit_notes


async def test_ctrl_q_during_the_aws_teardown_asks_first(aws, make_ctx):
    """The AWS teardown runs in its own worker group: Ctrl+Q there asks too, then leaves a note."""
    import boto3

    from wizard.aws import role_stack as rs
    from wizard.aws.connection import work_session
    from wizard.aws.plan import plan_for
    from wizard.aws.provision import Run, provision

    from .states import EXTERNAL_ID, cluster_state

    rs.RoleStack(boto3.Session(), "us-east-1").create(EXTERNAL_ID)
    state = cluster_state("aws.teardown")
    provision(Run(work_session(state.aws, make_ctx().secrets), plan_for("acme-prod", "eu-west-1"),
                  poll_seconds=0.05), lambda s: None)
    aws.front.latency("eks", "", 1.0)  # the cluster's deletion is slow enough to be asked mid-way
    ctx = make_ctx(state)
    app = WizardApp(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        pilot.app.screen.query_one("#delete-cluster", Button).press()
        await pilot.pause()
        pilot.app.screen.query_one("#confirm", Button).press()
        for _ in range(50):
            await pilot.pause(0.02)
            if any(w.group == "teardown" and w.is_running for w in pilot.app.workers):
                break
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert type(pilot.app.screen).__name__ == "_QuitModal"
        assert "the AWS teardown" in str(pilot.app.screen.query_one(".dialog-title").render())
        assert pilot.app.is_running
        pilot.app.screen.query_one("#confirm", Button).press()
        await pilot.pause()
    assert "the AWS teardown" in app.exit_notes["quit-while-running"]
    assert ctx.state.aws.teardown_status == "running"  # so the relaunch offers to go on
