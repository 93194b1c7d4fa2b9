"""The sessions every AWS step uses: the user's own credentials, in the region the step needs.

There is no role session any more: the Porter role trusts Porter's platform identity alone
(assets/porter-role.yaml), so the wizard checks it without assuming it (verify.py) and does its own
work (regions, quotas, provisioning, teardown) with the credentials the user chose. Nothing in the
account trusts the user's identity because of the wizard.
"""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from ..secret_store import SecretStore
from ..state import AwsProgress
from .session import KEY_ID_NAME, CredentialSource, make_session

if TYPE_CHECKING:
    import boto3

_lock = threading.Lock()
# One session per credentials and region for the life of the process: a new boto3 session loads
# every service model afresh, and the cluster steps ask for one on each poll.
_cache: dict[tuple[str, str, str, str], boto3.Session] = {}


def user_session(aws: AwsProgress, secrets: SecretStore, region: str | None = None) -> boto3.Session:
    source = CredentialSource(aws.credential_source, aws.profile)
    return make_session(source, secrets, region or aws.home_region or None)


def work_session(aws: AwsProgress, secrets: SecretStore, region: str | None = None) -> boto3.Session:
    """The user's own session in the cluster's region (or the stack's, before one is chosen)."""
    region = region or aws.region or aws.home_region
    # Typed keys can be replaced on the Account step: the key ID keeps an old session from serving.
    key_id = (secrets.get(KEY_ID_NAME) or "") if aws.credential_source == "keys" else ""
    key = (aws.credential_source, aws.profile, region, key_id)
    with _lock:
        if key not in _cache:
            _cache[key] = user_session(aws, secrets, region)
        return _cache[key]


def forget_sessions() -> None:
    with _lock:
        _cache.clear()
