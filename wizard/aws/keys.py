"""Checks on access keys typed into the wizard (before any call is made with them)."""
from __future__ import annotations

import re

from ..errors import InputError

_KEY_ID = re.compile(r"^[A-Z0-9]{16,128}$")


def validate_key_id(text: str) -> str:
    key_id = text.strip()
    if not key_id:
        raise InputError("Enter the access key ID (it starts with AKIA, or ASIA for temporary keys).")
    if not _KEY_ID.match(key_id):
        raise InputError("An access key ID is 16 or more capital letters and digits, like "
                         "AKIAIOSFODNN7EXAMPLE.")
    return key_id


def validate_secret(text: str) -> str:
    secret = text.strip()
    if not secret:
        raise InputError("Enter the secret access key shown when the key was created.")
    if any(ch.isspace() for ch in secret):
        raise InputError("A secret access key has no spaces; paste it again.")
    return secret


def needs_session_token(key_id: str) -> bool:
    """Temporary keys (ASIA...) only work with the session token issued with them."""
    return key_id.startswith("ASIA")
