"""Secrets go to the OS keyring and nowhere else.

Or, when the user chose it on a machine without a keyring, to this process's memory for this run
only (`SecretStore.for_this_run`): never a file; a relaunch asks for the secret again.

When no real keyring is usable (a headless Linux box with no Secret Service, say) we refuse to store
the secret and say how to fix it; we never fall back to a file, and we treat keyrings.alt's file
backends as "no keyring" because they silently write secrets to disk.
"""
from __future__ import annotations

import keyring
import keyring.backend
import keyring.errors

from .errors import KeyringUnavailable, WizardError
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


#: The button the Azure and Google Cloud screens offer when there is no keyring.
THIS_RUN_BUTTON = "Keep it for this run only"

_KEYRING_RECIPE = ("On a desktop, unlock your login keyring (GNOME Keyring, KWallet, macOS Keychain). On a "
                   "server, install and start one (`apt install gnome-keyring dbus-user-session`, then "
                   "`dbus-run-session -- sh`, `gnome-keyring-daemon --unlock`)")


def _advice(cloud: str) -> str:
    if cloud == "aws":
        return (f"{_KEYRING_RECIPE}, or use an AWS profile instead of typing keys: then nothing needs "
                "storing.")
    if cloud in ("azure", "gcp"):
        what = "client secret" if cloud == "azure" else "service-account key"
        return (f"{_KEYRING_RECIPE}, then try again; or press {THIS_RUN_BUTTON}: the wizard keeps the "
                f"{what} in memory until it quits (never in a file), and a relaunch asks for it again.")
    return f"{_KEYRING_RECIPE}, then try again."


class SecretStore:
    def __init__(self, backend: keyring.backend.KeyringBackend | None = None, *,
                 session_only: bool = False) -> None:
        self._backend = backend
        #: Secrets live in this process's memory for this run only (the user chose it because
        #: there is no keyring); never written anywhere.
        self.session_only = session_only
        self._memory: dict[str, str] = {}
        #: Names an earlier run kept for that run only (the state's records say so): when they are
        #: missing now, the user is told to give them again rather than "not in the keyring".
        self.kept_by_an_earlier_run: set[str] = set()

    @classmethod
    def for_this_run(cls, backend: keyring.backend.KeyringBackend | None = None) -> SecretStore:
        """A store that keeps secrets in memory until the wizard quits."""
        return cls(backend, session_only=True)

    def keep_for_this_run(self) -> None:
        """Switch this store to memory for the rest of this run (the user pressed
        THIS_RUN_BUTTON): everyone holding the store sees the switch."""
        self.session_only = True

    def missing(self, name: str, what: str, give_again: str) -> WizardError:
        """The error for a secret that is not here: `what` names it ("client secret"),
        `give_again` says how to give it again (naming a button or step the user can reach)."""
        if name in self.kept_by_an_earlier_run:
            return WizardError(f"The {what} was kept for one run only",
                               f"An earlier run kept the {what} in memory only (there was no keyring), "
                               "so it ended with that run.", f"Give it again: {give_again}")
        return WizardError(f"The {what} is not in the keyring",
                           f"The wizard keeps the {what} only in your OS keyring, and it is not there "
                           "(another machine, a cleared keyring, or a sandbox session that has ended).",
                           give_again)

    @property
    def backend(self) -> keyring.backend.KeyringBackend:
        return self._backend or keyring.get_keyring()

    def problem(self, cloud: str = "") -> KeyringUnavailable | None:
        """Why secrets can't be stored here, or None when they can. `cloud` ("aws", "azure",
        "gcp") picks the advice that fits the screen asking."""
        if self.session_only:
            return None
        reason = _unusable_reason(self.backend)
        if reason is None:
            return None
        return KeyringUnavailable(
            "No keyring to keep your secret in",
            f"The wizard stores secrets only in your OS keyring, and {reason}.",
            _advice(cloud),
        )

    def put(self, name: str, value: str) -> None:
        if self.session_only:
            register_secret(value)
            self._memory[name] = value
            return
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
        if name in self._memory:
            return self._memory[name]
        if _unusable_reason(self.backend):
            return None
        try:
            value = self.backend.get_password(SERVICE, name)
        except keyring.errors.KeyringError:
            return None
        if value:
            register_secret(value)
        return value

    def delete(self, name: str) -> None:
        self._memory.pop(name, None)
        if self.session_only and _unusable_reason(self.backend):
            return
        try:
            self.backend.delete_password(SERVICE, name)
        except keyring.errors.PasswordDeleteError:
            pass  # already gone is what we wanted
