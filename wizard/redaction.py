"""Keeps secrets out of the log: every secret the wizard handles is registered here, and the log
handler replaces it (and anything shaped like an AWS secret key, a PEM private key or a Google
access token) before a line is written."""
from __future__ import annotations

import logging
import re
import threading

_lock = threading.Lock()
_secrets: set[str] = set()
# 40 base64-ish characters standing alone: the shape of an AWS secret access key.
_AWS_SECRET_SHAPE = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])")
# A PEM private key (a Google service-account key's, whole or JSON-escaped), and Google's OAuth
# access tokens ("ya29." followed by the token).
_PEM_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)", re.DOTALL)
_GOOGLE_TOKEN = re.compile(r"ya29\.[A-Za-z0-9_\-.]+")


def register_secret(value: str) -> None:
    if value and len(value) >= 4:
        with _lock:
            _secrets.add(value)


def redact(text: str) -> str:
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        text = text.replace(secret, "[redacted]")
    text = _PEM_KEY.sub("[redacted private key]", text)
    text = _GOOGLE_TOKEN.sub("ya29.[redacted]", text)
    return _AWS_SECRET_SHAPE.sub("[redacted]", text)


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))
