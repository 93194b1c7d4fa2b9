"""PLACEHOLDER: being written."""
from __future__ import annotations

from .google_service import GoogleService


class CrmService(GoogleService):
    name = "crm"
    prefix = "cloudresourcemanager"
