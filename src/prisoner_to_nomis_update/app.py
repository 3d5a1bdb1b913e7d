"""Builds the web app and owns the service's lifetime: clients, queues, listeners, shutdown."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from fastapi import FastAPI

from prisoner_to_nomis_update import __version__
from prisoner_to_nomis_update.domains import DOMAINS
from prisoner_to_nomis_update.framework.auth import JwtValidator
from prisoner_to_nomis_update.framework.background import BackgroundReports
from prisoner_to_nomis_update.framework.dispatch import message_handler
from prisoner_to_nomis_update.framework.domain import Domain, DomainContext, DomainFactory
from prisoner_to_nomis_update.framework.duplicate_resolution import DuplicateResolution
from prisoner_to_nomis_update.framework.failures import FailureReasons
from prisoner_to_nomis_update.framework.http import ApiClients, HttpSession
from prisoner_to_nomis_update.framework.listener import QueueListener
from prisoner_to_nomis_update.framework.queues import QueueService
from prisoner_to_nomis_update.framework.telemetry import LogExporter, Telemetry
from prisoner_to_nomis_update.settings import ApiSettings, ConfigError, Settings
from prisoner_to_nomis_update.web import console, duplicates, health, info, queue_admin
from prisoner_to_nomis_update.web.errors import install_error_handlers
from prisoner_to_nomis_update.web.openapi import install_docs

log = logging.getLogger(__name__)

SHUTDOWN_GRACE_SECONDS = 30.0


def default_telemetry(settings: Settings) -> Telemetry:
    """JSON log lines always; OpenTelemetry only when an exporter is configured (it is loaded then)."""
    if not settings.telemetry.enabled:
        return Telemetry([LogExporter()])
    from prisoner_to_nomis_update.framework.otel import OpenTelemetry

    tracing = OpenTelemetry(settings.telemetry)
    return Telemetry([LogExporter(), tracing.events], tracing)


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
        self.http = HttpSession(self.telemetry.tracing.http_trace_configs())
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
            openapi_url=None,  # served by web.openapi, which documents it too
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
        install_docs(app)
        self.telemetry.tracing.instrument_app(app)
        return app
