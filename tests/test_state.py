"""Progress is saved atomically, privately, and a damaged file is reported, not crashed on."""
from __future__ import annotations

import json
import os
import stat

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wizard.errors import StateFileError
from wizard.state import SecretRecord, StateStore, WizardState


def test_round_trip_and_private_mode(tmp_path):
    store = StateStore(tmp_path / "cfg" / "state.json")
    state = WizardState(step="aws.grant", project="acme", cloud="aws")
    state.aws.account_id = "123456789012"
    state.secrets["aws-secret-access-key"] = SecretRecord(kind="aws-access-key", stored_at="2026-11-23")
    store.save(state)
    assert store.load() == state
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(store.path.parent).st_mode) == 0o700
    assert [p.name for p in store.path.parent.iterdir()] == ["state.json"]  # no temp file left


def test_missing_file_is_a_fresh_start(tmp_path):
    assert StateStore(tmp_path / "none.json").load() == WizardState()


def test_a_failed_write_keeps_the_previous_file(tmp_path, monkeypatch):
    store = StateStore(tmp_path / "state.json")
    store.save(WizardState(step="aws.account"))

    def boom(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError):
        store.save(WizardState(step="aws.verify"))
    monkeypatch.undo()
    assert store.load().step == "aws.account"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


@pytest.mark.parametrize("content", [
    "", "{", '{"version": 1, "step": ', "null", "[]", '{"version": 99}',
    '{"version": 1, "step": 7}', '{"version": 1, "aws": {"account_id": []}}', "\x00\x01binary",
])
def test_damaged_files_raise_a_clear_error(tmp_path, content):
    path = tmp_path / "state.json"
    path.write_text(content)
    with pytest.raises(StateFileError) as caught:
        StateStore(path).load()
    assert "damaged" in caught.value.title and "Start over" in caught.value.next_step


@settings(max_examples=200)
@given(st.binary(max_size=300))
def test_any_bytes_load_or_raise_state_file_error(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("s") / "state.json"
    path.write_bytes(data)
    try:
        StateStore(path).load()
    except StateFileError:
        pass


def test_truncated_real_file_and_set_aside(tmp_path):
    store = StateStore(tmp_path / "state.json")
    store.save(WizardState(step="aws.grant", project="acme"))
    full = store.path.read_text()
    store.path.write_text(full[: len(full) // 2])
    with pytest.raises(StateFileError):
        store.load()
    kept = store.set_aside()
    assert kept.read_text() == full[: len(full) // 2] and not store.path.exists()
    assert store.load() == WizardState()


def test_unknown_keys_from_a_newer_wizard_are_ignored(tmp_path):
    path = tmp_path / "state.json"
    data = json.loads(WizardState(step="aws.verify").to_json())
    data["future"] = {"x": 1}
    data["aws"]["future_field"] = "y"
    path.write_text(json.dumps(data))
    assert StateStore(path).load().step == "aws.verify"
