"""AwsFront against a real moto server, driven by real boto3 clients."""

from __future__ import annotations

import json
import logging
import os
import time
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone

import boto3
import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError
from moto.server import ThreadedMotoServer

from wizard.sandbox.aws_front import AwsFront

ACCOUNT = "123456789012"

NAMED_ROLE_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Prefix:
    Type: String
    Default: porter
Resources:
  ManagerRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !Sub "${Prefix}-manager"
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              AWS: !Sub "arn:aws:iam::${AWS::AccountId}:root"
            Action: sts:AssumeRole
      Tags:
        - Key: prefix
          Value: !Ref Prefix
Outputs:
  RoleArn:
    Value: !GetAtt ManagerRole.Arn
"""

UNNAMED_ROLE_TEMPLATE = json.dumps({
    "Resources": {
        "Role": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                   "Action": "sts:AssumeRole"}],
                }
            },
        }
    }
})


def _trust(condition: dict | None = None) -> str:
    statement = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


@pytest.fixture(scope="module")
def moto_url():
    # werkzeug logs every request on stderr; the tests want a quiet run.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="module")
def front(moto_url):
    with AwsFront(moto_url) as f:
        yield f


@pytest.fixture(autouse=True)
def _fresh(moto_url, front):
    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST"), timeout=10).read()
    front.clear()
    front.reset_log()
    yield
    front.clear()


def client(front: AwsFront, service: str, attempts: int = 1):
    # A private botocore session so AWS_PROFILE / ~/.aws of whoever runs the tests cannot interfere.
    core = botocore.session.Session(session_vars={
        "profile": (None, None, None, None),
        "config_file": (None, None, os.devnull, None),
        "credentials_file": (None, None, os.devnull, None),
    })
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1", botocore_session=core
    )
    # botocore's "max_attempts" counts retries after the first call; total_max_attempts counts all calls.
    config = Config(retries={"total_max_attempts": attempts, "mode": "standard"}, connect_timeout=5, read_timeout=20)
    return session.client(service, endpoint_url=front.url, config=config)


def _code(exc_info: pytest.ExceptionInfo[ClientError]) -> str:
    return exc_info.value.response["Error"]["Code"]


def test_named_iam_stack_needs_capability_named_iam(front):
    cfn = client(front, "cloudformation")
    for caps in ([], ["CAPABILITY_IAM"]):
        with pytest.raises(ClientError) as err:
            cfn.create_stack(StackName="porter", TemplateBody=NAMED_ROLE_TEMPLATE, Capabilities=caps)
        assert _code(err) == "InsufficientCapabilitiesException"
        assert err.value.response["Error"]["Message"] == "Requires capabilities : [CAPABILITY_NAMED_IAM]"
        assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # The refused calls must not have reached moto.
    with pytest.raises(ClientError) as err:
        cfn.describe_stacks(StackName="porter")
    assert _code(err) == "ValidationError"

    cfn.create_stack(StackName="porter", TemplateBody=NAMED_ROLE_TEMPLATE, Capabilities=["CAPABILITY_NAMED_IAM"])
    cfn.get_waiter("stack_create_complete").wait(StackName="porter", WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    stack = cfn.describe_stacks(StackName="porter")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert client(front, "iam").get_role(RoleName="porter-manager")["Role"]["RoleName"] == "porter-manager"

    # Updates are checked the same way as creates.
    with pytest.raises(ClientError) as err:
        cfn.update_stack(StackName="porter", TemplateBody=NAMED_ROLE_TEMPLATE.replace("porter", "porter2"))
    assert _code(err) == "InsufficientCapabilitiesException"


def test_unnamed_iam_stack_needs_capability_iam(front):
    cfn = client(front, "cloudformation")
    with pytest.raises(ClientError) as err:
        cfn.create_stack(StackName="anon", TemplateBody=UNNAMED_ROLE_TEMPLATE)
    assert err.value.response["Error"]["Message"] == "Requires capabilities : [CAPABILITY_IAM]"
    cfn.create_stack(StackName="anon", TemplateBody=UNNAMED_ROLE_TEMPLATE, Capabilities=["CAPABILITY_IAM"])
    assert cfn.describe_stacks(StackName="anon")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"


def test_assume_role_enforces_external_id(front):
    iam, sts = client(front, "iam"), client(front, "sts")
    guarded = iam.create_role(
        RoleName="porter-guarded", AssumeRolePolicyDocument=_trust({"StringEquals": {"sts:ExternalId": "abc-123"}})
    )["Role"]["Arn"]
    open_arn = iam.create_role(RoleName="porter-open", AssumeRolePolicyDocument=_trust())["Role"]["Arn"]

    for extra in ({"ExternalId": "wrong-1"}, {}):
        with pytest.raises(ClientError) as err:
            sts.assume_role(RoleArn=guarded, RoleSessionName="wizard", **extra)
        assert _code(err) == "AccessDenied"
        assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        assert err.value.response["Error"]["Message"].endswith(f"sts:AssumeRole on resource: {guarded}")

    creds = sts.assume_role(RoleArn=guarded, RoleSessionName="wizard", ExternalId="abc-123")["Credentials"]
    assert creds["AccessKeyId"] and creds["SecretAccessKey"] and creds["SessionToken"]
    assert sts.assume_role(RoleArn=open_arn, RoleSessionName="wizard")["Credentials"]["AccessKeyId"]

    with pytest.raises(ClientError) as err:
        sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/does-not-exist", RoleSessionName="wizard")
    assert _code(err) == "AccessDenied"


def test_injected_query_fault_then_recovery(front):
    sts = client(front, "sts")
    front.inject("sts", "GetCallerIdentity", code="Throttling", message="Rate exceeded", times=2)
    for _ in range(2):
        with pytest.raises(ClientError) as err:
            sts.get_caller_identity()
        assert _code(err) == "Throttling"
        assert err.value.response["Error"]["Message"] == "Rate exceeded"
    assert sts.get_caller_identity()["Account"] == ACCOUNT
    assert front.requests == [("sts", "GetCallerIdentity")] * 3


def test_injected_throttling_is_retried_by_botocore(front):
    # Proves the error is shaped so botocore recognises it as throttling, not just as "an error".
    front.inject("sts", "*", code="Throttling", message="Rate exceeded", retry_after=1)
    assert client(front, "sts", attempts=2).get_caller_identity()["Account"] == ACCOUNT
    assert front.requests == [("sts", "GetCallerIdentity")] * 2


@pytest.mark.parametrize(
    ("service", "signing_name", "call", "kwargs", "body_start"),
    [
        ("service-quotas", "servicequotas", "get_service_quota", {"ServiceCode": "ec2", "QuotaCode": "L-1216C47A"},
         b'{"__type": "TooManyRequestsException"'),
        ("ec2", "ec2", "describe_vpcs", {}, b"<Response><Errors><Error><Code>"),
        ("cloudformation", "cloudformation", "list_stacks", {},
         b'<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">'),
        ("eks", "eks", "list_clusters", {}, b"{"),
        ("s3", "s3", "list_buckets", {}, b"<Error><Code>"),
        # CloudWatch left the query protocol; botocore now speaks JSON to it.
        ("cloudwatch", "monitoring", "list_metrics", {}, b'{"__type": "TooManyRequestsException"'),
    ],
)
def test_injected_fault_speaks_each_protocol(front, service, signing_name, call, kwargs, body_start):
    front.inject(signing_name, "*", code="TooManyRequestsException", message="slow down", status=429)
    api = client(front, service)
    raw: list[bytes] = []
    # botocore parsers are lenient about shapes, so also check the wire body itself.
    api.meta.events.register("after-call", lambda http_response, **_: raw.append(http_response.content))
    with pytest.raises(ClientError) as err:
        getattr(api, call)(**kwargs)
    assert raw and raw[0].startswith(body_start)
    assert _code(err) == "TooManyRequestsException"
    assert err.value.response["Error"]["Message"] == "slow down"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429


def test_latency_slows_matching_calls(front):
    sts = client(front, "sts")
    front.latency("sts", "*", 0.3)
    started = time.monotonic()
    sts.get_caller_identity()
    assert time.monotonic() - started >= 0.3


def test_connection_reset_fault_drops_the_connection(front, capfd):
    sts = client(front, "sts")
    front.inject("sts", "GetCallerIdentity", code="ConnectionReset", message="")
    # botocore classifies a connection closed mid-request as ConnectionClosedError
    # (an HTTPClientError), not as botocore.exceptions.ConnectionError.
    with pytest.raises(ConnectionClosedError):
        sts.get_caller_identity()
    assert sts.get_caller_identity()["Account"] == ACCOUNT
    assert capfd.readouterr() == ("", "")


def test_forwarding_keeps_moto_behaviour(front):
    ec2 = client(front, "ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    described = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"]
    assert [(v["VpcId"], v["CidrBlock"]) for v in described] == [(vpc_id, "10.42.0.0/16")]
    assert ("ec2", "CreateVpc") in front.requests

    # moto's reset endpoint passes through the front as well.
    urllib.request.urlopen(urllib.request.Request(f"{front.url}/moto-api/reset", method="POST"), timeout=10).read()
    with pytest.raises(ClientError) as err:
        ec2.describe_vpcs(VpcIds=[vpc_id])
    assert _code(err) == "InvalidVpcID.NotFound"


@pytest.mark.parametrize(
    ("condition", "external_id", "allowed"),
    [
        ({"StringLike": {"sts:ExternalId": "porter-*"}}, "porter-42", True),
        ({"StringLike": {"sts:ExternalId": "porter-*"}}, "other-42", False),
        ({"StringEquals": {"STS:externalid": ["a", "b"]}}, "b", True),  # keys are case-insensitive
        ({"StringEquals": {"sts:ExternalId": ["a", "b"]}}, None, False),
        ({"StringEquals": {"aws:PrincipalAccount": ACCOUNT}}, None, True),  # no ExternalId condition at all
    ],
)
def test_external_id_condition_variants(condition, external_id, allowed):
    from wizard.sandbox.aws_wire import external_id_allowed, policy_document

    # moto's raw wire form of a trust policy is URL-encoded JSON.
    document = policy_document(urllib.parse.quote(_trust(condition)))
    assert external_id_allowed(document, external_id) is allowed


def test_iam_resource_detection():
    from wizard.sandbox.aws_wire import iam_resources

    assert iam_resources(NAMED_ROLE_TEMPLATE) == (True, True)
    assert iam_resources(UNNAMED_ROLE_TEMPLATE) == (True, False)
    # A RolePolicy's RoleName points at another role; it does not name a new one.
    assert iam_resources("Resources:\n  P:\n    Type: AWS::IAM::RolePolicy\n    Properties:\n      RoleName: x\n") == (
        True, False)
    # Not valid YAML (tab indentation): the text scan still notices the named role.
    broken = "Resources:\n\tR:\n\t\tType: AWS::IAM::Role\n\t\tProperties:\n\t\t\tRoleName: porter\n"
    assert iam_resources(broken) == (True, True)


# --- scripted stack outcomes ------------------------------------------------------

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
