"""The platform's service principal as the wizard uses it after setup: its client secret from the
keyring, its expiry recorded (never the secret) in the state for reminders."""
from __future__ import annotations

from datetime import datetime, timezone

from ..errors import CloudError
from ..secret_store import SecretStore
from ..state import AzureProgress, SecretRecord, WizardState
from .cloud import AzureCloud, current_cloud
from .credentials import ServicePrincipal, secret_credential

SECRET_KIND = "azure-client-secret"
SECRET_DAYS = 365  # Azure's own limit for client secrets; the docs' rotation advice follows it


def porter_credential(azure: AzureProgress, store: SecretStore, cloud: AzureCloud | None = None):
    """A credential for the service principal the platform uses, from the keyring."""
    secret = store.get(azure.secret_name) if azure.client_id else None
    if not secret:
        missing = store.missing(azure.secret_name, "client secret",
                                "Go back to Sign in and type the secret again, or run the setup again "
                                "(it makes a new secret for the same service principal).")
        raise CloudError(missing.title, missing.what, missing.next_step, code="NoSecret")
    return secret_credential(cloud or current_cloud(),
                             ServicePrincipal(azure.tenant_id, azure.client_id), secret)


def store_secret(state: WizardState, store: SecretStore, secret: str,
                 expires_at: datetime | None) -> None:
    """Keyring first, then the record: a record never points at a secret that is not there."""
    store.put(state.azure.secret_name, secret)
    now = datetime.now(timezone.utc)
    state.secrets[state.azure.secret_name] = SecretRecord(
        kind=SECRET_KIND, stored_at=now.isoformat(timespec="seconds"),
        expires_at=expires_at.isoformat(timespec="seconds") if expires_at else "",
        session_only=store.session_only)
