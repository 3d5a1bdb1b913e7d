"""Who is using the console: an HMPPS Auth JWT with the queue-admin role, from a cookie or a header.

A browser cannot attach a bearer header to a link or a form, so the console's sign-in form takes a
token, checks it exactly as every endpoint does (signature against the JWKS, expiry, role) and stores
the token itself in a cookie that is `HttpOnly` (page scripts cannot read it), `SameSite=Strict` (no
other site can make the browser send it), `Path=/console` (sent to the console routes only; no other
route reads cookies) and `Secure` over HTTPS. Nothing is kept on the server, so any pod accepts it, and
it stops working when the token expires. Each request re-validates it.

Forms that change something also carry a CSRF token: a hash of the signed-in JWT, which only a page
rendered for that JWT can know. A request that names another origin is refused as well. A bearer
header is accepted instead of the cookie (scripts, tests); browsers never send one by themselves, so
such requests need no CSRF token.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from fastapi import Request

from prisoner_to_nomis_update.framework.auth import (
    Forbidden,
    JwtValidator,
    Principal,
    Unauthorised,
    normalise_role,
)
from prisoner_to_nomis_update.framework.errors import BadRequest

COOKIE = "p2n-console"
COOKIE_PATH = "/console"
TOKEN_FIELD = "token"
CSRF_FIELD = "csrf"
# A JWT is a couple of kilobytes; a form much bigger than that is not one of ours.
MAX_FORM_BYTES = 16_384


class ConsoleUnauthorised(Unauthorised):
    """401; a browser is shown the sign-in form."""


class ConsoleForbidden(Forbidden):
    """403; a browser is told which role is missing."""


@dataclass(frozen=True)
class ConsoleSession:
    principal: Principal
    token: str
    from_cookie: bool

    @property
    def csrf_token(self) -> str:
        return csrf_token_for(self.token)

    def has_role(self, role: str) -> bool:
        return normalise_role(role) in self.principal.authorities


def csrf_token_for(token: str) -> str:
    return hashlib.sha256(b"prisoner-to-nomis-update console csrf\n" + token.encode()).hexdigest()


async def read_form(request: Request) -> dict[str, str]:
    """An `application/x-www-form-urlencoded` body as one value per field (the first of repeats).

    Read once per request, and never more than MAX_FORM_BYTES of it.
    """
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise BadRequest("the form is too large")
    if not body:
        return {}
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in ("", "application/x-www-form-urlencoded"):
        raise BadRequest(f"expected a form (application/x-www-form-urlencoded), got {content_type}")
    try:
        fields = parse_qs(body.decode(), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise BadRequest("the form is not UTF-8") from None
    return {name: values[0] for name, values in fields.items() if values}


async def _validated(request: Request, token: str, wanted: frozenset[str]) -> Principal:
    validator: JwtValidator | None = getattr(request.app.state, "jwt_validator", None)
    if validator is None:
        raise ConsoleUnauthorised("the service is not started: no signing keys yet")
    try:
        principal = await validator.validate(token)
    except Unauthorised as error:
        raise ConsoleUnauthorised(str(error)) from None
    if not principal.authorities & wanted:
        raise ConsoleForbidden("Access Denied")
    return principal


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def console_session(role: str) -> Callable[[Request], Awaitable[ConsoleSession]]:
    """A dependency admitting a bearer header or the console cookie holding a token with `role`."""
    wanted = frozenset({normalise_role(role)})

    async def dependency(request: Request) -> ConsoleSession:
        header = _bearer(request)
        token = header or request.cookies.get(COOKIE)
        if not token:
            raise ConsoleUnauthorised("not signed in")
        principal = await _validated(request, token, wanted)
        return ConsoleSession(principal, token, from_cookie=header is None)

    dependency.required_roles = wanted  # type: ignore[attr-defined]
    return dependency


def console_sign_in(role: str) -> Callable[[Request], Awaitable[ConsoleSession]]:
    """A dependency taking the token from the sign-in form (or a bearer header) and checking its role."""
    wanted = frozenset({normalise_role(role)})

    async def dependency(request: Request) -> ConsoleSession:
        refuse_other_origins(request)
        token = _bearer(request) or (await read_form(request)).get(TOKEN_FIELD, "").strip()
        if not token:
            raise ConsoleUnauthorised("no token given")
        return ConsoleSession(await _validated(request, token, wanted), token, from_cookie=False)

    dependency.required_roles = wanted  # type: ignore[attr-defined]
    return dependency


def refuse_other_origins(request: Request) -> None:
    """Browsers name the page a form was sent from; one from another site is refused."""
    origin = request.headers.get("origin")
    if origin is None:
        return
    if urlsplit(origin).netloc != request.headers.get("host", ""):
        raise ConsoleForbidden(f"a form sent from {origin} is refused")


def check_form(request: Request, session: ConsoleSession, form: dict[str, str]) -> None:
    """CSRF checks for a change made with the cookie (a bearer header cannot be forged cross-site)."""
    refuse_other_origins(request)
    if session.from_cookie and not hmac.compare_digest(form.get(CSRF_FIELD, ""), session.csrf_token):
        raise ConsoleForbidden("the form has expired or did not come from this console: reload the page")


def is_https(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"
