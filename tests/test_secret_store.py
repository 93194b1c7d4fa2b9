"""Secrets go to a real keyring or nowhere: never to a file."""
from __future__ import annotations

import pytest
from keyring.backends import fail

from wizard.errors import KeyringUnavailable
from wizard.redaction import redact
from wizard.sandbox.memory_keyring import MemoryKeyring
from wizard.secret_store import SERVICE, SecretStore


def test_stores_in_the_keyring():
    backend = MemoryKeyring()
    store = SecretStore(backend)
    store.put("aws-secret-access-key", "s3cr3t-value-123")
    assert backend.get_password(SERVICE, "aws-secret-access-key") == "s3cr3t-value-123"
    assert store.get("aws-secret-access-key") == "s3cr3t-value-123"
    store.delete("aws-secret-access-key")
    store.delete("aws-secret-access-key")  # deleting what is gone is fine
    assert store.get("aws-secret-access-key") is None


def test_no_keyring_means_no_storing_and_says_how_to_fix():
    store = SecretStore(fail.Keyring())
    problem = store.problem()
    assert problem is not None and "gnome-keyring" in problem.next_step
    with pytest.raises(KeyringUnavailable):
        store.put("aws-secret-access-key", "never-written")


def test_plaintext_file_keyrings_count_as_no_keyring():
    class PlaintextKeyring(MemoryKeyring):
        pass

    PlaintextKeyring.__module__ = "keyrings.alt.file"
    assert "plain file" in SecretStore(PlaintextKeyring()).problem().what


def test_stored_secrets_are_redacted_from_log_lines():
    SecretStore(MemoryKeyring()).put("x", "hunter2-very-secret")
    assert "hunter2" not in redact("login with hunter2-very-secret failed")
    assert redact("key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY end") == "key [redacted] end"
