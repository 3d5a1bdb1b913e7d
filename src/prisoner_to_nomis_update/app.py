"""Builds the web app and owns the service's lifetime: clients, queues, listeners, shutdown."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from prisoner_to_nomis_update import APP_NAME, __version__
from prisoner_to_nomis_update.domains import DOMAINS
from prisoner_to_nomis_update.framework.auth import JwtValidator, required_roles
from prisoner_to_nomis_update.framework.background import BackgroundReports
from prisoner_to_nomis_update.framework.dispatch import message_handler
from prisoner_to_nomis_update.framework.domain import Domain, DomainContext, DomainFactory
from prisoner_to_nomis_update.framework.duplicate_resolution import DuplicateResolution
from prisoner_to_nomis_update.framework.failures import FailureReasons
from prisoner_to_nomis_update.framework.http import ApiClients, HttpSession
from prisoner_to_nomis_update.framework.listener import QueueListener
from prisoner_to_nomis_update.framework.queues import QueueService
from prisoner_to_nomis_update.framework.telemetry import AppInsightsExporter, LogExporter, Telemetry
from prisoner_to_nomis_update.settings import ApiSettings, ConfigError, Settings
from prisoner_to_nomis_update.web import console, duplicates, health, info, queue_admin
from prisoner_to_nomis_update.web.errors import ErrorResponse, install_error_handlers
from prisoner_to_nomis_update.web.routes import api_endpoints

log = logging.getLogger(__name__)

SHUTDOWN_GRACE_SECONDS = 30.0


def default_telemetry(settings: Settings) -> Telemetry:
    telemetry = Telemetry([LogExporter()])
    if settings.appinsights_connection_string:
        telemetry.add_exporter(AppInsightsExporter(settings.appinsights_connection_string, APP_NAME))
    return telemetry


class Service:
    """Everything one process runs: API clients, the queue registry, the domains and their listeners."""

    def __init__(
        self,
        settings: Settings,
        telemetry: Telemetry | None = None,
        domains: Sequence[DomainFactory] = DOMAINS,
        shutdown_grace_seconds: float = SHUTDOWN_GRACE_SECONDS,
    ) -> None:
        self.settings = settings
        self.telemetry = telemetry or default_telemetry(settings)
        self.http = HttpSession()
        self.apis = ApiClients(self.http, settings.auth_base_url, settings.apis)
        self.queues = QueueService(settings, self.telemetry)
        self.context = DomainContext(
            settings, self.telemetry, self.apis, self.queues, BackgroundReports(self.telemetry)
        )
        self.domains: list[Domain] = [factory(self.context) for factory in domains]
        self.failures = FailureReasons()
        self.duplicates = DuplicateResolution.for_domains(self.domains, self.telemetry, settings)
        self.listeners: list[QueueListener] = []
        self.shutdown_grace_seconds = shutdown_grace_seconds
        self.ready = False
        self.app = self._build_app()

    @property
    def session(self) -> aiohttp.ClientSession:
        return self.http.session

    def health_apis(self) -> list[ApiSettings]:
        return list(self.settings.apis.values())

    def domain_for_queue(self, queue_id: str) -> Domain | None:
        return next((domain for domain in self.domains if domain.queue_id == queue_id), None)

    def batch_job(self, batch_type: str) -> Any:
        for domain in self.domains:
            if batch_type in domain.batch_jobs:
                return domain.batch_jobs[batch_type]
        known = sorted(job for domain in self.domains for job in domain.batch_jobs)
        raise ConfigError(f"BATCH_TYPE {batch_type!r} is not a known batch type (known: {', '.join(known)})")

    async def start(self, listen: bool = True) -> None:
        await self.http.open()
        self.app.state.jwt_validator = JwtValidator(self.http.session, self.settings.auth_base_url)
        subscriptions = {domain.queue_id: domain.subscriptions for domain in self.domains}
        await self.queues.start(subscriptions)
        if listen:
            for queue in self.queues.queues.values():
                domain = self.domain_for_queue(queue.queue_id)
                if domain is None:
                    log.warning("Queue %s is configured but no domain consumes it", queue.queue_id)
                    continue
                listener = QueueListener(
                    self.queues,
                    queue,
                    message_handler(domain, self.settings.feature_switches, self.telemetry),
                    self.telemetry,
                    self.settings.default_error_visibility_timeout,
                    self.settings.wait_time_seconds,
                    self.failures,
                )
                await listener.start()
                self.listeners.append(listener)
                log.info("Listening to %s (%s)", queue.queue_id, queue.name)
        self.ready = True

    async def stop(self) -> None:
        self.ready = False
        await self.context.reports.cancel_all()
        await self.duplicates.close()
        for listener in self.listeners:
            await listener.stop(self.shutdown_grace_seconds)
        self.listeners.clear()
        await self.queues.close()
        await self.http.close()
        await self.telemetry.close()

    def _build_app(self) -> FastAPI:
        @asynccontextmanager
        async def lifespan(_: FastAPI) -> AsyncIterator[None]:
            await self.start()
            try:
                yield
            finally:
                await self.stop()

        app = FastAPI(
            title="Prisoner to NOMIS update API",
            description="Handles HMPPS domain events for NOMIS updates",
            version=__version__,
            openapi_url="/v3/api-docs",
            docs_url=None,
            redoc_url=None,
            lifespan=lifespan,
        )
        app.state.service = self
        install_error_handlers(app)
        app.include_router(health.router)
        app.include_router(info.router)
        app.include_router(queue_admin.build_router(self.settings.queue_admin_role))
        app.include_router(duplicates.build_router(self.duplicates))
        console.install(
            app,
            self.settings.queue_admin_role,
            console.ConsoleSources(
                queues=self.queues,
                failures=self.failures,
                duplicates=self.duplicates,
                reports=self.context.reports,
                startable_reports={
                    name: start for domain in self.domains for name, start in domain.startable_reports.items()
                },
            ),
        )
        for domain in self.domains:
            if domain.router is not None:
                app.include_router(domain.router)
        _install_docs(app)
        return app


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
ERROR_RESPONSES = {
    "400": "Bad request: an invalid or missing parameter or body, or a downstream API refused it",
    "401": "Unauthorised: no valid HMPPS Auth token",
    "403": "Forbidden: the token lacks the role this endpoint needs",
}


def _install_docs(app: FastAPI) -> None:
    """`/v3/api-docs`, Swagger UI and the original's redirect, with the document tidied as springdoc's."""

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
        _tidy_operations(app, schema)
        _add_date_time_examples(schema)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get("/swagger-ui/index.html", include_in_schema=False)
    async def swagger_ui(configUrl: str = "/v3/api-docs") -> HTMLResponse:
        openapi_url = "/v3/api-docs" if configUrl.endswith("/swagger-config") else configUrl
        return get_swagger_ui_html(openapi_url=openapi_url, title="Prisoner to NOMIS update API")

    @app.get("/swagger-ui.html", include_in_schema=False)
    async def swagger_redirect() -> RedirectResponse:
        return RedirectResponse(
            "/swagger-ui/index.html?configUrl=/v3/api-docs/swagger-config", status_code=302
        )

    @app.get("/v3/api-docs/swagger-config", include_in_schema=False)
    async def swagger_config() -> JSONResponse:
        return JSONResponse({"url": "/v3/api-docs", "configUrl": "/v3/api-docs/swagger-config"})


def _camel(name: str) -> str:
    head, *rest = [part for part in name.split("_") if part]
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _tidy_operations(app: FastAPI, schema: dict[str, Any]) -> None:
    """Operation ids without `_` and unique; error answers as ErrorResponse (400, never FastAPI's 422)."""
    routes = {
        (route.path_format, method): route for route in api_endpoints(app) for method in route.methods or ()
    }
    used: set[str] = set()
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            route = routes.get((path, method.upper()))
            operation_id = str(operation.get("operationId", ""))
            if "_" in operation_id or operation_id in used or not operation_id:
                base = _camel(route.name if route is not None else operation_id or method)
                operation_id = base
                if operation_id in used:
                    operation_id = base + method.capitalize()
                counter = 2
                while operation_id in used:
                    operation_id = f"{base}{method.capitalize()}{counter}"
                    counter += 1
                operation["operationId"] = operation_id
            used.add(operation_id)
            responses = operation.setdefault("responses", {})
            wanted = set()
            if responses.pop("422", None) is not None:
                wanted.add("400")
            if route is not None and required_roles(route):
                wanted |= {"401", "403"}
            for status in sorted(wanted):
                responses.setdefault(
                    status,
                    {
                        "description": ERROR_RESPONSES[status],
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}
                        },
                    },
                )
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    schemas["ErrorResponse"] = ErrorResponse.model_json_schema()


def _add_date_time_examples(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("format") == "date-time" and "example" not in node:
            node["example"] = DATE_TIME_EXAMPLE
        for value in node.values():
            _add_date_time_examples(value)
    elif isinstance(node, list):
        for value in node:
            _add_date_time_examples(value)
