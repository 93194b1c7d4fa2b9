"""The wizard's non-secret progress, and how it is saved and read back.

Saved after every step so that quitting (or a crash, or a closed SSH session) loses nothing: the
next launch resumes at the same step with the same answers. Secrets never enter this file; it
records only *that* a secret is stored, and when it expires.
"""
from __future__ import annotations

import json
import os
import stat
import tempfile
import time
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from .errors import StateFileError
from .paths import ensure_private_dir

STATE_VERSION = 1
#: A progress file is a few kilobytes; anything over this is refused before it is read.
MAX_STATE_BYTES = 1_000_000


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


@dataclass
class PorterHandoff:
    """What Porter itself has been given for one cloud: setting up the cloud's side is half the
    job, since the role, the secret and the key are useful only once Porter holds them."""

    #: "api" (sent through Porter's API), "manual" (the user confirmed they gave it to Porter's
    #: dashboard), or "" (Porter has not been given it yet).
    porter_via: str = ""
    porter_at: str = ""
    #: Which credential Porter holds (AWS: the role ARN and ExternalId joined by "|"; Azure: the
    #: client secret's key ID; GCP: the key's ID): compared with the current one, it tells whether
    #: Porter is up to date after a rotation. An identifier, never a secret.
    porter_credential: str = ""
    #: Porter's own ID for the integration (its cloud_provider_credentials_id), on the API path.
    porter_integration_id: str = ""


@dataclass
class AwsProgress(PorterHandoff):
    #: "profile" (a named botocore profile), "default" (the default credential chain) or
    #: "keys" (access keys typed into the wizard, kept in the keyring).
    credential_source: str = ""
    profile: str = ""
    #: The region the PorterRole stack lives in (IAM is global; CloudFormation is not).
    home_region: str = ""
    account_id: str = ""
    #: What STS GetCallerIdentity said for the chosen credentials, shown next to the field.
    detected_account_id: str = ""
    caller_arn: str = ""
    #: Generated once per project; not a secret (AWS documents ExternalId as a confused-deputy
    #: guard, visible in the trust policy), so it may live here.
    external_id: str = ""
    stack_name: str = "PorterRole"
    stack_id: str = ""
    role_arn: str = ""
    #: When the stack last changed (ISO 8601): a role younger than a minute or two may still be
    #: propagating through IAM, so verification retries instead of failing at once.
    stack_changed_at: str = ""
    #: "create" (the wizard creates the stack) or "console" (the user does, via quick-create).
    grant_path: str = ""
    assumed_arn: str = ""
    verified_at: str = ""
    #: Where the cluster runs (the stack's home region is only where the role's stack lives).
    region: str = ""
    #: True: the wizard requests quota increases itself; False: the user does, via links.
    quota_auto: bool = True
    #: Open quota increase requests by check key ("vcpu"...) → request ID, followed on resume.
    quota_requests: dict[str, str] = field(default_factory=dict)
    #: When the user acknowledged the cost estimate, and the monthly total they saw.
    cost_acknowledged_at: str = ""
    cost_monthly: str = ""
    #: "" (not started), "running" (started; a relaunch offers to resume), "done" or "failed".
    provision_status: str = ""
    provisioned_at: str = ""
    cluster_arn: str = ""
    teardown_status: str = ""

    @property
    def partition(self) -> str:
        """aws, aws-us-gov or aws-cn: from the credentials' ARN, for console links."""
        return self.caller_arn.split(":")[1] if self.caller_arn.startswith("arn:") else "aws"


@dataclass
class AzureProgress(PorterHandoff):
    #: "device" (an admin signed in with a device code and the wizard set everything up) or
    #: "secret" (an existing service principal's credentials were typed in).
    signin_method: str = ""
    tenant_id: str = ""
    subscription_id: str = ""
    subscription_name: str = ""
    #: Who signed in for the setup (a UPN, or the service principal's client ID).
    signed_in_as: str = ""
    providers_registered_at: str = ""
    role_id: str = ""
    #: The app registration / service principal the platform uses, and its current secret's key
    #: ID (Graph's passwordCredentials keyId: an identifier, not the secret).
    client_id: str = ""
    app_object_id: str = ""
    sp_object_id: str = ""
    secret_key_id: str = ""
    #: After a rotation whose new secret Porter has not confirmed yet: the previous secret, kept
    #: valid on the app so that Porter (which still holds it) keeps working, and its expiry.
    old_secret_key_id: str = ""
    old_secret_expires_at: str = ""
    #: "granted" (the wizard granted admin consent), "manual" (the user must, in the portal),
    #: or "" (not reached yet).
    consent: str = ""
    setup_done_at: str = ""
    region: str = ""
    quota_auto: bool = True
    #: Open quota increase requests by quota name ("cores", ...) → the request's ID.
    quota_requests: dict[str, str] = field(default_factory=dict)
    cost_acknowledged_at: str = ""
    cost_monthly: str = ""
    #: AKS pricing tier: "Free" or "Standard".
    tier: str = ""
    provision_status: str = ""
    provisioned_at: str = ""
    cluster_id: str = ""
    oidc_issuer: str = ""
    login_server: str = ""
    teardown_status: str = ""

    @property
    def secret_name(self) -> str:
        """The keyring entry holding the client secret of this service principal."""
        return f"azure-client-secret/{self.client_id}"


