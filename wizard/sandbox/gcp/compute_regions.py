"""PLACEHOLDER: being written."""
from __future__ import annotations

from .google_service import GoogleService


class RegionsService(GoogleService):
    name = "compute_regions"
    prefix = "compute"
