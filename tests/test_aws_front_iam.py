"""The front's IAM: who may assume a role (principals and ExternalId), and IAM's policy simulator,
against a real moto server, driven by real boto3 clients."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from wizard.sandbox.aws_front import PLATFORM_ACCESS_KEY_ID, PLATFORM_PRINCIPAL_ARN

from .aws_front_fixtures import ACCOUNT, _code, _fresh, client, front, moto_url  # noqa: F401 - fixtures


def _role(front, name: str, principal: object, condition: dict | None = None) -> str:
    statement = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    document = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    return client(front, "iam").create_role(RoleName=name, AssumeRolePolicyDocument=document)["Role"]["Arn"]


def _sts_as(front, access_key: str):
    """STS signed with ``access_key``: the front tells callers apart by it."""
    from botocore.config import Config

    from wizard.sandbox.aws_wire import isolated_boto3_session

    return isolated_boto3_session(access_key).client(
        "sts", endpoint_url=front.url, config=Config(retries={"total_max_attempts": 1, "mode": "standard"}))


def _assume(sts, role_arn: str, **extra):
    return sts.assume_role(RoleArn=role_arn, RoleSessionName="test", **extra)


@pytest.mark.parametrize("principal", [
    {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, {"AWS": ACCOUNT}, {"AWS": [f"arn:aws:iam::{ACCOUNT}:user/moto"]},
    {"AWS": "*"}, "*",
])
def test_a_principal_of_the_trusted_account_may_assume(front, principal):
    arn = _role(front, "trusting", principal)
    assert _assume(client(front, "sts"), arn)["Credentials"]["AccessKeyId"]


def test_a_role_trusting_only_porter_refuses_the_account_itself_even_with_the_external_id(front):
    guard = {"StringEquals": {"sts:ExternalId": "abc-123"}}
    arn = _role(front, "porter-only", {"AWS": [PLATFORM_PRINCIPAL_ARN]}, guard)
    with pytest.raises(ClientError) as refused:
        _assume(client(front, "sts"), arn, ExternalId="abc-123")
    assert _code(refused) == "AccessDenied"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    # STS's own words, naming the caller as moto's STS knows it.
    assert refused.value.response["Error"]["Message"] == (
        f"User: arn:aws:iam::{ACCOUNT}:user/moto is not authorized to perform: sts:AssumeRole on resource: {arn}")
    porter = _sts_as(front, PLATFORM_ACCESS_KEY_ID)
    assert _assume(porter, arn, ExternalId="abc-123")["AssumedRoleUser"]["Arn"].endswith("/porter-only/test")
    with pytest.raises(ClientError) as wrong:
        _assume(porter, arn, ExternalId="abc-124")
    assert wrong.value.response["Error"]["Message"].startswith(f"User: {PLATFORM_PRINCIPAL_ARN} is not")


def test_porter_is_refused_by_a_role_that_trusts_only_the_account(front):
    arn = _role(front, "account-only", {"AWS": f"arn:aws:iam::{ACCOUNT}:root"})
    with pytest.raises(ClientError) as refused:
        _assume(_sts_as(front, PLATFORM_ACCESS_KEY_ID), arn)
    assert _code(refused) == "AccessDenied"


def test_another_account_is_not_this_account(front):
    arn = _role(front, "other-account", {"AWS": "arn:aws:iam::210987654321:root"})
    with pytest.raises(ClientError):
        _assume(client(front, "sts"), arn)


def test_a_role_session_matches_its_role(front):
    first = _role(front, "first", {"AWS": ACCOUNT})
    second = _role(front, "second", {"AWS": first})  # trusts the role, so its sessions
    creds = _assume(client(front, "sts"), first)["Credentials"]
    session_sts = _sts_as(front, creds["AccessKeyId"])
    assert _assume(session_sts, second)["Credentials"]["AccessKeyId"]


def test_an_explicit_deny_in_the_trust_policy_wins(front):
    document = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"},
        {"Effect": "Deny", "Principal": {"AWS": ACCOUNT}, "Action": "sts:*"}]})
    arn = client(front, "iam").create_role(RoleName="denied", AssumeRolePolicyDocument=document)["Role"]["Arn"]
    with pytest.raises(ClientError):
        _assume(client(front, "sts"), arn)


# --- SimulatePrincipalPolicy (served by the front: moto lacks it) ---------------------------

def _policy(statements: list[dict]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def test_simulate_principal_policy_evaluates_the_roles_policies(front):
    iam = client(front, "iam")
    arn = _role(front, "worker", {"AWS": ACCOUNT})
    managed = iam.create_policy(PolicyName="build", PolicyDocument=_policy([
        {"Effect": "Allow", "Action": ["ec2:Create*", "eks:*"], "Resource": "*"}]))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="worker", PolicyArn=managed)
    iam.put_role_policy(RoleName="worker", PolicyName="no-nat", PolicyDocument=_policy([
        {"Effect": "Deny", "Action": "ec2:CreateNatGateway", "Resource": "*"}]))
    raw: list[bytes] = []
    iam.meta.events.register("after-call", lambda http_response, **_: raw.append(http_response.content))
    results = iam.simulate_principal_policy(
        PolicySourceArn=arn, ActionNames=["ec2:CreateVpc", "EKS:CreateCluster", "ec2:CreateNatGateway",
                                          "iam:PassRole"])["EvaluationResults"]
    decided = {r["EvalActionName"]: r["EvalDecision"] for r in results}
    assert decided == {"ec2:CreateVpc": "allowed", "EKS:CreateCluster": "allowed",  # actions ignore case
                       "ec2:CreateNatGateway": "explicitDeny", "iam:PassRole": "implicitDeny"}
    matched = {r["EvalActionName"]: r["MatchedStatements"] for r in results}
    assert matched["ec2:CreateVpc"] == [{"SourcePolicyId": "build", "SourcePolicyType": "user-managed"}]
    assert matched["ec2:CreateNatGateway"] == [{"SourcePolicyId": "no-nat", "SourcePolicyType": "role"}]
    assert raw[0].startswith(b'<SimulatePrincipalPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">')
    assert ("iam", "SimulatePrincipalPolicy") in front.requests


def test_simulating_a_missing_role_is_no_such_entity(front):
    with pytest.raises(ClientError) as missing:
        client(front, "iam").simulate_principal_policy(
            PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:role/nobody", ActionNames=["ec2:CreateVpc"])
    assert _code(missing) == "NoSuchEntity"
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
