"""The service-account key after the offline checks: does Google accept it, and can it use its
project? Then: the keyring (the only place the key is kept), the state (identifiers only), and
the API session every later step uses.
"""
from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

from ..errors import CloudError
from ..secret_store import SecretStore
from ..state import GcpProgress, SecretRecord, WizardState
from .errors import gcp_call
from .key import ServiceAccountKey, parse_key
from .session import GcpApi, GcpHttpError

SECRET_KIND = "gcp-service-account-key"


def verify_key(key: ServiceAccountKey, **api_kwargs) -> GcpApi:
    """Exchange the key for a token at its token_uri, then read its project through Service Usage
    (always on, unlike the five APIs the next step enables). Raises CloudError with Google's
    reason: a disabled or deleted key, a gone account, the wrong project, no network."""
    api = GcpApi.for_key(key.info, **api_kwargs)
    with gcp_call("sign in with this key"):
        api.refresh_token()
    try:
        with gcp_call(f"read project {key.project_id}"):
            api.get("serviceusage", f"/v1/projects/{key.project_id}/services/serviceusage.googleapis.com")
    except CloudError as exc:
        if exc.code in ("PERMISSION_DENIED", "CONSUMER_INVALID", "NOT_FOUND", "IAM_PERMISSION_DENIED"):
            raise CloudError("This key can't use its project",
                             f"Google signed the service account in, but it may not use project "
                             f"{key.project_id} (the project was deleted, or the account has no role there): "
                             f"{exc.what}",
                             "Check the project in the console's project picker, and grant the account the Owner "
                             "role on it (IAM & Admin → IAM), then press Continue again.", code=exc.code) from None
        raise
    return api


def store_key(state: WizardState, store: SecretStore, key: ServiceAccountKey) -> None:
    """Keyring first, then the record: a record never points at a key that is not there. The key
    is read back before anything else happens, so deleting the downloaded file loses nothing.

    The state is not touched until the new key is stored and read back: when the keyring refuses
    (or keeps something else), the record still names the old key, which is still stored, and
    nothing is orphaned. Only then is the old entry removed."""
    gcp = state.gcp
    old_name = gcp.secret_name if gcp.client_email else ""
    new_name = secret_name_for(key)
    text = _canonical(key)
    store.put(new_name, text)
    if store.get(new_name) != text:
        if new_name != old_name:
            store.delete(new_name)  # what it kept is not the key: leave nothing behind
        raise CloudError("The keyring did not keep the key", "The key read back from the keyring differs "
                         "from what was stored.", "Check your keyring, then press Continue again.", code="Keyring")
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    gcp.project_id, gcp.client_email, gcp.key_id = key.project_id, key.client_email, key.key_id
    gcp.universe_domain = key.universe_domain
    gcp.key_stored_at = now
    # Google's user-managed keys do not expire unless an organisation policy says so.
    state.secrets[new_name] = SecretRecord(kind=SECRET_KIND, stored_at=now, expires_at="",
                                           session_only=store.session_only)
    if old_name and old_name != new_name:
        state.secrets.pop(old_name, None)
        store.delete(old_name)


def secret_name_for(key: ServiceAccountKey) -> str:
    """The keyring entry a key is stored under: what ``GcpProgress.secret_name`` names once the
    state records this key."""
    return GcpProgress(client_email=key.client_email, key_id=key.key_id).secret_name


def _canonical(key: ServiceAccountKey) -> str:
    import json

    return json.dumps(key.info, sort_keys=True)


def load_key(state: WizardState, store: SecretStore) -> ServiceAccountKey:
    text = store.get(state.gcp.secret_name) if state.gcp.client_email else None
    if not text:
        missing = store.missing(state.gcp.secret_name, "service-account key",
                                "Go back to the key step and give the key again.")
        raise CloudError(missing.title, missing.what, missing.next_step, code="NoKey")
    return parse_key(text, None)


def project_api(state: WizardState, store: SecretStore, **api_kwargs) -> GcpApi:
    """The API session for the stored key (what every step after the key uses)."""
    return GcpApi.for_key(load_key(state, store).info, **api_kwargs)


def delete_key_file(path: Path) -> None:
    """Remove the downloaded key (the user said yes). Only its keyring copy remains."""
    try:
        os.remove(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise CloudError("Could not delete the key file", f"{path}: {exc.strerror or exc}.",
                         "Delete it yourself (it is safe: the key is in your keyring).", code="Delete") from None


__all__ = ["GcpHttpError", "SECRET_KIND", "delete_key_file", "load_key", "project_api", "store_key", "verify_key"]
