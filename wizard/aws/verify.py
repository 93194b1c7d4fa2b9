"""Checks that Porter, and only Porter, can use the role: with the user's own credentials.

The wizard cannot assume the role, by design: it trusts Porter's platform identity alone. So it
reads the role instead (iam:GetRole, iam:ListAttachedRolePolicies) and asks IAM's policy simulator
(iam:SimulatePrincipalPolicy) whether the role may do what provisioning needs.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from ..errors import CloudError
from .errors import aws_call
from .porter_link import PLATFORM_PRINCIPAL
from .session import client_config
from .trust import policy_document, trust_problem

if TYPE_CHECKING:
    import boto3

# A role CloudFormation has just created can be missing from IAM's answers for a short while; AWS
# says "a few seconds", in practice under a minute. Retrying past that only delays the real error.
PROPAGATION_WINDOW_S = 120
BACKOFF_S = (2, 4, 8, 15, 20)
#: What the template attaches (as Porter's own template does: zarf/cloudformation-policy.json).
REQUIRED_POLICIES = ("AdministratorAccess",)
#: What provisioning, quota requests and teardown call (wizard/aws/provision_network.py,
#: provision_cluster.py, quotas.py, teardown.py): Porter does the same with the role.
REQUIRED_ACTIONS = (
    "ec2:CreateVpc", "ec2:CreateSubnet", "ec2:CreateInternetGateway", "ec2:CreateRouteTable",
    "ec2:CreateRoute", "ec2:AllocateAddress", "ec2:CreateNatGateway", "ec2:DeleteVpc",
    "elasticloadbalancing:CreateLoadBalancer", "eks:CreateCluster", "eks:CreateNodegroup",
    "eks:DeleteCluster", "iam:CreateRole", "iam:AttachRolePolicy", "iam:PassRole",
    "servicequotas:GetServiceQuota", "servicequotas:RequestServiceQuotaIncrease",
)
_BACK_AND_UPDATE = ("Press “Back to the stack”, then “Update it…”: the stack is rebuilt from the "
                    "template, which trusts Porter alone with this project's ExternalId. Then the "
                    "wizard checks again.")


@dataclass(frozen=True)
class RoleCheck:
    """What was checked, for the screens to show."""
    role_arn: str
    trusted: str
    external_id: str
    policies: tuple[str, ...]
    actions_allowed: int


@dataclass(frozen=True)
class RetryNotice:
    attempt: int
    of: int
    wait_s: float
    reason: str


def verify_role(session: boto3.Session, role_arn: str, external_id: str, **options) -> RoleCheck:
    """What was checked, or a CloudError that says what is wrong and which button fixes it.
    Options: role_changed_at, on_retry, cancelled, stack_exists, sleep, now (see _verify)."""
    try:
        return _verify(session, role_arn, external_id, **options)
    except CloudError as err:
        if err.code not in ("AccessDenied", "AccessDeniedException"):
            raise
        # The user's own identity may not read the role: say which permissions, and the button.
        raise CloudError(err.title, err.what, "Reading the role needs iam:GetRole, "
                         "iam:ListAttachedRolePolicies and iam:SimulatePrincipalPolicy: use credentials "
                         "that have them (or ask your AWS administrator), then press “Retry”.",
                         code=err.code) from None


def _verify(session: boto3.Session, role_arn: str, external_id: str, *,
            role_changed_at: datetime | None = None,
            on_retry: Callable[[RetryNotice], None] = lambda notice: None,
            cancelled: Callable[[], bool] = lambda: False,
            stack_exists: Callable[[], bool] = lambda: True,
            sleep: Callable[[float], None] = time.sleep,
            now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> RoleCheck:
    iam = session.client("iam", config=client_config())
    name = role_arn.rsplit("/", 1)[-1] if ":role/" in role_arn else ""
    if not name:
        raise CloudError("No role to check", f"“{role_arn or 'nothing'}” is not an IAM role ARN.",
                         "Press “Back to the stack” to create the stack or pick it up again.",
                         code="NoRole")
    age = (now() - role_changed_at).total_seconds() if role_changed_at else None
    young = age is not None and age < PROPAGATION_WINDOW_S
    role = _get_role(iam, name, role_arn, retries=len(BACKOFF_S) if young else 0, on_retry=on_retry,
                     cancelled=cancelled, stack_exists=stack_exists, sleep=sleep)
    problem = trust_problem(policy_document(role.get("AssumeRolePolicyDocument")), external_id)
    if problem:
        title, what, code = problem
        next_step = _BACK_AND_UPDATE
        if code == "ExternalIdMismatch":
            next_step = ("Press “Back to the stack”: there, “Update it…” puts this project's "
                         "ExternalId in the role (after you confirm), and “Reuse it” adopts the "
                         "stack's own. Porter must hold the same ExternalId.")
        raise CloudError(title, f"The trust policy of {role_arn} {what}", next_step, code=code)
    policies = _attached(iam, name)
    missing = [p for p in REQUIRED_POLICIES if p not in policies]
    if missing:
        raise CloudError(
            "A policy is missing from the role",
            f"{role_arn} lacks {', '.join(missing)}, which Porter needs to build the cluster "
            f"(attached: {', '.join(policies) or 'nothing'}).",
            "Press “Back to the stack” and update it, or attach the policy to the role in the IAM "
            "console; then press “Retry”.", code="PolicyMissing")
    denied = _simulate(iam, role_arn)
    if denied:
        shown = "; ".join(f"{action} ({_DECISIONS.get(d, d)})" for action, d in denied[:6])
        more = f" and {len(denied) - 6} more" if len(denied) > 6 else ""
        raise CloudError(
            "The role may not do everything Porter needs",
            f"IAM's policy simulator denies {len(denied)} of {len(REQUIRED_ACTIONS)} actions for "
            f"{role_arn}: {shown}{more}.",
            "Remove what denies them (a Deny statement in one of the role's policies, or a "
            "permissions boundary) in the IAM console, then press “Retry”.", code="ActionsDenied")
    return RoleCheck(role_arn, PLATFORM_PRINCIPAL, external_id, tuple(policies), len(REQUIRED_ACTIONS))


_DECISIONS = {"explicitDeny": "denied by a Deny statement", "implicitDeny": "no policy allows it"}


def _get_role(iam, name: str, role_arn: str, *, retries: int, on_retry, cancelled, stack_exists,
              sleep) -> dict:
    import botocore.exceptions

    for attempt in range(retries + 1):
        with aws_call("read the Porter role (iam:GetRole)"):
            try:
                return iam.get_role(RoleName=name)["Role"]
            except botocore.exceptions.ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "NoSuchEntity":
                    raise
        if attempt == retries or cancelled():
            break
        wait = BACKOFF_S[attempt]
        on_retry(RetryNotice(attempt=attempt + 2, of=retries + 1, wait_s=wait,
                             reason="IAM is still propagating the new role"))
        sleep(wait)
    if not stack_exists():
        raise CloudError(
            "The role is gone",
            f"IAM has no role {role_arn}, and the stack that created it no longer exists (someone "
            "deleted it; in sandbox mode, each launch starts with an empty account).",
            "Press “Back to the stack” to create it again.", code="StackGone")
    raise CloudError(
        "The role is missing",
        f"The stack exists, but IAM has no role {role_arn} (it was deleted outside CloudFormation).",
        "Delete the stack in the CloudFormation console, then press “Back to the stack” to create "
        "it again.", code="NoSuchEntity")


def _attached(iam, name: str) -> list[str]:
    with aws_call("list the Porter role's policies (iam:ListAttachedRolePolicies)"):
        pages = iam.get_paginator("list_attached_role_policies").paginate(RoleName=name)
        return [p["PolicyName"] for page in pages for p in page["AttachedPolicies"]]


def _simulate(iam, role_arn: str) -> list[tuple[str, str]]:
    """(action, decision) for each required action the role may not perform."""
    with aws_call("ask IAM's policy simulator about the Porter role (iam:SimulatePrincipalPolicy)"):
        pages = iam.get_paginator("simulate_principal_policy").paginate(
            PolicySourceArn=role_arn, ActionNames=list(REQUIRED_ACTIONS))
        results = [r for page in pages for r in page["EvaluationResults"]]
    decided = {r["EvalActionName"]: r["EvalDecision"] for r in results}
    return [(a, decided.get(a, "implicitDeny")) for a in REQUIRED_ACTIONS if decided.get(a) != "allowed"]
