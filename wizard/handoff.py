"""The hand-off: what Porter needs from each cloud's setup, and the record that Porter has it.

Setting up a cloud's side is half the job: the role, the client secret and the key are useful only
once Porter holds them. The same shape serves the three clouds: a list of items (identifiers, and
at most one secret, read from the keyring just in time), a way to send them through Porter's API,
and a record in the state of which credential Porter was given (an identifier, never the value),
so that `status` and the rotation can tell whether Porter is up to date.

What Porter's dashboard asks for, per cloud (porter-dev/porter-archive, commit ed607ee):
- AWS: dashboard/src/main/home/infrastructure-dashboard/forms/aws/GrantAWSPermissions.tsx sends
  the target ARN (arn:aws:iam::<account>:role/porter-manager) and the ExternalId;
- Azure: the service principal's client ID, subscription, tenant and secret (the dashboard's
  Azure credential form; seed 000 "Copy the displayed credentials to the Porter dashboard");
- Google Cloud: the service-account JSON key file, uploaded (seed 000: "Drop a GCP Service
  Account JSON here").
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import WizardError
from .secret_store import SecretStore
from .state import PorterHandoff, WizardState

if TYPE_CHECKING:
    from .porter.client import PorterClient

CLOUDS = ("aws", "azure", "gcp")
#: How long the wizard follows Porter's own access check after sending the credentials.
ACCESS_CHECK_SECONDS = 120.0


@dataclass(frozen=True)
class HandoffItem:
    """One thing Porter needs: shown, copyable; a secret is masked until the user asks."""

    label: str
    value: str = field(repr=False)
    secret: bool = False
    #: Where it goes in Porter's dashboard, for the person copying it.
    where: str = ""


def progress(state: WizardState, cloud: str) -> PorterHandoff:
    return getattr(state, cloud)


def current_credential(state: WizardState, cloud: str) -> str:
    """The identifier of the credential Porter should hold now ("" when there is none yet)."""
    if cloud == "aws":
        aws = state.aws
        return f"{aws.role_arn}|{aws.external_id}" if aws.role_arn and aws.external_id else ""
    if cloud == "azure":
        return state.azure.secret_key_id
    if cloud == "gcp":
        return state.gcp.key_id
    raise ValueError(cloud)


def porter_is_current(state: WizardState, cloud: str) -> bool:
    """Porter was given the credential the cloud uses now (not an older one)."""
    current = current_credential(state, cloud)
    return bool(current) and progress(state, cloud).porter_credential == current


def record(state: WizardState, cloud: str, via: str, integration_id: str = "") -> None:
    """Porter has the current credential, given through `via` ("api" or "manual")."""
    p = progress(state, cloud)
    p.porter_via, p.porter_credential = via, current_credential(state, cloud)
    p.porter_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    if integration_id:
        p.porter_integration_id = integration_id


def items(state: WizardState, secrets: SecretStore, cloud: str) -> list[HandoffItem]:
    """What Porter needs, in the order its dashboard asks for it. The secret is read from the
    keyring here, just in time, and raises when the keyring no longer holds it."""
    if cloud == "aws":
        aws = state.aws
        return [HandoffItem("Account ID", aws.account_id, where="AWS account ID"),
                HandoffItem("Role ARN", aws.role_arn, where="the role Porter assumes"),
                HandoffItem("ExternalId", aws.external_id, where="the ExternalId Porter presents")]
    if cloud == "azure":
        az = state.azure
        return [HandoffItem("Tenant ID", az.tenant_id, where="Tenant ID"),
                HandoffItem("Subscription ID", az.subscription_id, where="Subscription ID"),
                HandoffItem("Client ID", az.client_id, where="App ID / Client ID"),
                HandoffItem("Client secret", _secret(secrets, az.secret_name, "client secret"),
                            secret=True, where="Password")]
    if cloud == "gcp":
        gcp = state.gcp
        found = [HandoffItem("Project ID", gcp.project_id),
                 HandoffItem("Service account", gcp.client_email)]
        if gcp.key_file and Path(gcp.key_file).is_file():
            found.append(HandoffItem("Key file", gcp.key_file, where="upload this file"))
        found.append(HandoffItem("Key (JSON)", _secret(secrets, gcp.secret_name, "service-account key"),
                                 secret=True, where="the key file's contents"))
        return found
    raise ValueError(cloud)


def _secret(secrets: SecretStore, name: str, what: str) -> str:
    """Read just in time: from the keyring, or from memory when this run keeps it there."""
    value = secrets.get(name)
    if not value:
        raise secrets.missing(name, what, "Go back to the step that made it and make or give it again.")
    return value


def send(state: WizardState, secrets: SecretStore, cloud: str, client: PorterClient) -> str:
    """Give Porter the credentials through its API; returns Porter's integration ID."""
    if cloud == "aws":
        aws = state.aws
        return client.connect_aws(aws.role_arn, aws.external_id)
    if cloud == "azure":
        az = state.azure
        return client.connect_azure(client_id=az.client_id, subscription_id=az.subscription_id,
                                    tenant_id=az.tenant_id,
                                    secret=_secret(secrets, az.secret_name, "client secret"))
    if cloud == "gcp":
        gcp = state.gcp
        return client.connect_gcp(key_json=_secret(secrets, gcp.secret_name, "service-account key"),
                                  project_id=gcp.project_id)
    raise ValueError(cloud)


