"""PLACEHOLDER: being written."""
from __future__ import annotations

from .google_service import GoogleService


class UsageService(GoogleService):
    name = "usage"
    prefix = "serviceusage"
