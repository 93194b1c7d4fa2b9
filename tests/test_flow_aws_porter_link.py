"""The Grant step with Porter's dashboard ("manual" mode): its link, or its ExternalId, pasted;
and the ExternalId the wizard makes in the other modes. Driven through the screens."""
from __future__ import annotations

import uuid

import boto3
import pytest
from textual.widgets import Input

from screens.app import WizardApp
from wizard.aws import role_stack as rs

from .pilot_tools import press, settle, shown_buttons, text_of
from .states import state_at
from .test_flow_aws import stack_parameters
from .test_porter_link import NEWER, PORTERS, UUID

SIZE = (100, 50)


def manual_state(external_id: str = ""):
    state = state_at("aws.grant")
    state.porter_mode = "manual"
    state.aws.external_id = external_id  # Porter's comes from its dashboard, not from the wizard
    return state


async def paste(pilot, text: str) -> None:
    field = pilot.app.screen.query_one("#porter-link", Input)
    field.value = text
    await press(pilot, "use-link")


async def test_porters_link_is_asked_first_then_exactly_that_stack_is_created(aws, make_ctx):
    ctx = make_ctx(manual_state())
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert shown_buttons(pilot) == {"use-link"}  # nothing else before Porter's answer
        assert pilot.app.focused.id == "porter-link"
        assert "Grant permissions" in text_of(pilot, "#porter-ask .lead")
        assert ("cloudformation", "DescribeStacks") not in aws.front.requests
        # A look-alike host is refused under the field.
        await paste(pilot, PORTERS.replace("console.aws.amazon.com", "console.aws.amazon.com.evil.example"))
        assert "console.aws.amazon.com.evil.example, not to the AWS console" in text_of(pilot, "#porter-link-error")
        # What was pasted is quoted as plain text, never read as markup.
        await paste(pilot, PORTERS.replace("https://porter-role.s3.us-east-2.amazonaws.com/",
                                           "https://evil.example/[b]x[/b]"))
        assert "https://evil.example/[b]x[/b]cloudformation-policy.json" in text_of(pilot, "#porter-link-error")
        assert shown_buttons(pilot) == {"use-link"}
        await paste(pilot, f"<{PORTERS}>")
        assert ctx.state.aws.external_id == UUID
        assert "There is no PorterRole stack" in text_of(pilot, "#status")
        assert "cloudformation-policy.json (Porter's)" in text_of(pilot, "#facts")
        await press(pilot, "create")
        assert "is ready (CREATE_COMPLETE)" in text_of(pilot, "#status")
        await press(pilot, "continue")
        assert "Verified" in text_of(pilot, "#result")
    assert stack_parameters() == {"ExternalIdParameter": UUID, "TrustArnParameter": rs.PLATFORM_PRINCIPAL,
                                  "RoleName": "porter-manager"}
    template = boto3.client("cloudformation", region_name="us-east-1").get_template(StackName="PorterRole")
    assert template["TemplateBody"].strip() == rs.template_body().strip()  # Porter's, from its URL


async def test_the_newer_link_asks_for_the_external_id_too(aws, make_ctx):
    ctx = make_ctx(manual_state())
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await paste(pilot, NEWER)
        assert "ExternalId Porter shows" in str(pilot.app.screen.query_one("#porter-link-label").render())
        assert pilot.app.screen.query_one("#porter-link", Input).value == ""
        await paste(pilot, "not an id")
        assert "neither a link nor an ExternalId" in text_of(pilot, "#porter-link-error")
        await paste(pilot, UUID)
        assert ctx.state.aws.external_id == UUID
        pilot.app.screen.query_one("#console").press()
        await pilot.pause()
        link = pilot.app.screen.query_one("#link", Input).value
        # Porter's newer template, with the ExternalId it showed, in the region the wizard watches.
        assert link.startswith("https://console.aws.amazon.com/cloudformation/home?region=us-east-1#/stacks/create/review?")
        assert "cloudformation-access-policy.json" in link and f"param_ExternalIdParameter={UUID}" in link


async def test_a_bare_external_id_uses_the_wizards_template(aws, make_ctx):
    ctx = make_ctx(manual_state())
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*f" {UUID} ", "enter")  # typed, then Enter in the field
        await settle(pilot)
        await press(pilot, "create")
        assert "is ready" in text_of(pilot, "#status")
    assert stack_parameters()["ExternalIdParameter"] == UUID


async def test_with_porters_dashboard_a_stack_of_another_external_id_is_not_adopted(aws, make_ctx):
    rs.RoleStack(boto3.Session(), "us-east-1").create("porter-someone-else")
    ctx = make_ctx(manual_state())
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await paste(pilot, UUID)
        assert "is not the one Porter gave" in text_of(pilot, "#status")
        assert shown_buttons(pilot) == {"update"}  # reusing would leave Porter locked out


async def test_standalone_makes_a_uuid_and_says_what_to_give_porter(aws, make_ctx):
    state = state_at("aws.grant")
    state.porter_mode, state.aws.external_id = "standalone", ""
    ctx = make_ctx(state)
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "No Porter project yet: the wizard made this ExternalId" in text_of(pilot, "#standalone-note")
        assert str(uuid.UUID(ctx.state.aws.external_id)) == ctx.state.aws.external_id
        assert ctx.state.aws.external_id in text_of(pilot, "#facts")


def _focused_is_visible(pilot) -> bool:
    focused = pilot.app.focused
    region = focused.region
    return bool(focused) and region.area > 0 and pilot.app.screen.region.contains_region(region)


@pytest.mark.parametrize("mode", ["manual", "standalone"])
async def test_the_focused_control_is_visible_at_80x24(aws, make_ctx, mode):
    state = manual_state() if mode == "manual" else state_at("aws.grant")
    state.porter_mode = mode
    async with WizardApp(make_ctx(state)).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert _focused_is_visible(pilot)
        if mode == "manual":
            await paste(pilot, UUID)
        assert pilot.app.focused.id == "create" and _focused_is_visible(pilot)


async def test_a_template_away_from_porters_address_is_pointed_out(aws, make_ctx):
    mirror = PORTERS.replace("https://porter-role.s3.us-east-2.amazonaws.com/", "https://mirror.s3.amazonaws.com/")
    async with WizardApp(make_ctx(manual_state())).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await paste(pilot, mirror)
        assert "https://mirror.s3.amazonaws.com/cloudformation-policy.json (NOT Porter's usual address" in (
            text_of(pilot, "#facts"))
