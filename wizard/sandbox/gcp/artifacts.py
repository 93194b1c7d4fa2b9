"""PLACEHOLDER: being written."""
from __future__ import annotations

from .google_service import GoogleService


class ArtifactsService(GoogleService):
    name = "artifacts"
    prefix = "artifactregistry"