@dataclass
class GcpProgress(PorterHandoff):
    #: From the service-account key (identifiers, never the private key).
    project_id: str = ""
    client_email: str = ""
    key_id: str = ""
    universe_domain: str = ""
    key_stored_at: str = ""
    #: Where the downloaded key file was read from (a path, not the key): Porter's dashboard wants
    #: that file uploaded, so deleting it is offered only once Porter has the key.
    key_file: str = ""
    apis_enabled_at: str = ""
    region: str = ""
    checks_passed_at: str = ""
    cost_acknowledged_at: str = ""
    cost_monthly: str = ""
    provision_status: str = ""
    provisioned_at: str = ""
    cluster_endpoint: str = ""
    repository: str = ""
    teardown_status: str = ""

    @property
    def secret_name(self) -> str:
        """The keyring entry holding the service-account key (its whole JSON)."""
        return f"gcp-service-account-key/{self.client_email}/{self.key_id}"


@dataclass
class SecretRecord:
    """That a secret exists in the keyring, and when it stops working. Never its value."""

    kind: str
    stored_at: str
    expires_at: str = ""
    #: Kept in memory for one run only (no keyring on that machine): a relaunch must ask for it.
    session_only: bool = False


@dataclass
class WizardState:
    version: int = STATE_VERSION
    step: str = "welcome"
    project: str = ""
    cloud: str = ""
    #: How the wizard reaches Porter: "api" (Porter's API, with the CLI's login or PORTER_TOKEN),
    #: "manual" (the user copies what Porter needs into its dashboard), "standalone" (no Porter
    #: project yet: the wizard builds the cluster itself), or "" (not chosen yet).
    porter_mode: str = ""
    #: Where Porter's API is and which project, on the API path (the token is in the keyring or
    #: Porter's own CLI config, never here).
    porter_host: str = ""
    porter_project: str = ""
    #: Who builds the cluster: "wizard" (from this machine: standalone, or asked for by name) or
    #: "" (Porter, whenever it has a project: never a second cluster behind its back).
    cluster_builder: str = ""
    #: On Porter's path: what Porter answered when asked to build the cluster (its ID to follow).
    porter_cluster_ref: str = ""
    porter_cluster_status: str = ""

    @property
    def porter_builds(self) -> bool:
        """Porter, not the wizard, builds the cluster (it has a project and was not overruled)."""
        return self.porter_mode in ("api", "manual") and self.cluster_builder != "wizard"
    aws: AwsProgress = field(default_factory=AwsProgress)
    azure: AzureProgress = field(default_factory=AzureProgress)
    gcp: GcpProgress = field(default_factory=GcpProgress)
    secrets: dict[str, SecretRecord] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)


def _build(cls: type, data: Any, where: str) -> Any:
    """A dataclass from a dict, checking every field's type; unknown keys are ignored so that an
    older wizard can read a newer file's common part."""
    if not isinstance(data, dict):
        raise ValueError(f"{where} should be an object")
    values = {}
    for f in fields(cls):
        if f.name not in data:
            continue
        value = data[f.name]
        expected = {"str": str, "int": int, "bool": bool}.get(str(f.type))
        if expected and not isinstance(value, expected):
            raise ValueError(f"{where}.{f.name} should be a {f.type}")
        if str(f.type) == "dict[str, str]" and not (
                isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str)
                                                for k, v in value.items())):
            raise ValueError(f"{where}.{f.name} should map names to strings")
        values[f.name] = value
    missing = [f.name for f in fields(cls) if f.name not in values
               and f.default is MISSING and f.default_factory is MISSING]
    if missing:  # cls(**values) would raise TypeError, which parse_state does not document
        raise ValueError(f"{where} lacks {', '.join(missing)}")
    return cls(**values)


