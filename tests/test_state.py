"""Progress is saved atomically, privately, and a damaged file is reported, not crashed on: the
error names what is wrong (support reads it) and how to start over."""
from __future__ import annotations

import json
import os
import stat

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wizard import state as state_module
from wizard.errors import StateFileError
from wizard.state import SecretRecord, StateStore, WizardState

START_OVER = "Start over: the damaged file is kept beside it as a .damaged copy for support."
FROM_A_COMMAND = ("Run porter-wizard and press Start over (the damaged file is kept beside it as a .damaged "
                  "copy for support), or start over with `porter-wizard --reset`.")


def _full_state() -> WizardState:
    """Something in every part of the file, so a part that is not read back shows."""
    state = WizardState(step="gcp.provision", project="Café ✓", cloud="gcp", porter_mode="api")
    state.aws.account_id, state.aws.quota_requests = "123456789012", {"vcpu": "req-1"}
    state.aws.quota_auto = False
    state.azure.tenant_id, state.azure.quota_requests = "tenant-1", {"cores": "q-2"}
    state.gcp.project_id, state.gcp.key_id = "acme-prod", "k1"
    state.secrets["aws-secret-access-key"] = SecretRecord(kind="aws-access-key", stored_at="2026-11-23")
    state.secrets["azure-client-secret/app"] = SecretRecord(
        kind="azure-client-secret", stored_at="2026-11-23", expires_at="2027-11-23", session_only=True)
    return state


def _damaged(tmp_path, content: str) -> StateFileError:
    path = tmp_path / "state.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(StateFileError) as caught:
        StateStore(path).load()
    return caught.value


def test_round_trip_and_private_mode(tmp_path):
    store = StateStore(tmp_path / "cfg" / "state.json")
    state = _full_state()
    store.save(state)
    assert store.load() == state
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(store.path.parent).st_mode) == 0o700
    assert [p.name for p in store.path.parent.iterdir()] == ["state.json"]  # no temp file left


def test_saving_again_replaces_the_file(tmp_path):
    store = StateStore(tmp_path / "state.json")
    store.save(_full_state())
    store.save(WizardState(step="aws.account"))
    assert store.load() == WizardState(step="aws.account")
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600


def test_the_file_is_readable_by_a_person(tmp_path):
    """Support reads this file: one field per line, two-space indents, keys in order."""
    store = StateStore(tmp_path / "state.json")
    store.save(_full_state())
    lines = store.path.read_text(encoding="utf-8").splitlines()
    top = [line.split('"')[1] for line in lines if line.startswith('  "')]
    assert top == sorted(top) and "version" in top and "aws" in top
    assert '    "account_id": "123456789012",' in lines


def test_the_new_file_is_written_beside_the_old_under_a_hidden_name(tmp_path, monkeypatch):
    """The rename that replaces the file is atomic only within one folder, and a temporary file a
    crash leaves behind must not look like progress."""
    store = StateStore(tmp_path / "state.json")
    store.save(WizardState(step="aws.account"))
    seen: list[list[str]] = []
    real_fsync = os.fsync

    def spying_fsync(fd):
        seen.append(sorted(p.name for p in tmp_path.iterdir()))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spying_fsync)
    store.save(WizardState(step="aws.verify"))
    while_writing = seen[0]
    assert len(while_writing) == 2 and while_writing[1] == "state.json"
    assert while_writing[0].startswith(".state-")


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


def test_the_oldest_readable_file_is_just_a_version(tmp_path):
    """Every part but the version may be missing: it is then as a fresh start has it."""
    path = tmp_path / "state.json"
    path.write_text('{"version": 1}')
    assert StateStore(path).load() == WizardState()


@pytest.mark.parametrize("content", [
    "", "{", '{"version": 1, "step": ', "\x00\x01binary", '{"version": 1,}',
])
def test_truncated_and_corrupted_files_are_damaged(tmp_path, content):
    error = _damaged(tmp_path, content)
    assert (error.title, error.next_step, error.from_a_command) == ("Saved progress is damaged", START_OVER,
                                                                   FROM_A_COMMAND)
    assert error.what.startswith(f"{tmp_path / 'state.json'} is not a progress file this wizard can read (")


