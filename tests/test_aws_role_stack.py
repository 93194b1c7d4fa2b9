"""The PorterRole stack, and who may assume its role, with boto3 against moto behind the front."""
from __future__ import annotations

import json
import time
import uuid

import boto3
import pytest
import yaml
from botocore.exceptions import ClientError

from assets import read_text
from wizard.aws import role_stack as rs
from wizard.aws.porter_link import parse_porter_link
from wizard.aws.session import CredentialSource, caller_identity, make_session
from wizard.errors import CloudError
from wizard.sandbox.aws_front import PLATFORM_ACCESS_KEY_ID
from wizard.secret_store import SecretStore

PORTER_LINK = ("https://console.aws.amazon.com/cloudformation/home?#/stacks/create/review?templateURL="
               "https://porter-role.s3.us-east-2.amazonaws.com/cloudformation-policy.json&stackName=PorterRole"
               "&param_ExternalIdParameter=1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b"
               "&param_TrustArnParameter=arn:aws:iam::108458755588:role/CAPIManagement")


@pytest.fixture
def session(aws, keyring_backend):
    return make_session(CredentialSource("profile", "default"), SecretStore(keyring_backend))


def no_wait(_seconds: float) -> None:
    pass


class _Tags(yaml.SafeLoader):
    pass


_Tags.add_multi_constructor("!", lambda loader, tag, node: {tag: loader.construct_scalar(node)})


def test_template_trusts_only_the_platform_principal_with_the_external_id():
    template = yaml.load(read_text(rs.TEMPLATE_ASSET), Loader=_Tags)  # noqa: S506 - SafeLoader subclass
    params = template["Parameters"]
    assert set(params) == {"ExternalIdParameter", "TrustArnParameter", "RoleName"}  # Porter's names
    assert params["TrustArnParameter"]["Default"] == rs.PLATFORM_PRINCIPAL
    assert params["RoleName"]["Default"] == "porter-manager"  # Porter's target ARN names it
    [statement] = template["Resources"]["PorterManagerRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"AWS": [{"Ref": "TrustArnParameter"}]}  # no account root, ever
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": {"Ref": "ExternalIdParameter"}}}
    assert "TrustThisAccount" not in read_text(rs.TEMPLATE_ASSET) and ":root" not in read_text(rs.TEMPLATE_ASSET)
    made = rs.new_external_id()
    assert str(uuid.UUID(made)) == made and made != rs.new_external_id()  # Porter's uuid4 shape


def test_create_watch_and_describe(session):
    stack = rs.RoleStack(session, "us-east-1")
    assert stack.describe() is None
    stack.create("porter-abc123")
    seen = []
    info = stack.watch(seen.append, cancelled=lambda: False, sleep=no_wait)
    assert info.status == "CREATE_COMPLETE" and info.usable
    assert info.role_arn == "arn:aws:iam::123456789012:role/porter-manager"
    assert info.parameters["ExternalIdParameter"] == info.external_id == "porter-abc123"
    assert [e.status for e in seen][-1] == "CREATE_COMPLETE"
    assert stack.template_matches()


def _created(session, external_id: str) -> str:
    stack = rs.RoleStack(session, "us-east-1")
    stack.create(external_id)
    return stack.watch(lambda e: None, cancelled=lambda: False, sleep=no_wait).role_arn


def _sts(access_key: str):
    return boto3.client("sts", region_name="us-east-1", aws_access_key_id=access_key,
                        aws_secret_access_key="sandbox-not-a-secret")


def test_only_porter_with_the_right_external_id_may_assume_the_role(session):
    role_arn = _created(session, "porter-right")
    # Porter's platform principal (its key in the sandbox) with the right ExternalId: allowed.
    porter = _sts(PLATFORM_ACCESS_KEY_ID).assume_role(RoleArn=role_arn, RoleSessionName="porter",
                                                      ExternalId="porter-right")
    assert porter["AssumedRoleUser"]["Arn"].endswith(":assumed-role/porter-manager/porter")
    # Porter with a wrong ExternalId: refused.
    with pytest.raises(ClientError) as wrong:
        _sts(PLATFORM_ACCESS_KEY_ID).assume_role(RoleArn=role_arn, RoleSessionName="porter",
                                                 ExternalId="porter-wrong")
    assert wrong.value.response["Error"]["Message"] == (
        f"User: {rs.PLATFORM_PRINCIPAL} is not authorized to perform: sts:AssumeRole on resource: {role_arn}")
    # A principal of the account itself, even an administrator who knows the ExternalId: refused.
    with pytest.raises(ClientError) as own:
        session.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="admin", ExternalId="porter-right")
    assert own.value.response["Error"]["Code"] == "AccessDenied"
    assert own.value.response["Error"]["Message"].startswith("User: arn:aws:iam::123456789012:user/")


