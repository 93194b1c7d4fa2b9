"""Every parser and validator of what a person types or a file holds, fed whatever hypothesis makes:
each answers with a valid result or its documented error (InputError for fields; ValueError from
parse_state; StateFileError from StateStore.load; None from find_login) — never another exception.

Each property runs 300 examples here, and 10,000 in its `slow` twin (`pytest -m slow`).
"""
from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wizard import redaction
from wizard.aws.account import normalise_account_id
from wizard.aws.keys import validate_key_id, validate_secret
from wizard.aws.porter_link import PorterLink, parse_external_id_or_link
from wizard.azure.ids import validate_guid
from wizard.errors import InputError, StateFileError
from wizard.porter.login import PorterLogin, find_login
from wizard.project import validate_project_name
from wizard.state import StateStore, WizardState, parse_state

from . import test_porter_link as porter_link_tests

NORMAL = 300
SLOW = 10_000
_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]


def fuzz(strategy, examples: int):
    """`@given(strategy)` with `examples` examples and no deadline (a busy CI machine is slow)."""
    def wrap(check):
        return settings(max_examples=examples, deadline=None, suppress_health_check=_QUIET)(
            given(strategy)(check))
    return wrap


def chunks(*pieces: str, max_size: int = 20):
    """Text made of meaningful pieces (and a little noise), next to plain random text."""
    piece = st.one_of(st.sampled_from(pieces), st.text(max_size=3))
    return st.one_of(st.text(max_size=200), st.lists(piece, max_size=max_size).map("".join))


@pytest.fixture(autouse=True, scope="module")
def _forget_fuzzed_tokens():
    """find_login registers each token it finds for redaction; thousands of generated ones
    ("true", "http"...) must not redact later tests' logs."""
    kept = set(redaction._secrets)
    yield
    with redaction._lock:
        redaction._secrets.clear()
        redaction._secrets.update(kept)


# --- the AWS account ID ------------------------------------------------------------------------

_ACCOUNT = chunks("123456789012", "1234", "5678", "-", " ", "\t", "\n", "–", "—", "‐", "arn:aws:iam::",
                  "arn:aws-cn:sts::", "arn:", ":", ":role/x", "AKIA", "ASIA", "ABCDEFGHIJKL", "٣", "²", "0")


def _account_id(text: str) -> None:
    try:
        got = normalise_account_id(text)
    except InputError as err:
        assert err.what
        return
    assert re.fullmatch(r"[0-9]{12}", got), got


test_account_id = fuzz(_ACCOUNT, NORMAL)(_account_id)
test_account_id_slow = pytest.mark.slow(fuzz(_ACCOUNT, SLOW)(_account_id))


# --- the project name --------------------------------------------------------------------------

_PROJECT = st.one_of(
    chunks("acme", "-", "prod", "0", "9", "A", " ", "é", "_", ".", "\u0130", "ß", "ǅ", "\x00"),
    st.from_regex(r"\A[a-z][a-z0-9-]{0,40}\Z"))


def _project_name(text: str) -> None:
    try:
        got = validate_project_name(text)
    except InputError as err:
        assert err.what
        return
    assert re.fullmatch(r"[a-z][a-z0-9-]{1,28}[a-z0-9]", got, re.ASCII), got


test_project_name = fuzz(_PROJECT, NORMAL)(_project_name)
test_project_name_slow = pytest.mark.slow(fuzz(_PROJECT, SLOW)(_project_name))


# --- Azure's GUIDs -----------------------------------------------------------------------------

_GUID = st.one_of(
    chunks("72f988bf", "86f1", "41AF", "91ab", "2d7cd011db47", "-", "{", "}", " ", "@", ".", "g", "٣",
           "ｆ", "0" * 32),
    st.uuids().map(str),
    st.uuids().map(lambda u: "{" + str(u).upper() + "}"),
    st.uuids().map(lambda u: u.hex))


def _guid(text: str) -> None:
    try:
        got = validate_guid(text, "tenant ID")
    except InputError as err:
        assert err.what
        return
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", got), got


test_guid = fuzz(_GUID, NORMAL)(_guid)
test_guid_slow = pytest.mark.slow(fuzz(_GUID, SLOW)(_guid))


# --- AWS access keys ---------------------------------------------------------------------------

_KEYS = chunks("AKIA", "ASIA", "IOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", " ", "\t",
               "\n", "\u00a0", "\u2028", "a", "Ａ", "٣", "+", "/")


def _access_keys(text: str) -> None:
    try:
        got = validate_key_id(text)
    except InputError as err:
        assert err.what
    else:
        assert re.fullmatch(r"[A-Z0-9]{16,128}", got), got
    try:
        got = validate_secret(text)
    except InputError as err:
        assert err.what
    else:
        assert got and not any(ch.isspace() for ch in got), got


test_access_keys = fuzz(_KEYS, NORMAL)(_access_keys)
test_access_keys_slow = pytest.mark.slow(fuzz(_KEYS, SLOW)(_access_keys))


# --- Porter's link (600 examples in tests/test_porter_link.py; here only the slow twin) --------

_LINK = st.one_of(st.text(max_size=300), st.lists(porter_link_tests._CHUNKS, max_size=25).map("".join))


def _porter_link(text: str) -> None:
    try:
        got = parse_external_id_or_link(text)
    except InputError as err:
        assert err.what
        return
    assert isinstance(got, str) or (isinstance(got, PorterLink) and got.template_url.startswith("https://"))


test_porter_link_slow = pytest.mark.slow(fuzz(_LINK, SLOW)(_porter_link))


# --- the state file ----------------------------------------------------------------------------

