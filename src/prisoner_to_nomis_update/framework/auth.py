"""Incoming HMPPS Auth JWTs: RS256 signature against the JWKS, expiry, and role checks.

401 (with `WWW-Authenticate: Bearer`) for a missing, malformed, unsigned, foreign-signed or expired
token; 403 when the token is good but lacks the role. Keys are cached and re-fetched when a token names
an unknown key id, so HMPPS Auth can rotate keys without a restart.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from fastapi import Request

log = logging.getLogger(__name__)

ALLOWED_ALGORITHMS = ["RS256"]
JWKS_REFRESH_MIN_INTERVAL_SECONDS = 30.0


class Unauthorised(Exception):
    """No valid token: answered 401."""


class Forbidden(Exception):
    """A valid token without the role: answered 403 'Access Denied'."""


@dataclass(frozen=True)
class Principal:
    name: str
    authorities: frozenset[str]


def normalise_role(role: str) -> str:
    return role if role.startswith("ROLE_") else f"ROLE_{role}"


class JwtValidator:
    def __init__(self, session: aiohttp.ClientSession, auth_base_url: str) -> None:
        self.session = session
        self.jwks_url = f"{auth_base_url}/.well-known/jwks.json"
        self.keys: dict[str, Any] = {}
        self.fetched_at = 0.0
        self.lock = asyncio.Lock()

    async def _refresh(self) -> None:
        async with self.lock:
            if time.monotonic() - self.fetched_at < JWKS_REFRESH_MIN_INTERVAL_SECONDS and self.keys:
                return
            try:
                async with self.session.get(
                    self.jwks_url, timeout=aiohttp.ClientTimeout(total=10)
                ) as response:
                    response.raise_for_status()
                    jwks = await response.json(content_type=None)
            except Exception as error:
                log.warning("Could not fetch JWKS from %s: %s", self.jwks_url, error)
                raise Unauthorised("signing keys unavailable") from error
            import jwt  # loaded on first use: see `validate`

            keys: dict[str, Any] = {}
            for jwk in jwks.get("keys", []):
                try:
                    keys[jwk.get("kid", "")] = jwt.PyJWK(jwk).key
                except Exception as error:
                    log.warning("Ignoring unusable JWK %s: %s", jwk.get("kid"), error)
            self.keys = keys
            self.fetched_at = time.monotonic()

    async def _key_for(self, kid: str) -> Any:
        if kid not in self.keys:
            await self._refresh()
        if kid not in self.keys and len(self.keys) == 1 and kid == "":
            return next(iter(self.keys.values()))
        if kid not in self.keys:
            raise Unauthorised("token signed by an unknown key")
        return self.keys[kid]

    async def validate(self, token: str) -> Principal:
        # PyJWT pulls in cryptography (about 20 MB resident); most pods never see an authenticated
        # request, so it is loaded by the first one rather than at start-up.
        import jwt

        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise Unauthorised(f"malformed token: {error}") from None
        if header.get("alg") not in ALLOWED_ALGORITHMS:
            raise Unauthorised(f"algorithm {header.get('alg')!r} not accepted")
        key = await self._key_for(str(header.get("kid", "")))
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=ALLOWED_ALGORITHMS,
                options={"require": ["exp"], "verify_aud": False},
            )
        except jwt.PyJWTError as error:
            raise Unauthorised(f"invalid token: {error}") from None
        authorities = claims.get("authorities") or []
        if isinstance(authorities, str):
            # A single authority written as a string, not a one-element list.
            authorities = [authorities]
        if not isinstance(authorities, list):
            authorities = []
        scopes = claims.get("scope") or []
        if isinstance(scopes, str):
            scopes = scopes.split()
        if not isinstance(scopes, list):
            scopes = []
        granted = {a for a in authorities if isinstance(a, str)} | {
            f"SCOPE_{s}" for s in scopes if isinstance(s, str)
        }
        name = claims.get("user_name") or claims.get("client_id") or claims.get("sub") or "unknown"
        return Principal(name=str(name), authorities=frozenset(granted))


def require_role(*roles: str) -> Callable[[Request], Awaitable[Principal]]:
    """A FastAPI dependency admitting tokens with any of `roles` (with or without the ROLE_ prefix)."""
    wanted = frozenset(normalise_role(role) for role in roles)

    async def dependency(request: Request) -> Principal:
        validator: JwtValidator | None = getattr(request.app.state, "jwt_validator", None)
        if validator is None:
            raise Unauthorised("the service is not started: no signing keys yet")
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorised("no bearer token")
        principal = await validator.validate(token.strip())
        if not principal.authorities & wanted:
            raise Forbidden("Access Denied")
        return principal

    dependency.required_roles = wanted  # type: ignore[attr-defined]
    return dependency


def required_roles(route: Any) -> frozenset[str]:
    """The roles a FastAPI route's `require_role` dependencies admit (empty: the route is open).

    Used by the OpenAPI document (401/403 answers) and by the test that every endpoint has a role check.
    """
    roles: set[str] = set()
    pending = [getattr(route, "dependant", None)]
    while pending:
        dependant = pending.pop()
        if dependant is None:
            continue
        roles |= getattr(dependant.call, "required_roles", frozenset())
        pending.extend(dependant.dependencies)
    return frozenset(roles)
