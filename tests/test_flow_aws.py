"""The whole AWS connection, driven through the screens against the sandbox's moto."""
from __future__ import annotations

import uuid

import boto3

from screens.app import WizardApp
from wizard.aws import role_stack as rs
from wizard.aws.porter_link import parse_porter_link
from wizard.state import StateStore

from .pilot_tools import choose_porter_mode, press, settle, shown_buttons, text_of

SIZE = (100, 50)


async def through_account(pilot, mode: str = "standalone") -> None:
    await pilot.press(*"acme-prod")
    await press(pilot, "continue")
    await choose_porter_mode(pilot, mode)
    assert pilot.app.screen.STEP == "aws.account"
    assert "Account 123456789012" in text_of(pilot, "#identity")
    await press(pilot, "continue")
    assert pilot.app.screen.STEP == "aws.grant"


def stack_parameters() -> dict[str, str]:
    cfn = boto3.client("cloudformation", region_name="us-east-1")
    stack = cfn.describe_stacks(StackName=rs.STACK_NAME)["Stacks"][0]
    return {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}


async def test_create_stack_verify_and_hand_it_to_porter(aws, make_ctx, logged_in, monkeypatch):
    # Porter (its API's double) checks its access as Porter does: AssumeRole as its platform
    # principal, through the sandbox's AWS front.
    monkeypatch.setattr(logged_in, "aws_endpoint", aws.endpoint)
    ctx = make_ctx()
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await through_account(pilot, "api")
        assert shown_buttons(pilot) >= {"create", "console"}
        await press(pilot, "create")
        assert "is ready (CREATE_COMPLETE)" in text_of(pilot, "#status")
        await press(pilot, "continue")
        assert pilot.app.screen.STEP == "aws.verify"
        assert "Verified" in text_of(pilot, "#result")
        assert ("sts", "AssumeRole") not in aws.front.requests  # checked, never assumed by the wizard
        await press(pilot, "continue")
        assert pilot.app.screen.STEP == "aws.handoff"
        for _ in range(100):
            await settle(pilot)
            if "continue" in shown_buttons(pilot):
                break
            await pilot.pause(0.05)
        assert "100%" in text_of(pilot, "#status")
        await press(pilot, "continue")
        assert pilot.app.screen.STEP == "aws.connected"
    saved = StateStore(ctx.store.path).load()
    assert saved.step == "aws.connected" and saved.project == "acme-prod"
    assert saved.aws.account_id == "123456789012"
    assert saved.aws.role_arn == "arn:aws:iam::123456789012:role/porter-manager"
    assert stack_parameters()["ExternalIdParameter"] == saved.aws.external_id
    assert str(uuid.UUID(saved.aws.external_id)) == saved.aws.external_id  # Porter's dashboard shape
    assert saved.aws.assumed_arn == "" and saved.aws.verified_at
    # Connected means Porter has it: Porter got the role and the ExternalId, and assumed the role.
    sent = [i for i in logged_in.integrations if i["cloud"] == "aws"]
    assert [(i["aws_target_arn"], i["aws_external_id"]) for i in sent] == \
        [(saved.aws.role_arn, saved.aws.external_id)]
    assert logged_in.aws_checks[-1] == (saved.aws.role_arn, True)
    assert (saved.aws.porter_via, saved.aws.porter_credential) == \
        ("api", f"{saved.aws.role_arn}|{saved.aws.external_id}")


async def test_console_path_shows_the_link_and_continues_when_the_stack_appears(aws, make_ctx):
    ctx = make_ctx()
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await through_account(pilot)
        pilot.app.screen.query_one("#console").press()
        await pilot.pause()
        link = pilot.app.screen.query_one("#link").value
        assert "#/stacks/create/review?" in link  # the page and template of Porter's own link
        assert f"param_ExternalIdParameter={ctx.state.aws.external_id}" in link
        assert "Waiting for PorterRole" in text_of(pilot, "#status")
        # Meanwhile the user creates the stack in the console (here: with boto3, as the console
        # would: the link's template URL and parameters).
        opened = parse_porter_link(link)
        boto3.client("cloudformation", region_name=opened.region).create_stack(
            StackName=opened.stack_name, TemplateURL=opened.template_url, Capabilities=["CAPABILITY_NAMED_IAM"],
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in opened.parameters.items()])
        await settle(pilot)
        assert "is ready" in text_of(pilot, "#status")
        assert ctx.state.aws.grant_path == "console"


