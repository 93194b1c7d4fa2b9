"""PLACEHOLDER: being written."""
from __future__ import annotations

from .google_service import GoogleService


class ContainerService(GoogleService):
    name = "container"
    prefix = "container"
