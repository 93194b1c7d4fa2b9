"""What Porter's API answers when it says no, turned into errors a person can act on.

Porter's error body (porter-dev/porter-archive@ed607ee, api/server/shared/apierrors/errors.go,
``HandleAPIError``, and api/types/error.go ``ExternalError``) is ``{"error": "<text>"}`` plus an
optional numeric ``"code"``. A handler that fails after ``DecodeAndValidate`` has already written
its error writes a second object into the same body (api/server/handlers/project_integration/
create_azure.go), so only the first JSON value of a body is read.

Porter's statuses do not map one-to-one to "what went wrong"; from its middleware, in order:
- api/server/authn/handler.go: a missing, invalid, expired or revoked token -> 403 "Forbidden"
  (never 401);
- api/server/authz/policy.go + policy/loader.go: a user with no role in the project, or a project
  token used on another project -> 500 whose text is the loader's ("user 1 does not have a role in
  project 7", "project id 7 does not match token id 3"); a role without the permission -> 403
  "insufficient permissions to perform action";
- api/server/authz/project.go: the role exists but the project is gone -> 403 "Forbidden".
A 401 or 404 from Porter's API is not expected, but a proxy or another version may send them.
"""
from __future__ import annotations

import re

from ..errors import WizardError
from ..redaction import redact

_RELOGIN = "Run `porter auth login` again (or set PORTER_TOKEN to a valid token), then try again."
_CHECK_PROJECT = "Check PORTER_PROJECT (or `porter config set-project`): it must be a project you belong to."
# The policy loader's own words for "this login is not in that project" (policy/loader.go).
_NOT_A_MEMBER = re.compile(r"does not have a role in project|does not match token id")


class PorterError(WizardError):
    """Porter's API said no, answered something that is not Porter's, or could not be reached."""

    def __init__(self, title: str, what: str, next_step: str, *, status: int = 0, code: str = "",
                 retryable: bool = False) -> None:
        super().__init__(title, what, next_step, retryable=retryable)
        #: The HTTP status (0 when no answer came at all, or the error is not an HTTP status's).
        self.status = status
        #: Our short name for what happened: token_rejected, forbidden, project_not_found,
        #: bad_request, unavailable, unexpected_answer, unreachable, tls, cluster_not_found.
        self.code = code


def porter_text(message: str) -> str:
    """Porter's error text, safe to show: redacted and cut short (it is quoted, never trusted)."""
    text = " ".join(redact(message).split())
    return text if len(text) <= 300 else text[:297] + "..."


def unexpected(host: str, status: int, doing: str) -> PorterError:
    """An answer that is not Porter's JSON: an HTML page from a proxy, a captive portal, another
    site at PORTER_HOST, or a body cut short."""
    server_side = status >= 500 or status == 429
    return PorterError(
        "Unexpected answer from Porter",
        f"While trying to {doing}, {host} answered HTTP {status} with something that is not Porter's "
        "API (a proxy's or another site's page, say).",
        "Check PORTER_HOST (or `porter config set-host`) and any proxy in between"
        + ("; if it is a proxy error, try again in a minute." if server_side else "."),
        status=status, code="unexpected_answer", retryable=server_side)


def from_answer(host: str, project: str, status: int, message: str, doing: str) -> PorterError:
    """The error for a non-2xx answer carrying Porter's ``{"error": ...}`` body."""
    said = porter_text(message)
    quoted = f' Porter said: "{said}".' if said else ""
    if status == 401 or (status == 403 and said in ("", "Forbidden")):
        # authn/handler.go answers every bad token with a bare "Forbidden"; authz/project.go does
        # too for a project that no longer exists, which a fresh login also sorts out.
        return PorterError("Porter did not accept the login",
                           f"Porter ({host}) refused the token while trying to {doing}: it is invalid, "
                           f"expired or revoked, or project {project} no longer exists.",
                           f"{_RELOGIN} {_CHECK_PROJECT}", status=status, code="token_rejected")
    if status == 403:
        return PorterError("No access to that Porter project",
                           f"Your Porter login may not {doing} in project {project}.{quoted}",
                           "Ask an admin of the Porter project for access (or a role that may change "
                           "infrastructure), or log in as someone who has it.",
                           status=status, code="forbidden")
    if status == 404 or (status == 500 and _NOT_A_MEMBER.search(said)):
        return PorterError("Porter project not found",
                           f"Project {project} does not exist on {host}, or your login is not a member "
                           f"of it.{quoted}", _CHECK_PROJECT, status=status, code="project_not_found")
    if 400 <= status < 500 and status != 429:
        return PorterError("Porter refused the request",
                           f"Porter answered HTTP {status} while trying to {doing}.{quoted}",
                           "This is likely a bug in the wizard or a change in Porter's API: please "
                           "report it with the wizard's log.", status=status, code="bad_request")
    return PorterError("Porter can't be reached",
                       f"Porter ({host}) answered HTTP {status} while trying to {doing}.{quoted}",
                       "Try again in a minute; if it keeps failing, check https://status.porter.run.",
                       status=status, code="unavailable", retryable=True)


def unreachable(host: str, exc: Exception, doing: str) -> PorterError:
    """No answer at all. The exception's own text is left out: it is not needed, and it can
    quote URLs and proxy settings."""
    from requests.exceptions import SSLError

    if isinstance(exc, SSLError):
        return PorterError("Porter's certificate was not trusted",
                           f"The connection to {host} failed its TLS check while trying to {doing}.",
                           "Check PORTER_HOST; behind a proxy that inspects TLS, set PORTER_CA_BUNDLE to "
                           "its CA certificate file.", code="tls")
    return PorterError("Porter can't be reached",
                       f"No answer from {host} while trying to {doing} ({type(exc).__name__}).",
                       "Check your network connection and PORTER_HOST, then try again.",
                       code="unreachable", retryable=True)