@pytest.mark.parametrize("content, reason", [
    ("null", "the file is not a JSON object"),
    ("[]", "the file is not a JSON object"),
    ("{}", "unknown format version None"),
    ('{"version": 99}', "unknown format version 99"),
    ('{"version": "1"}', "unknown format version '1'"),
    ('{"version": true}', "unknown format version True"),
    ('{"version": 1.0}', "state.version should be a int"),
    ('{"version": 1, "step": 7}', "state.step should be a str"),
    ('{"version": 1, "project": null}', "state.project should be a str"),
    ('{"version": 1, "aws": []}', "aws should be an object"),
    ('{"version": 1, "aws": {"account_id": []}}', "aws.account_id should be a str"),
    ('{"version": 1, "aws": {"quota_auto": "yes"}}', "aws.quota_auto should be a bool"),
    ('{"version": 1, "aws": {"quota_requests": []}}', "aws.quota_requests should map names to strings"),
    ('{"version": 1, "aws": {"quota_requests": {"vcpu": 5}}}', "aws.quota_requests should map names to strings"),
    ('{"version": 1, "azure": 5}', "azure should be an object"),
    ('{"version": 1, "azure": {"tenant_id": 5}}', "azure.tenant_id should be a str"),
    ('{"version": 1, "gcp": "x"}', "gcp should be an object"),
    ('{"version": 1, "gcp": {"key_id": false}}', "gcp.key_id should be a str"),
    ('{"version": 1, "secrets": []}', "secrets should be an object"),
    ('{"version": 1, "secrets": {"x": 3}}', "secrets.x should be an object"),
    ('{"version": 1, "secrets": {"x": {}}}', "secrets.x lacks kind, stored_at"),
    ('{"version": 1, "secrets": {"x": {"kind": "k"}}}', "secrets.x lacks stored_at"),
    ('{"version": 1, "secrets": {"x": {"kind": "k", "stored_at": "t", "session_only": "no"}}}',
     "secrets.x.session_only should be a bool"),
])
def test_a_damaged_file_says_what_is_wrong(tmp_path, content, reason):
    error = _damaged(tmp_path, content)
    assert error.what == f"{tmp_path / 'state.json'} is not a progress file this wizard can read ({reason})."
    assert (error.title, error.next_step, error.from_a_command) == ("Saved progress is damaged", START_OVER,
                                                                   FROM_A_COMMAND)


def test_a_secret_record_with_only_what_it_needs_loads(tmp_path):
    path = tmp_path / "state.json"
    path.write_text('{"version": 1, "secrets": {"x": {"kind": "k", "stored_at": "t"}}}')
    assert StateStore(path).load().secrets == {"x": SecretRecord(kind="k", stored_at="t")}


def test_a_long_reason_is_cut_short(tmp_path):
    """A hostile file cannot make the message (and the log line) as long as itself."""
    error = _damaged(tmp_path, json.dumps({"version": "v" * 5000}))
    reason = ("unknown format version '" + "v" * 5000)[:200]
    assert error.what.endswith(f"({reason}).")


def test_deep_nesting_is_damage_not_a_crash(tmp_path):
    error = _damaged(tmp_path, "[" * 200_000 + "]" * 200_000)
    assert error.what.endswith("(nested too deeply).")


def test_running_out_of_memory_while_parsing_is_damage(tmp_path, monkeypatch):
    def exhausted(text):
        raise MemoryError

    monkeypatch.setattr(state_module, "parse_state", exhausted)
    assert _damaged(tmp_path, '{"version": 1}').what.endswith("(too big).")


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
    assert kept.parent == tmp_path and kept.name.startswith("state.json.damaged-")
    assert kept.read_text() == full[: len(full) // 2] and not store.path.exists()
    assert store.load() == WizardState()
    assert store.set_aside() is None  # nothing left to set aside


def test_reset_removes_the_file_and_is_fine_when_there_is_none(tmp_path):
    store = StateStore(tmp_path / "state.json")
    store.save(WizardState(step="aws.grant"))
    store.reset()
    assert not store.path.exists()
    store.reset()
    assert store.load() == WizardState()


def test_unknown_keys_from_a_newer_wizard_are_ignored(tmp_path):
    path = tmp_path / "state.json"
    data = json.loads(WizardState(step="aws.verify").to_json())
    data["future"] = {"x": 1}
    data["aws"]["future_field"] = "y"
    path.write_text(json.dumps(data))
    assert StateStore(path).load().step == "aws.verify"
