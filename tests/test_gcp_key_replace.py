"""Replacing the stored service-account key when the keyring refuses the new one: the record keeps
naming the old key, which is still stored; nothing is orphaned."""
from __future__ import annotations

import json

import keyring.errors
import pytest

from wizard.errors import CloudError, KeyringUnavailable
from wizard.gcp.connection import load_key, store_key
from wizard.gcp.key import parse_key
from wizard.sandbox.memory_keyring import MemoryKeyring
from wizard.secret_store import SERVICE, SecretStore



class RefusingKeyring(MemoryKeyring):
    """Stores until told to refuse (a locked keyring), or to keep something else than given."""

    def __init__(self) -> None:
        super().__init__()
        self.refuse = False
        self.garble = False

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.refuse:
            raise keyring.errors.PasswordSetError("the keyring is locked")
        super().set_password(service, username, password[:-1] if self.garble else password)


@pytest.mark.parametrize("failure", ["refuse", "garble"])
def test_a_refused_new_key_leaves_the_old_one_recorded_and_stored(gcp, make_ctx, failure):
    backend = RefusingKeyring()
    ctx = make_ctx(secrets=SecretStore(backend))
    old = parse_key(json.dumps(gcp.make_key()), None)
    store_key(ctx.state, ctx.secrets, old)
    before = (ctx.state.gcp.key_id, ctx.state.gcp.secret_name, dict(ctx.state.secrets), ctx.state.gcp.key_stored_at)

    setattr(backend, failure, True)
    new = parse_key(json.dumps(gcp.make_key()), None)
    with pytest.raises(KeyringUnavailable if failure == "refuse" else CloudError) as failed:
        store_key(ctx.state, ctx.secrets, new)
    assert failed.value.title and failed.value.next_step

    assert (ctx.state.gcp.key_id, ctx.state.gcp.secret_name, dict(ctx.state.secrets),
            ctx.state.gcp.key_stored_at) == before
    assert load_key(ctx.state, ctx.secrets).key_id == old.key_id  # the record points at a stored key

    setattr(backend, failure, False)  # unlocked: the same replacement now goes through
    store_key(ctx.state, ctx.secrets, new)
    assert ctx.state.gcp.key_id == new.key_id and load_key(ctx.state, ctx.secrets).key_id == new.key_id
    assert list(ctx.state.secrets) == [ctx.state.gcp.secret_name]
    stored = [name for service, name in backend._items if service == SERVICE]
    assert stored == [ctx.state.gcp.secret_name]  # the old key was removed, nothing left behind
