"""Secrets go to the OS keyring and nowhere else.

When no real keyring is usable (a headless Linux box with no Secret Service, say) we refuse to store
the secret and say how to fix it; we never fall back to a file, and we treat keyrings.alt's file
backends as "no keyring" because they silently write secrets to disk.
"""
from __future__ import annotations

import keyring
import keyring.backend
import keyring.errors

from .errors import KeyringUnavailable
from .redaction import register_secret

SERVICE = "porter-wizard"

# Backends that write to a file we would then have to call "a file with a secret in it".
_FILE_BACKENDS = ("keyrings.alt.file", "keyrings.alt.Gnome", "keyrings.alt.pyfs")


def _unusable_reason(backend: keyring.backend.KeyringBackend) -> str | None:
    module = type(backend).__module__
    if module.startswith("keyring.backends.fail") or module.startswith("keyring.backends.null"):
        return "no OS keyring backend is available on this machine"
    if module.startswith(_FILE_BACKENDS):
        return f"the only keyring available ({type(backend).__name__}) keeps secrets in a plain file"
    if module.startswith("keyring.backends.chainer"):
        children = getattr(backend, "backends", [])
        usable = [b for b in children if _unusable_reason(b) is None]
        if not usable:
            return "no OS keyring backend is available on this machine"
    return None


class SecretStore:
    def __init__(self, backend: keyring.backend.KeyringBackend | None = None) -> None:
        self._backend = backend

    @property
    def backend(self) -> keyring.backend.KeyringBackend:
        return self._backend or keyring.get_keyring()

    def problem(self) -> KeyringUnavailable | None:
        """Why secrets can't be stored here, or None when they can."""
        reason = _unusable_reason(self.backend)
        if reason is None:
            return None
        return KeyringUnavailable(
            "No keyring to keep your secret in",
            f"The wizard stores secrets only in your OS keyring, and {reason}.",
            "On a desktop, unlock your login keyring (GNOME Keyring, KWallet, macOS Keychain). On a "
            "server, install and start one (`apt install gnome-keyring dbus-user-session`, then "
            "`dbus-run-session -- sh`, `gnome-keyring-daemon --unlock`), or use an AWS profile instead "
            "of typing keys: then nothing needs storing.",
        )

    def put(self, name: str, value: str) -> None:
        problem = self.problem()
        if problem:
            raise problem
        register_secret(value)
        try:
            self.backend.set_password(SERVICE, name, value)
        except keyring.errors.KeyringError as exc:
            raise KeyringUnavailable(
                "The keyring refused the secret",
                f"Storing {name} failed: {type(exc).__name__}.",
                "Unlock your keyring and try again.",
            ) from None

    def get(self, name: str) -> str | None:
        if self.problem():
            return None
        try:
            value = self.backend.get_password(SERVICE, name)
        except keyring.errors.KeyringError:
            return None
        if value:
            register_secret(value)
        return value

    def delete(self, name: str) -> None:
        try:
            self.backend.delete_password(SERVICE, name)
        except keyring.errors.PasswordDeleteError:
            pass  # already gone is what we wanted
