"""Error bodies in the HMPPS ErrorResponse shape (framework.md 7.2)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from prisoner_to_nomis_update.framework.auth import Forbidden, Unauthorised
from prisoner_to_nomis_update.framework.errors import BadRequest, Conflict, NotFound, ValidationFailure
from prisoner_to_nomis_update.framework.http import HttpError
from prisoner_to_nomis_update.framework.synchronise import AwaitDependentStateRetry, AwaitParentEntityRetry

log = logging.getLogger(__name__)


class ErrorResponse(BaseModel):
    status: int
    errorCode: int | None = None
    userMessage: str | None = None
    developerMessage: str | None = None
    moreInfo: str | None = None


def error_response(status: int, user_message: str, developer_message: str | None) -> JSONResponse:
    body = ErrorResponse(status=status, userMessage=user_message, developerMessage=developer_message)
    return JSONResponse(body.model_dump(), status_code=status)


def unexpected_error(error: Exception) -> JSONResponse:
    log.error("Unexpected error: %s", error, exc_info=error)
    return error_response(500, f"Unexpected error: {error}", str(error))


def requested_record(request: Request) -> str:
    """The record a request names, from its path parameters: `allocationId 12`, `offenderNo A1234BC`."""
    named = ", ".join(f"{name} {value}" for name, value in request.path_params.items())
    return named or f"{request.method} {request.url.path}"


def downstream_not_found(request: Request, error: HttpError) -> JSONResponse:
    """A repair or manual sync of a record DPS, NOMIS or the mapping API does not have: 404 naming it.

    Whatever the route, a downstream 404 on its path means something the request needs is missing,
    never a fault in the service; other downstream failures stay 500, as the original answers them.
    """
    api = f"the {error.api} API" if error.api else "a downstream API"
    message = f"{requested_record(request)}: {api} has no such record ({error})"
    return error_response(404, f"Not Found: {message}", message)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(Unauthorised)
    async def unauthorised(_: Request, error: Unauthorised) -> Response:
        return Response(status_code=401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})

    @app.exception_handler(Forbidden)
    async def forbidden(_: Request, error: Forbidden) -> Response:
        return error_response(403, str(error), str(error))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, error: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem.get('loc', ()))}: {problem.get('msg')}"
            for problem in error.errors()
        )
        missing = all(problem.get("type") == "missing" for problem in error.errors())
        prefix = "Missing request parameter" if missing else "Invalid Argument"
        return error_response(400, f"{prefix}: {problems}", problems)

    @app.exception_handler(ValidationFailure)
    async def validation(_: Request, error: ValidationFailure) -> Response:
        return error_response(400, f"Validation failure: {error}", str(error))

    @app.exception_handler(BadRequest)
    async def bad_request(_: Request, error: BadRequest) -> Response:
        return error_response(400, f"Bad Request: {error}", str(error))

    @app.exception_handler(NotFound)
    async def not_found(_: Request, error: NotFound) -> Response:
        return error_response(404, f"Not Found: {error}", str(error))

    @app.exception_handler(Conflict)
    async def conflict(_: Request, error: Conflict) -> Response:
        return error_response(409, str(error), str(error))

    @app.exception_handler(HttpError)
    async def downstream(request: Request, error: HttpError) -> Response:
        if error.status == 404:
            return downstream_not_found(request, error)
        return unexpected_error(error)

    # On a queue these are "retry later"; a repair the operator asked for answers at once instead.
    @app.exception_handler(AwaitParentEntityRetry)
    async def parent_missing(request: Request, error: AwaitParentEntityRetry) -> Response:
        """The record's parent is not in NOMIS (or not mapped) yet: it is missing, as far as a repair goes."""
        return error_response(404, f"Not Found: {error}", str(error))

    @app.exception_handler(AwaitDependentStateRetry)
    async def dependent_state(request: Request, error: AwaitDependentStateRetry) -> Response:
        """NOMIS answered 424: the state the change depends on is not there yet; try again later."""
        return error_response(409, f"{error} (try again once NOMIS has caught up)", str(error))

    @app.exception_handler(StarletteHTTPException)
    async def http_exception(_: Request, error: StarletteHTTPException) -> Response:
        if error.status_code == 404:
            return error_response(404, f"Not Found: {error.detail}", str(error.detail))
        return error_response(error.status_code, str(error.detail), str(error.detail))

    @app.exception_handler(Exception)
    async def unexpected(_: Request, error: Exception) -> Response:
        return unexpected_error(error)
