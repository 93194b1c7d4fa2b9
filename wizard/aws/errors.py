"""Turns botocore exceptions into errors that say what went wrong and what to do.

Screens never see a botocore exception: every AWS call in wizard.aws goes through `aws_call`.
"""
from __future__ import annotations

import os
import re
import traceback
from urllib.parse import urlsplit

from ..errors import CloudError, WizardError, translating

_THROTTLED = {"Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded",
              "SlowDown", "RequestThrottled", "RequestThrottledException"}
_EXPIRED = {"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"}
_BAD_KEYS = {"InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException",
             "InvalidAccessKeyId", "AuthFailure", "IncompleteSignature"}
_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "Forbidden"}


def translate(exc: Exception, doing: str) -> WizardError:
    """`doing` finishes the sentence "AWS refused to ..." in plain words, e.g. "create the stack"."""
    import botocore.exceptions as bx

    if isinstance(exc, WizardError):
        return exc
    from botocore.parsers import ResponseParserError

    if isinstance(exc, ResponseParserError) or (
            isinstance(exc, (KeyError, TypeError, AttributeError)) and _raised_in_botocore(exc)):
        # An answer botocore could not parse (an empty body, an HTML page): not AWS answering.
        return unexpected_answer(exc, doing, f"{type(exc).__name__}")
    if isinstance(exc, bx.ClientError):
        err = exc.response.get("Error", {})
        code = str(err.get("Code", "Unknown"))
        message = str(err.get("Message", "")).strip()
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if _not_aws_shaped(code, message, status):
            return unexpected_answer(exc, doing, f"HTTP {status}" if status else code)
        return _from_code(code, message, doing)
    if isinstance(exc, bx.NoCredentialsError):
        return CloudError(
            "No AWS credentials found",
            f"The wizard needs credentials to {doing}, and none were found for this profile.",
            "Pick a profile that has credentials, run `aws configure` (or `aws sso login`), or type "
            "an access key on the Account step.", code="NoCredentials")
    if isinstance(exc, bx.ProfileNotFound):
        return CloudError("AWS profile not found", str(exc),
                          "Choose another profile on the Account step.", code="ProfileNotFound")
    if isinstance(exc, bx.PartialCredentialsError):
        return CloudError("Incomplete AWS credentials", str(exc),
                          "Complete the profile in ~/.aws/credentials, or choose another one.",
                          code="PartialCredentials")
    if isinstance(exc, (bx.SSOTokenLoadError, bx.UnauthorizedSSOTokenError, bx.TokenRetrievalError)):
        return CloudError("AWS SSO sign-in needed",
                          "This profile signs in with IAM Identity Center and its session has ended.",
                          "Run `aws sso login --profile <name>` in another terminal, then press Retry.",
                          code="SSOToken", retryable=True)
    if isinstance(exc, (bx.EndpointConnectionError, bx.ConnectTimeoutError, bx.ConnectionClosedError,
                        bx.ReadTimeoutError, bx.ConnectionError, bx.HTTPClientError)):
        where = getattr(exc, "kwargs", {}).get("endpoint_url", "AWS")
        return CloudError(
            "Can't reach AWS",
            f"The wizard could not reach {where} to {doing} ({type(exc).__name__}).",
            "Check your network connection, VPN or proxy (HTTPS_PROXY), and AWS_ENDPOINT_URL if "
            "you set it; then press Retry.", code="Network", retryable=True)
    if isinstance(exc, bx.BotoCoreError):
        return CloudError("AWS SDK error", f"Could not {doing}: {exc}",
                          "Press Retry; if it persists, send the log file to support.",
                          code=type(exc).__name__)
    raise exc  # a bug of ours: let it surface in tests rather than disguise it as a cloud error


def _raised_in_botocore(exc: BaseException) -> bool:
    frames = traceback.extract_tb(exc.__traceback__)
    return bool(frames) and f"{os.sep}botocore{os.sep}" in frames[-1].filename


def _not_aws_shaped(code: str, message: str, status: int | None) -> bool:
    """AWS errors carry a code (AccessDenied...); an answer from something else leaves botocore
    with "Unknown" or the bare HTTP status, and maybe an HTML page as the message. HEAD requests
    have no body, and AWS's own 5xx pages are retried anyway, so those are left alone."""
    if code == "Unknown":
        return True
    if re.fullmatch(r"\d{3}", code) and status and 400 <= status < 500:
        return not message or message.lstrip().startswith("<") or message.isdigit()
    return False


def _endpoint(exc: BaseException) -> str:
    """The host that answered, from botocore's client on the stack (never printed: only its
    endpoint is read), else AWS_ENDPOINT_URL, else "AWS"."""
    tb = exc.__traceback__
    host = ""
    while tb is not None:
        owner = tb.tb_frame.f_locals.get("self")
        endpoint = getattr(owner, "_endpoint", None)
        host = str(getattr(endpoint, "host", "") or host)
        tb = tb.tb_next
    host = host or os.environ.get("AWS_ENDPOINT_URL", "")
    return urlsplit(host).netloc or host or "AWS"


def unexpected_answer(exc: BaseException, doing: str, detail: str) -> CloudError:
    where = _endpoint(exc)
    override = " (AWS_ENDPOINT_URL is set)" if os.environ.get("AWS_ENDPOINT_URL") else ""
    return CloudError(
        f"Unexpected answer from {where}",
        f"{where} answered, but not the way AWS does ({detail}), so the wizard could not {doing}: "
        "a proxy, a captive portal or a wrong endpoint may be answering instead of AWS.",
        f"Check AWS_ENDPOINT_URL{override} and AWS_ENDPOINT_URL_<SERVICE>, your profile's "
        "endpoint_url, and the proxy settings (HTTPS_PROXY, NO_PROXY); then press Retry.",
        code="UnexpectedAnswer", retryable=True)


def _from_code(code: str, message: str, doing: str) -> CloudError:
    said = f" AWS said: {message}" if message else ""
    if code in _THROTTLED:
        return CloudError("AWS is throttling requests",
                          f"Too many requests right now, so AWS would not {doing} ({code}).",
                          "Wait a minute and press Retry.", code=code, retryable=True)
    if code in _EXPIRED:
        return CloudError("Your AWS credentials have expired",
                          f"The session token these credentials carry has expired ({code}).",
                          "Refresh them (`aws sso login`, or new temporary keys), then press Retry.",
                          code=code, retryable=True)
    if code in _BAD_KEYS:
        return CloudError("AWS does not recognise these credentials",
                          f"The access key is wrong, deactivated or deleted ({code}).",
                          "Check the key in the IAM console (Security credentials) or pick another "
                          "profile on the Account step.", code=code)
    if code in _DENIED:
        return CloudError("AWS denied access",
                          f"Your identity is not allowed to {doing}.{said}",
                          "Use credentials with administrator rights for setup, or ask your AWS "
                          "administrator for the missing permission named above.", code=code)
    return CloudError(f"AWS could not {doing}", f"{code}.{said}",
                      "Fix what AWS names above and press Retry; if it persists, send the log to "
                      "support.", code=code)


def aws_call(doing: str):
    """Wrap AWS calls so that anything they raise leaves as a WizardError."""
    return translating(translate, doing)
