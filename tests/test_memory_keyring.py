"""The sandbox's keyring refuses what an OS keyring cannot store, so a bug that hands it None or
bytes fails in the sandbox and the tests as it would on a desktop, instead of passing quietly."""
from __future__ import annotations

import pytest

from wizard.sandbox.memory_keyring import MemoryKeyring


@pytest.mark.parametrize("value", [None, b"bytes", 42])
def test_only_text_is_stored(value):
    ring = MemoryKeyring()
    with pytest.raises(TypeError):
        ring.set_password("porter-wizard", "azure", value)
    assert ring.get_password("porter-wizard", "azure") is None


def test_text_is_stored_and_deleted():
    ring = MemoryKeyring()
    ring.set_password("porter-wizard", "azure", "s3cret")
    assert ring.get_password("porter-wizard", "azure") == "s3cret"
    ring.delete_password("porter-wizard", "azure")
    assert ring.get_password("porter-wizard", "azure") is None
