"""The error answers an endpoint documents: `responses=error_responses(404, 409)` on a route.

Only the statuses particular to a route are named here. The OpenAPI writer (`web/openapi.py`) adds the
ones every route shares (400 for a malformed parameter, 401 and 403 for a role-protected route, 500 for
one that calls a downstream API) and gives each error the `ErrorResponse` JSON body, so all routes
document their errors the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ERROR_DESCRIPTIONS = {
    400: "Bad request: a malformed id, parameter or body, or a downstream API refused the change",
    401: "Unauthorised: no valid HMPPS Auth token (empty body, `WWW-Authenticate: Bearer`)",
    403: "Forbidden: the token lacks the role this endpoint needs",
    404: "Not found: DPS, NOMIS or the mapping API has no such record (the message names it)",
    409: "Conflict: the request clashes with the current state (the message says how)",
    500: "Unexpected error: a downstream API failed, or answered what it should not",
}


def error_responses(*statuses: int, described: Mapping[int, str] | None = None) -> dict[int | str, Any]:
    """FastAPI `responses=` entries for these error statuses, with the shared or the given descriptions."""
    descriptions = {**ERROR_DESCRIPTIONS, **(described or {})}
    return {status: {"description": descriptions[status]} for status in statuses}
