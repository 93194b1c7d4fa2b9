"""TLS material for the local cloud doubles (Azure's and Google Cloud's).

azure-core refuses to send a bearer token over plain http, and msal talks to its authority over
https too, so the doubles must speak TLS; Google's doubles do too, so google-auth's own
certificate checking runs as it does against Google. One throwaway trustme CA is made per process (making
keys costs tens of milliseconds; every double and every test shares it) and one leaf certificate
for the loopback names. Clients trust the CA through the SDKs' own ``connection_verify=`` setting,
pointed at the PEM file ``ca_pem_path()`` writes; that file is removed by ``remove_ca_file()``
(the sandbox's stop) or else when the process exits.
Nothing here touches the system trust store or the environment.
"""

from __future__ import annotations

import atexit
import os
import ssl
import tempfile
import threading

import trustme

__all__ = ["ca_pem_path", "remove_ca_file", "server_context"]

# The names clients may dial: the doubles bind 127.0.0.1, "localhost" and ::1 are there for
# callers that build URLs by hand.
_NAMES = ("127.0.0.1", "localhost", "::1")

_lock = threading.Lock()
_ca: trustme.CA | None = None
_leaf: trustme.LeafCert | None = None
_ca_path: str | None = None


def _material() -> tuple[trustme.CA, trustme.LeafCert]:
    global _ca, _leaf
    with _lock:
        if _ca is None or _leaf is None:
            _ca = trustme.CA(organization_name="porter-wizard sandbox")
            _leaf = _ca.issue_cert(*_NAMES)
        return _ca, _leaf


def server_context() -> ssl.SSLContext:
    """A fresh server-side context holding the leaf certificate (one per listening socket)."""
    _, leaf = _material()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    leaf.configure_cert(ctx)
    return ctx


def ca_pem_path() -> str:
    """Path of a PEM file holding the CA certificate, for ``connection_verify=`` on clients."""
    global _ca_path
    ca, _ = _material()
    with _lock:
        if _ca_path is None or not os.path.exists(_ca_path):
            fd, path = tempfile.mkstemp(prefix="porter-sandbox-ca-", suffix=".pem")
            with os.fdopen(fd, "wb") as handle:
                handle.write(ca.cert_pem.bytes())
            _ca_path = path
            atexit.register(_remove, path)
        return _ca_path


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def remove_ca_file() -> None:
    """Delete the CA file now (the sandbox stopping: atexit never runs when a signal kills the
    process). The CA itself stays in memory; a later ``ca_pem_path()`` writes a new file."""
    global _ca_path
    with _lock:
        path, _ca_path = _ca_path, None
    if path is not None:
        _remove(path)
