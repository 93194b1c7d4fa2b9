"""What the wizard concludes from a PorterRole stack's status and events, and the console links it
gives (issue 18): pure code, no AWS."""
from __future__ import annotations

import pytest

from wizard.aws import role_stack as rs


@pytest.mark.parametrize("status,in_progress,usable,dead", [
    ("CREATE_IN_PROGRESS", True, False, False),
    ("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", True, False, False),
    ("CREATE_COMPLETE", False, True, False),
    ("UPDATE_COMPLETE", False, True, False),
    ("UPDATE_ROLLBACK_COMPLETE", False, True, False),
    ("IMPORT_COMPLETE", False, True, False),
    ("IMPORT_ROLLBACK_COMPLETE", False, True, False),
    ("ROLLBACK_COMPLETE", False, False, True),
    ("ROLLBACK_FAILED", False, False, True),
    ("CREATE_FAILED", False, False, True),
    ("DELETE_FAILED", False, False, True),
    ("UPDATE_ROLLBACK_FAILED", False, False, False),
])
def test_what_a_status_allows(status, in_progress, usable, dead):
    info = rs.StackInfo("id", status)
    assert (info.in_progress, info.usable, info.dead) == (in_progress, usable, dead)


def test_the_role_and_external_id_come_from_outputs_parameters_or_resources():
    role = "arn:aws:iam::123456789012:role/porter-manager"
    assert rs.StackInfo("id", "CREATE_COMPLETE", outputs={"RoleArn": role}, role_from_resources="other").role_arn == role
    assert rs.StackInfo("id", "CREATE_COMPLETE", role_from_resources=role).role_arn == role
    assert rs.StackInfo("id", "CREATE_COMPLETE", outputs={"Other": "x"}).role_arn == ""
    assert rs.StackInfo("id", "CREATE_COMPLETE", parameters={"ExternalIdParameter": "e-1"}).external_id == "e-1"
    assert rs.StackInfo("id", "CREATE_COMPLETE", parameters={"Other": "e-1"}).external_id == ""


def _event(n: int, logical: str, status: str, reason: str = "") -> rs.StackEvent:
    return rs.StackEvent(str(n), logical, "AWS::IAM::Role", status, reason, None)


def test_failure_reason_skips_cancellations_and_falls_back_to_the_status():
    assert [e.failed for e in (_event(1, "R", "CREATE_FAILED"), _event(2, "R", "FAILED_X"))] == [True, False]
    cancelled = _event(1, "Other", "CREATE_FAILED", "Resource creation Cancelled")
    cause = _event(2, "PorterManagerRole", "CREATE_FAILED", "porter-manager already exists")
    assert rs.failure_reason([cancelled, cause]) == "PorterManagerRole (AWS::IAM::Role): porter-manager already exists"
    assert rs.failure_reason([_event(1, "R", "CREATE_COMPLETE", "fine"), cancelled]) == (
        "Other: Resource creation Cancelled")  # only cancellations: the first failure still says something
    assert rs.failure_reason([_event(1, "R", "CREATE_COMPLETE", "fine"), _event(2, "R", "DELETE_FAILED")]) == (
        "R: DELETE_FAILED")
    assert rs.failure_reason([_event(1, "R", "CREATE_COMPLETE", "fine")]) == ""


def test_console_links_name_the_stack_and_the_template(monkeypatch):
    stack_id = "arn:aws-cn:cloudformation:cn-north-1:123456789012:stack/PorterRole/1-2"
    assert rs.stack_console_url("cn-north-1", "aws-cn", stack_id) == (
        "https://console.amazonaws.cn/cloudformation/home?region=cn-north-1#/stacks/stackinfo?stackId="
        "arn%3Aaws-cn%3Acloudformation%3Acn-north-1%3A123456789012%3Astack%2FPorterRole%2F1-2")
    assert rs.template_url() == rs.DEFAULT_TEMPLATE_URL
    monkeypatch.setenv("PORTER_ROLE_TEMPLATE_URL", "https://mirror.example.s3.amazonaws.com/role.json")
    assert "templateURL=https://mirror.example.s3.amazonaws.com/role.json" in rs.quick_create_url(
        "eu-west-1", "aws", "porter-ext")
