"""Local HTTPS doubles of Google Cloud: the OAuth token endpoint, Service Usage, Cloud Resource
Manager, Compute Engine, Kubernetes Engine and Artifact Registry, on one loopback port.

google-auth and the wizard reach them through their own settings, nothing is patched: the key
this double makes names its token endpoint in ``token_uri`` (google-auth posts the signed JWT
there), and the wizard's endpoint template ``PORTER_GCP_ENDPOINT_TEMPLATE`` (``api_template``
here) replaces ``https://{service}.googleapis.com``::

    with GcpDoubles() as gcp:
        key = gcp.make_key()            # what the console downloads, with a real RSA key
        # google.oauth2.service_account.Credentials.from_service_account_info(key) → token here

Each API double is a ``GoogleService`` (google_service.py): Google's error shape, the caller's
token checked, SERVICE_DISABLED until the project enables the API, and fault injection
(``gcp.compute.inject("insert_network", status=429, code="RATE_LIMIT_EXCEEDED", message=...)``).

The seed: one project with Google's default APIs on (none of the five the platform needs) and one
service account, ``porter-provisioner``, Owner of the project.
"""

from __future__ import annotations

import json
import random
import threading
from typing import Any

from ..https.certs import ca_pem_path
from ..https.kill import KillControls, KillSwitch
from ..https.server import HttpsServer
from .artifacts import ArtifactsService
from .compute_network import ComputeNetworkService
from .compute_regions import RegionsService
from .container import ContainerService
from .crm import CrmService
from .token import TokenService
from .usage import UsageService
from .world import PORTER_APIS, GcpWorld, ServiceAccount, ServiceAccountKeyRecord

__all__ = ["PORTER_APIS", "GcpDoubles"]

SEED_ACCOUNT = "porter-provisioner"


class GcpDoubles(KillControls):
    def __init__(self, *, operation_delay: float = 0.0, project_id: str | None = None) -> None:
        self._lock = threading.RLock()
        rng = random.Random()
        self.project_id = project_id or f"porter-sandbox-{rng.randrange(100000, 999999)}"
        self.project_number = str(rng.randrange(10**11, 10**12))
        self.world = GcpWorld(self._lock, project_id=self.project_id, project_number=self.project_number,
                              operation_delay=operation_delay)
        self._operation_delay = operation_delay
        self.token = TokenService(self.world)
        self.usage = UsageService(self.world)
        self.crm = CrmService(self.world)
        self.regions = RegionsService(self.world)
        self.compute = ComputeNetworkService(self.world)
        self.container = ContainerService(self.world, self.compute)
        self.artifacts = ArtifactsService(self.world)
        # The token endpoint last: the first service answers unknown paths, in Google's API shape.
        self._services = [self.usage, self.crm, self.regions, self.compute, self.container, self.artifacts,
                          self.token]
        self.kill_switch = KillSwitch()
        for service in self._services:
            service.kill_switch = self.kill_switch
        self._server = HttpsServer(self._services)
        self._seed()

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> GcpDoubles:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> GcpDoubles:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- where clients go -----------------------------------------------------------------------
    @property
    def api_template(self) -> str:
        """Where ``https://{service}.googleapis.com`` is, here."""
        return f"{self._server.url}/{{service}}"

    @property
    def token_uri(self) -> str:
        return self.token.token_uri

    @property
    def ca_path(self) -> str:
        return ca_pem_path()

    @property
    def account_email(self) -> str:
        return self.email(SEED_ACCOUNT)

    def email(self, name: str) -> str:
        return f"{name}@{self.project_id}.iam.gserviceaccount.com"

    # -- controls -------------------------------------------------------------------------------
    def add_service_account(self, name: str, permissions: set[str] | None = None) -> str:
        """A service account of the project; ``permissions`` None makes it an Owner."""
        email = self.email(name)
        with self._lock:
            unique = str(random.randrange(10**20, 10**21))
            self.world.service_accounts[email] = ServiceAccount(email, unique, name,
                                                                None if permissions is None else set(permissions))
        return email

    def make_key(self, email: str | None = None) -> dict[str, Any]:
        """A new JSON key for the account (the seeded one by default), exactly as the console's
        "Create new key → JSON" downloads it, with a real 2048-bit RSA private key."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        email = email or self.account_email
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private_pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()).decode()
        public_pem = private.public_key().public_bytes(serialization.Encoding.PEM,
                                                       serialization.PublicFormat.SubjectPublicKeyInfo)
        key_id = "%040x" % random.getrandbits(160)
        with self._lock:
            account = self.world.service_accounts[email]
            account.keys[key_id] = ServiceAccountKeyRecord(key_id, public_pem)
            unique = account.unique_id
        return {
            "type": "service_account", "project_id": self.project_id, "private_key_id": key_id,
            "private_key": private_pem, "client_email": email, "client_id": unique,
            "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": self.token_uri,
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/"
                                    + email.replace("@", "%40"),
            "universe_domain": "googleapis.com",
        }

    def make_key_text(self, email: str | None = None) -> str:
        return json.dumps(self.make_key(email), indent=2) + "\n"

    def set_key_state(self, key_id: str, state: str) -> None:
        """"enabled", "disabled" or "deleted" (IAM & Admin → Service accounts → Keys)."""
        with self._lock:
            for account in self.world.service_accounts.values():
                if key_id in account.keys:
                    account.keys[key_id].state = state
                    return
        raise KeyError(f"no key {key_id!r}")

    def set_permissions(self, email: str, permissions: set[str] | None) -> None:
        with self._lock:
            self.world.service_accounts[email].permissions = None if permissions is None else set(permissions)

    def enable_apis(self, *services: str) -> None:
        with self._lock:
            self.world.enabled_services.update(services or PORTER_APIS)

    def set_operation_delay(self, seconds: float) -> None:
        """How long each long-running operation runs before it is done (kept across clear())."""
        with self._lock:
            self._operation_delay = float(seconds)
            self.world.operation_delay = float(seconds)

    def clear(self) -> None:
        """Back to the seed: every resource, API, account, fault and call log (same project)."""
        with self._lock:
            self.kill_switch.reset()
            for service in self._services:
                service.clear()
            self._seed()

    def _seed(self) -> None:
        with self._lock:
            self.world.clear()
            self.world.operation_delay = self._operation_delay
            self.add_service_account(SEED_ACCOUNT)
