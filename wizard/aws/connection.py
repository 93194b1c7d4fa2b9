"""Sessions for the steps after verification: the user's own (for the stack) and the Porter
role's (for everything Porter itself will do: regions, quotas, provisioning, teardown)."""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from ..secret_store import SecretStore
from ..state import AwsProgress
from .assumed import assumed_session
from .session import CredentialSource, make_session

if TYPE_CHECKING:
    import boto3

_lock = threading.Lock()
# One refreshable role session per (role, ExternalId, region) for the life of the process:
# re-assuming the role for every screen would only add round trips.
_cache: dict[tuple[str, str, str], boto3.Session] = {}


def user_session(aws: AwsProgress, secrets: SecretStore, region: str | None = None) -> boto3.Session:
    source = CredentialSource(aws.credential_source, aws.profile)
    return make_session(source, secrets, region or aws.home_region or None)


def role_session(aws: AwsProgress, secrets: SecretStore, region: str | None = None) -> boto3.Session:
    region = region or aws.region or aws.home_region
    key = (aws.role_arn, aws.external_id, region)
    with _lock:
        if key not in _cache:
            _cache[key] = assumed_session(user_session(aws, secrets), aws.role_arn, aws.external_id, region)
        return _cache[key]


def forget_sessions() -> None:
    with _lock:
        _cache.clear()
