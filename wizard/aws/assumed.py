"""A boto3 session that acts as the Porter role, re-assuming it before its credentials expire.

Quota checks, provisioning and teardown all run as the role (as Porter will), never with the
user's own credentials; provisioning outlasts one role session, hence the refresh.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import aws_call
from .session import client_config

if TYPE_CHECKING:
    import boto3

SESSION_NAME = "porter-wizard"
DURATION_S = 3600  # the template's MaxSessionDuration


def assumed_session(base: boto3.Session, role_arn: str, external_id: str, region: str) -> boto3.Session:
    import boto3 as _boto3
    import botocore.session
    from botocore.credentials import RefreshableCredentials

    sts = base.client("sts", config=client_config())

    def fetch() -> dict[str, str]:
        with aws_call("assume the Porter role (sts:AssumeRole)"):
            creds = sts.assume_role(RoleArn=role_arn, RoleSessionName=SESSION_NAME,
                                    ExternalId=external_id, DurationSeconds=DURATION_S)["Credentials"]
        return {"access_key": creds["AccessKeyId"], "secret_key": creds["SecretAccessKey"],
                "token": creds["SessionToken"], "expiry_time": creds["Expiration"].isoformat()}

    credentials = RefreshableCredentials.create_from_metadata(
        metadata=fetch(), refresh_using=fetch, method="sts-assume-role")
    core = botocore.session.Session()
    core._credentials = credentials  # botocore's documented way to plug refreshable credentials
    core.set_config_variable("region", region)
    return _boto3.Session(botocore_session=core, region_name=region)
