"""Turns azure-core and msal failures into errors that say what went wrong and what to do."""
from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

from ..errors import CloudError, WizardError, translating

# AADSTS codes that deserve their own words; the rest keep Entra's own message.
_AADSTS = {
    "7000222": ("The client secret has expired",
                "Azure expires client secrets (after 365 days for the ones this wizard makes).",
                "Rotate it: `porter-wizard rotate azure`, or make a new one in the portal "
                "(App registrations → azure-porter-restricted-sp → Certificates & secrets) and type it "
                "in again."),
    "7000215": ("The client secret is wrong",
                "Entra ID did not accept the client secret for this app.",
                "Paste the secret's Value (not its Secret ID) again."),
    "700016": ("No such application in this tenant",
               "The client ID is not an app registration in the tenant you gave.",
               "Check the client ID and the tenant ID (App registrations → Overview shows both)."),
    "90002": ("No such tenant", "Entra ID does not know this tenant ID.",
              "Check the tenant ID (Microsoft Entra ID → Overview)."),
}


def translate(exc: Exception, doing: str) -> WizardError:
    from azure.core import exceptions as ax

    if isinstance(exc, WizardError):
        return exc
    if isinstance(exc, ax.ClientAuthenticationError):
        text = str(exc)
        code = re.search(r"AADSTS(\d+)", text)
        if code and code.group(1) in _AADSTS:
            title, what, next_step = _AADSTS[code.group(1)]
            return CloudError(title, what, next_step, code=f"AADSTS{code.group(1)}")
        return CloudError("Azure sign-in failed", f"Could not {doing}: {text.splitlines()[0][:300]}",
                          "Check the tenant, client ID and secret, then press Retry.",
                          code=f"AADSTS{code.group(1)}" if code else "ClientAuthentication")
    from .graph import GraphError

    if isinstance(exc, (ax.DecodeError, ax.DeserializationError, json.JSONDecodeError)):
        # A success answer that is not JSON (an HTML page, an empty body): not Azure answering.
        return unexpected_answer(exc, doing, type(exc).__name__)
    if isinstance(exc, (ax.HttpResponseError, GraphError)):
        status = getattr(exc, "status_code", None) or 0
        if isinstance(exc, GraphError):
            code, message, headers = exc.code, exc.message, exc.headers
        else:
            error = getattr(exc, "error", None)
            code = getattr(error, "code", None) or str(status)
            message = (getattr(error, "message", None) or exc.message or "").strip()
            headers = exc.response.headers if exc.response is not None else {}
        if code == str(status) and 400 <= status < 500 and _not_azure_body(exc):
            return unexpected_answer(exc, doing, f"HTTP {status}")
        if code == "MissingSubscriptionRegistration":  # ARM: "...to use namespace 'Microsoft.Quota'..."
            found = re.search(r"namespace '([^']+)'", message)
            namespace = found.group(1) if found else "a resource provider"
            return CloudError(f"{namespace} is not registered",
                              f"The subscription is not registered to use {namespace}, so Azure would "
                              f"not {doing}.",
                              f"Register it (the wizard's resource providers step, or Subscriptions → Resource "
                              f"providers → {namespace} → Register in the portal, or `az provider register "
                              f"--namespace {namespace}`), wait a minute or two "
                              "until it shows Registered, then press Retry.", code=code, retryable=True)
        if status == 429:
            retry = headers.get("Retry-After")
            wait = f" Azure asks to wait {retry} s." if retry else ""
            return CloudError("Azure is throttling requests", f"Too many requests, so Azure would not "
                              f"{doing}.{wait}", "Wait, then press Retry.", code=code, retryable=True)
        if status == 403 or code in ("AuthorizationFailed", "Authorization_RequestDenied"):
            return CloudError("Azure denied access", f"Your identity may not {doing}. Azure said: {message}",
                              "Sign in as an Owner (or User Access Administrator) of the subscription, "
                              "or ask one to run this step.", code=code)
        return CloudError(f"Azure could not {doing}", f"{code}: {message}",
                          "Fix what Azure names above and press Retry.", code=code,
                          retryable=status >= 500)
    if isinstance(exc, ax.ServiceRequestError):
        return CloudError("Can't reach Azure", f"The wizard could not reach Azure to {doing} "
                          f"({type(exc).__name__}).", "Check your network, proxy and any "
                          "AZURE_AUTHORITY_HOST / PORTER_AZURE_*_URL settings, then press Retry.",
                          code="Network", retryable=True)
    raise exc


def _not_azure_body(exc: Exception) -> bool:
    """Azure's error answers are JSON ({"error": {"code": ...}}); an empty body or an HTML page
    comes from something else (a proxy, a wrong PORTER_AZURE_*_URL)."""
    response = getattr(exc, "response", None)
    try:
        text = response.text() if response is not None else str(getattr(exc, "message", ""))
    except Exception:  # noqa: BLE001 - an unreadable body is not Azure's either
        return True
    text = (text or "").lstrip()
    return not text or text.startswith("<")


def _endpoint(exc: BaseException) -> str:
    """The host that answered: from the response, else from the Graph client on the stack."""
    response = getattr(exc, "response", None)
    url = str(getattr(getattr(response, "request", None), "url", "") or "")
    tb = exc.__traceback__
    while not url and tb is not None:
        owner = tb.tb_frame.f_locals.get("self")
        url = str(getattr(owner, "base", "") or "") if type(owner).__name__ == "Graph" else ""
        tb = tb.tb_next
    return urlsplit(url).netloc or "Azure"


def unexpected_answer(exc: BaseException, doing: str, detail: str) -> CloudError:
    where = _endpoint(exc)
    return CloudError(
        f"Unexpected answer from {where}",
        f"{where} answered, but not the way Azure does ({detail}), so the wizard could not {doing}: "
        "a proxy or a wrong endpoint may be answering instead of Azure.",
        "Check your proxy settings (HTTPS_PROXY, NO_PROXY) and any AZURE_AUTHORITY_HOST / "
        "PORTER_AZURE_*_URL settings, then press Retry.", code="UnexpectedAnswer", retryable=True)


def azure_call(doing: str):
    """Wrap Azure calls so that anything they raise leaves as a WizardError."""
    return translating(translate, doing)
