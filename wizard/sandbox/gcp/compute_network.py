"""PLACEHOLDER: being written."""
from __future__ import annotations

from .google_service import GoogleService


class ComputeNetworkService(GoogleService):
    name = "compute_network"
    prefix = "compute"
