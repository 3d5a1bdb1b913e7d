"""`/v3/api-docs` and Swagger UI: the document tidied as springdoc's, with every answer documented.

Each operation lists the statuses it really answers: its own (`framework.responses.error_responses`),
plus the shared ones written here once: 400 where a parameter or body can be malformed, 401/403 and
500 on every role-protected route. Errors carry the `ErrorResponse` JSON body, except 401, which is
empty with `WWW-Authenticate` as in the original. Open routes (health, info, docs) say `security: []`.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from prisoner_to_nomis_update.framework.auth import required_roles
from prisoner_to_nomis_update.framework.responses import ERROR_DESCRIPTIONS
from prisoner_to_nomis_update.web.errors import ErrorResponse
from prisoner_to_nomis_update.web.routes import api_endpoints

DOCS_URL = "/v3/api-docs"
SERVERS = [
    {
        "url": "https://prisoner-to-nomis-update-dev.hmpps.service.justice.gov.uk",
        "description": "Development",
    },
    {
        "url": "https://prisoner-to-nomis-update-preprod.hmpps.service.justice.gov.uk",
        "description": "PreProd",
    },
    {"url": "https://prisoner-to-nomis-update.hmpps.service.justice.gov.uk", "description": "Prod"},
    {"url": "http://localhost:8080", "description": "Local"},
]
BEARER_JWT = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "JWT",
    "description": "An HMPPS Auth access token.",
}
# NOMIS and DPS exchange local date-times; the example shows callers not to add a zone.
DATE_TIME_EXAMPLE = "2021-07-16T12:34:56"
ERROR_BODY = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}
WWW_AUTHENTICATE = {
    "WWW-Authenticate": {
        "description": "`Bearer` with the reason the token was refused",
        "schema": {"type": "string"},
    }
}
DOCS_TAG = "docs"


def install_docs(app: FastAPI) -> None:
    """The document, Swagger UI and the original's redirect; all open and all in the document."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            contact={"name": "HMPPS Digital Studio", "email": "feedback@digital.justice.gov.uk"},
            servers=SERVERS,
        )
        components = schema.setdefault("components", {})
        components.setdefault("securitySchemes", {})["bearer-jwt"] = dict(BEARER_JWT)
        schema["security"] = [{"bearer-jwt": ["read", "write"]}]
        tidy_operations(app, schema)
        add_date_time_examples(schema)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get(
        DOCS_URL,
        tags=[DOCS_TAG],
        operation_id="apiDocs",
        summary="This OpenAPI document",
        response_model=dict[str, Any],
    )
    async def api_docs() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get(
        "/swagger-ui/index.html",
        tags=[DOCS_TAG],
        operation_id="swaggerUi",
        summary="Swagger UI over this document",
        response_class=HTMLResponse,
    )
    async def swagger_ui(configUrl: str = DOCS_URL) -> HTMLResponse:
        # Only this service's own document: any other value would make the page load a foreign one.
        openapi_url = configUrl if configUrl == DOCS_URL else DOCS_URL
        return get_swagger_ui_html(openapi_url=openapi_url, title="Prisoner to NOMIS update API")

    @app.get(
        "/swagger-ui.html",
        tags=[DOCS_TAG],
        operation_id="swaggerUiRedirect",
        summary="The original's Swagger UI address: redirects to /swagger-ui/index.html",
        response_class=RedirectResponse,
        status_code=302,
        responses={302: {"description": "Found: on to /swagger-ui/index.html"}},
    )
    async def swagger_redirect() -> RedirectResponse:
        return RedirectResponse(
            f"/swagger-ui/index.html?configUrl={DOCS_URL}/swagger-config", status_code=302
        )

    @app.get(
        f"{DOCS_URL}/swagger-config",
        tags=[DOCS_TAG],
        operation_id="swaggerConfig",
        summary="Swagger UI's configuration",
        response_model=dict[str, str],
    )
    async def swagger_config() -> dict[str, str]:
        return {"url": DOCS_URL, "configUrl": f"{DOCS_URL}/swagger-config"}


def camel(name: str) -> str:
    head, *rest = [part for part in name.split("_") if part]
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def tidy_operations(app: FastAPI, schema: dict[str, Any]) -> None:
    """Operation ids without `_` and unique; every answer documented; open routes marked open."""
    routes = {
        (route.path_format, method): route for route in api_endpoints(app) for method in route.methods or ()
    }
    used: set[str] = set()
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            route = routes.get((path, method.upper()))
            operation["operationId"] = unique_operation_id(operation, route, method, used)
            roles = required_roles(route) if route is not None else frozenset()
            responses = operation.setdefault("responses", {})
            shared = set()
            if responses.pop("422", None) is not None:
                shared.add(400)  # FastAPI's validation answer is our 400 ErrorResponse
            if roles:
                shared |= {401, 403, 500}
            else:
                operation["security"] = []
            for status in sorted(shared):
                responses.setdefault(str(status), {"description": ERROR_DESCRIPTIONS[status]})
            for status, response in responses.items():
                document_error_body(status, response)
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    schemas["ErrorResponse"] = ErrorResponse.model_json_schema()


def unique_operation_id(operation: dict[str, Any], route: Any, method: str, used: set[str]) -> str:
    operation_id = str(operation.get("operationId", ""))
    if "_" in operation_id or operation_id in used or not operation_id:
        base = camel(route.name if route is not None else operation_id or method)
        operation_id = base
        if operation_id in used:
            operation_id = base + method.capitalize()
        counter = 2
        while operation_id in used:
            operation_id = f"{base}{method.capitalize()}{counter}"
            counter += 1
    used.add(operation_id)
    return operation_id


def document_error_body(status: str, response: dict[str, Any]) -> None:
    """An error status without a body of its own gets ErrorResponse; 401 has no body, as the original."""
    if not status.isdigit() or int(status) < 400:
        return
    if int(status) == 401:
        response.pop("content", None)
        response.setdefault("headers", WWW_AUTHENTICATE)
        return
    schemas = [media.get("schema") for media in response.get("content", {}).values()]
    if all(not schema for schema in schemas):
        response["content"] = ERROR_BODY


def add_date_time_examples(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("format") == "date-time" and "example" not in node:
            node["example"] = DATE_TIME_EXAMPLE
        for value in node.values():
            add_date_time_examples(value)
    elif isinstance(node, list):
        for value in node:
            add_date_time_examples(value)
