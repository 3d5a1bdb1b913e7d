"""What a domain hands the framework: one `Domain` object built from a `DomainContext`.

Adding a domain touches its own folder plus one line in `domains/__init__.py`. The framework knows
nothing about visits or incentives: it routes events by type, retries by queue id, mounts routers and
runs batch jobs by name.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import APIRouter
from pydantic import BaseModel, ValidationError

from prisoner_to_nomis_update.framework.background import BackgroundReports
from prisoner_to_nomis_update.framework.duplicates import DuplicateResolver
from prisoner_to_nomis_update.framework.http import ApiClients
from prisoner_to_nomis_update.framework.messages import MalformedMessage, RetryMessage
from prisoner_to_nomis_update.framework.queues import QueueService
from prisoner_to_nomis_update.framework.synchronise import RetryQueue
from prisoner_to_nomis_update.framework.telemetry import Telemetry
from prisoner_to_nomis_update.settings import Settings

EventHandler = Callable[[dict[str, Any]], Awaitable[None]]
RetryHandler = Callable[[RetryMessage], Awaitable[None]]
BatchJob = Callable[[], Awaitable[None]]
ReportStarter = Callable[[], Awaitable[None]]

ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass
class DomainContext:
    settings: Settings
    telemetry: Telemetry
    apis: ApiClients
    queues: QueueService
    reports: BackgroundReports = field(default_factory=BackgroundReports)

    def retry_queue(self, queue_id: str) -> RetryQueue:
        return RetryQueue(self.queues, queue_id, self.telemetry)


@dataclass
class Domain:
    name: str
    """Feature-switch domain name, e.g. `visits` (framework.md 3.3)."""
    queue_id: str
    """Queue id, e.g. `visit`; its env vars are HMPPS_SQS_QUEUES_VISIT_*."""
    handlers: dict[str, EventHandler]
    retry_create_mapping: RetryHandler | None = None
    router: APIRouter | None = None
    batch_jobs: dict[str, BatchJob] = field(default_factory=dict)
    apis: list[str] = field(default_factory=list)
    """APIs whose `/health/ping` appears on `/health`."""
    duplicate_resolvers: dict[str, DuplicateResolver] = field(default_factory=dict)
    """Alert name (`visit` of `to-nomis-synch-visit-duplicate`) -> what resolves (or declines) it."""
    startable_reports: dict[str, ReportStarter] = field(default_factory=dict)
    """Report name -> starts it in the background, as its HTTP trigger does (the console's buttons)."""

    @property
    def subscriptions(self) -> list[str]:
        return sorted(self.handlers)


DomainFactory = Callable[[DomainContext], Domain]


def parse_event(model: type[ModelT], event: dict[str, Any]) -> ModelT:
    """Decode an event into its model; a shape error is a malformed message, not a crash."""
    try:
        return model.model_validate(event)
    except ValidationError as error:
        raise MalformedMessage(f"{model.__name__} does not match the event: {error}") from None
