"""The AWS account ID field: what a person may type, and what we make of it."""
from __future__ import annotations

import re

from ..errors import InputError

_ARN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+::(\d{12}):")
_SEPARATORS = re.compile(r"[\s\-‐‑–—]+")  # spaces and the dashes the console and docs use
_ACCESS_KEY = re.compile(r"^(AKIA|ASIA)[A-Z0-9]{12,}$")


def normalise_account_id(text: str) -> str:
    """Twelve digits, or an InputError that says exactly what is wrong.

    Tolerates what people paste: "1234-5678-9012" (the console's format), spaces, and a whole ARN
    (its account is taken).
    """
    raw = text.strip()
    if not raw:
        raise InputError("Enter your AWS account ID: 12 digits, shown at the top right of the AWS console.")
    arn = _ARN.match(raw)
    if arn:
        return arn.group(1)
    if _ACCESS_KEY.match(raw):
        raise InputError("That is an access key ID, not an account ID. The account ID is 12 digits, "
                         "e.g. 1234-5678-9012.")
    if raw.startswith("arn:"):
        raise InputError("That ARN has no account ID in it; enter the 12 digits instead.")
    digits = _SEPARATORS.sub("", raw)
    bad = sorted({ch for ch in digits if not ch.isdigit() or not ch.isascii()})
    if bad:
        shown = " ".join(repr(ch) for ch in bad[:5])
        raise InputError(f"An AWS account ID has only digits; remove {shown}.")
    if len(digits) != 12:
        raise InputError(f"An AWS account ID has exactly 12 digits; this has {len(digits)}.")
    return digits
