"""A key is a file someone sent: whatever its token_uri and universe_domain say, parse_key answers
with an InputError (shown under the key field) or a key whose hosts are plain DNS names — never a
ValueError, a KeyError, or a token sent to a host smuggled in with `@`, brackets or a backslash."""
from __future__ import annotations

import functools
import json
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wizard.errors import InputError
from wizard.gcp.endpoints import current_endpoints
from wizard.gcp.key import parse_key

PROJECT = "fuzz-project-1"
EMAIL = f"porter-provisioner@{PROJECT}.iam.gserviceaccount.com"


@functools.cache
def _private_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()).decode()


def _key(**fields) -> dict:
    key = {"type": "service_account", "project_id": PROJECT, "private_key_id": "ab" * 20,
           "private_key": _private_pem(), "client_email": EMAIL, "client_id": "1234567890",
           "token_uri": "https://oauth2.googleapis.com/token", "universe_domain": "googleapis.com"}
    key.update(fields)
    return {k: v for k, v in key.items() if v is not _DROP}


_DROP = object()

# Pieces a crafted or damaged URI is made of: the tricks, the real hosts, and noise.
_PIECES = st.sampled_from([
    "https://", "http://", "https:", "//", "/", "\\", "@", ":", "::", "[", "]", "{", "}", "{service}", "%40", "%2F",
    "oauth2.googleapis.com", "googleapis.com", "evil.example", "127.0.0.1", "10.0.0.1", "[::1]", "0x7f000001",
    "localhost", "8443", ":443", ":99999", ":-1", "/token", "/oauth2/token", "?a=b", "#frag", " ", "\t", "\n",
    "\x00", "\u200b", "\u2028", "é", "..", ".", "-", "xn--bcher-kva",
])
_URIISH = st.one_of(
    st.lists(_PIECES, max_size=8).map("".join),
    st.builds(lambda a, b: "https://" + a + b, st.lists(_PIECES, max_size=4).map("".join), st.text(max_size=20)),
    st.text(max_size=60),
)
_VALUE = st.one_of(_URIISH, st.none(), st.integers(), st.booleans(), st.lists(st.text(max_size=5), max_size=3),
                   st.just(_DROP))
_KEY_TEXT = st.one_of(
    st.builds(lambda t, u: json.dumps(_key(token_uri=t, universe_domain=u)), _VALUE, _VALUE),
    st.builds(lambda t: json.dumps(_key(token_uri=t)), _URIISH),
    st.builds(lambda u: json.dumps(_key(universe_domain=u)), _URIISH),
    # Other fields damaged too, token_uri and universe_domain still fuzzed.
    st.builds(lambda extra, t, u: json.dumps({**_key(token_uri=t, universe_domain=u), **extra}),
              st.dictionaries(st.sampled_from(["type", "project_id", "private_key_id", "client_email",
                                               "private_key"]), _VALUE.filter(lambda v: v is not _DROP),
                              max_size=3),
              _URIISH, _URIISH),
)


def _check(text: str) -> None:
    try:
        key = parse_key(text, None)
    except InputError as err:
        assert err.what and len(err.what) < 400 and err.next_step
        return
    # Accepted: both hosts are exactly what the text appears to say.
    parts = urlsplit(key.info["token_uri"])
    assert parts.scheme == "https" and "@" not in parts.netloc and "\\" not in key.info["token_uri"]
    assert parts.hostname and (parts.hostname == "127.0.0.1" or "." in parts.hostname)
    universe = key.universe_domain
    assert all(ch.isalnum() or ch in ".-" for ch in universe) and universe.isascii()
    base = current_endpoints(key.info.get("universe_domain")).base("compute")
    assert urlsplit(base).hostname in (f"compute.{universe}", "127.0.0.1")


@settings(max_examples=300, deadline=None)
@given(_KEY_TEXT)
def test_fuzzed_token_uri_and_universe_only_ever_give_a_field_error(text):
    _check(text)


@pytest.mark.slow
@settings(max_examples=10_000, deadline=None)
@given(_KEY_TEXT)
def test_fuzzed_token_uri_and_universe_only_ever_give_a_field_error_at_length(text):
    _check(text)


@pytest.mark.parametrize("token_uri", [
    "https://[oauth2.googleapis.com/token", "https://googleapis.com@evil.example/token",
    "https://oauth2.googleapis.com\\@evil.example/token", "https://10.0.0.1/token", "https://[::1]:8443/token",
    "https://oauth2.googleapis.com:99999/token", "https://oauth2.googleapis.com:/token",
    "https://oauth2.googleapis.com /token", "https://oauth2.googleapis.com/to\nken", "http://oauth2.googleapis.com/token",
])
def test_crafted_token_uris_are_refused_under_the_field(token_uri):
    with pytest.raises(InputError, match="token_uri"):
        parse_key(json.dumps(_key(token_uri=token_uri)), None)


@pytest.mark.parametrize("universe", ["googleapis.com@evil.example", "{service}.evil", "{", "evil.example/x",
                                      "evil.example:443", "google apis.com", "127.0.0.1", "-bad.com"])
def test_crafted_universe_domains_are_refused_under_the_field(universe):
    with pytest.raises(InputError, match="universe_domain"):
        parse_key(json.dumps(_key(universe_domain=universe)), None)


@pytest.mark.parametrize("token_uri", ["https://oauth2.googleapis.com/token", "https://oauth2.googleapis.com:443/token",
                                       "https://127.0.0.1:8443/oauth2/token", "https://sts.s3nsapis.fr/token"])
def test_real_and_sandbox_token_uris_pass(token_uri):
    key = parse_key(json.dumps(_key(token_uri=token_uri, universe_domain="s3nsapis.fr")), None)
    assert current_endpoints(key.universe_domain).base("compute") in ("https://compute.s3nsapis.fr",) or \
        current_endpoints(key.universe_domain).is_custom


def test_braces_in_the_universe_are_an_input_error_not_a_key_error():
    with pytest.raises(InputError):
        current_endpoints("{oops}.com")