def test_stack_from_porters_link_creates_the_role_with_porters_external_id(session, aws):
    link = parse_porter_link(PORTER_LINK)
    stack = rs.RoleStack(session, "us-east-1", link.stack_name)
    stack.create(link.external_id, link)
    info = stack.watch(lambda e: None, cancelled=lambda: False, sleep=no_wait)
    assert info.status == "CREATE_COMPLETE" and info.external_id == link.external_id
    assert info.role_arn == "arn:aws:iam::123456789012:role/porter-manager"
    role = boto3.client("iam").get_role(RoleName="porter-manager")["Role"]
    [statement] = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"AWS": [rs.PLATFORM_PRINCIPAL]}
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": link.external_id}}
    attached = boto3.client("iam").list_attached_role_policies(RoleName="porter-manager")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AdministratorAccess"]
    sent = [r for r in aws.front.requests if r == ("cloudformation", "CreateStack")]
    assert len(sent) == 1
    assert _sts(PLATFORM_ACCESS_KEY_ID).assume_role(RoleArn=info.role_arn, RoleSessionName="porter",
                                                    ExternalId=link.external_id)["Credentials"]


def test_update_to_a_new_external_id_and_no_change_update(session, aws):
    stack = rs.RoleStack(session, "us-east-1")
    stack.create("porter-old")
    stack.watch(lambda e: None, cancelled=lambda: False, sleep=no_wait)
    stack.update("porter-new")
    info = stack.watch(lambda e: None, cancelled=lambda: False, sleep=no_wait)
    assert info.external_id == "porter-new"
    # The role follows the stack, as CloudFormation updates it: Porter now needs the new one.
    document = boto3.client("iam").get_role(RoleName="porter-manager")["Role"]["AssumeRolePolicyDocument"]
    assert json.dumps(document).count("porter-new") == 1 and "porter-old" not in json.dumps(document)
    # The same template and ExternalId again: CloudFormation refuses ("No updates are to be
    # performed."), which is not an error to the wizard: the stack is as wanted.
    events = stack.events()
    aws.front.reset_log()
    assert stack.update("porter-new") == info.stack_id
    assert aws.front.requests == [("cloudformation", "UpdateStack"), ("cloudformation", "DescribeStacks")]
    assert stack.events() == events and stack.describe() == info  # nothing happened to the stack


def test_an_update_refused_for_another_reason_is_an_error(session, aws):
    stack = rs.RoleStack(session, "us-east-1")
    with pytest.raises(CloudError) as missing:
        stack.update("porter-x")  # no stack to update: CloudFormation's ValidationError
    assert "does not exist" in missing.value.what


def test_create_without_named_iam_capability_is_refused_like_aws(aws):
    cfn = boto3.client("cloudformation", region_name="us-east-1")
    with pytest.raises(Exception) as refused:
        cfn.create_stack(StackName=rs.STACK_NAME, TemplateBody=read_text(rs.TEMPLATE_ASSET),
                         Parameters=[{"ParameterKey": "ExternalIdParameter", "ParameterValue": "porter-z"}])
    assert "InsufficientCapabilities" in str(refused.value)


def test_delete_and_wait_removes_the_stack(session):
    stack = rs.RoleStack(session, "us-east-1")
    stack.create("porter-del")
    stack.watch(lambda e: None, cancelled=lambda: False, sleep=no_wait)
    assert stack.delete_and_wait(lambda e: None, cancelled=lambda: False, sleep=no_wait)
    assert stack.describe() is None


def test_waiting_ends_when_the_stack_goes_or_the_user_cancels(session, aws):
    stack = rs.RoleStack(session, "us-east-1")
    aws.front.reset_log()
    assert stack.delete_and_wait(lambda e: None, cancelled=lambda: True, sleep=no_wait)  # none: nothing to do
    assert ("cloudformation", "DeleteStack") not in aws.front.requests
    with pytest.raises(CloudError) as gone:
        stack.watch(lambda e: None, cancelled=lambda: False, sleep=no_wait)
    assert gone.value.code == "StackGone"
    naps = []
    polls = iter([False, False, True])
    assert stack.watch(lambda e: None, cancelled=lambda: next(polls), wait_for_stack=True, poll_seconds=7,
                       sleep=naps.append) is None  # the console path: waits for the stack until cancelled
    assert naps == [7, 7]
    stack.create("porter-c")
    seen = []
    assert stack.watch(seen.append, cancelled=lambda: False, sleep=no_wait).usable
    assert len({e.event_id for e in seen}) == len(seen) == len(stack.events())  # each event once
    assert not stack.delete_and_wait(lambda e: None, cancelled=lambda: True, sleep=no_wait)  # cancelled
    assert ("cloudformation", "DeleteStack") in aws.front.requests


