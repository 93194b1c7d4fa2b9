"""The front's scripted stack outcomes: in progress for a while, or rolled back."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError

from wizard.sandbox.aws_front import AwsFront

from .aws_front_fixtures import ACCOUNT, NAMED_ROLE_TEMPLATE, UNNAMED_ROLE_TEMPLATE, _code, _fresh, _trust, client, front, moto_url  # noqa: F401 - fixtures


PORTER_ROLE_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  ExternalId:
    Type: String
    Default: porter-abc
Resources:
  PorterManagerRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: porter-manager
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              AWS: !Sub "arn:aws:iam::${AWS::AccountId}:root"
            Action: sts:AssumeRole
            Condition:
              StringEquals:
                sts:ExternalId: !Ref ExternalId
Outputs:
  RoleArn:
    Value: !GetAtt PorterManagerRole.Arn
"""
ROLLBACK_WHY = "The following resource(s) failed to create: [PorterManagerRole]. Rollback requested by user."


def _create(cfn, name: str = "porter", role: str = "porter-manager") -> str:
    return cfn.create_stack(StackName=name, TemplateBody=PORTER_ROLE_TEMPLATE.replace("porter-manager", role),
                            Capabilities=["CAPABILITY_NAMED_IAM"])["StackId"]


def _stack(cfn, name: str) -> dict:
    return cfn.describe_stacks(StackName=name)["Stacks"][0]


def _events(cfn, name: str) -> list[dict]:
    # Paginated as the wizard reads them, newest first as CloudFormation lists them.
    return [e for page in cfn.get_paginator("describe_stack_events").paginate(StackName=name)
            for e in page["StackEvents"]]


def _story(events: list[dict]) -> list[tuple[str, str]]:
    return [(e["LogicalResourceId"], e["ResourceStatus"]) for e in events]


def _sleep_until(started: float, seconds: float) -> None:
    time.sleep(max(0.0, started + seconds - time.monotonic()))


def _assert_newest_first(events: list[dict]) -> None:
    stamps = [e["Timestamp"] for e in events]
    assert stamps == sorted(stamps, reverse=True)
    now = datetime.now(timezone.utc)
    assert all(now - timedelta(seconds=60) < t <= now for t in stamps)


def test_scripted_stack_stays_in_progress_then_completes(front):
    cfn = client(front, "cloudformation")
    raw: list[bytes] = []
    cfn.meta.events.register("after-call", lambda http_response, **_: raw.append(http_response.content))
    front.stack_outcome("porter", in_progress_seconds=1.0)
    _create(cfn)
    started = time.monotonic()  # The script's clock starts as CreateStack answers; a cold moto is slow.

    stack = _stack(cfn, "porter")
    assert stack["StackStatus"] == "CREATE_IN_PROGRESS" and "Outputs" not in stack
    first = _events(cfn, "porter")
    if time.monotonic() - started < 0.4:  # Before half-time only the stack's own event exists.
        assert [(e["ResourceStatus"], e.get("ResourceStatusReason")) for e in first] == [
            ("CREATE_IN_PROGRESS", "User Initiated")]
    # Rewritten answers must read like AWS's own XML, not ElementTree's ns0: dialect.
    assert raw[-1].startswith(b'<DescribeStackEventsResponse xmlns="http://cloudformation.amazonaws.com/')

    _sleep_until(started, 0.7)
    middle = _events(cfn, "porter")
    assert _story(middle) == [("PorterManagerRole", "CREATE_IN_PROGRESS"), ("porter", "CREATE_IN_PROGRESS")]
    assert (middle[0]["ResourceType"], middle[0]["PhysicalResourceId"]) == ("AWS::IAM::Role", "")
    assert _stack(cfn, "porter")["StackStatus"] == "CREATE_IN_PROGRESS"
    # The wizard shows each EventId once, so an event must keep its ID from poll to poll.
    assert {e["EventId"] for e in first} <= {e["EventId"] for e in middle}

    _sleep_until(started, 1.2)
    stack = _stack(cfn, "porter")
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert stack["Outputs"] == [{"OutputKey": "RoleArn", "OutputValue": f"arn:aws:iam::{ACCOUNT}:role/porter-manager"}]
    done = _events(cfn, "porter")
    assert _story(done) == [("porter", "CREATE_COMPLETE"), ("PorterManagerRole", "CREATE_COMPLETE"),
                            ("PorterManagerRole", "CREATE_IN_PROGRESS"), ("porter", "CREATE_IN_PROGRESS")]
    assert done[1]["PhysicalResourceId"] == "porter-manager"
    assert {e["EventId"] for e in middle} <= {e["EventId"] for e in done}
    _assert_newest_first(done)


