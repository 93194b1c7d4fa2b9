"""The key field's offline checks, word for word (issue 18): each way a key goes wrong keeps its
own message and next step, and only a whole service-account key whose token_uri and
universe_domain are sound gets through. Pure code: no Google double, no network."""
from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from wizard.errors import InputError
from wizard.gcp import key as gk

EMAIL = "porter@my-project.iam.gserviceaccount.com"
CREATE = gk._CREATE_KEY
AS_DOWNLOADED = "Give the file exactly as downloaded."
EDITED = "Give the file exactly as downloaded, or create one in the console: IAM & Admin → Service accounts → " \
         "your account → Keys → Add key → Create new key → JSON."


@pytest.fixture(scope="session")
def rsa_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()).decode()


@pytest.fixture
def key(rsa_pem) -> dict:
    """A fresh key as the console downloads it (each test may change its copy)."""
    return {"type": "service_account", "project_id": "my-project",
            "private_key_id": "0123abcd4567ef890123abcd4567ef8901234567", "private_key": rsa_pem,
            "client_email": EMAIL, "client_id": "1234567890",
            "token_uri": "https://oauth2.googleapis.com/token", "universe_domain": "googleapis.com"}


def refusal(text: str, path: Path | None = None) -> tuple[str, str]:
    with pytest.raises(InputError) as caught:
        gk.parse_key(text, path)
    return caught.value.what, caught.value.next_step


def read_refusal(field: str, pasted: str = "") -> tuple[str, str]:
    with pytest.raises(InputError) as caught:
        gk.read_key(field, pasted)
    return caught.value.what, caught.value.next_step


def test_a_good_key_reports_its_fields_and_never_its_private_key(key):
    parsed = gk.parse_key(json.dumps(key), None)
    assert (parsed.project_id, parsed.client_email, parsed.key_id) == ("my-project", EMAIL, key["private_key_id"])
    assert parsed.info == key and parsed.path is None
    assert repr(parsed) == f"ServiceAccountKey({EMAIL!r}, key 0123abcd…, path=None)"
    assert parsed.universe_domain == "googleapis.com"
    assert gk.parse_key(json.dumps(dict(key, universe_domain="s3nsapis.fr")), None).universe_domain == "s3nsapis.fr"
    for missing in ({k: v for k, v in key.items() if k != "universe_domain"}, dict(key, universe_domain="")):
        assert gk.parse_key(json.dumps(missing), None).universe_domain == "googleapis.com"  # Google's own
    # Every key holds "-----BEGIN" in its private_key; leading blanks do not make it a bare PEM.
    assert gk.parse_key("\n  " + json.dumps(key), None).key_id == key["private_key_id"]


def test_the_field_takes_a_paste_json_or_a_path_as_typed(tmp_path, monkeypatch, key):
    text = json.dumps(key)
    assert gk.read_key("/nowhere.json", "  " + text).path is None  # a paste wins over the path
    assert gk.read_key(f'  "{text}"  ', "  \n").path is None  # JSON typed into the path field
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "k.json").write_text(text)
    for typed in ("~/k.json", ' "~/k.json" ', "'~/k.json'"):
        assert gk.read_key(typed).path == tmp_path / "k.json"
    (tmp_path / "porter-keyX").write_text(text)  # only blanks and quotes are taken off the ends
    assert gk.read_key(f"'{tmp_path / 'porter-keyX'}'").path == tmp_path / "porter-keyX"
    assert read_refusal(" '' ") == ("Give the path of the JSON key file, or paste the key below.", "")