def access_identifier(state: WizardState, cloud: str, integration_id: str) -> str:
    """What Porter's access check is keyed by: the role ARN for AWS (as the dashboard asks),
    Porter's credential ID for the others."""
    return state.aws.role_arn if cloud == "aws" else integration_id


def wait_for_access(client: PorterClient, cloud: str, identifier: str, *,
                    on_percent: Callable[[int], None], cancelled: Callable[[], bool],
                    sleep: Callable[[float], None] = time.sleep,
                    timeout_s: float = ACCESS_CHECK_SECONDS, poll_s: float = 3.0) -> int:
    """Follow Porter's own check of its access (0-100) until it reaches 100, the time is up or
    the user stops; returns the last percentage."""
    deadline = time.monotonic() + timeout_s
    percent = 0
    while True:
        percent = client.permissions_percent(cloud, identifier)
        on_percent(percent)
        if percent >= 100 or cancelled() or time.monotonic() + poll_s > deadline:
            return percent
        sleep(poll_s)


def porter_login_client():
    """A client for Porter's API from Porter CLI's login (or PORTER_* variables), or None."""
    from .porter.client import PorterClient
    from .porter.login import find_login

    login = find_login()
    return PorterClient(login) if login else None


@dataclass(frozen=True)
class PorterStatus:
    """For `porter-wizard status`: does Porter hold what this cloud uses now?"""

    cloud: str
    ok: bool
    text: str


_THING = {"aws": "role and ExternalId", "azure": "client secret", "gcp": "service-account key"}


def porter_statuses(state: WizardState) -> list[PorterStatus]:
    out = []
    for cloud in CLOUDS:
        if not current_credential(state, cloud):
            continue  # that cloud was not set up
        p, thing = progress(state, cloud), _THING[cloud]
        if porter_is_current(state, cloud):
            how = "through its API" if p.porter_via == "api" else "by hand"
            out.append(PorterStatus(cloud, True, f"Porter has the current {thing} (given {how}, {p.porter_at})"))
        elif state.porter_mode == "standalone" and not p.porter_credential:
            out.append(PorterStatus(cloud, True, f"not given to Porter (standalone); "
                                                 f"`porter-wizard handoff {cloud}` shows what to give it"))
        elif not state.porter_mode and not p.porter_credential:
            # Set up by a wizard that did not record the hand-off yet: unknown, not an alarm.
            out.append(PorterStatus(cloud, True, f"not recorded whether Porter has the {thing}; once it "
                                                 f"does, `porter-wizard handoff {cloud} --done` records it"))
        else:
            older = " (it has an older one)" if p.porter_credential else ""
            out.append(PorterStatus(cloud, False, f"Porter does NOT have the current {thing}{older}: "
                                                  f"`porter-wizard handoff {cloud}` shows what to give it"))
    az = state.azure
    if az.old_secret_key_id:
        until = f" until {az.old_secret_expires_at[:10]}" if az.old_secret_expires_at else ""
        out.append(PorterStatus("azure", False, f"the previous client secret ({az.old_secret_key_id}) is "
                                                f"still valid{until} because Porter may still use it: once "
                                                "Porter has the new one, run `porter-wizard rotate azure --finish`"))
    return out