def test_scripted_failure_rolls_back_and_can_be_deleted(front):
    cfn = client(front, "cloudformation")
    front.stack_outcome("porter", in_progress_seconds=0.3, fail_resource="PorterManagerRole",
                        reason="porter-manager already exists")
    stack_id = _create(cfn)
    started = time.monotonic()
    _sleep_until(started, 0.5)

    stack = _stack(cfn, "porter")
    assert (stack["StackStatus"], stack["StackStatusReason"]) == ("ROLLBACK_COMPLETE", ROLLBACK_WHY)
    assert "Outputs" not in stack
    events = _events(cfn, "porter")
    assert _story(events) == [
        ("porter", "ROLLBACK_COMPLETE"), ("PorterManagerRole", "DELETE_COMPLETE"),
        ("porter", "ROLLBACK_IN_PROGRESS"), ("PorterManagerRole", "CREATE_FAILED"),
        ("PorterManagerRole", "CREATE_IN_PROGRESS"), ("porter", "CREATE_IN_PROGRESS")]
    failed = [e for e in events if e["ResourceStatus"] == "CREATE_FAILED"]
    assert [e["ResourceStatusReason"] for e in failed] == ["porter-manager already exists"]
    assert events[2]["ResourceStatusReason"] == ROLLBACK_WHY
    assert all(e["StackId"] == stack_id and e["StackName"] == "porter" for e in events)
    assert len({e["EventId"] for e in events}) == len(events)
    assert [e["ResourceType"] for e in events[1:5:2]] == ["AWS::IAM::Role"] * 2
    _assert_newest_first(events)
    assert len({e["Timestamp"] for e in events}) == len(events)  # strictly, not just non-increasing

    cfn.delete_stack(StackName="porter")
    with pytest.raises(ClientError) as err:
        cfn.describe_stacks(StackName="porter")
    assert _code(err) == "ValidationError" and "does not exist" in err.value.response["Error"]["Message"]

    # times=1 is spent: the retry is moto's plain, instant stack.
    _create(cfn)
    stack = _stack(cfn, "porter")
    assert stack["StackStatus"] == "CREATE_COMPLETE" and stack["Outputs"][0]["OutputKey"] == "RoleArn"


def test_scripted_stack_named_by_its_stack_id(front):
    cfn = client(front, "cloudformation")
    front.stack_outcome("porter", in_progress_seconds=0.4, fail_resource="PorterManagerRole", times=2)
    stack_id = _create(cfn)
    started = time.monotonic()
    assert _stack(cfn, stack_id)["StackStatus"] == "CREATE_IN_PROGRESS"
    assert "CREATE_COMPLETE" not in {e["ResourceStatus"] for e in _events(cfn, stack_id)}

    _sleep_until(started, 0.6)
    assert _stack(cfn, stack_id)["StackStatus"] == "ROLLBACK_COMPLETE"
    failed = [e for e in _events(cfn, stack_id) if e["ResourceStatus"] == "CREATE_FAILED"]
    assert [e["ResourceStatusReason"] for e in failed] == [
        'Resource handler returned message: "porter-manager already exists"']

    cfn.delete_stack(StackName=stack_id)
    # Like CloudFormation, a deleted stack stays readable by ID, and its history stays coherent.
    assert _stack(cfn, stack_id)["StackStatus"] == "DELETE_COMPLETE"
    history = _story(_events(cfn, stack_id))
    assert history[:2] == [("porter", "DELETE_COMPLETE"), ("porter", "DELETE_IN_PROGRESS")]
    assert ("porter", "ROLLBACK_COMPLETE") in history and ("porter", "CREATE_COMPLETE") not in history

    # times=2: the retry is scripted too. Deleted while still creating, its story stops there.
    second_id = _create(cfn)
    started = time.monotonic()
    assert second_id != stack_id
    assert _stack(cfn, second_id)["StackStatus"] == "CREATE_IN_PROGRESS"
    cfn.delete_stack(StackName="porter")
    _sleep_until(started, 0.6)
    history = _story(_events(cfn, second_id))
    assert history[0] == ("porter", "DELETE_COMPLETE")
    assert not {"CREATE_FAILED", "ROLLBACK_COMPLETE", "CREATE_COMPLETE"} & {status for _, status in history}


def test_default_stack_seconds_delays_every_unscripted_stack(moto_url):
    with AwsFront(moto_url, default_stack_seconds=0.5) as slow:
        cfn = client(slow, "cloudformation")
        slow.stack_outcome("failing", fail_resource="PorterManagerRole")
        _create(cfn, "porter")
        started = time.monotonic()
        assert _stack(cfn, "porter")["StackStatus"] == "CREATE_IN_PROGRESS"
        # An explicit script wins over the default: this one fails at once.
        _create(cfn, "failing", role="other")
        time.sleep(0.05)
        assert _stack(cfn, "failing")["StackStatus"] == "ROLLBACK_COMPLETE"
        _sleep_until(started, 0.7)
        assert _stack(cfn, "porter")["StackStatus"] == "CREATE_COMPLETE"


def test_clear_drops_stack_scripts(front):
    cfn = client(front, "cloudformation")
    front.stack_outcome("porter", in_progress_seconds=30.0)
    front.stack_outcome("later", in_progress_seconds=30.0)
    _create(cfn)
    assert _stack(cfn, "porter")["StackStatus"] == "CREATE_IN_PROGRESS"
    front.clear()
    assert _stack(cfn, "porter")["StackStatus"] == "CREATE_COMPLETE"
    _create(cfn, "later", role="other")
    assert _stack(cfn, "later")["StackStatus"] == "CREATE_COMPLETE"
