"""The PorterRole stack and AssumeRole verification, with boto3 against moto behind the front."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import boto3
import pytest

from assets import read_text
from wizard.aws import role_stack as rs
from wizard.aws import verify
from wizard.aws.session import CredentialSource, caller_identity, make_session
from wizard.errors import CloudError
from wizard.secret_store import SecretStore


@pytest.fixture
def session(aws, keyring_backend):
    return make_session(CredentialSource("profile", "default"), SecretStore(keyring_backend))


def no_wait(_seconds: float) -> None:
    pass


def test_template_trusts_the_platform_principal_with_the_external_id():
    body = read_text(rs.TEMPLATE_ASSET)
    assert f"Default: {rs.PLATFORM_PRINCIPAL}" in body
    assert "sts:ExternalId: !Ref ExternalId" in body
    assert rs.new_external_id() != rs.new_external_id()


def test_create_watch_and_describe(session):
    stack = rs.RoleStack(session, "us-east-1")
    assert stack.describe() is None
    stack.create("porter-abc123")
    seen = []
    info = stack.watch(seen.append, cancelled=lambda: False, sleep=no_wait)
    assert info.status == "CREATE_COMPLETE" and info.usable
    assert info.role_arn == "arn:aws:iam::123456789012:role/porter-manager"
    assert info.parameters["ExternalId"] == "porter-abc123"
    assert [e.status for e in seen][-1] == "CREATE_COMPLETE"
    assert stack.template_matches()


def test_role_requires_the_external_id(session):
    stack = rs.RoleStack(session, "us-east-1")
    stack.create("porter-right")
    role_arn = stack.watch(lambda e: None, cancelled=lambda: False, sleep=no_wait).role_arn
    who = verify.assume_role(session, role_arn, "porter-right")
    assert who.arn.endswith(":assumed-role/porter-manager/porter-wizard-verify")
    with pytest.raises(CloudError) as wrong:
        verify.assume_role(session, role_arn, "porter-wrong")
    assert wrong.value.code == "AccessDenied"
    assert "ExternalId" in wrong.value.what and "Update it" in wrong.value.next_step


def test_new_role_is_retried_while_iam_propagates(session, aws):
    stack = rs.RoleStack(session, "us-east-1")
    stack.create("porter-x1")
    role_arn = stack.watch(lambda e: None, cancelled=lambda: False, sleep=no_wait).role_arn
    aws.front.inject("sts", "AssumeRole", code="AccessDenied", message="not yet", status=403, times=2)
    notices = []
    who = verify.assume_role(session, role_arn, "porter-x1", on_retry=notices.append, sleep=no_wait,
                             role_changed_at=datetime.now(timezone.utc))
    assert who.account == "123456789012"
    assert [n.attempt for n in notices] == [2, 3]
    assert "propagating" in notices[0].reason


def test_old_role_is_not_retried(session, aws):
    stack = rs.RoleStack(session, "us-east-1")
    stack.create("porter-x2")
    role_arn = stack.watch(lambda e: None, cancelled=lambda: False, sleep=no_wait).role_arn
    aws.front.inject("sts", "AssumeRole", code="AccessDenied", message="no", status=403, times=1)
    notices = []
    with pytest.raises(CloudError):
        verify.assume_role(session, role_arn, "porter-x2", on_retry=notices.append, sleep=no_wait,
                           role_changed_at=datetime.now(timezone.utc) - timedelta(hours=1))
    assert notices == []


def test_update_to_a_new_external_id_and_no_change_update(session):
    stack = rs.RoleStack(session, "us-east-1")
    stack.create("porter-old")
    stack.watch(lambda e: None, cancelled=lambda: False, sleep=no_wait)
    stack.update("porter-new")
    info = stack.watch(lambda e: None, cancelled=lambda: False, sleep=no_wait)
    assert info.parameters["ExternalId"] == "porter-new"


def test_create_without_named_iam_capability_is_refused_like_aws(aws):
    cfn = boto3.client("cloudformation", region_name="us-east-1")
    with pytest.raises(Exception) as refused:
        cfn.create_stack(StackName=rs.STACK_NAME, TemplateBody=read_text(rs.TEMPLATE_ASSET),
                         Parameters=[{"ParameterKey": "ExternalId", "ParameterValue": "porter-z"}])
    assert "InsufficientCapabilities" in str(refused.value)


def test_delete_and_wait_removes_the_stack(session):
    stack = rs.RoleStack(session, "us-east-1")
    stack.create("porter-del")
    stack.watch(lambda e: None, cancelled=lambda: False, sleep=no_wait)
    assert stack.delete_and_wait(lambda e: None, cancelled=lambda: False, sleep=no_wait)
    assert stack.describe() is None


@pytest.mark.parametrize("region,partition,host", [
    ("eu-west-1", "aws", "console.aws.amazon.com"),
    ("us-gov-west-1", "aws-us-gov", "console.amazonaws-us-gov.com"),
    ("cn-north-1", "aws-cn", "console.amazonaws.cn"),
])
def test_quick_create_link_fits_the_partition(region, partition, host):
    url = rs.quick_create_url(region, partition, "porter-ext")
    assert url.startswith(f"https://{host}/cloudformation/home?region={region}#/stacks/quickcreate?")
    assert "stackName=PorterRole" in url and "param_ExternalId=porter-ext" in url


def test_failure_reason_names_the_cause_not_the_rollback():
    events = [rs.StackEvent("1", "PorterRole", "AWS::CloudFormation::Stack", "CREATE_IN_PROGRESS", "User Initiated", None),
              rs.StackEvent("2", "PorterManagerRole", "AWS::IAM::Role", "CREATE_FAILED", "porter-manager already exists", None),
              rs.StackEvent("3", "PorterRole", "AWS::CloudFormation::Stack", "ROLLBACK_IN_PROGRESS", "The following resource(s) failed to create: [PorterManagerRole].", None),
              rs.StackEvent("4", "PorterRole", "AWS::CloudFormation::Stack", "ROLLBACK_COMPLETE", "", None)]
    assert rs.failure_reason(events) == "PorterManagerRole (AWS::IAM::Role): porter-manager already exists"


@pytest.mark.parametrize("code,title", [
    ("Throttling", "AWS is throttling requests"),
    ("ExpiredToken", "Your AWS credentials have expired"),
    ("InvalidClientTokenId", "AWS does not recognise these credentials"),
    ("AccessDenied", "AWS denied access"),
])
def test_cloud_errors_become_messages_with_a_next_step(session, aws, code, title):
    aws.front.inject("sts", "GetCallerIdentity", code=code, message="from the test", status=403, times=10)
    with pytest.raises(CloudError) as caught:
        caller_identity(session)
    assert caught.value.title == title and caught.value.code == code
    assert caught.value.next_step


def test_network_down_is_said_plainly(monkeypatch, keyring_backend, aws):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # discard port: nothing listens
    monkeypatch.setattr("wizard.aws.session.client_config", _one_attempt)
    session = make_session(CredentialSource("profile", "default"), SecretStore(keyring_backend))
    with pytest.raises(CloudError) as caught:
        caller_identity(session)
    assert caught.value.title == "Can't reach AWS" and caught.value.retryable


def _one_attempt():
    from botocore.config import Config

    return Config(retries={"max_attempts": 1}, connect_timeout=2)