def test_the_stack_is_created_tagged_and_a_refused_lookup_is_an_error(session, aws):
    stack = rs.RoleStack(session, "us-east-1")
    stack.create("porter-t")
    [raw] = boto3.client("cloudformation", region_name="us-east-1").describe_stacks(StackName="PorterRole")["Stacks"]
    assert raw["Tags"] == [{"Key": "porter.run/managed-by", "Value": "porter-wizard"}]
    assert stack.describe().last_changed == raw["CreationTime"]
    aws.front.inject("cloudformation", "DescribeStacks", code="AccessDenied", message="no", status=403, times=5)
    with pytest.raises(CloudError) as denied:
        stack.describe()  # not "no stack": the wizard must not create a second one
    assert denied.value.code == "AccessDenied"


def test_without_a_role_output_the_role_is_read_from_the_stacks_resources(session):
    # Porter's own template has no RoleArn output (zarf/cloudformation-policy.json).
    body = read_text(rs.TEMPLATE_ASSET).split("\nOutputs:")[0]
    boto3.client("cloudformation", region_name="us-east-1").create_stack(
        StackName="NoOutputs", TemplateBody=body, Capabilities=["CAPABILITY_NAMED_IAM"],
        Parameters=[{"ParameterKey": "ExternalIdParameter", "ParameterValue": "porter-r"},
                    {"ParameterKey": "RoleName", "ParameterValue": "porter-other"}])
    stack = rs.RoleStack(session, "us-east-1", "NoOutputs")
    info = stack.watch(lambda e: None, cancelled=lambda: False, sleep=no_wait)
    assert info.outputs == {} and info.role_arn == "arn:aws:iam::123456789012:role/porter-other"
    assert rs.RoleStack(session, "us-east-1").describe() is None


def test_a_delete_that_fails_names_what_blocks_it_and_a_retry_deletes(session, aws):
    stack = rs.RoleStack(session, "us-east-1")
    stack.create("porter-abc123")
    # CloudFormation's answer when the role cannot go (see wizard/sandbox/stack_delete.py).
    aws.front.stack_delete_fails("PorterRole", resource="PorterManagerRole", in_progress_seconds=0.2,
                                 reason="Cannot delete entity, must detach all policies first.")
    seen, naps = [], []

    def nap(seconds: float) -> None:
        naps.append(seconds)
        time.sleep(0.05)

    with pytest.raises(CloudError) as refused:
        stack.delete_and_wait(seen.append, cancelled=lambda: False, sleep=nap)
    assert naps and set(naps) == {3.0}  # it waited while the stack was DELETE_IN_PROGRESS
    assert [(e.logical_id, e.status) for e in seen if e.status.startswith("DELETE")] == [
        ("PorterRole", "DELETE_IN_PROGRESS"), ("PorterManagerRole", "DELETE_IN_PROGRESS"),
        ("PorterManagerRole", "DELETE_FAILED"), ("PorterRole", "DELETE_FAILED")]
    assert (refused.value.title, refused.value.code, refused.value.what, refused.value.next_step) == (
        "The stack could not be deleted", "DELETE_FAILED",
        "PorterManagerRole (AWS::IAM::Role): Cannot delete entity, must detach all policies first.",
        "Delete what blocks it in the CloudFormation console (the event above names it), then press Retry.")
    assert stack.describe().status == "DELETE_FAILED" and stack.describe().dead

    assert stack.delete_and_wait(seen.append, cancelled=lambda: False, sleep=nap) is True  # the retry
    assert stack.describe() is None


@pytest.mark.parametrize("region,partition,host", [
    ("eu-west-1", "aws", "console.aws.amazon.com"),
    ("us-gov-west-1", "aws-us-gov", "console.amazonaws-us-gov.com"),
    ("cn-north-1", "aws-cn", "console.amazonaws.cn"),
])
def test_quick_create_link_fits_the_partition_and_has_porters_shape(region, partition, host):
    url = rs.quick_create_url(region, partition, "porter-ext")
    assert url.startswith(f"https://{host}/cloudformation/home?region={region}#/stacks/create/review?")
    assert "templateURL=https://porter-role.s3.us-east-2.amazonaws.com/cloudformation-policy.json" in url
    assert "stackName=PorterRole" in url and "param_ExternalIdParameter=porter-ext" in url
    assert f"param_TrustArnParameter={rs.PLATFORM_PRINCIPAL}" in url
    # The wizard reads its own link as it reads Porter's.
    link = parse_porter_link(url)
    assert (link.external_id, link.region, link.stack_name) == ("porter-ext", region, "PorterRole")


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