def test_each_unreadable_file_has_its_own_words(tmp_path, monkeypatch, key):
    missing = tmp_path / "missing.json"
    assert read_refusal(str(missing)) == (
        f"There is no file at {missing}.", "Check the path (your browser saves keys to your Downloads folder, "
        "named like my-project-1a2b3c4d5e6f.json).")
    assert read_refusal(str(tmp_path)) == (f"{tmp_path} is a folder.", "Give the key file inside it.")
    p12 = tmp_path / "key.p12"
    p12.write_bytes(b"\x30\x82\x09\x99" + bytes(200))
    assert read_refusal(str(p12)) == ("This is a P12 key; the wizard needs the JSON key type.", CREATE)
    binary = tmp_path / "photo.json"
    binary.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)))
    assert read_refusal(str(binary)) == ("photo.json is not a text file, so it is not a JSON key.", CREATE)
    bom = tmp_path / "bom.json"  # Windows editors save with a byte-order mark
    bom.write_bytes(b"\xef\xbb\xbf" + json.dumps(key).encode())
    assert gk.read_key(str(bom)).path == bom
    locked = tmp_path / "locked.json"
    locked.write_text("{}")

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", refuse)
    assert read_refusal(str(locked)) == (f"Can't read {locked}: Permission denied.", "Check the file's permissions.")

    def broken(self: Path) -> bytes:
        raise OSError("disk on fire")

    monkeypatch.setattr(Path, "read_bytes", broken)
    assert read_refusal(str(locked))[0] == f"Can't read {locked}: disk on fire."


def test_the_size_limit_is_64_kib_exactly(tmp_path, key):
    text = json.dumps(key)
    at_limit = text[:-1] + " " * (gk.MAX_KEY_BYTES - len(text.encode())) + "}"
    assert len(at_limit.encode()) == gk.MAX_KEY_BYTES
    path = tmp_path / "padded.json"
    path.write_text(at_limit)
    assert gk.read_key(str(path)).key_id == key["private_key_id"]
    assert gk.parse_key(at_limit, None).key_id == key["private_key_id"]
    over = at_limit[:-1] + " }"
    assert refusal(over) == ("The pasted text is far too large for a service-account key (about 2 KB).", CREATE)
    assert refusal(over, Path("/d/k.json"))[0] == "k.json is far too large for a service-account key (about 2 KB)."
    # Bytes, not characters: 40,000 two-byte characters are 80,000 bytes.
    assert "far too large" in refusal(json.dumps({"type": "service_account", "x": "é" * 40_000}))[0]
    path.write_text(over)
    assert read_refusal(str(path)) == ("padded.json is 64 KB: far too large for a service-account key (about 2 KB).",
                                       "Choose the .json file the console downloaded.")


def test_text_that_is_not_a_key_object(key):
    assert refusal(key["private_key"]) == (
        "The pasted text is a bare PEM key; the wizard needs the whole JSON key file.", CREATE)
    assert refusal(key["private_key"], Path("k.pem"))[0] == "k.pem is a bare PEM key; the wizard needs the whole JSON key file."
    assert refusal('{\n  "type": }') == ("The pasted text is not valid JSON (line 2, column 11).",
                                           "Give the key file exactly as downloaded.")
    assert refusal("[" * 50_000)[0] == "The pasted text is not valid JSON."  # RecursionError
    assert refusal("[1, 2]", Path("k.json")) == ("k.json is JSON but not a key (a key is one JSON object).", CREATE)
    # A lone surrogate (from a \ud800 escape in a paste) is counted, not a crash.
    assert refusal('{"type": "service_account"}' + "\ud800")[0].startswith("The pasted text is not valid JSON")


def test_other_credential_types_are_named():
    assert refusal(json.dumps({"type": "authorized_user"})) == (
        "These are user credentials (from `gcloud auth application-default login`), not a service account's key.",
        "The platform needs a service account. " + CREATE)
    assert refusal(json.dumps({"type": "external_account"})) == (
        "This is a workload identity federation configuration, not a service account's key.", CREATE)
    assert refusal("{}") == ('This JSON\'s "type" is missing; a service-account key says "service_account".', CREATE)
    assert refusal(json.dumps({"type": 5}))[0].startswith('This JSON\'s "type" is 5;')
    assert refusal(json.dumps({"type": "x" * 100}))[0] == (
        f'This JSON\'s "type" is "{"x" * 39}; a service-account key says "service_account".')


