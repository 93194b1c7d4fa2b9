"""The service-account JSON key: read from a path or pasted text, checked offline field by field.

Every way a key goes wrong gets its own words, because the person holding it usually cannot tell
a P12 key from a JSON one, or user credentials (``gcloud auth application-default login``) from
a service account's key. Nothing here talks to Google: ``connection.verify_key`` does that.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from .endpoints import check_token_uri, check_universe_domain

MAX_KEY_BYTES = 64 * 1024  # a JSON key is ~2.3 KB; anything this large is some other file
REQUIRED = ("project_id", "private_key_id", "private_key", "client_email", "token_uri")
_CREATE_KEY = ("Create one in the console: IAM & Admin → Service accounts → your account → Keys → "
               "Add key → Create new key → JSON.")


@dataclass(frozen=True)
class ServiceAccountKey:
    info: dict[str, Any]  # the whole key, private key included: only ever to the keyring
    path: Path | None  # where it was read from (None when pasted)

    @property
    def project_id(self) -> str:
        return str(self.info["project_id"])

    @property
    def client_email(self) -> str:
        return str(self.info["client_email"])

    @property
    def key_id(self) -> str:
        return str(self.info["private_key_id"])

    @property
    def universe_domain(self) -> str:
        return str(self.info.get("universe_domain") or "googleapis.com")

    def __repr__(self) -> str:  # never the private key, whatever prints this
        return f"ServiceAccountKey({self.client_email!r}, key {self.key_id[:8]}…, path={self.path})"


def read_key(field_text: str, pasted: str = "") -> ServiceAccountKey:
    """The key from pasted JSON (when given) or from the path in ``field_text``."""
    if pasted.strip():
        return parse_key(pasted, None)
    text = field_text.strip().strip("'\"")  # a path dragged into a terminal often comes quoted
    if not text:
        raise InputError("Give the path of the JSON key file, or paste the key below.")
    if text.startswith("{"):
        return parse_key(text, None)
    return parse_key(_read_file(Path(os.path.expanduser(text))), Path(os.path.expanduser(text)))


def _read_file(path: Path) -> str:
    if not path.exists():
        raise InputError(f"There is no file at {path}.", "Check the path (your browser saves keys to your "
                         "Downloads folder, named like my-project-1a2b3c4d5e6f.json).")
    if path.is_dir():
        raise InputError(f"{path} is a folder.", "Give the key file inside it.")
    try:
        size = path.stat().st_size
        if size > MAX_KEY_BYTES:
            raise InputError(f"{path.name} is {size // 1024} KB: far too large for a service-account key "
                             "(about 2 KB).", "Choose the .json file the console downloaded.")
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"Can't read {path}: {exc.strerror or exc}.", "Check the file's permissions.") from None
    if data[:2] == b"\x30\x82":  # DER sequence: a PKCS#12 (.p12) key
        raise InputError("This is a P12 key; the wizard needs the JSON key type.", _CREATE_KEY)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path.name} is not a text file, so it is not a JSON key.", _CREATE_KEY) from None


def parse_key(text: str, path: Path | None) -> ServiceAccountKey:
    where = path.name if path else "The pasted text"
    if len(text.encode("utf-8", "replace")) > MAX_KEY_BYTES:
        raise InputError(f"{where} is far too large for a service-account key (about 2 KB).", _CREATE_KEY)
    if "-----BEGIN" in text and not text.lstrip().startswith("{"):
        raise InputError(f"{where} is a bare PEM key; the wizard needs the whole JSON key file.", _CREATE_KEY)
    try:
        info = json.loads(text)
    except (ValueError, RecursionError) as exc:
        detail = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise InputError(f"{where} is not valid JSON{detail}.", "Give the key file exactly as downloaded.") from None
    if not isinstance(info, dict):
        raise InputError(f"{where} is JSON but not a key (a key is one JSON object).", _CREATE_KEY)
    _check_type(info)
    _check_fields(info)
    _check_private_key(info["private_key"])
    return ServiceAccountKey(info, path)


def _check_type(info: dict[str, Any]) -> None:
    kind = info.get("type")
    if kind == "authorized_user":
        raise InputError("These are user credentials (from `gcloud auth application-default login`), not a "
                         "service account's key.", "The platform needs a service account. " + _CREATE_KEY)
    if kind == "external_account":
        raise InputError("This is a workload identity federation configuration, not a service account's key.",
                         _CREATE_KEY)
    if kind != "service_account":
        shown = json.dumps(kind)[:40] if kind is not None else "missing"
        raise InputError(f"This JSON's \"type\" is {shown}; a service-account key says \"service_account\".",
                         _CREATE_KEY)


def _check_fields(info: dict[str, Any]) -> None:
    missing = [name for name in REQUIRED if not info.get(name)]
    if missing:
        raise InputError(f"The key has no {', '.join(missing)}: it was edited or cut short.",
                         "Give the file exactly as downloaded, or " + _CREATE_KEY[0].lower() + _CREATE_KEY[1:])
    wrong = [name for name in REQUIRED + ("universe_domain",) if name in info and not isinstance(info[name], str)]
    if wrong:
        raise InputError(f"The key's {', '.join(wrong)} should be text.", "Give the file exactly as downloaded.")
    email, project = info["client_email"], info["project_id"]
    if "@" not in email or not email.endswith(".gserviceaccount.com"):
        raise InputError(f"client_email {email[:80]!r} is not a service account's address.", _CREATE_KEY)
    owner = email.split("@", 1)[1].removesuffix(".iam.gserviceaccount.com")
    if email.endswith(".iam.gserviceaccount.com") and owner != project:
        raise InputError(f"The key says project {project!r}, but its service account belongs to project "
                         f"{owner!r}.", "The file was edited: download a new key for the account.")
    check_token_uri(info["token_uri"])
    check_universe_domain(info.get("universe_domain") or "")


def _check_private_key(pem: str) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(pem.encode("utf-8", "replace"), password=None)
    except (ValueError, TypeError):
        raise InputError("The key's private_key does not parse: the file was damaged or edited.",
                         "Download a new key for the account.") from None
    except Exception:  # cryptography raises its own for unsupported algorithms
        raise InputError("The key's private_key is not a key Google issues.", _CREATE_KEY) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise InputError("The key's private_key is not an RSA key, which Google's keys always are.", _CREATE_KEY)
