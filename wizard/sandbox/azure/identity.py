"""The Entra ID (AAD) v2.0 token endpoint, as msal (under azure-identity) uses it.

msal with ``disable_instance_discovery=True`` skips login.microsoftonline.com's instance discovery
and GETs ``{authority}/{tenant}/v2.0/.well-known/openid-configuration``; it then uses only the
``token_endpoint``, ``authorization_endpoint`` (required keys) and ``device_authorization_endpoint``
it finds there, and takes the tenant from the token endpoint's path. So every URL in the document
points back at this double.

Grants: ``client_credentials`` (client_secret checked against the application's passwords,
including their endDateTime), the device-code grant (pending until a test or the sandbox calls
``approve``), and ``refresh_token`` (azure-identity's DeviceCodeCredential redeems the refresh token
silently when asked for a second resource, e.g. Graph after ARM).

Errors use AAD's own body (``error``, ``error_description`` starting with the AADSTS code,
``error_codes``, ``trace_id``...) because azure-identity copies ``error_description`` into the
ClientAuthenticationError message, which is what the wizard will show and match on. msal (1.38+)
no longer validates id_tokens, but older versions check iss/aud/exp, so the id_token carries
correct ones anyway.
"""

from __future__ import annotations

import hmac
import html
import re
import secrets
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from .directory import PUBLIC_CLIENTS, DeviceCode, Directory, User, now_utc
from ..https.service import Reply, Request, Service, ServiceError

__all__ = ["IdentityService"]

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
_RESERVED_SCOPES = {"openid", "profile", "offline_access", "email"}
_USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ23456789"  # AAD's codes are 9 characters, no vowels


def _aad(status: int, error: str, aadsts: int, text: str) -> ServiceError:
    return ServiceError(status, error, f"AADSTS{aadsts}: {text}")


