"""Turns google-auth, requests and Google API failures into errors that say what went wrong and
what to do. Google's ErrorInfo ``reason`` decides where it can (SERVICE_DISABLED,
RATE_LIMIT_EXCEEDED, QUOTA_EXCEEDED...), the HTTP status otherwise."""
from __future__ import annotations

import json
from urllib.parse import urlsplit

from ..errors import CloudError, WizardError, translating
from .session import GcpHttpError


def key_refused(description: str) -> CloudError:
    """Google's token endpoint refused the key (RefreshError's text, "invalid_grant: ...")."""
    text = description.strip()
    if "Invalid JWT Signature" in text:
        return CloudError("Google refused this key",
                          "The key has been disabled or deleted (Google answered: Invalid JWT Signature).",
                          "Make a new one: IAM & Admin → Service accounts → your account → Keys → Add key → "
                          "Create new key → JSON, then give the new file here.", code="invalid_grant")
    if "account not found" in text or "account disabled" in text:
        return CloudError("The service account is gone or disabled",
                          f"Google does not accept keys of this service account any more ({text}).",
                          "Check IAM & Admin → Service accounts: enable the account, or create a new one "
                          "and a new key.", code="invalid_grant")
    if "Invalid JWT" in text or "iat" in text:
        return CloudError("Google refused the key's signed token", text[:300],
                          "Check this computer's clock (Google allows a few minutes' skew), then Retry.",
                          code="invalid_grant")
    return CloudError("Google refused this key", text[:300] or "The token endpoint said no.",
                      "Make a new JSON key for the service account and give it here.", code="invalid_grant")


def translate(exc: Exception, doing: str) -> WizardError:
    if isinstance(exc, WizardError):
        return exc
    from google.auth import exceptions as gx

    if isinstance(exc, gx.RefreshError):
        cause = exc.__cause__ or exc.__context__
        if cause is not None and _is_network(cause):
            return _network(doing, cause)
        return key_refused(str(exc.args[0]) if exc.args else str(exc))
    if isinstance(exc, GcpHttpError):
        if exc.code == str(exc.status) and 400 <= exc.status < 500 and (
                not exc.message or exc.message.lstrip().startswith("<")):
            # Google's errors are JSON with a status name; an empty body or an HTML page is not.
            return unexpected_answer(exc, doing, f"HTTP {exc.status}")
        return _http(exc, doing)
    if isinstance(exc, json.JSONDecodeError):  # requests' JSONDecodeError is one too
        return unexpected_answer(exc, doing, "not JSON")
    if _is_network(exc) or isinstance(exc, gx.TransportError):
        return _network(doing, exc)
    raise exc


def _http(exc: GcpHttpError, doing: str) -> CloudError:
    code = exc.reason or exc.code
    if exc.reason == "SERVICE_DISABLED":
        from .apis import PORTER_APIS  # here: apis.py imports this module

        service = exc.metadata.get("service", "")
        title = {**PORTER_APIS, "serviceusage.googleapis.com": "Service Usage API"}.get(service, service or "An API")
        return CloudError(f"The {title} is not enabled",
                          f"Google would not {doing}: the {title} is off on this project.",
                          "Go back to the APIs step (it enables the five the platform needs), or enable it "
                          f"in the console (APIs & Services → Library → {title}); wait a minute, then Retry.",
                          code="SERVICE_DISABLED", retryable=True)
    if exc.status == 429 or exc.reason == "RATE_LIMIT_EXCEEDED":
        wait = f" Google asks to wait {exc.retry_after:g} s." if exc.retry_after else ""
        return CloudError("Google Cloud is throttling requests",
                          f"Too many requests, so Google would not {doing} (retried already).{wait}",
                          "Wait a minute, then press Retry.", code=code, retryable=True)
    if exc.reason == "QUOTA_EXCEEDED" or "quota" in exc.message.lower() and exc.code == "RESOURCE_EXHAUSTED":
        return CloudError("A Google Cloud quota is too low", f"Google would not {doing}: {exc.message}",
                          "Request more in IAM & Admin → Quotas & System Limits (the provision checks name "
                          "each one), then press Retry.", code=code)
    if exc.status == 401:
        return CloudError("Google did not accept the token", f"Could not {doing}: {exc.message}",
                          "Give the key again (it may have been disabled), then Retry.", code=code)
    if exc.status == 403:
        return CloudError("Google Cloud denied access",
                          f"The service account may not {doing}. Google said: {exc.message}",
                          "Grant it the Owner role on the project (IAM & Admin → IAM → Grant access), or the "
                          "roles the provision checks list, then press Retry.", code=code)
    return CloudError(f"Google Cloud could not {doing}", f"{exc.code}: {exc.message}",
                      "Fix what Google names above and press Retry.", code=code, retryable=exc.status >= 500)


def _is_network(exc: BaseException) -> bool:
    import requests

    return isinstance(exc, (requests.ConnectionError, requests.Timeout))


def _network(doing: str, exc: BaseException) -> CloudError:
    return CloudError("Can't reach Google Cloud", f"The wizard could not reach Google Cloud to {doing} "
                      f"({type(exc).__name__}).", "Check your network and proxy (and PORTER_GCP_ENDPOINT_TEMPLATE "
                      "if you set it), then press Retry.", code="Network", retryable=True)


def _endpoint(exc: BaseException) -> str:
    url = str(getattr(exc, "url", "") or "")
    tb = exc.__traceback__
    while not url and tb is not None:  # GcpApi.call's `url`, for an answer that was not JSON
        candidate = tb.tb_frame.f_locals.get("url")
        url = candidate if isinstance(candidate, str) and "://" in candidate else ""
        tb = tb.tb_next
    return urlsplit(url).netloc or "Google Cloud"


def unexpected_answer(exc: BaseException, doing: str, detail: str) -> CloudError:
    where = _endpoint(exc)
    return CloudError(
        f"Unexpected answer from {where}",
        f"{where} answered, but not the way Google Cloud does ({detail}), so the wizard could not "
        f"{doing}: a proxy or a wrong endpoint may be answering instead of Google.",
        "Check your proxy settings (HTTPS_PROXY, NO_PROXY) and PORTER_GCP_ENDPOINT_TEMPLATE if you "
        "set it, then press Retry.", code="UnexpectedAnswer", retryable=True)


def gcp_call(doing: str):
    """Wrap Google Cloud calls so that anything they raise leaves as a WizardError."""
    return translating(translate, doing)
