"""A keyring that lives in the process's memory, for sandbox mode and tests.

Set it with keyring.set_keyring(MemoryKeyring()) or, for a subprocess,
PYTHON_KEYRING_BACKEND=wizard.sandbox.memory_keyring.MemoryKeyring.
"""
from __future__ import annotations

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]  # only ever chosen explicitly

    def __init__(self) -> None:
        super().__init__()
        self._items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        # As the OS keyrings, which encode the text they are given: anything else fails there too.
        if not isinstance(password, str):
            raise TypeError(f"a keyring stores text, not {type(password).__name__}")
        self._items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self._items.pop((service, username), None) is None:
            raise PasswordDeleteError(username)