class IdentityService(Service):
    name = "identity"

    def __init__(self, lock: Any, directory: Directory, *, device_code_interval: int = 1,
                 device_code_lifetime: int = 900, auto_approve_after: float | None = None) -> None:
        super().__init__(lock)
        self.directory = directory
        # msal sleeps ``interval`` whole seconds between polls; AAD says 5, 1 keeps tests quick.
        self.device_code_interval = max(1, int(device_code_interval))
        self.device_code_lifetime = device_code_lifetime
        self.auto_approve_after = auto_approve_after  # sandbox: sign the admin in by itself
        self.default_user_id = ""  # who signs in when a code is approved without naming a user
        tenant = r"/(?P<tenant>[^/]+)"
        self.route("openid-configuration", "GET", tenant + r"/v2\.0/\.well-known/openid-configuration", self._discovery)
        self.route("token", "POST", tenant + r"/oauth2/v2\.0/token", self._token)
        self.route("devicecode", "POST", tenant + r"/oauth2/v2\.0/devicecode", self._devicecode)
        self.route("devicelogin", "GET", r"/devicelogin", self._login_page)
        self.route("devicelogin", "POST", r"/devicelogin", self._login_submit)

    # -- wire shape -----------------------------------------------------------------------
    def error_body(self, status: int, code: str, message: str) -> Any:
        trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        found = re.match(r"AADSTS(\d+)", message)
        body = {
            "error": code,
            "error_description": f"{message} Trace ID: {trace} Correlation ID: {correlation} Timestamp: {stamp}",
            "error_codes": [int(found.group(1))] if found else [],
            "timestamp": stamp, "trace_id": trace, "correlation_id": correlation,
        }
        if found:
            body["error_uri"] = f"{self.base_url}/error?code={found.group(1)}"
        return body

    def not_found(self, method: str, path: str) -> Reply:
        return self.error_reply(404, "invalid_request", f"AADSTS90013: Invalid input received: no endpoint for "
                                f"{method} {path}.")

    # -- helpers ----------------------------------------------------------------------------
    def _tenant_segment(self, name: str) -> str:
        d = self.directory
        if name.lower() in (d.tenant_id, d.domain.lower()):
            return d.tenant_id
        if name.lower() in ("organizations", "common"):
            return name.lower()
        raise _aad(400, "invalid_tenant", 90002, f"Tenant '{name}' not found. Check to make sure you have the "
                   "correct tenant ID and are signing into the correct cloud. Check with your subscription "
                   "administrator, this may happen if there are no active subscriptions for the tenant.")

    @property
    def issuer(self) -> str:
        return f"{self.base_url}/{self.directory.tenant_id}/v2.0"

    def _audience(self, scope: str, *, client_credentials: bool) -> str:
        scopes = [s for s in scope.split() if s.lower() not in _RESERVED_SCOPES]
        if not scopes:
            raise _aad(400, "invalid_request", 900144,
                       "The request body must contain the following parameter: 'scope'.")
        resources = set()
        for item in scopes:
            if item.endswith("/.default"):
                resources.add(item[: -len("/.default")])
            elif client_credentials:
                raise _aad(400, "invalid_scope", 1002012, f"The provided value for scope {item} is not valid. "
                           "Client credential flows must have a scope value with /.default suffixed to the "
                           "resource identifier (application ID URI).")
            elif "/" in item.split("://", 1)[-1]:
                resources.add(item.rsplit("/", 1)[0])  # "https://management.azure.com/user_impersonation"
            else:
                resources.add("https://graph.microsoft.com")  # bare "User.Read" means Graph, as in AAD
        if len(resources) > 1:
            raise _aad(400, "invalid_scope", 28000, "Provided value for the input parameter scope is not valid "
                       "because it contains more than one resource.")
        resource = resources.pop().rstrip("/")
        if not self.directory.audience_services(resource):
            raise _aad(400, "invalid_resource", 500011, f"The resource principal named {resource} was not found "
                       f"in the tenant named {self.directory.domain}. This can happen if the application has not "
                       "been installed by the administrator of the tenant or consented to by any user in the "
                       "tenant. You might have sent your authentication request to the wrong tenant.")
        return resource

    # -- discovery --------------------------------------------------------------------------
    def _discovery(self, req: Request) -> Any:
        root = f"{self.base_url}/{self._tenant_segment(req.params['tenant'])}"
        return {
            "token_endpoint": f"{root}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": f"{root}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": self.issuer,
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": f"{self.base_url}/oidc/userinfo",
            "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{root}/oauth2/v2.0/logout",
            "claims_supported": ["sub", "iss", "cloud_instance_name", "cloud_instance_host_name",
                                 "cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat", "auth_time", "acr",
                                 "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"],
            "kerberos_endpoint": f"{root}/kerberos",
            "tenant_region_scope": "NA",
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
            "rbac_url": "https://pas.windows.net",
        }

    # -- token endpoint ---------------------------------------------------------------------
    def _token(self, req: Request) -> Any:
        self._tenant_segment(req.params["tenant"])
        form = req.form()
        grant = form.get("grant_type", "")
        if grant == "client_credentials":
            return self._client_credentials(form)
        if grant == DEVICE_GRANT:
            return self._device_token(form)
        if grant == "refresh_token":
            return self._refresh(form)
        raise _aad(400, "unsupported_grant_type", 70003, f"The app requested an unsupported grant type '{grant}'.")

    def _client_credentials(self, form: dict[str, str]) -> Any:
        d = self.directory
        app_id = form.get("client_id", "").lower()
        app = d.app_by_app_id(app_id)
        if app is None:
            raise _aad(400, "unauthorized_client", 700016, f"Application with identifier '{app_id}' was not found in "
                       f"the directory '{d.domain}'. This can happen if the application has not been installed by "
                       "the administrator of the tenant or consented to by any user in the tenant. You may have "
                       "sent your authentication request to the wrong tenant.")
        secret = form.get("client_secret", "")
        if not secret:
            raise _aad(401, "invalid_client", 7000218, "The request body must contain the following parameter: "
                       "'client_assertion' or 'client_secret'.")
        match = next((p for p in app.passwords if hmac.compare_digest(p.secret.encode(), secret.encode())), None)
        if match is None or match.usable_from > time.monotonic():
            raise _aad(401, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being sent "
                       "in the request is the client secret value, not the client secret ID, for a secret added to "
                       f"app '{app.app_id}'.")
        if match.end <= now_utc():
            raise _aad(401, "invalid_client", 7000222, f"The provided client secret keys for app '{app.app_id}' are "
                       "expired. Visit the Azure portal to create new keys for your app: "
                       "https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.")
        sp = d.sp_by_app_id(app.app_id)
        if sp is None:
            raise _aad(401, "invalid_client", 7000229, f"The client application {app.app_id} is missing service "
                       f"principal in the tenant {d.tenant_id}.")
        audience = self._audience(form.get("scope", ""), client_credentials=True)
        token = d.issue_access_token(sp, client_id=app.app_id, audience=audience, authority=self.base_url)
        return {"token_type": "Bearer", "expires_in": d.token_lifetime, "ext_expires_in": d.token_lifetime,
                "access_token": token.value}

    def _user_tokens(self, user: User, client_id: str, scope: str) -> Any:
        d = self.directory
        audience = self._audience(scope, client_credentials=False)
        token = d.issue_access_token(user, client_id=client_id, audience=audience, authority=self.base_url)
        granted = " ".join(s for s in scope.split() if s.lower() not in _RESERVED_SCOPES)
        return {
            "token_type": "Bearer", "scope": granted, "expires_in": d.token_lifetime,
            "ext_expires_in": d.token_lifetime, "access_token": token.value,
            "refresh_token": d.new_refresh_token(user, client_id),
            "id_token": d.id_token(user, client_id=client_id, issuer=self.issuer),
            "client_info": d.client_info(user),
        }

    def _device_token(self, form: dict[str, str]) -> Any:
        d = self.directory
        code = d.device_codes.get(form.get("device_code", ""))
        if code is None or code.redeemed or code.client_id != form.get("client_id", "").lower():
            raise _aad(400, "invalid_grant", 70000, "Provided grant is invalid or malformed.")
        if time.time() > code.expires_at:
            raise _aad(400, "expired_token", 70020, "The provided value for the input parameter 'device_code' is "
                       "not valid. This device code has expired.")
        if code.declined:
            raise _aad(400, "authorization_declined", 70000, "The user declined to authorize the request.")
        if code.user_id is None and self.auto_approve_after is not None \
                and time.time() - code.created >= self.auto_approve_after:
            code.user_id = self.default_user_id
        if code.user_id is None:
            raise _aad(400, "authorization_pending", 70016, "OAuth 2.0 device flow error. Authorization is "
                       "pending. Continue polling.")
        user = d.users.get(code.user_id)
        if user is None:
            raise _aad(400, "invalid_grant", 50034, "The user account does not exist in the directory.")
        code.redeemed = True
        return self._user_tokens(user, code.client_id, code.scope)

    def _refresh(self, form: dict[str, str]) -> Any:
        d = self.directory
        found = d.refresh_tokens.get(form.get("refresh_token", ""))
        user = d.users.get(found[0]) if found else None
        if found is None or user is None or found[1] != form.get("client_id", "").lower():
            raise _aad(400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.")
        return self._user_tokens(user, found[1], form.get("scope", ""))

    # -- device code ------------------------------------------------------------------------
    def _devicecode(self, req: Request) -> Any:
        self._tenant_segment(req.params["tenant"])
        form = req.form()
        client_id = form.get("client_id", "").lower()
        if client_id not in PUBLIC_CLIENTS and self.directory.app_by_app_id(client_id) is None:
            raise _aad(400, "unauthorized_client", 700016, f"Application with identifier '{client_id}' was not "
                       f"found in the directory '{self.directory.domain}'.")
        scope = form.get("scope", "")
        self._audience(scope, client_credentials=False)  # AAD rejects a bad scope here already
        user_code = "".join(secrets.choice(_USER_CODE_ALPHABET) for _ in range(9))
        code = DeviceCode(secrets.token_urlsafe(96), user_code, client_id, scope,
                          time.time() + self.device_code_lifetime)
        self.directory.device_codes[code.device_code] = code
        uri = f"{self.base_url}/devicelogin"
        return {
            "user_code": user_code, "device_code": code.device_code, "verification_uri": uri,
            "expires_in": self.device_code_lifetime, "interval": self.device_code_interval,
            "message": f"To sign in, use a web browser to open the page {uri} and enter the code {user_code} "
                       "to authenticate.",
        }

    def find_code(self, user_code: str) -> DeviceCode:
        wanted = user_code.replace("-", "").strip().upper()
        for code in self.directory.device_codes.values():
            if code.user_code == wanted and not code.redeemed:
                return code
        raise KeyError(f"no pending device code {user_code!r}")

    def approve(self, user_code: str, user_id: str | None = None) -> None:
        with self.lock:
            self.find_code(user_code).user_id = user_id or self.default_user_id

    def decline(self, user_code: str) -> None:
        with self.lock:
            self.find_code(user_code).declined = True

    def pending_codes(self) -> list[str]:
        with self.lock:
            return [c.user_code for c in self.directory.device_codes.values()
                    if c.user_id is None and not c.declined and not c.redeemed and time.time() < c.expires_at]

    # The verification page: in sandbox mode the wizard may open it in a browser; one click signs
    # the seeded admin in, like entering the code at microsoft.com/devicelogin would.
    def _login_page(self, req: Request) -> Reply:
        return Reply(200, "<!doctype html><title>Sign in (sandbox)</title><form method=post>"
                          "<label>Code <input name=code autofocus></label> <button>Sign in</button></form>")

    def _login_submit(self, req: Request) -> Reply:
        code = req.form().get("code", "")
        try:
            self.find_code(code).user_id = self.default_user_id
        except KeyError:
            return Reply(400, f"<!doctype html><p>Unknown or used code {html.escape(code)}.</p>")
        return Reply(200, "<!doctype html><p>You have signed in to the porter-wizard sandbox. "
                          "You can close this window.</p>")
