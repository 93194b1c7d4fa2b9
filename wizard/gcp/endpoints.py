"""Where Google's APIs are.

Google reaches sovereign and partner clouds through the *universe domain*: every API is at
``https://{service}.{universe_domain}`` and a key names its universe in ``universe_domain``
(``googleapis.com`` unless it says otherwise). ``PORTER_GCP_ENDPOINT_TEMPLATE`` replaces the
whole pattern (``https://127.0.0.1:8443/{service}``: how the sandbox and the tests reach their
doubles, or a private endpoint); ``PORTER_GCP_CA_BUNDLE`` trusts a private CA for it. The token
endpoint is never guessed: google-auth posts to the key's own ``token_uri``.
"""
from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..errors import InputError

DEFAULT_UNIVERSE = "googleapis.com"
SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)


@dataclass(frozen=True)
class Endpoints:
    template: str = "https://{service}." + DEFAULT_UNIVERSE
    ca_path: str | None = None

    def base(self, service: str) -> str:
        """``compute`` → ``https://compute.googleapis.com`` (no trailing slash)."""
        return self.template.format(service=service).rstrip("/")

    @property
    def is_custom(self) -> bool:
        return not self.template.startswith("https://{service}.")


def current_endpoints(universe_domain: str | None = None) -> Endpoints:
    # Checked here too (not only when the key is read): the universe becomes part of a format
    # template and the host every API call, bearer token included, goes to.
    universe = check_universe_domain(universe_domain or "") or DEFAULT_UNIVERSE
    template = os.environ.get("PORTER_GCP_ENDPOINT_TEMPLATE") or "https://{service}." + universe
    return Endpoints(template=template, ca_path=os.environ.get("PORTER_GCP_CA_BUNDLE") or None)


# -- what a key may name ------------------------------------------------------------------------
# A key is a file someone sent: its token_uri receives the signed JWT, and its universe_domain
# becomes the host of every API call (with the bearer token). Both must be plain DNS names, so
# that no `user@host`, `[ip]`, backslash or control-character trick can point either elsewhere
# than the text appears to say.

_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_TLD = re.compile(r"[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?")  # never all digits: "10.0.0.1" is no DNS name
_PORT = re.compile(r"[0-9]{1,5}")
_AS_DOWNLOADED = "Give the file exactly as downloaded."


def _is_dns_name(host: str) -> bool:
    labels = host.split(".")
    return (len(host) <= 253 and len(labels) >= 2 and all(_LABEL.fullmatch(label) for label in labels)
            and _TLD.fullmatch(labels[-1]) is not None)


def _is_loopback_ipv4(host: str) -> bool:
    # Loopback IPv4 literals are allowed without any setting: the sandbox's and the tests' doubles
    # name their token endpoint https://127.0.0.1:PORT/oauth2/token (wizard/sandbox/gcp make_key),
    # also in tests that do not set PORTER_GCP_ENDPOINT_TEMPLATE, and a token endpoint on this
    # machine sends nothing anywhere. Every other IP literal (and every bracketed IPv6) is refused.
    if not re.fullmatch(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}", host):
        return False
    try:
        return ipaddress.IPv4Address(host).is_loopback
    except ValueError:  # 999.0.0.1, or a leading zero
        return False


def check_universe_domain(value: str) -> str:
    """The key's universe_domain, as given (``""`` means Google's own), or InputError."""
    if not value:
        return value
    if not _is_dns_name(value):
        raise InputError(f"The key's universe_domain {value[:60]!r} is not a domain name (like googleapis.com).",
                         _AS_DOWNLOADED)
    return value


def check_token_uri(value: str) -> str:
    """The key's token_uri if it is https to a DNS host (or this machine's loopback address),
    with an optional plain port and a path; InputError otherwise."""
    not_https = InputError("The key's token_uri is not an https address.", _AS_DOWNLOADED)
    # Printable ASCII only: no whitespace, control characters or look-alikes, and no backslash
    # (which some parsers read as a slash, so that "https://good\\@evil" means two hosts).
    if not value or any(not ("!" <= ch <= "~") for ch in value) or "\\" in value:
        raise InputError("The key's token_uri has spaces, control characters or backslashes in it.",
                         _AS_DOWNLOADED)
    try:
        parts = urlsplit(value)
    except ValueError:  # "https://[oauth2..." and other bracket damage
        raise not_https from None
    if parts.scheme != "https" or not value.startswith("https://") or not parts.netloc:
        raise not_https
    host, colon, port = parts.netloc.partition(":")
    host = host.lower()  # host names are case-insensitive; the universe_domain is written lowercase
    bad_port = colon and (not _PORT.fullmatch(port) or not 0 < int(port) < 65536)
    if ("@" in parts.netloc or "[" in value or "]" in value or bad_port
            or not (_is_dns_name(host) or _is_loopback_ipv4(host))):
        raise InputError(f"The key's token_uri {value[:80]!r} does not name a plain host (like "
                         "oauth2.googleapis.com).", _AS_DOWNLOADED)
    if parts.query or parts.fragment or "?" in value or "#" in value:
        raise InputError("The key's token_uri has a query or fragment; a token endpoint has only a path.",
                         _AS_DOWNLOADED)
    return value
