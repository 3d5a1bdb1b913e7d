"""The app's endpoints as one flat list, whatever way FastAPI nests included routers.

FastAPI (0.16x) keeps each included router as one entry of `app.routes`; `iter_route_contexts`
expands them into the effective routes: full path, methods and dependencies including the router's.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts


def api_endpoints(app: FastAPI) -> list[Any]:
    """Every API endpoint: objects with `path_format`, `methods`, `name` and `dependant`."""
    return [
        context for context in iter_route_contexts(app.routes) if isinstance(context.original_route, APIRoute)
    ]
