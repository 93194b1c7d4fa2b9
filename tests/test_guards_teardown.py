"""Destructive buttons ask first (issue 18): declining deletes nothing, on every cloud."""
from __future__ import annotations

import boto3
import pytest
from textual.widgets import Button

from screens.app import WizardApp

from .azure_states import connected_azure_state
from .guard_tools import SIZE, gcp_connected_ctx
from .pilot_tools import settle, shown_buttons, text_of
from .states import cluster_state


# -- destructive actions ask first ---------------------------------------------------------------

def confirm_modal_shown(pilot) -> bool:
    return type(pilot.app.screen).__name__ == "ConfirmModal"


@pytest.mark.parametrize("decline", ["escape", "cancel"])
async def test_aws_teardown_asks_first_and_declining_deletes_nothing(aws, make_ctx, decline):
    state = cluster_state("aws.teardown")
    aws.front.reset_log()
    ctx = make_ctx(state)
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        pilot.app.screen.query_one("#delete-cluster", Button).press()
        await settle(pilot)
        assert confirm_modal_shown(pilot)
        assert pilot.app.screen.query_one("#cancel").has_focus  # the safe choice is the default
        if decline == "escape":
            await pilot.press("escape")
        else:
            pilot.app.screen.query_one("#cancel", Button).press()
        await settle(pilot)
        assert not confirm_modal_shown(pilot)
        assert text_of(pilot, "#teardown-status") == "Nothing was deleted."
        assert shown_buttons(pilot) == {"delete-cluster"}
    assert ctx.state.aws.teardown_status == ""
    assert aws.front.mutations == []


async def test_aws_teardown_declining_the_stack_deletion_keeps_the_role(role, make_ctx):
    state = cluster_state("aws.teardown")
    state.aws.teardown_status = "done"
    role.front.reset_log()
    ctx = make_ctx(state)
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        pilot.app.screen.query_one("#delete-stack", Button).press()
        await settle(pilot)
        assert confirm_modal_shown(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert text_of(pilot, "#teardown-status") == "Nothing was deleted."
    assert role.front.mutations == []
    stacks = boto3.client("cloudformation", region_name="us-east-1").list_stacks()["StackSummaries"]
    assert {s["StackStatus"] for s in stacks} == {"CREATE_COMPLETE"}


async def test_azure_teardown_asks_first_and_declining_deletes_nothing(azure, make_ctx):
    ctx = make_ctx()
    ctx.state = connected_azure_state(azure, "azure.teardown", ctx.secrets)
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        before = list(azure.mutations)
        pilot.app.screen.query_one("#start", Button).press()
        await settle(pilot)
        assert confirm_modal_shown(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert not confirm_modal_shown(pilot) and "start" in shown_buttons(pilot)
        assert "Nothing has been deleted yet" in text_of(pilot, "#job-status")
        assert list(azure.mutations) == before
    assert ctx.state.azure.teardown_status == ""


async def test_gcp_teardown_asks_first_and_declining_deletes_nothing(sandbox_gcp, make_ctx):
    ctx = gcp_connected_ctx(sandbox_gcp, make_ctx, "gcp.teardown")
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        pilot.app.screen.query_one("#start", Button).press()
        await settle(pilot)
        assert confirm_modal_shown(pilot)
        pilot.app.screen.query_one("#cancel", Button).press()
        await settle(pilot)
        assert not confirm_modal_shown(pilot) and "start" in shown_buttons(pilot)
    assert ctx.state.gcp.teardown_status == ""
    assert sandbox_gcp.container.requests == [] and sandbox_gcp.compute.requests == []
