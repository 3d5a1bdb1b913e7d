"""The operator console (`/console`): queues, DLQ messages and why they failed, duplicates, reports.

A browser that is not signed in (or whose token lacks the role) gets the sign-in form with the 401/403;
any other client gets the usual empty 401 / JSON 403, like every other endpoint.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from prisoner_to_nomis_update.web.console.page import ConsoleSources
from prisoner_to_nomis_update.web.console.render import render
from prisoner_to_nomis_update.web.console.routes import build_router
from prisoner_to_nomis_update.web.console.session import ConsoleForbidden, ConsoleUnauthorised
from prisoner_to_nomis_update.web.errors import error_response

__all__ = ["ConsoleSources", "install"]

BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def install(app: FastAPI, role: str, sources: ConsoleSources) -> None:
    app.include_router(build_router(role, sources))

    def sign_in_page(problem: str | None, status: int, headers: dict[str, str] | None = None) -> Response:
        return HTMLResponse(
            render("sign_in.html", role=role, problem=problem),
            status_code=status,
            headers={**(headers or {}), "Cache-Control": "no-store"},
        )

    @app.exception_handler(ConsoleUnauthorised)
    async def unauthorised(request: Request, error: ConsoleUnauthorised) -> Response:
        if not _wants_html(request):
            return Response(status_code=401, headers=BEARER_CHALLENGE)
        problem = None if str(error) == "not signed in" else f"That token was not accepted: {error}."
        return sign_in_page(problem, 401, BEARER_CHALLENGE)

    @app.exception_handler(ConsoleForbidden)
    async def forbidden(request: Request, error: ConsoleForbidden) -> Response:
        if not _wants_html(request):
            return error_response(403, str(error), str(error))
        if str(error) == "Access Denied":
            return sign_in_page(f"That token does not have the role {role}.", 403)
        return sign_in_page(f"Refused: {error}.", 403)
