"""Proves the platform can use the role: AssumeRole with the ExternalId, then ask STS who we are."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from ..errors import CloudError, WizardError
from .errors import aws_call
from .session import client_config

if TYPE_CHECKING:
    import boto3

SESSION_NAME = "porter-wizard-verify"
# A new role can be refused for a short while as IAM propagates it; AWS says "a few seconds",
# and in practice it is under a minute. Retrying past that only delays the real error.
PROPAGATION_WINDOW_S = 120
BACKOFF_S = (2, 4, 8, 15, 20)


@dataclass(frozen=True)
class AssumedIdentity:
    arn: str
    account: str
    expires: datetime


@dataclass(frozen=True)
class RetryNotice:
    attempt: int
    of: int
    wait_s: float
    reason: str


def assume_role(session: boto3.Session, role_arn: str, external_id: str, *,
                role_changed_at: datetime | None = None,
                on_retry: Callable[[RetryNotice], None] = lambda notice: None,
                cancelled: Callable[[], bool] = lambda: False,
                stack_exists: Callable[[], bool] = lambda: True,
                sleep: Callable[[float], None] = time.sleep,
                now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> AssumedIdentity:
    """AssumeRole as the platform will, retrying AccessDenied only while the role is new."""
    import boto3 as _boto3

    sts = session.client("sts", config=client_config())
    young = role_changed_at is not None and (now() - role_changed_at).total_seconds() < PROPAGATION_WINDOW_S
    attempts = len(BACKOFF_S) + 1 if young else 1
    for attempt in range(1, attempts + 1):
        try:
            with aws_call("let the wizard assume the Porter role (sts:AssumeRole)"):
                creds = sts.assume_role(RoleArn=role_arn, RoleSessionName=SESSION_NAME,
                                        ExternalId=external_id, DurationSeconds=900)["Credentials"]
            break
        except CloudError as err:
            if err.code == "AccessDenied" and not stack_exists():
                raise CloudError(
                    "The role is gone",
                    f"AWS refused sts:AssumeRole because the stack that created {role_arn} no "
                    "longer exists (someone deleted it; in sandbox mode, each launch starts with "
                    "an empty account).", "Press “Back to the stack” to create it again.",
                    code="StackGone") from None
            if err.code != "AccessDenied" or attempt == attempts or cancelled():
                raise _explain(err, role_arn, young) from None
            wait = BACKOFF_S[attempt - 1]
            on_retry(RetryNotice(attempt=attempt + 1, of=attempts, wait_s=wait,
                                 reason="IAM is still propagating the new role"))
            sleep(wait)
    assumed = _boto3.Session(aws_access_key_id=creds["AccessKeyId"],
                             aws_secret_access_key=creds["SecretAccessKey"],
                             aws_session_token=creds["SessionToken"], region_name=session.region_name)
    with aws_call("confirm the assumed identity (sts:GetCallerIdentity)"):
        who = assumed.client("sts", config=client_config()).get_caller_identity()
    return AssumedIdentity(arn=who["Arn"], account=who["Account"], expires=creds["Expiration"])


def _explain(err: CloudError, role_arn: str, young: bool) -> WizardError:
    if err.code != "AccessDenied":
        return err
    waited = " The wizard retried for about a minute while IAM propagated the new role." if young else ""
    return CloudError(
        "The role refused the wizard",
        f"AWS denied sts:AssumeRole on {role_arn}.{waited} Either the ExternalId this project "
        "uses does not match the one in the role's trust policy, or the trust policy does not "
        "trust your account (TrustThisAccount=false), or your identity lacks sts:AssumeRole.",
        "Press “Back to the stack”: there, “Update it…” puts this project's ExternalId in the "
        "role (after you confirm), and “Reuse it” adopts the stack's own. The stack's Parameters "
        "tab in the CloudFormation console shows which ExternalId it has.", code="AccessDenied")
