"""Fake HMPPS Auth: client-credentials tokens, a JWKS endpoint and minted user tokens with roles."""

from __future__ import annotations

import base64
import binascii
import time
import uuid
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

from hmpps_sandbox.fake import FakeApi, json_body, json_response

KID = "sandbox-key"
MINT_CLIENT_ID = "sandbox-client"


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8 or 1, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _decode_basic(header: str) -> tuple[str, str] | None:
    """Client id and secret from an HTTP Basic ``Authorization`` header, or None if malformed."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        return None
    return client_id, secret


def _oauth_error(status: int, error: str, description: str) -> web.Response:
    return json_response({"error": error, "error_description": description}, status=status)


class FakeAuth(FakeApi):
    """HMPPS Auth stand-in mounted under ``/auth``."""

    def __init__(self, name: str = "hmpps-auth") -> None:
        super().__init__(name, base_path="/auth")
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = KID
        self.rejected_clients: set[str] = set()
        self.token_lifetime_seconds = 3600
        self.tokens_issued = 0
        self.route("POST", "/oauth/token", self._token)
        self.route("GET", "/.well-known/jwks.json", self._jwks)
        self.route("POST", "/__mint", self._mint)
        self.on_reset(self._reset_counters)

    # ------------------------------------------------------------- tokens

    @property
    def issuer(self) -> str:
        port = self._port if self._port is not None else 0
        return f"http://127.0.0.1:{port}{self.base_path}/issuer"

    def jwks(self) -> dict[str, Any]:
        numbers = self.private_key.public_key().public_numbers()
        return {
            "keys": [
                {
                    "kty": "RSA",
                    "n": _b64url_uint(numbers.n),
                    "e": _b64url_uint(numbers.e),
                    "kid": self.kid,
                    "alg": "RS256",
                    "use": "sig",
                }
            ]
        }

    def _encode(self, claims: dict[str, Any], *, key: Any, algorithm: str, kid: str | None) -> str:
        if algorithm == "none":
            headers = {"kid": kid} if kid is not None else None
            return jwt.encode(claims, "", algorithm="none", headers=headers)
        signing_key = key if key is not None else self.private_key
        return jwt.encode(claims, signing_key, algorithm=algorithm, headers={"kid": kid or self.kid})

    def _claims(
        self, *, client_id: str, subject: str, authorities: list[str], expires_in: int
    ) -> dict[str, Any]:
        now = int(time.time())
        return {
            "sub": subject,
            "client_id": client_id,
            "authorities": authorities,
            "scope": ["read", "write"],
            "iss": self.issuer,
            "iat": now,
            "exp": now + expires_in,
            "jti": str(uuid.uuid4()),
        }

    def mint_token(
        self,
        roles: list[str] | None = None,
        *,
        user_name: str | None = "sandbox-user",
        expires_in: int = 3600,
        key: Any = None,
        algorithm: str = "RS256",
        kid: str | None = None,
    ) -> str:
        """A user access token carrying ``roles`` as authorities.

        ``key`` signs with a foreign private key; ``algorithm="none"`` gives an unsigned token;
        a negative ``expires_in`` gives an already expired token.
        """
        claims = self._claims(
            client_id=MINT_CLIENT_ID,
            subject=user_name or MINT_CLIENT_ID,
            authorities=list(roles or []),
            expires_in=expires_in,
        )
        if user_name is not None:
            claims["user_name"] = user_name
        return self._encode(claims, key=key, algorithm=algorithm, kid=kid)

    def _reset_counters(self) -> None:
        self.tokens_issued = 0
        self.rejected_clients.clear()

    # ------------------------------------------------------------- routes

    async def _token(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        client_id: str | None = None
        client_secret: str | None = None
        header = request.headers.get("Authorization")
        if header:
            credentials = _decode_basic(header)
            if credentials is None:
                return _oauth_error(401, "unauthorized", "malformed Basic credentials")
            client_id, client_secret = credentials
        elif isinstance(form.get("client_id"), str):
            client_id = str(form["client_id"])
            secret = form.get("client_secret")
            client_secret = secret if isinstance(secret, str) else None
        if not client_id or client_secret is None:
            return _oauth_error(401, "unauthorized", "Full authentication is required")
        if client_id in self.rejected_clients:
            return _oauth_error(401, "invalid_client", "Bad client credentials")
        if form.get("grant_type") != "client_credentials":
            return _oauth_error(400, "unsupported_grant_type", "only client_credentials is supported")
        claims = self._claims(
            client_id=client_id,
            subject=client_id,
            authorities=[],
            expires_in=self.token_lifetime_seconds,
        )
        token = self._encode(claims, key=None, algorithm="RS256", kid=None)
        self.tokens_issued += 1
        return json_response(
            {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": self.token_lifetime_seconds,
                "scope": "read write",
                "jti": claims["jti"],
            }
        )

    async def _jwks(self, request: web.Request) -> web.StreamResponse:
        return json_response(self.jwks())

    async def _mint(self, request: web.Request) -> web.StreamResponse:
        data = await json_body(request) or {}
        if not isinstance(data, dict):
            return _oauth_error(400, "invalid_request", "expected a JSON object")
        roles = data.get("roles") or []
        if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
            return _oauth_error(400, "invalid_request", "roles must be a list of strings")
        expires_in = int(data.get("expires_in", 3600))
        token = self.mint_token(
            roles,
            user_name=data.get("user_name", "sandbox-user"),
            expires_in=expires_in,
        )
        return json_response({"access_token": token, "token_type": "bearer", "expires_in": expires_in})