def parse_state(text: str) -> WizardState:
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("the file is not a JSON object")
    if isinstance(data.get("version"), bool) or data.get("version") != STATE_VERSION:
        raise ValueError(f"unknown format version {data.get('version')!r}")
    aws = _build(AwsProgress, data.get("aws", {}), "aws")
    azure = _build(AzureProgress, data.get("azure", {}), "azure")
    gcp = _build(GcpProgress, data.get("gcp", {}), "gcp")
    secrets_raw = data.get("secrets", {})
    if not isinstance(secrets_raw, dict):
        raise ValueError("secrets should be an object")
    secrets = {name: _build(SecretRecord, rec, f"secrets.{name}") for name, rec in secrets_raw.items()}
    rest = {k: v for k, v in data.items() if k not in ("aws", "azure", "gcp", "secrets")}
    state = _build(WizardState, rest, "state")
    state.aws, state.azure, state.gcp, state.secrets = aws, azure, gcp, secrets
    return state


class StateStore:
    """Reads and atomically writes one state file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> WizardState:
        """The saved state, a fresh one if there is none, or StateFileError if it can't be read
        or is damaged (never another exception, and never a hang: a FIFO or a device at the
        path is refused before reading, and so is a file far bigger than any progress file)."""
        raw = self._read_raw()
        if raw is None:
            return WizardState()
        try:
            return parse_state(raw.decode("utf-8"))
        except (ValueError, TypeError, RecursionError, MemoryError) as exc:
            # JSONDecodeError and UnicodeDecodeError are ValueErrors: truncated, corrupted and
            # binary files all land here; deeply nested JSON is a RecursionError.
            reason = "nested too deeply" if isinstance(exc, RecursionError) else \
                "too big" if isinstance(exc, MemoryError) else str(exc)[:200]
            raise self._damaged(reason) from None

    def _damaged(self, reason: str) -> StateFileError:
        return StateFileError(
            "Saved progress is damaged",
            f"{self.path} is not a progress file this wizard can read ({reason}).",
            "Start over: the damaged file is kept beside it as a .damaged copy for support.",
            from_a_command="Run porter-wizard and press Start over (the damaged file is kept beside it "
                           "as a .damaged copy for support), or start over with `porter-wizard --reset`.",
        )

    def _unreadable(self, reason: str) -> StateFileError:
        return StateFileError(
            "Saved progress can't be read",
            f"{self.path} could not be read ({reason}).",
            "Fix the file's permissions or move it away, or start over with "
            "`porter-wizard --reset`.",
        )

    def _read_raw(self) -> bytes | None:
        """The file's bytes, None when there is no file."""
        try:
            # O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it.
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise self._unreadable(exc.strerror or type(exc).__name__) from None
        try:
            try:
                info = os.fstat(fd)
            except OSError as exc:
                raise self._unreadable(exc.strerror or type(exc).__name__) from None
            if not stat.S_ISREG(info.st_mode):
                raise self._unreadable(f"it is {_kind(info.st_mode)}, not a file")
            if info.st_size > MAX_STATE_BYTES:
                raise self._damaged(f"{info.st_size} bytes; a progress file is a few kilobytes")
            chunks: list[bytes] = []
            size = 0
            while True:
                try:
                    chunk = os.read(fd, 65536)
                except OSError as exc:
                    raise self._unreadable(exc.strerror or type(exc).__name__) from None
                if not chunk:
                    break
                size += len(chunk)
                if size > MAX_STATE_BYTES:  # grew while we read it
                    raise self._damaged(f"over {MAX_STATE_BYTES} bytes")
                chunks.append(chunk)
            return b"".join(chunks)
        finally:
            os.close(fd)

    def save(self, state: WizardState) -> None:
        """Write temp file, fsync, rename: a crash leaves either the old file or the new one."""
        ensure_private_dir(self.path.parent)
        fd, tmp = tempfile.mkstemp(prefix=".state-", dir=self.path.parent)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(state.to_json())
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # makes the rename itself durable
        finally:
            os.close(dir_fd)

    def set_aside(self) -> Path | None:
        """Move a damaged file out of the way (kept for support), so the wizard can start over."""
        if not self.path.exists():
            return None
        target = self.path.with_name(f"{self.path.name}.damaged-{int(time.time())}")
        os.replace(self.path, target)
        return target

    def reset(self) -> None:
        self.path.unlink(missing_ok=True)
