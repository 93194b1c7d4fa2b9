"""AwsFront against a real moto server, driven by real boto3 clients."""

from __future__ import annotations

import time
import urllib.parse
import urllib.request

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError


from .aws_front_fixtures import ACCOUNT, NAMED_ROLE_TEMPLATE, UNNAMED_ROLE_TEMPLATE, _code, _fresh, _trust, client, front, moto_url  # noqa: F401 - fixtures


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