async def test_existing_matching_stack_is_reused_not_recreated(aws, make_ctx):
    rs.RoleStack(boto3.Session(), "us-east-1").create("porter-existing")
    ctx = make_ctx()
    ctx.state.aws.external_id = "porter-existing"
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await through_account(pilot)
        await settle(pilot)
        assert "already exists and matches" in text_of(pilot, "#status")
        assert shown_buttons(pilot) == {"reuse"}
        await press(pilot, "reuse")
        assert pilot.app.screen.STEP == "aws.verify"
        assert "Verified" in text_of(pilot, "#result")
    assert [r for r in aws.front.requests if r == ("cloudformation", "UpdateStack")] == []


async def test_stack_with_another_external_id_is_updated_only_after_confirmation(aws, make_ctx):
    rs.RoleStack(boto3.Session(), "us-east-1").create("porter-someone-else")
    ctx = make_ctx()
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await through_account(pilot)
        await settle(pilot)
        assert "ExternalId (porter-someone-else) is not this project's" in text_of(pilot, "#status")
        assert shown_buttons(pilot) == {"reuse", "update"}
        await press(pilot, "update")
        assert type(pilot.app.screen).__name__ == "ConfirmModal"
        await pilot.press("escape")  # the default answer is no
        await settle(pilot)
        assert stack_parameters()["ExternalIdParameter"] == "porter-someone-else"
        assert "Nothing was changed" in text_of(pilot, "#status")
        await press(pilot, "update")
        pilot.app.screen.query_one("#confirm").press()
        await settle(pilot)
        assert stack_parameters()["ExternalIdParameter"] == ctx.state.aws.external_id
        assert "is ready (UPDATE_COMPLETE)" in text_of(pilot, "#status")
        await press(pilot, "continue")  # the role now requires this project's ExternalId
        assert "Verified" in text_of(pilot, "#result")


async def test_reusing_a_foreign_stack_adopts_its_external_id(aws, make_ctx):
    rs.RoleStack(boto3.Session(), "us-east-1").create("porter-from-dashboard")
    ctx = make_ctx()
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await through_account(pilot)
        await settle(pilot)
        await press(pilot, "reuse")
        assert ctx.state.aws.external_id == "porter-from-dashboard"
        assert "Verified" in text_of(pilot, "#result")


async def test_wrong_external_id_is_explained_with_a_way_out(aws, make_ctx):
    ctx = make_ctx()
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await through_account(pilot)
        await press(pilot, "create")
        ctx.state.aws.external_id = "porter-not-the-one-in-the-trust-policy"
        ctx.state.aws.stack_changed_at = "2020-01-01T00:00:00+00:00"  # old role: no propagation retries
        await press(pilot, "continue")
        assert "not ready for Porter" in text_of(pilot, "#result")
        error = text_of(pilot, "#error")
        assert "The role expects another ExternalId" in error and "porter-not-the-one" in error
        assert shown_buttons(pilot) >= {"retry", "to-grant"}
        assert "Traceback" not in error


async def test_propagation_delay_is_retried_and_said(aws, make_ctx, monkeypatch):
    monkeypatch.setattr("wizard.aws.verify.BACKOFF_S", (0.3, 0.3, 0.3, 0.3, 0.3))
    ctx = make_ctx()
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await through_account(pilot)
        await press(pilot, "create")
        # IAM is eventually consistent: a role CloudFormation just made can be unknown for a while.
        aws.front.inject("iam", "GetRole", code="NoSuchEntity", message="propagating", status=404, times=2)
        aws.front.reset_log()
        await press(pilot, "continue")
        assert pilot.app.screen.STEP == "aws.verify"
        assert "Verified" in text_of(pilot, "#result")
        assert aws.front.requests.count(("iam", "GetRole")) == 3


async def test_expired_credentials_on_the_account_step(aws, make_ctx):
    aws.front.inject("sts", "GetCallerIdentity", code="ExpiredToken", message="expired", status=403, times=20)
    async with WizardApp(make_ctx()).run_test(size=SIZE) as pilot:
        await pilot.press(*"acme-prod")
        await press(pilot, "continue")
        await choose_porter_mode(pilot)
        assert "could not be used" in text_of(pilot, "#identity")
        assert "expired" in text_of(pilot, "#error")
        await press(pilot, "continue")  # refused: the account is not confirmed
        assert pilot.app.screen.STEP == "aws.account"


