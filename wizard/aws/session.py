"""Which AWS credentials the wizard uses, and the boto3 sessions made from them.

boto3 is imported here and only here (and in the modules that take a session), so that choosing
another cloud never loads it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..secret_store import SecretStore
from .errors import aws_call

if TYPE_CHECKING:
    import boto3

DEFAULT_REGION = "us-east-1"
KEY_ID_NAME = "aws-access-key-id"
SECRET_KEY_NAME = "aws-secret-access-key"
SESSION_TOKEN_NAME = "aws-session-token"


@dataclass(frozen=True)
class CredentialSource:
    kind: str  # "profile" | "default" | "keys"
    profile: str = ""

    def describe(self) -> str:
        if self.kind == "profile":
            return f"profile {self.profile}"
        if self.kind == "keys":
            return "access key stored in your keyring"
        return "the default credential chain"


@dataclass(frozen=True)
class CallerIdentity:
    account: str
    arn: str

    @property
    def partition(self) -> str:
        return self.arn.split(":")[1] if self.arn.startswith("arn:") else "aws"


def list_profiles() -> list[str]:
    """Profiles botocore finds in ~/.aws/config and ~/.aws/credentials (or AWS_CONFIG_FILE...)."""
    import botocore.session

    return sorted(botocore.session.Session().available_profiles)


def profile_region(profile: str | None) -> str:
    import botocore.session

    session = botocore.session.Session(profile=profile or None)
    try:
        return session.get_config_variable("region") or DEFAULT_REGION
    except Exception:  # noqa: BLE001 - a broken profile surfaces when credentials are resolved
        return DEFAULT_REGION


def client_config():
    from botocore.config import Config

    # Standard retries absorb a brief throttle; short connect timeout so "network down" is said
    # within seconds, not minutes.
    return Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=5,
                  read_timeout=30, user_agent_extra="porter-wizard/0.1")


def make_session(source: CredentialSource, store: SecretStore, region: str | None = None
                 ) -> boto3.Session:
    import boto3

    with aws_call("load your credentials"):
        if source.kind == "keys":
            key_id = store.get(KEY_ID_NAME)
            secret = store.get(SECRET_KEY_NAME)
            if not key_id or not secret:
                from ..errors import CloudError

                raise CloudError("Stored access key is missing",
                                 "The keyring no longer holds the access key you typed earlier.",
                                 "Type the access key again on the Account step.", code="NoCredentials")
            return boto3.Session(aws_access_key_id=key_id, aws_secret_access_key=secret,
                                 aws_session_token=store.get(SESSION_TOKEN_NAME) or None,
                                 region_name=region or os.environ.get("AWS_REGION") or DEFAULT_REGION)
        profile = source.profile if source.kind == "profile" else None
        return boto3.Session(profile_name=profile, region_name=region or profile_region(profile))


def caller_identity(session: boto3.Session) -> CallerIdentity:
    with aws_call("tell who these credentials belong to (sts:GetCallerIdentity)"):
        reply = session.client("sts", config=client_config()).get_caller_identity()
    return CallerIdentity(account=reply["Account"], arn=reply["Arn"])


def store_keys(store: SecretStore, key_id: str, secret: str, token: str = "") -> None:
    store.put(KEY_ID_NAME, key_id)
    store.put(SECRET_KEY_NAME, secret)
    if token:
        store.put(SESSION_TOKEN_NAME, token)
    else:
        store.delete(SESSION_TOKEN_NAME)


def session_from_keys(key_id: str, secret: str, token: str = "", region: str | None = None
                      ) -> boto3.Session:
    """A session from keys typed into the wizard, before they are stored."""
    import boto3

    return boto3.Session(aws_access_key_id=key_id, aws_secret_access_key=secret,
                         aws_session_token=token or None,
                         region_name=region or os.environ.get("AWS_REGION") or DEFAULT_REGION)
