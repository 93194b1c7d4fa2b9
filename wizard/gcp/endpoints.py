"""Where Google's APIs are.

Google reaches sovereign and partner clouds through the *universe domain*: every API is at
``https://{service}.{universe_domain}`` and a key names its universe in ``universe_domain``
(``googleapis.com`` unless it says otherwise). ``PORTER_GCP_ENDPOINT_TEMPLATE`` replaces the
whole pattern (``https://127.0.0.1:8443/{service}``: how the sandbox and the tests reach their
doubles, or a private endpoint); ``PORTER_GCP_CA_BUNDLE`` trusts a private CA for it. The token
endpoint is never guessed: google-auth posts to the key's own ``token_uri``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_UNIVERSE = "googleapis.com"
SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)


@dataclass(frozen=True)
class Endpoints:
    template: str = "https://{service}." + DEFAULT_UNIVERSE
    ca_path: str | None = None

    def base(self, service: str) -> str:
        """``compute`` → ``https://compute.googleapis.com`` (no trailing slash)."""
        return self.template.format(service=service).rstrip("/")

    @property
    def is_custom(self) -> bool:
        return not self.template.startswith("https://{service}.")


def current_endpoints(universe_domain: str | None = None) -> Endpoints:
    universe = (universe_domain or DEFAULT_UNIVERSE).strip() or DEFAULT_UNIVERSE
    template = os.environ.get("PORTER_GCP_ENDPOINT_TEMPLATE") or "https://{service}." + universe
    return Endpoints(template=template, ca_path=os.environ.get("PORTER_GCP_CA_BUNDLE") or None)
