"""Cloud faults met on the screens become a message with a next step, and Retry recovers."""
from __future__ import annotations

from screens.app import WizardApp

from .pilot_tools import press, settle, shown_buttons, text_of
from .states import connected_state, state_at

SIZE = (100, 50)


async def test_throttling_while_looking_for_the_stack_then_retry(aws, make_ctx):
    aws.front.inject("cloudformation", "DescribeStacks", code="Throttling", message="Rate exceeded",
                     times=100)
    async with WizardApp(make_ctx(state_at("aws.grant"))).run_test(size=SIZE) as pilot:
        await settle(pilot)
        error = text_of(pilot, "#error")
        assert "AWS is throttling requests" in error and "Wait a minute and press Retry" in error
        assert shown_buttons(pilot) == {"retry"}
        aws.front.clear()
        await press(pilot, "retry")
        assert "There is no PorterRole stack" in text_of(pilot, "#status")
        assert shown_buttons(pilot) == {"create", "console"}


async def test_network_down_on_the_grant_step(aws, make_ctx, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    async with WizardApp(make_ctx(state_at("aws.grant"))).run_test(size=SIZE) as pilot:
        await settle(pilot, rounds=200)
        error = text_of(pilot, "#error")
        assert "Can't reach AWS" in error and "network" in error
        assert "Traceback" not in error


async def test_access_denied_creating_the_stack(aws, make_ctx):
    aws.front.inject("cloudformation", "CreateStack", code="AccessDenied", status=403,
                     message="User: arn:aws:iam::123456789012:user/dev is not authorized to "
                             "perform: cloudformation:CreateStack")
    async with WizardApp(make_ctx(state_at("aws.grant"))).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "create")
        error = text_of(pilot, "#error")
        assert "AWS denied access" in error and "cloudformation:CreateStack" in error
        assert "administrator" in error


async def test_verify_when_the_stack_is_gone_says_so(aws, make_ctx):
    # As after a sandbox relaunch at the Verify step: the state names a role the account lacks.
    async with WizardApp(make_ctx(connected_state("aws.verify"))).run_test(size=SIZE) as pilot:
        await settle(pilot)
        error = text_of(pilot, "#error")
        assert "The role is gone" in error and "create it again" in error
        await press(pilot, "to-grant")
        assert pilot.app.screen.STEP == "aws.grant"


async def test_console_link_is_kept_for_after_exit(aws, make_ctx):
    app = WizardApp(make_ctx(state_at("aws.grant")))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        pilot.app.screen.query_one("#console").press()
        await pilot.pause()
        assert "#/stacks/create/review?" in app.exit_notes["quick-create"]
        assert "account 123456789012" in app.exit_notes["quick-create"]
