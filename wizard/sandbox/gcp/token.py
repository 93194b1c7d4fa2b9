"""Google's OAuth 2.0 token endpoint for service accounts (``POST /oauth2/token``).

google-auth signs a JWT with the key's private key (header ``kid`` = the key's private_key_id,
``iss`` = the account's email, ``aud`` = Google's token endpoint, whatever the key's token_uri
says) and posts it to the key's ``token_uri`` as a jwt-bearer grant.
This double checks the signature with the public half it kept when it made the key, the key's
and the account's state, the audience and the lifetime, and answers as Google does: an access
token, or HTTP 400 ``{"error": "invalid_grant", "error_description": ...}``, which google-auth
raises as ``RefreshError("invalid_grant: ...")``.

What Google says for a disabled or deleted key ("Invalid JWT Signature.") and a deleted account
("Invalid grant: account not found") is as observed in the field; the disabled-account wording
is our guess.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from ..https.service import Reply, Request, Service
from .world import GcpWorld

__all__ = ["TokenService"]

GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


class TokenService(Service):
    name = "oauth2"
    case_insensitive_paths = False

    def __init__(self, world: GcpWorld) -> None:
        super().__init__(world.lock)
        self.world = world
        self.route("token", "POST", "/oauth2/token", self._token)

    @property
    def token_uri(self) -> str:
        return f"{self.base_url}/oauth2/token"

    def error_body(self, status: int, code: str, message: str) -> Any:
        return {"error": code, "error_description": message}

    def _grant_error(self, description: str) -> Reply:
        return Reply(400, {"error": "invalid_grant", "error_description": description})

    def _token(self, req: Request) -> Reply:
        form = req.form()
        if form.get("grant_type") != JWT_BEARER:
            return Reply(400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type: "
                               + form.get("grant_type", "")})
        try:
            head_b64, body_b64, sig_b64 = form.get("assertion", "").split(".")
            header, claims = json.loads(_b64(head_b64)), json.loads(_b64(body_b64))
            signature = _b64(sig_b64)
        except ValueError:
            return self._grant_error("Invalid JWT: the assertion is not a JWT.")
        account = self.world.service_accounts.get(str(claims.get("iss", "")))
        if account is None or account.deleted:
            return self._grant_error("Invalid grant: account not found")
        record = account.keys.get(str(header.get("kid", "")))
        if record is None or record.state != "enabled" or not _verifies(record.public_pem, head_b64, body_b64,
                                                                          signature):
            return self._grant_error("Invalid JWT Signature.")
        if account.disabled:
            return self._grant_error("Invalid grant: account disabled")
        if claims.get("aud") not in (GOOGLE_TOKEN_AUDIENCE, self.token_uri):
            return self._grant_error("Invalid JWT: audience must be the token endpoint.")
        now = time.time()
        if not (claims.get("iat", 0) - 300 <= now <= claims.get("exp", 0) + 300):
            return self._grant_error("Invalid JWT: Token must be a short-lived token (60 minutes) and in a "
                                     "reasonable timeframe. Check your iat and exp values in the JWT claim.")
        token, lifetime = self.world.issue_token(account.email)
        return Reply(200, {"access_token": token, "expires_in": lifetime, "token_type": "Bearer"})


def _verifies(public_pem: bytes, head: str, body: str, signature: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    key = serialization.load_pem_public_key(public_pem)
    try:
        key.verify(signature, f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())  # type: ignore[union-attr]
    except InvalidSignature:
        return False
    return True
