"""Verification without assuming the role: trust policy, attached policies and IAM's policy
simulator, read with the user's own credentials through the sandbox's front."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import boto3
import pytest

from wizard.aws import role_stack as rs
from wizard.aws import verify
from wizard.aws.session import CredentialSource, make_session
from wizard.aws.trust import trust_problem
from wizard.errors import CloudError
from wizard.secret_store import SecretStore

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
ROLE_ARN = "arn:aws:iam::123456789012:role/porter-manager"


@pytest.fixture
def session(aws, keyring_backend):
    return make_session(CredentialSource("profile", "default"), SecretStore(keyring_backend))


def no_wait(_seconds: float) -> None:
    pass


def _stack(session, external_id: str) -> str:
    stack = rs.RoleStack(session, "us-east-1")
    stack.create(external_id)
    return stack.watch(lambda e: None, cancelled=lambda: False, sleep=no_wait).role_arn


def _trust(*principals: str, external_id: str | None = "porter-x") -> dict:
    statement = {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": list(principals)}}
    if external_id:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return {"Version": "2012-10-17", "Statement": [statement]}


def _role(trust: dict, *policies: str, deny: str = "") -> str:
    iam = boto3.client("iam")
    arn = iam.create_role(RoleName="porter-manager", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    for policy in policies:
        iam.attach_role_policy(RoleName="porter-manager", PolicyArn=policy)
    if deny:
        iam.put_role_policy(RoleName="porter-manager", PolicyName="guard", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": deny, "Resource": "*"}]}))
    return arn


def _refused(session, role_arn: str, external_id: str = "porter-x", **kwargs) -> CloudError:
    with pytest.raises(CloudError) as caught:
        verify.verify_role(session, role_arn, external_id, sleep=no_wait, **kwargs)
    assert caught.value.next_step and "Traceback" not in caught.value.what
    return caught.value


def test_a_good_role_passes_and_says_what_was_checked(session, aws):
    role_arn = _stack(session, "porter-good")
    aws.front.reset_log()
    checked = verify.verify_role(session, role_arn, "porter-good")
    assert checked.trusted == rs.PLATFORM_PRINCIPAL and checked.policies == ("AdministratorAccess",)
    assert checked.actions_allowed == len(verify.REQUIRED_ACTIONS)
    assert {"ec2:CreateVpc", "eks:CreateCluster", "iam:PassRole",
            "servicequotas:RequestServiceQuotaIncrease"} <= set(verify.REQUIRED_ACTIONS)
    # Read, never assumed: nothing in the account trusts the wizard's own identity.
    assert ("sts", "AssumeRole") not in aws.front.requests
    assert ("iam", "SimulatePrincipalPolicy") in aws.front.requests


def test_a_role_trusting_the_account_root_is_a_security_problem(session):
    # What the wizard's older template made by default (TrustThisAccount="true").
    role_arn = _role(_trust(rs.PLATFORM_PRINCIPAL, "arn:aws:iam::123456789012:root"), ADMIN)
    error = _refused(session, role_arn)
    assert error.code == "TrustTooWide" and error.title == "The role trusts more than Porter"
    assert "every identity of account 123456789012" in error.what and "administrator" in error.what
    assert "Back to the stack" in error.next_step and "Update it" in error.next_step


def test_a_wildcard_principal_is_a_security_problem(session):
    error = _refused(session, _role(_trust(rs.PLATFORM_PRINCIPAL, "*"), ADMIN))
    assert error.code == "TrustTooWide" and "anyone at all" in error.what


def test_a_wrong_external_id_is_named_with_both_values(session):
    role_arn = _stack(session, "porter-in-the-stack")
    error = _refused(session, role_arn, "porter-of-this-project")
    assert error.code == "ExternalIdMismatch"
    assert "porter-in-the-stack" in error.what and "porter-of-this-project" in error.what
    assert "Update it" in error.next_step and "Reuse it" in error.next_step


def test_a_role_that_does_not_trust_porter(session):
    error = _refused(session, _role(_trust("arn:aws:iam::210987654321:role/someone-else"), ADMIN))
    assert error.code == "TrustTooWide"  # another principal is named: that is the first problem
    assert "arn:aws:iam::210987654321:role/someone-else" in error.what
    document = {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                               "Principal": {"Service": "eks.amazonaws.com"}}]}
    assert trust_problem(document, "porter-x")[0] == "The role does not trust Porter"


def test_a_missing_policy(session):
    error = _refused(session, _role(_trust(rs.PLATFORM_PRINCIPAL)))
    assert error.code == "PolicyMissing" and "AdministratorAccess" in error.what
    assert "Back to the stack" in error.next_step and "Retry" in error.next_step


def test_a_simulated_deny_names_the_actions(session):
    error = _refused(session, _role(_trust(rs.PLATFORM_PRINCIPAL), ADMIN, deny="ec2:CreateNat*"))
    assert error.code == "ActionsDenied"
    assert "1 of" in error.what and "ec2:CreateNatGateway (denied by a Deny statement)" in error.what
    assert "Retry" in error.next_step


def test_trust_problems_in_policies_moto_never_makes():
    ours = _trust(rs.PLATFORM_PRINCIPAL)
    assert trust_problem(ours, "porter-x") is None
    assert trust_problem(_trust(rs.PLATFORM_PRINCIPAL, external_id=None), "porter-x")[2] == "NoExternalId"
    assert trust_problem({"Statement": [{"Effect": "Allow", "Action": "*", "Principal": "*"}]}, "x")[2] == "TrustTooWide"
    services = {"Statement": [ours["Statement"][0], {"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"Service": ["ec2.amazonaws.com"]}}]}
    assert trust_problem(services, "porter-x") is None  # as Porter's own template (ec2/eks services)
    pattern = _trust(rs.PLATFORM_PRINCIPAL)
    pattern["Statement"][0]["Condition"] = {"StringLike": {"sts:ExternalId": "porter-*"}}
    assert trust_problem(pattern, "porter-x")[2] == "ExternalIdMismatch"


def test_a_new_role_is_retried_while_iam_propagates(session, aws):
    role_arn = _stack(session, "porter-young")
    aws.front.inject("iam", "GetRole", code="NoSuchEntity", message="not yet", status=404, times=2)
    notices = []
    checked = verify.verify_role(session, role_arn, "porter-young", on_retry=notices.append, sleep=no_wait,
                                 role_changed_at=datetime.now(timezone.utc))
    assert checked.role_arn == role_arn
    assert [n.attempt for n in notices] == [2, 3] and "propagating" in notices[0].reason


def test_an_old_missing_role_is_not_retried_and_says_why(session, aws):
    aws.front.inject("iam", "GetRole", code="NoSuchEntity", message="gone", status=404, times=10)
    notices = []
    old = datetime.now(timezone.utc) - timedelta(hours=1)
    gone = _refused(session, ROLE_ARN, on_retry=notices.append, role_changed_at=old, stack_exists=lambda: False)
    assert gone.code == "StackGone" and "create it again" in gone.next_step and notices == []
    missing = _refused(session, ROLE_ARN, role_changed_at=old)
    assert missing.code == "NoSuchEntity" and "CloudFormation console" in missing.next_step


def test_when_the_user_may_not_read_the_role_the_permissions_are_named(session, aws):
    role_arn = _stack(session, "porter-x")
    aws.front.inject("iam", "SimulatePrincipalPolicy", code="AccessDenied", status=403,
                     message="User: arn:aws:iam::123456789012:user/dev is not authorized to perform: "
                             "iam:SimulatePrincipalPolicy")
    error = _refused(session, role_arn)
    assert error.code == "AccessDenied" and "iam:SimulatePrincipalPolicy" in error.what
    assert "iam:GetRole" in error.next_step and "Retry" in error.next_step
