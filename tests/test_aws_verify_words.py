"""The role check (wizard/aws/verify.py) word for word, as the user reads it: the RoleCheck of a
good role, each refusal's (title, what, next step, code) for an ARN that is not a role, a trust
policy that lets others in or wants another ExternalId, a missing policy, actions the simulator
denies (six named, then "and N more") or leaves out; how a young role is retried while IAM
propagates (notices, waits, when it stops) and what a missing role is called afterwards; and what
is said when the user's own identity may not read the role, or AWS refuses for another reason."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import boto3
import pytest

from wizard.aws import verify
from wizard.aws.porter_link import PLATFORM_PRINCIPAL
from wizard.errors import CloudError

from . import test_aws_verify
from .test_aws_verify import ADMIN, ROLE_ARN, _refused, _role, _trust

session = test_aws_verify.session  # the fixture: a profile session on the sandbox

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
PROPAGATING = "IAM is still propagating the new role"
READ_ROLE = ("Reading the role needs iam:GetRole, iam:ListAttachedRolePolicies and "
             "iam:SimulatePrincipalPolicy: use credentials that have them (or ask your AWS "
             "administrator), then press “Retry”.")
REMOVE_DENY = ("Remove what denies them (a Deny statement in one of the role's policies, or a "
               "permissions boundary) in the IAM console, then press “Retry”.")


def words(error: CloudError) -> tuple[str, str, str, str]:
    return (error.title, error.what, error.next_step, error.code)


def denied(session, deny: list[str]) -> str:
    error = _refused(session, _role(_trust(PLATFORM_PRINCIPAL), ADMIN, deny=deny))
    assert (error.title, error.next_step, error.code) == (
        "The role may not do everything Porter needs", REMOVE_DENY, "ActionsDenied")
    return error.what


def test_a_good_role_is_reported_field_by_field_and_every_action_is_simulated(session):
    asked = []
    session.events.register("provide-client-params.iam.SimulatePrincipalPolicy",
                            lambda params, **kw: asked.append(params["ActionNames"]))
    role_arn = _role(_trust(PLATFORM_PRINCIPAL), ADMIN)
    checked = verify.verify_role(session, role_arn, "porter-x")
    assert checked == verify.RoleCheck(role_arn, PLATFORM_PRINCIPAL, "porter-x", ("AdministratorAccess",), 17)
    assert asked == [list(verify.REQUIRED_ACTIONS)]


def test_a_role_under_a_path_is_read_by_its_name(session):
    iam = boto3.client("iam")
    iam.create_role(RoleName="porter-manager", Path="/porter/",
                    AssumeRolePolicyDocument=json.dumps(_trust(PLATFORM_PRINCIPAL)))
    iam.attach_role_policy(RoleName="porter-manager", PolicyArn=ADMIN)
    arn = "arn:aws:iam::123456789012:role/porter/porter-manager"
    assert verify.verify_role(session, arn, "porter-x").role_arn == arn


@pytest.mark.parametrize("arn, shown", [("", "nothing"), ("arn:aws:iam::123456789012:user/dev",
                                                          "arn:aws:iam::123456789012:user/dev")])
def test_what_is_not_a_role_arn_is_named(session, arn, shown):
    assert words(_refused(session, arn)) == (
        "No role to check", f"“{shown}” is not an IAM role ARN.",
        "Press “Back to the stack” to create the stack or pick it up again.", "NoRole")


def test_a_trust_policy_letting_others_in_says_who_and_which_button(session):
    other = "arn:aws:iam::210987654321:role/someone-else"
    role_arn = _role(_trust(PLATFORM_PRINCIPAL, other), ADMIN)
    assert words(_refused(session, role_arn)) == (
        "The role trusts more than Porter",
        f"The trust policy of {role_arn} also lets {other} assume it. With AdministratorAccess "
        "attached, any of them that learns the ExternalId becomes administrator of this account.",
        "Press “Back to the stack”, then “Update it…”: the stack is rebuilt from the template, which "
        "trusts Porter alone with this project's ExternalId. Then the wizard checks again.", "TrustTooWide")


def test_another_external_id_offers_update_or_reuse(session):
    role_arn = _role(_trust(PLATFORM_PRINCIPAL, external_id="porter-theirs"), ADMIN)
    assert words(_refused(session, role_arn, "porter-ours")) == (
        "The role expects another ExternalId",
        f"The trust policy of {role_arn} requires the ExternalId porter-theirs; this project's is "
        "porter-ours. Porter presents this project's, so AWS would refuse it.",
        "Press “Back to the stack”: there, “Update it…” puts this project's ExternalId in the role "
        "(after you confirm), and “Reuse it” adopts the stack's own. Porter must hold the same "
        "ExternalId.", "ExternalIdMismatch")


@pytest.mark.parametrize("attached, listed", [((), "nothing"), (
    ("arn:aws:iam::aws:policy/IAMReadOnlyAccess", "arn:aws:iam::aws:policy/ReadOnlyAccess"),
    "IAMReadOnlyAccess, ReadOnlyAccess")])
def test_a_missing_policy_names_what_is_attached(session, attached, listed):
    role_arn = _role(_trust(PLATFORM_PRINCIPAL), *attached)
    assert words(_refused(session, role_arn)) == (
        "A policy is missing from the role",
        f"{role_arn} lacks AdministratorAccess, which Porter needs to build the cluster (attached: {listed}).",
        "Press “Back to the stack” and update it, or attach the policy to the role in the IAM console; "
        "then press “Retry”.", "PolicyMissing")


def test_six_denied_actions_are_all_named(session):
    assert denied(session, ["eks:*", "iam:*"]) == (
        f"IAM's policy simulator denies 6 of 17 actions for {ROLE_ARN}: "
        + "; ".join(f"{a} (denied by a Deny statement)" for a in (
            "eks:CreateCluster", "eks:CreateNodegroup", "eks:DeleteCluster", "iam:CreateRole",
            "iam:AttachRolePolicy", "iam:PassRole")) + ".")


def test_past_six_denied_actions_the_rest_are_counted(session):
    assert denied(session, ["eks:*", "iam:*", "elasticloadbalancing:*"]) == (
        f"IAM's policy simulator denies 7 of 17 actions for {ROLE_ARN}: "
        + "; ".join(f"{a} (denied by a Deny statement)" for a in (
            "elasticloadbalancing:CreateLoadBalancer", "eks:CreateCluster", "eks:CreateNodegroup",
            "eks:DeleteCluster", "iam:CreateRole", "iam:AttachRolePolicy")) + " and 1 more.")


def test_an_action_the_simulator_leaves_out_is_not_allowed(session):
    def drop(parsed, **kw):
        parsed["EvaluationResults"] = [r for r in parsed["EvaluationResults"]
                                       if r["EvalActionName"] != "ec2:CreateVpc"]
    session.events.register("after-call.iam.SimulatePrincipalPolicy", drop)
    assert denied(session, []) == (f"IAM's policy simulator denies 1 of 17 actions for {ROLE_ARN}: "
                                   "ec2:CreateVpc (no policy allows it).")


def _missing_role(session, aws, **options) -> tuple[CloudError, list, list]:
    aws.front.inject("iam", "GetRole", code="NoSuchEntity", message="gone", status=404, times=10)
    notices, waits = [], []
    with pytest.raises(CloudError) as caught:
        verify.verify_role(session, ROLE_ARN, "porter-x", on_retry=notices.append, sleep=waits.append,
                           now=lambda: NOW, **options)
    return caught.value, notices, waits


def test_a_young_role_is_retried_five_times_then_called_missing(session, aws):
    error, notices, waits = _missing_role(session, aws, role_changed_at=NOW - timedelta(seconds=119))
    assert notices == [verify.RetryNotice(n, 6, w, PROPAGATING) for n, w in zip(range(2, 7), (2, 4, 8, 15, 20))]
    assert waits == [2, 4, 8, 15, 20]
    assert words(error) == (
        "The role is missing",
        f"The stack exists, but IAM has no role {ROLE_ARN} (it was deleted outside CloudFormation).",
        "Delete the stack in the CloudFormation console, then press “Back to the stack” to create it again.",
        "NoSuchEntity")


def test_a_role_two_minutes_old_is_not_retried_and_its_gone_stack_is_named(session, aws):
    error, notices, waits = _missing_role(session, aws, role_changed_at=NOW - timedelta(seconds=120),
                                          stack_exists=lambda: False)
    assert (notices, waits) == ([], [])
    assert words(error) == (
        "The role is gone",
        f"IAM has no role {ROLE_ARN}, and the stack that created it no longer exists (someone deleted "
        "it; in sandbox mode, each launch starts with an empty account).",
        "Press “Back to the stack” to create it again.", "StackGone")


def test_cancelling_stops_the_retries(session, aws):
    error, notices, waits = _missing_role(session, aws, role_changed_at=NOW, cancelled=lambda: True)
    assert (notices, waits, error.code) == ([], [], "NoSuchEntity")


@pytest.mark.parametrize("action, code, doing", [
    ("GetRole", "AccessDenied", "read the Porter role (iam:GetRole)"),
    ("ListAttachedRolePolicies", "AccessDeniedException",
     "list the Porter role's policies (iam:ListAttachedRolePolicies)"),
    ("SimulatePrincipalPolicy", "AccessDenied",
     "ask IAM's policy simulator about the Porter role (iam:SimulatePrincipalPolicy)")])
def test_when_the_user_may_not_read_the_role_the_call_and_permissions_are_named(session, aws, action,
                                                                                  code, doing):
    role_arn = _role(_trust(PLATFORM_PRINCIPAL), ADMIN)
    aws.front.inject("iam", action, code=code, message="not you", status=403)
    assert words(_refused(session, role_arn)) == (
        "AWS denied access", f"Your identity is not allowed to {doing}. AWS said: not you", READ_ROLE, code)


def test_a_brief_throttle_is_absorbed(session, aws, monkeypatch):
    import botocore.retries.standard

    monkeypatch.setattr(botocore.retries.standard.ExponentialBackoff, "delay_amount", lambda self, context: 0)
    role_arn = _role(_trust(PLATFORM_PRINCIPAL), ADMIN)
    aws.front.reset_log()
    aws.front.inject("iam", "GetRole", code="RequestLimitExceeded", message="slow down", times=2)
    assert verify.verify_role(session, role_arn, "porter-x").role_arn == role_arn
    assert aws.front.requests.count(("iam", "GetRole")) == 3


def test_another_refusal_is_passed_on_as_aws_said_it(session, aws):
    role_arn = _role(_trust(PLATFORM_PRINCIPAL), ADMIN)
    aws.front.inject("iam", "GetRole", code="InvalidInput", message="bad name", status=400)
    assert words(_refused(session, role_arn)) == (
        "AWS could not read the Porter role (iam:GetRole)", "InvalidInput. AWS said: bad name",
        "Fix what AWS names above and press Retry; if it persists, send the log to support.",
        "InvalidInput")
