"""The service-account key field: every way a key goes wrong gets its own message (offline), and
Google's answers (disabled or deleted key, wrong project) come through google-auth's real path."""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wizard.errors import CloudError, InputError, WizardError
from wizard.gcp.connection import delete_key_file, load_key, store_key, verify_key
from wizard.gcp.key import parse_key, read_key
from wizard.sandbox.gcp.world import ServiceAccount



@pytest.fixture
def good_key(gcp) -> dict:
    return gcp.make_key()


def _message(text: str, pasted: str = "") -> str:
    with pytest.raises(InputError) as caught:
        read_key(text, pasted)
    return f"{caught.value.what} {caught.value.next_step}"


def test_a_good_key_parses_from_a_path_and_from_paste(tmp_path, good_key):
    path = tmp_path / "my-project-1a2b.json"
    path.write_text(json.dumps(good_key, indent=2))
    from_path = read_key(f"'{path}'")  # quoted, as a terminal pastes a dragged file
    assert from_path.client_email == good_key["client_email"] and from_path.path == path
    pasted = read_key("", json.dumps(good_key))
    assert pasted.key_id == good_key["private_key_id"] and pasted.path is None
    assert good_key["private_key"] not in repr(pasted)
    from wizard.gcp.session import GcpApi

    assert "PRIVATE KEY" not in repr(GcpApi.for_key(good_key))  # reprs land in tracebacks and test reports


def test_each_wrong_file_gets_its_own_message(tmp_path, good_key):
    assert "no file at" in _message(str(tmp_path / "missing.json"))
    assert "is a folder" in _message(str(tmp_path))
    p12 = tmp_path / "key.p12"
    p12.write_bytes(b"\x30\x82\x09\x99" + bytes(200))
    assert "P12 key" in _message(str(p12))
    binary = tmp_path / "photo.json"
    binary.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)))
    assert "not a text file" in _message(str(binary))
    huge = tmp_path / "big.json"
    huge.write_text("{" + " " * 200_000 + "}")
    assert "far too large" in _message(str(huge))
    assert "not valid JSON (line 1" in _message("", "{not json")
    assert "user credentials" in _message("", json.dumps({"type": "authorized_user", "client_id": "x",
                                                          "refresh_token": "y"}))
    assert "workload identity federation" in _message("", json.dumps({"type": "external_account"}))
    assert '"type" is missing' in _message("", json.dumps({"project_id": "p"}))
    assert "not a key" in _message("", "[1, 2]")
    assert "Give the path" in _message("   ")


def test_damaged_fields_are_named(good_key):
    broken = dict(good_key, private_key="-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    assert "private_key does not parse" in _message("", json.dumps(broken))
    missing = {k: v for k, v in good_key.items() if k not in ("client_email", "token_uri")}
    assert "has no client_email, token_uri" in _message("", json.dumps(missing))
    assert "should be text" in _message("", json.dumps(dict(good_key, project_id=12)))
    moved = dict(good_key, project_id="someone-elses-project")
    assert "belongs to project" in _message("", json.dumps(moved))
    assert "https" in _message("", json.dumps(dict(good_key, token_uri="http://evil.example/token")))
    assert "bare PEM" in _message("", good_key["private_key"])


# Anything at all typed or pasted: the field answers with an InputError, never anything else.
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(
    st.text(max_size=300),
    st.binary(max_size=300).map(lambda b: b.decode("latin-1")),
    st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
                 lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
                 max_leaves=20).map(json.dumps),
    st.dictionaries(st.sampled_from(["type", "project_id", "private_key_id", "private_key", "client_email",
                                     "token_uri", "universe_domain"]),
                    st.one_of(st.text(max_size=40), st.integers(), st.none(), st.lists(st.text(max_size=5))),
                    max_size=7).map(lambda d: json.dumps({"type": "service_account", **d})),
))
def test_fuzzed_input_only_ever_gives_a_field_error(text):
    try:
        key = parse_key(text, None)
    except InputError as err:
        assert err.what and len(err.what) < 400
    else:  # only a complete, valid key may pass, and none of these has a real private key
        pytest.fail(f"accepted {key!r}")


def test_a_huge_paste_is_refused_quickly():
    assert "far too large" in _message("", '{"type": "service_account", "x": "' + "a" * 5_000_000 + '"}')
    assert "not valid JSON" in _message("", "[" * 50_000)  # deep nesting: RecursionError, handled


def test_google_accepts_a_good_key_and_refuses_a_disabled_or_deleted_one(gcp):
    key = gcp.make_key()
    parsed = parse_key(json.dumps(key), None)
    env = {"PORTER_GCP_ENDPOINT_TEMPLATE": gcp.api_template, "PORTER_GCP_CA_BUNDLE": gcp.ca_path}
    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv(name, value)
        assert verify_key(parsed).email == key["client_email"]
        for state in ("disabled", "deleted"):
            gcp.set_key_state(key["private_key_id"], state)
            with pytest.raises(CloudError) as refused:
                verify_key(parsed)
            assert "disabled or deleted" in refused.value.what and refused.value.code == "invalid_grant"


def test_a_key_for_a_project_it_cannot_use_says_so(gcp):
    # The default Compute Engine account's address does not name its project, so the offline
    # check lets it through and Google has to say no.
    email = "318264570001-compute@developer.gserviceaccount.com"
    gcp.world.service_accounts[email] = ServiceAccount(email, "1234567890", "Compute Engine default")
    key = dict(gcp.make_key(email), project_id="a-deleted-project")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PORTER_GCP_ENDPOINT_TEMPLATE", gcp.api_template)
        mp.setenv("PORTER_GCP_CA_BUNDLE", gcp.ca_path)
        with pytest.raises(CloudError) as refused:
            verify_key(parse_key(json.dumps(key), None))
    assert refused.value.title == "This key can't use its project"
    assert "a-deleted-project" in refused.value.what


def test_no_network_is_a_message_not_a_traceback(good_key):
    key = dict(good_key, token_uri="https://127.0.0.1:9/token")  # nothing listens on port 9
    with pytest.raises(WizardError) as failed:
        verify_key(parse_key(json.dumps(key), None))
    assert failed.value.title == "Can't reach Google Cloud"


def test_the_key_goes_to_the_keyring_only_and_the_file_can_be_deleted(tmp_path, make_ctx, good_key):
    ctx = make_ctx()
    path = tmp_path / "k.json"
    path.write_text(json.dumps(good_key))
    key = read_key(str(path))
    store_key(ctx.state, ctx.secrets, key)
    ctx.save()
    assert load_key(ctx.state, ctx.secrets).info == good_key
    assert good_key["private_key_id"] in ctx.state.gcp.secret_name
    assert "PRIVATE KEY" not in ctx.state.to_json()
    delete_key_file(path)
    assert not path.exists()
    delete_key_file(path)  # already gone: nothing to do, no error


def test_no_key_in_the_keyring_is_explained(make_ctx):
    ctx = make_ctx()
    ctx.state.gcp.client_email = "a@p.iam.gserviceaccount.com"
    with pytest.raises(CloudError, match="not in the keyring"):
        load_key(ctx.state, ctx.secrets)