@pytest.mark.parametrize("name", gk.REQUIRED)
def test_each_missing_or_empty_field_is_named(key, name):
    gone = {k: v for k, v in key.items() if k != name}
    assert refusal(json.dumps(gone)) == (f"The key has no {name}: it was edited or cut short.", EDITED)
    assert refusal(json.dumps(dict(key, **{name: ""})))[0] == f"The key has no {name}: it was edited or cut short."


def test_several_missing_or_mistyped_fields_are_named_together(key):
    gone = {k: v for k, v in key.items() if k not in ("project_id", "token_uri")}
    assert refusal(json.dumps(gone))[0] == "The key has no project_id, token_uri: it was edited or cut short."
    for name in gk.REQUIRED + ("universe_domain",):
        assert refusal(json.dumps(dict(key, **{name: ["x"]}))) == (f"The key's {name} should be text.", AS_DOWNLOADED)
    both = dict(key, private_key_id=7, universe_domain=True)
    assert refusal(json.dumps(both))[0] == "The key's private_key_id, universe_domain should be text."


def test_the_account_must_be_a_service_account_of_the_keys_project(key):
    for email in ("porter.my-project.iam.gserviceaccount.com", "porter@gmail.com",
                  "porter@my-project.iam.gserviceaccount.com.evil.example"):
        assert refusal(json.dumps(dict(key, client_email=email))) == (
            f"client_email {email!r} is not a service account's address.", CREATE)
    long = "p" * 100 + ".gserviceaccount.com"
    assert refusal(json.dumps(dict(key, client_email=long)))[0] == (
        f"client_email {long[:80]!r} is not a service account's address.")
    assert refusal(json.dumps(dict(key, project_id="other-project"))) == (
        "The key says project 'other-project', but its service account belongs to project 'my-project'.",
        "The file was edited: download a new key for the account.")
    # "a@b@my-project...": the owner is what follows the first "@".
    assert "belongs to project 'b@my-project'" in refusal(json.dumps(
        dict(key, client_email="a@b@my-project.iam.gserviceaccount.com")))[0]
    # The default Compute Engine account's address does not name its project: Google decides.
    compute = "318264570001-compute@developer.gserviceaccount.com"
    assert gk.parse_key(json.dumps(dict(key, client_email=compute)), None).client_email == compute


def test_token_uri_and_universe_domain_cannot_point_elsewhere(key):
    assert refusal(json.dumps(dict(key, token_uri="http://oauth2.googleapis.com/token"))) == (
        "The key's token_uri is not an https address.", AS_DOWNLOADED)
    assert "does not name a plain host" in refusal(json.dumps(dict(
        key, token_uri="https://oauth2.googleapis.com@evil.example/token")))[0]
    assert refusal(json.dumps(dict(key, universe_domain="evil.example/x")))[0] == (
        "The key's universe_domain 'evil.example/x' is not a domain name (like googleapis.com).")


def _pem(der: bytes) -> str:
    return "-----BEGIN PRIVATE KEY-----\n" + base64.b64encode(der).decode() + "\n-----END PRIVATE KEY-----\n"


def test_the_private_key_must_be_an_rsa_key_that_parses(key):
    damaged = ("The key's private_key does not parse: the file was damaged or edited.",
               "Download a new key for the account.")
    assert refusal(json.dumps(dict(key, private_key=_pem(b"\x00\x01")))) == damaged
    assert refusal(json.dumps(dict(key, private_key=key["private_key"][:200] + "\ud800"))) == damaged
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    assert refusal(json.dumps(dict(key, private_key=ec_pem))) == (
        "The key's private_key is not an RSA key, which Google's keys always are.", CREATE)
    # PKCS#8 of an algorithm cryptography does not know (OID 1.2.3.4): UnsupportedAlgorithm.
    unknown = bytes.fromhex("300f" "020100" "3005" "0603" "2a0304" "0403" "040100")
    assert refusal(json.dumps(dict(key, private_key=_pem(unknown)))) == (
        "The key's private_key is not a key Google issues.", CREATE)
