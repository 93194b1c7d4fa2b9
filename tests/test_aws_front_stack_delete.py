"""A DeleteStack the front makes end DELETE_FAILED (issue 18), as CloudFormation reports it; a retry
then deletes the stack. Through boto3 and through the teardown screen (RoleStack's own handling:
tests/test_aws_role_stack.py)."""
from __future__ import annotations

import re
import time

import boto3
import pytest
from botocore.exceptions import ClientError
from textual.widgets import Button

from screens.app import WizardApp

from .guard_tools import SIZE
from .pilot_tools import press, settle, shown_buttons, text_of
from .states import cluster_state

WHY = "The following resource(s) failed to delete: [PorterManagerRole]. "
HANDLER_MESSAGE = re.compile(
    r'Resource handler returned message: "Cannot delete entity, must detach all policies first\. '
    r"\(Service: Iam, Status Code: 409, Request ID: [0-9a-f-]{36}\) \(SDK Attempt Count: 1\)\" "
    r"\(RequestToken: [0-9a-f-]{36}, HandlerErrorCode: GeneralServiceException\)")


def _cfn():
    return boto3.client("cloudformation", region_name="us-east-1")


def _story(cfn, stack: str) -> list[tuple[str, str]]:
    events = [e for page in cfn.get_paginator("describe_stack_events").paginate(StackName=stack)
              for e in page["StackEvents"]]
    return [(e["LogicalResourceId"], e["ResourceStatus"]) for e in events]


def _attached(role_name: str = "porter-manager") -> list[str]:
    return [p["PolicyArn"] for p in boto3.client("iam").list_attached_role_policies(RoleName=role_name)[
        "AttachedPolicies"]]


def test_a_scripted_delete_ends_delete_failed_as_cloudformation_reports_it(role):
    cfn = _cfn()
    stack_id = cfn.describe_stacks(StackName="PorterRole")["Stacks"][0]["StackId"]
    policies = _attached()
    role.front.stack_delete_fails("PorterRole")
    cfn.delete_stack(StackName="PorterRole")

    for target in ("PorterRole", stack_id):  # by name and by id, the same stack
        [stack] = cfn.describe_stacks(StackName=target)["Stacks"]
        assert (stack["StackStatus"], stack["StackStatusReason"]) == ("DELETE_FAILED", WHY)
    events = [e for page in cfn.get_paginator("describe_stack_events").paginate(StackName=stack_id)
              for e in page["StackEvents"]]
    # Newest first, as CloudFormation lists them; creation's events below.
    assert [(e["LogicalResourceId"], e["ResourceStatus"]) for e in events[:4]] == [
        ("PorterRole", "DELETE_FAILED"), ("PorterManagerRole", "DELETE_FAILED"),
        ("PorterManagerRole", "DELETE_IN_PROGRESS"), ("PorterRole", "DELETE_IN_PROGRESS")]
    stack_failed, role_failed = events[0], events[1]
    assert stack_failed["ResourceType"] == "AWS::CloudFormation::Stack"
    assert (stack_failed["ResourceStatusReason"], stack_failed["PhysicalResourceId"]) == (WHY, stack_id)
    assert (role_failed["ResourceType"], role_failed["PhysicalResourceId"]) == ("AWS::IAM::Role", "porter-manager")
    assert HANDLER_MESSAGE.fullmatch(role_failed["ResourceStatusReason"])
    assert events[3]["ResourceStatusReason"] == "User Initiated"
    assert len({e["EventId"] for e in events}) == len(events)
    # The stack and its role stay as they were: moto never saw that DeleteStack.
    assert _attached() == policies
    assert {r["LogicalResourceId"] for r in cfn.describe_stack_resources(StackName="PorterRole")[
        "StackResources"]} == {"PorterManagerRole"}

    cfn.delete_stack(StackName="PorterRole")  # a retry, not scripted: it goes through
    with pytest.raises(ClientError, match="does not exist"):
        cfn.describe_stacks(StackName="PorterRole")
    assert cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
    # The failed attempt stays in the stack's history.
    assert ("PorterManagerRole", "DELETE_FAILED") in _story(cfn, stack_id)
    with pytest.raises(ClientError, match="NoSuchEntity|cannot be found"):
        boto3.client("iam").get_role(RoleName="porter-manager")


def test_the_script_counts_down_waits_for_the_stack_and_can_be_cleared(role):
    cfn = _cfn()
    role.front.stack_delete_fails("Absent")
    cfn.delete_stack(StackName="Absent")  # no such stack: moto's answer, and the script waits
    role.front.stack_delete_fails("PorterRole", resource="Elsewhere", reason="blocked", times=2)
    for _ in range(2):
        cfn.delete_stack(StackName="PorterRole")
        [stack] = cfn.describe_stacks(StackName="PorterRole")["Stacks"]
        assert stack["StackStatusReason"] == "The following resource(s) failed to delete: [Elsewhere]. "
    failed = [s for s in _story(cfn, "PorterRole") if s[1] == "DELETE_FAILED"]
    assert failed == [("PorterRole", "DELETE_FAILED"), ("Elsewhere", "DELETE_FAILED")] * 2
    role.front.stack_delete_fails("PorterRole")
    role.front.clear()
    cfn.delete_stack(StackName="PorterRole")
    assert cfn.list_stacks()["StackSummaries"][0]["StackStatus"] == "DELETE_COMPLETE"


def test_a_delete_can_stay_in_progress_before_it_fails(role):
    cfn = _cfn()
    role.front.stack_delete_fails("PorterRole", in_progress_seconds=0.6)
    cfn.delete_stack(StackName="PorterRole")
    [stack] = cfn.describe_stacks(StackName="PorterRole")["Stacks"]
    assert stack["StackStatus"] == "DELETE_IN_PROGRESS" and "StackStatusReason" not in stack
    assert _story(cfn, "PorterRole")[:2] == [("PorterManagerRole", "DELETE_IN_PROGRESS"),
                                             ("PorterRole", "DELETE_IN_PROGRESS")]
    time.sleep(0.7)
    assert cfn.describe_stacks(StackName="PorterRole")["Stacks"][0]["StackStatus"] == "DELETE_FAILED"


async def test_the_teardown_screen_shows_the_failure_and_offers_to_delete_again(role, make_ctx):
    state = cluster_state("aws.teardown")
    state.aws.teardown_status = "done"
    role.front.stack_delete_fails("PorterRole")
    ctx = make_ctx(state, force=True)  # no confirmation modal: the failure is what is tested
    async with WizardApp(ctx).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "delete-stack")
        assert text_of(pilot, "#teardown-status") == "The PorterRole stack was not deleted."
        shown = text_of(pilot, "#error")
        assert "The stack could not be deleted" in shown and "PorterManagerRole (AWS::IAM::Role)" in shown
        assert "Cannot delete entity, must detach all policies first." in shown
        # The way to try again is a button the screen shows, and the error names it (not the
        # Grant step's Retry, which RoleStack's own advice names).
        assert shown_buttons(pilot) == {"delete-stack", "done"}
        label = str(pilot.app.screen.query_one("#delete-stack", Button).label)
        assert label == "Delete the PorterRole stack…"
        assert shown.endswith("What to do: Delete what blocks it in the CloudFormation console (named above), "
                              "then press Delete the PorterRole stack again.")
        await press(pilot, "delete-stack")
        assert "Porter has no access" in text_of(pilot, "#teardown-status")
    with pytest.raises(ClientError, match="does not exist"):
        _cfn().describe_stacks(StackName="PorterRole")
    assert ctx.state.aws.role_arn == ""