async def test_typed_account_must_match_the_credentials(aws, make_ctx):
    async with WizardApp(make_ctx()).run_test(size=SIZE) as pilot:
        await pilot.press(*"acme-prod")
        await press(pilot, "continue")
        await choose_porter_mode(pilot)
        field = pilot.app.screen.query_one("#account-id")
        field.value = "2109-8765-4321"
        await pilot.pause()
        assert "belong to account 123456789012, not 210987654321" in text_of(pilot, "#account-id-error")
        await press(pilot, "continue")
        assert pilot.app.screen.STEP == "aws.account"
        field.value = "12345678901"
        await pilot.pause()
        assert "exactly 12 digits; this has 11" in text_of(pilot, "#account-id-error")


async def test_back_goes_to_the_previous_step_and_keeps_answers(aws, make_ctx):
    ctx = make_ctx()
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await through_account(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert pilot.app.screen.STEP == "aws.account"
        assert pilot.app.screen.query_one("#account-id").value == "123456789012"
        await pilot.press("escape")
        await settle(pilot)
        if pilot.app.screen.STEP == "aws.porter":  # the flow's first question, where it is asked
            await pilot.press("escape")
            await settle(pilot)
        assert pilot.app.screen.STEP == "welcome"
        assert pilot.app.screen.query_one("#project").value == "acme-prod"


async def test_rolled_back_stack_shows_its_cause_and_can_be_deleted_and_retried(aws, make_ctx):
    aws.front.stack_outcome(rs.STACK_NAME, fail_resource="PorterManagerRole",
                            reason="porter-manager already exists")
    ctx = make_ctx()
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await through_account(pilot)
        await press(pilot, "create")
        status = text_of(pilot, "#status")
        assert "ROLLBACK_COMPLETE" in status
        assert "PorterManagerRole (AWS::IAM::Role): porter-manager already exists" in status
        assert shown_buttons(pilot) == {"delete-retry"}
        await press(pilot, "delete-retry")
        assert type(pilot.app.screen).__name__ == "ConfirmModal"
        pilot.app.screen.query_one("#confirm").press()
        await settle(pilot)
        assert "is ready (CREATE_COMPLETE)" in text_of(pilot, "#status")
    assert aws.front.requests.count(("cloudformation", "DeleteStack")) == 1
    assert aws.front.requests.count(("cloudformation", "CreateStack")) == 2


async def test_a_failed_stack_found_on_arrival_offers_only_delete_and_retry(aws, make_ctx):
    aws.front.stack_outcome(rs.STACK_NAME, fail_resource="PorterManagerRole", reason="boom")
    rs.RoleStack(boto3.Session(), "us-east-1").create("porter-earlier-attempt")
    async with WizardApp(make_ctx()).run_test(size=SIZE) as pilot:
        await through_account(pilot)
        await settle(pilot)
        assert "left from a failed attempt (ROLLBACK_COMPLETE)" in text_of(pilot, "#status")
        assert "boom" in text_of(pilot, "#status")
        assert shown_buttons(pilot) == {"delete-retry"}


async def test_stack_events_are_shown_live_while_it_creates(aws, make_ctx, monkeypatch):
    monkeypatch.setattr("screens.aws_grant._sleep", lambda s: __import__("time").sleep(0.2))
    aws.front.stack_outcome(rs.STACK_NAME, in_progress_seconds=1.5)
    async with WizardApp(make_ctx()).run_test(size=SIZE) as pilot:
        await through_account(pilot)
        pilot.app.screen.query_one("#create").press()
        seen_in_progress = False
        for _ in range(100):
            await pilot.pause(0.05)
            log = "\n".join(str(line.text) for line in pilot.app.screen.query_one(".events").lines)
            if "CREATE_IN_PROGRESS" in log and "CREATE_COMPLETE" not in log:
                seen_in_progress = True
                assert "Creating the stack" in str(pilot.app.screen.query_one(".progress-text").render())
            if "CREATE_COMPLETE" in log:
                break
        await settle(pilot)
        assert seen_in_progress, "the in-progress events were never on screen before completion"
        assert "is ready (CREATE_COMPLETE)" in text_of(pilot, "#status")
