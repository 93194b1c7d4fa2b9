"""Sandbox mode: real AWS SDK code against moto, started inside this process.

Everything the wizard does in the sandbox runs the same code as against a real account; only the
endpoints (AWS_ENDPOINT_URL, the SDK's own setting), the credentials (throwaway) and the keyring
(in memory) differ. The user's own ~/.aws files are hidden from the sandbox so a demo can never
reach a real account.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

SANDBOX_ACCOUNT = "123456789012"  # moto's default account
SANDBOX_REGION = "us-east-1"
# Demo pacing: moto finishes everything at once, which hides what the screens show while a real
# account works (live stack events, a quota request being followed). Tests turn it off.
DEMO_STACK_SECONDS = 5.0
DEMO_APPROVAL_SECONDS = 8.0
# The sandbox's throwaway credentials: moto accepts any, and these unlock nothing anywhere.
_THROWAWAY_KEY_ID = "AKIASANDBOXEXAMPLE00"
_THROWAWAY_SECRET = "sandbox-throwaway-not-a-secret"

# Demo pacing for Azure: the device code is "entered" by the sandbox's admin after a few seconds,
# providers take a moment to register, resources a moment to provision.
DEMO_DEVICE_CODE_SECONDS = 4.0
DEMO_AZURE_SECONDS = 3.0
_AZURE_ENV = ("AZURE_CLOUD", "AZURE_AUTHORITY_HOST", "PORTER_AZURE_ARM_URL", "PORTER_AZURE_GRAPH_URL",
              "PORTER_AZURE_CA_BUNDLE", "AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET")

# Demo pacing for Google Cloud: each API enable and each resource operation runs this long.
DEMO_GCP_SECONDS = 3.0
#: Where the sandbox "downloads" the service-account key, for the key screen to suggest.
SANDBOX_GCP_KEY_ENV = "PORTER_SANDBOX_GCP_KEY"
#: The link the sandbox's Porter dashboard "shows" for AWS, which the grant screen offers.
SANDBOX_PORTER_LINK_ENV = "PORTER_SANDBOX_DASHBOARD_LINK"
#: The project of the sandbox's Porter (its API double), and how long it takes to "build" a cluster.
SANDBOX_PORTER_PROJECT = "1"
DEMO_PORTER_PROVISION_SECONDS = 20.0

_AWS_ENV = ("AWS_ENDPOINT_URL_SERVICE_QUOTAS", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
            "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI")


class Sandbox:
    """Starts moto behind the checking front, and points this process's SDKs at it."""

    def __init__(self, *, demo_pacing: bool = True) -> None:
        self.demo_pacing = demo_pacing
        self._moto = None
        self.moto_url = ""
        self.front = None
        self.quotas = None
        self._dir: Path | None = None
        self._saved_env: dict[str, str | None] = {}
        self._azure = None
        self._gcp = None
        self._porter = None

    def start(self) -> Sandbox:
        from moto.server import ThreadedMotoServer

        from .aws_front import AwsFront
        from .memory_keyring import MemoryKeyring
        from .quotas_double import QuotasDouble

        # moto's server logs every request through werkzeug to stderr, which would scribble over
        # the terminal UI; keep only errors, and only in our log.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        logging.getLogger("werkzeug").propagate = False
        # The cluster's IAM roles attach AWS managed policies (AmazonEKSClusterPolicy...), which
        # moto only knows when asked to load them.
        os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._moto.start()
        host, port = self._moto.get_host_and_port()
        self.moto_url = f"http://{host}:{port}"
        from .porter_template import publish_porter_template

        publish_porter_template(self.moto_url, SANDBOX_ACCOUNT)  # where Porter's link finds its template
        self.front = AwsFront(self.moto_url,
                              default_stack_seconds=DEMO_STACK_SECONDS if self.demo_pacing else 0.0)
        endpoint = self.front.start()
        # moto lacks most of Service Quotas; botocore's per-service endpoint setting sends just
        # that service to our double. A new account's 5 vCPUs are short of the cluster's need,
        # so a demo shows an increase being requested and, a few seconds later, approved.
        self.quotas = QuotasDouble(vcpus=5)
        quotas_endpoint = self.quotas.start()
        if self.demo_pacing:
            self.quotas.approve_after(DEMO_APPROVAL_SECONDS)
        self._dir = Path(tempfile.mkdtemp(prefix="porter-wizard-sandbox-"))
        self._write_profiles(self._dir)
        env = {name: None for name in _AWS_ENV}
        env.update({
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ENDPOINT_URL_SERVICE_QUOTAS": quotas_endpoint,
            "AWS_CONFIG_FILE": str(self._dir / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(self._dir / "credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",  # no instance-metadata probe on a laptop
            "AWS_REGION": None, "AWS_DEFAULT_REGION": None,
        })
        self._set_env(env)
        import keyring

        keyring.set_keyring(MemoryKeyring())
        return self

    def _set_env(self, env: dict[str, str | None]) -> None:
        for name, value in env.items():
            self._saved_env.setdefault(name, os.environ.get(name))
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    def prepare(self, cloud: str) -> None:
        """Start a cloud's doubles the first time the wizard reaches that cloud: an AWS demo
        never pays for Azure's (certificates, three HTTPS servers). Porter's API double starts
        with the first cloud, since every flow begins by asking how Porter is reached."""
        self.porter()
        if cloud == "aws" and not os.environ.get(SANDBOX_PORTER_LINK_ENV):
            self._set_env({SANDBOX_PORTER_LINK_ENV: self.porter_dashboard_link()})
        if cloud == "azure":
            self.azure()
        elif cloud == "gcp":
            self.gcp()

    def porter(self):
        """The local double of Porter's API, started once, and a Porter "login" for it in the
        PORTER_* variables (which Porter's CLI, and so the wizard, read before its config file):
        the sandbox shows the API path, and a real ~/.porter login is never used."""
        if self._porter is None:
            import secrets as _secrets

            from .porter import PorterDouble

            token = "sandbox-porter-" + _secrets.token_hex(16)
            self._porter = PorterDouble(
                token=token, project_id=SANDBOX_PORTER_PROJECT, aws_endpoint=self.endpoint or None,
                provision_seconds=DEMO_PORTER_PROVISION_SECONDS if self.demo_pacing else 0.0).start()
            self._set_env({"PORTER_HOST": self._porter.url, "PORTER_PROJECT": SANDBOX_PORTER_PROJECT,
                           "PORTER_TOKEN": token, "PORTER_CLUSTER": None,
                           "PORTER_CA_BUNDLE": self._porter.ca_path})
        return self._porter

    def porter_dashboard_link(self) -> str:
        """The link Porter's dashboard would show on its AWS Grant permissions page, for the
        by-hand path: like the dashboard (GrantAWSPermissions.tsx), Porter is told the role and a
        new ExternalId first, then the link carries them to the console."""
        import uuid

        from ..aws.role_stack import quick_create_url
        from ..porter.client import PorterClient
        from ..porter.login import find_login

        external_id = str(uuid.uuid4())
        login = find_login()
        if login is not None:
            PorterClient(login).connect_aws(f"arn:aws:iam::{SANDBOX_ACCOUNT}:role/porter-manager", external_id)
        return quick_create_url(SANDBOX_REGION, "aws", external_id)

    def azure(self):
        """The local Entra ID / ARM / Graph doubles, started once, with the Azure SDKs' own
        endpoint settings pointed at them."""
        if self._azure is None:
            from .azure import AzureDoubles

            pace = self.demo_pacing
            self._azure = AzureDoubles(
                registration_delay=DEMO_AZURE_SECONDS if pace else 0.05, service_principal=True,
                auto_approve_device_codes=DEMO_DEVICE_CODE_SECONDS if pace else 0.2).start()
            self._azure_pacing()
            self._set_env({"AZURE_CLOUD": None, "AZURE_TENANT_ID": None, "AZURE_CLIENT_ID": None,
                           "AZURE_CLIENT_SECRET": None,
                           "AZURE_AUTHORITY_HOST": self._azure.authority_url,
                           "PORTER_AZURE_ARM_URL": self._azure.arm_url,
                           "PORTER_AZURE_GRAPH_URL": self._azure.graph_url,
                           "PORTER_AZURE_CA_BUNDLE": self._azure.ca_path})
        return self._azure

    def gcp(self):
        """The local Google Cloud doubles, started once; the wizard's endpoint template and CA
        point at them, and a service-account key is "downloaded" (a throwaway, valid only for this
        process's doubles) to a Downloads folder in the sandbox's temporary directory."""
        if self._gcp is None:
            from .gcp import GcpDoubles

            self._gcp = GcpDoubles(operation_delay=DEMO_GCP_SECONDS if self.demo_pacing else 0.0).start()
            self._set_env({"GOOGLE_APPLICATION_CREDENTIALS": None, "GOOGLE_CLOUD_PROJECT": None,
                           "PORTER_GCP_ENDPOINT_TEMPLATE": self._gcp.api_template,
                           "PORTER_GCP_CA_BUNDLE": self._gcp.ca_path,
                           SANDBOX_GCP_KEY_ENV: str(self.write_gcp_key())})
        return self._gcp

    def write_gcp_key(self) -> Path:
        """A new key for the sandbox's service account, saved as the console's download would be."""
        key = self._gcp.make_key()
        if self._dir is None:  # not started: a folder of its own, still removed by stop()
            self._dir = Path(tempfile.mkdtemp(prefix="porter-wizard-sandbox-"))
        folder = self._dir / "Downloads"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{key['project_id']}-{key['private_key_id'][:12]}.json"
        path.write_text(json.dumps(key, indent=2) + "\n")
        path.chmod(0o600)
        return path

    def reset_gcp(self) -> None:
        """Google Cloud's doubles back to their seed, with a fresh downloaded key."""
        if self._gcp:
            self._gcp.clear()
            self._gcp.set_operation_delay(DEMO_GCP_SECONDS if self.demo_pacing else 0.0)
            self._set_env({SANDBOX_GCP_KEY_ENV: str(self.write_gcp_key())})

    def _azure_pacing(self) -> None:
        if self.demo_pacing:
            self._azure.set_provisioning_delay(DEMO_AZURE_SECONDS)
            self._azure.set_quota_approval(delay_seconds=DEMO_AZURE_SECONDS * 2)
        else:
            self._azure.set_provisioning_delay(0.0)
            self._azure.set_quota_approval(delay_seconds=0.0)

    @property
    def endpoint(self) -> str:
        return self.front.url if self.front else ""

    def _write_profiles(self, folder: Path) -> None:
        # Two profiles so the profile picker has something real to show.
        (folder / "config").write_text(
            f"[default]\nregion = {SANDBOX_REGION}\n\n[profile sandbox-admin]\nregion = eu-west-1\n")
        (folder / "credentials").write_text(
            "".join(f"[{name}]\naws_access_key_id = {_THROWAWAY_KEY_ID}\n"
                    f"aws_secret_access_key = {_THROWAWAY_SECRET}\n\n"
                    for name in ("default", "sandbox-admin")))

    def reset(self) -> None:
        """Forget every resource and injected fault: a clean account, as at start (for tests)."""
        import urllib.request

        from .porter_template import publish_porter_template

        urllib.request.urlopen(urllib.request.Request(f"{self.moto_url}/moto-api/reset",
                                                      method="POST"), timeout=10).close()
        publish_porter_template(self.moto_url, SANDBOX_ACCOUNT)  # the reset emptied its bucket
        if self.front:
            self.front.clear()
            self.front.reset_log()
        if self.quotas:
            self.quotas.clear()  # back to defaults, where increases are approved at once
        self.reset_azure()
        self.reset_gcp()
        if self._porter:
            self._porter.clear()

    def reset_azure(self) -> None:
        """Azure's doubles back to their seed (the AWS side untouched: it is slower to reset)."""
        if self._azure:
            self._azure.clear()
            self._azure_pacing()

    def stop(self) -> None:
        """Stop every double and remove every temporary file the sandbox or its doubles made:
        its folder (AWS profiles, the downloaded Google Cloud key) and the doubles' CA file."""
        if self._porter:
            self._porter.stop()
        if self._gcp:
            self._gcp.stop()
        if self._azure:
            self._azure.stop()
        if self.quotas:
            self.quotas.stop()
        if self.front:
            self.front.stop()
        if self._moto:
            self._moto.stop()
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        if self._dir:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
        if self._porter or self._gcp or self._azure:
            from .https.certs import remove_ca_file

            remove_ca_file()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