_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20))
_JSON = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)), max_leaves=20)
_VALID = json.loads(WizardState().to_json())


def _with_one_change(path_and_value) -> dict:
    """The saved state of a fresh wizard with one key (perhaps nested) replaced or added."""
    (section, key), value = path_and_value
    doc = json.loads(json.dumps(_VALID))
    target = doc.get(section) if section else doc
    if isinstance(target, dict):
        target[key] = value
    else:
        doc[key] = value
    return doc


_KEYS_OF = st.sampled_from([(None, k) for k in _VALID]
                           + [(s, k) for s in ("aws", "azure", "gcp") for k in _VALID[s]]
                           + [(None, "secrets"), ("secrets", "azure/client-secret"), (None, "version")])
_STATE_DOC = st.one_of(
    _JSON,
    st.tuples(_KEYS_OF, _JSON).map(_with_one_change),
    st.dictionaries(st.sampled_from(sorted(_VALID)), _JSON, max_size=6).map(lambda d: {"version": 1, **d}),
    st.dictionaries(st.text(max_size=8), st.dictionaries(st.text(max_size=8), _JSON, max_size=3), max_size=3)
    .map(lambda d: {"version": 1, "secrets": d}))
_STATE_TEXT = st.one_of(_STATE_DOC.map(json.dumps), st.text(max_size=200),
                        st.sampled_from(['{"version": 1', "[]", "null", '{"version": 1e999}', "NaN", "{}",
                                         '{"version": true}', '{"version": 1, "aws": []}']))


def _parse_state(text: str) -> None:
    try:
        got = parse_state(text)
    except ValueError:  # the documented refusal (JSONDecodeError is one)
        return
    assert isinstance(got, WizardState)
    parse_state(got.to_json())  # what was accepted saves and reads back


test_parse_state = fuzz(_STATE_TEXT, NORMAL)(_parse_state)
test_parse_state_slow = pytest.mark.slow(fuzz(_STATE_TEXT, SLOW)(_parse_state))


def _corrupt(cut) -> bytes:
    data, (start, length, junk) = cut
    return data[:start] + junk + data[start + length:]


_VALID_BYTES = WizardState().to_json().encode()
_STATE_BYTES = st.one_of(
    st.binary(max_size=300),
    _STATE_TEXT.map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.tuples(st.just(_VALID_BYTES), st.tuples(st.integers(0, len(_VALID_BYTES)), st.integers(0, 50),
                                               st.binary(max_size=8))).map(_corrupt),
    st.sampled_from([b"\xff\xfe{}", b"\xef\xbb\xbf" + _VALID_BYTES, b"[" * 100_000, b"\x00" * 10]))
_STATE_DIR = Path(tempfile.mkdtemp(prefix="fuzz-state-"))


def _load_state(data: bytes) -> None:
    path = _STATE_DIR / "state.json"
    path.write_bytes(data)
    try:
        got = StateStore(path).load()
    except StateFileError as err:
        assert err.what
        return
    assert isinstance(got, WizardState)


test_state_store_load = fuzz(_STATE_BYTES, NORMAL)(_load_state)
test_state_store_load_slow = pytest.mark.slow(fuzz(_STATE_BYTES, SLOW)(_load_state))


# --- Porter CLI's config (~/.porter/porter.yaml) ------------------------------------------------

_YAML_SCALAR = st.one_of(_SCALARS, st.dates(), st.datetimes(), st.binary(max_size=8),
                         st.from_regex(r"\A[0-9]{1,6000}\Z"), st.sampled_from(["https://x", "http://", "0"]))
_YAML_DOC = st.one_of(
    st.fixed_dictionaries({}, optional={"token": _YAML_SCALAR, "project": _YAML_SCALAR, "host": _YAML_SCALAR,
                                        "cluster": _YAML_SCALAR}).map(yaml.safe_dump),
    st.recursive(_YAML_SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.text(max_size=6), inner, max_size=3)),
                 max_leaves=10).map(yaml.safe_dump),
    chunks("token: ", "project: ", "host: ", "cluster: ", "\n", "  ", "- ", "? ", ": ", "[", "]", "{", "}",
           "&a ", "*a", "!!int ", "!!float ", "!!timestamp ", "!!binary ", "!!python/object:os.system ",
           "!!set ", "!!omap ", "2001-13-01", "2001-02-03", "12:30:00", "0x1F", "1_000", "0o17", ".inf",
           "1" * 5000, "https://dashboard.getporter.dev/", "t0k3n", "%YAML 1.1\n", "---\n", "...\n", "#",
           "\t", "'", '"', "\\", "\x00", "\ufeff", max_size=30))
_ENV = st.dictionaries(st.sampled_from(["PORTER_TOKEN", "PORTER_PROJECT", "PORTER_HOST"]),
                       st.one_of(st.text(max_size=20), st.from_regex(r"\A[0-9]{1,5000}\Z")), max_size=3)
_HOME = Path(tempfile.mkdtemp(prefix="fuzz-porter-home-"))
(_HOME / ".porter").mkdir()


def _porter_config(case) -> None:
    text, environ = case
    (_HOME / ".porter" / "porter.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
    got = find_login(environ, _HOME)
    if got is None:
        return
    assert isinstance(got, PorterLogin)
    assert got.token and got.host.startswith(("https://", "http://"))
    assert got.project.isascii() and got.project.isdigit() and not got.project.startswith("0")


_PORTER_CASE = st.tuples(_YAML_DOC, st.one_of(st.just({}), _ENV))
test_porter_config = fuzz(_PORTER_CASE, NORMAL)(_porter_config)
test_porter_config_slow = pytest.mark.slow(fuzz(_PORTER_CASE, SLOW)(_porter_config))
