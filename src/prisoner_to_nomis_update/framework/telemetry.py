"""Telemetry: one `track_event(name, properties)` for every outcome.

Events go to every configured exporter: a JSON log line always, Application Insights customEvents when
`APPLICATIONINSIGHTS_CONNECTION_STRING` is set. Each message is processed under its own operation id
(a context variable) that log lines and events carry, so one event's story can be read end to end.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson

log = logging.getLogger(__name__)

operation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("operation_id", default=None)


@contextmanager
def operation(new_id: str | None = None) -> Iterator[str]:
    """Run the block under its own operation id (one per SQS message or HTTP request)."""
    value = new_id or uuid.uuid4().hex
    token = operation_id.set(value)
    try:
        yield value
    finally:
        operation_id.reset(token)


@dataclass(frozen=True)
class TelemetryEvent:
    name: str
    properties: dict[str, str]
    operation_id: str | None
    timestamp: float = field(default_factory=time.time)


class Exporter(Protocol):
    def export(self, event: TelemetryEvent) -> None: ...

    async def close(self) -> None: ...


def as_text(value: Any) -> str:
    """Values the way the original renders them: booleans lower case, None as 'null', lists as [a, b]."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(as_text(item) for item in value) + "]"
    if hasattr(value, "value") and not isinstance(value, str | int | float):
        return str(value.value)
    return str(value)


class Telemetry:
    def __init__(self, exporters: list[Exporter] | None = None) -> None:
        self.exporters: list[Exporter] = list(exporters or [])

    def add_exporter(self, exporter: Exporter) -> None:
        self.exporters.append(exporter)

    def track_event(self, name: str, properties: Mapping[str, Any] | None = None) -> None:
        event = TelemetryEvent(
            name=name,
            properties={key: as_text(value) for key, value in (properties or {}).items()},
            operation_id=operation_id.get(),
        )
        for exporter in self.exporters:
            try:
                exporter.export(event)
            except Exception:
                # Telemetry must never fail the work it describes.
                log.exception("telemetry exporter %s failed", type(exporter).__name__)

    async def close(self) -> None:
        for exporter in self.exporters:
            await exporter.close()


class LogExporter:
    """Each event as one structured log line on the `telemetry` logger."""

    def __init__(self) -> None:
        self.logger = logging.getLogger("telemetry")

    def export(self, event: TelemetryEvent) -> None:
        self.logger.info(event.name, extra={"event": event.name, "properties": event.properties})

    async def close(self) -> None:
        return None


class RecordingExporter:
    """Keeps events in memory: used by tests and by the sandbox to answer 'what happened'."""

    def __init__(self) -> None:
        self.events: list[TelemetryEvent] = []

    def export(self, event: TelemetryEvent) -> None:
        self.events.append(event)

    async def close(self) -> None:
        return None

    def named(self, name: str) -> list[dict[str, str]]:
        return [event.properties for event in self.events if event.name == name]

    def names(self) -> list[str]:
        return [event.name for event in self.events]

    def clear(self) -> None:
        self.events.clear()


def parse_connection_string(connection_string: str) -> tuple[str, str]:
    """(instrumentation key, ingestion endpoint) from an Application Insights connection string."""
    parts = dict(
        part.split("=", 1) for part in connection_string.split(";") if "=" in part and part.strip() != ""
    )
    key = parts.get("InstrumentationKey", "")
    if not key:
        from prisoner_to_nomis_update.settings import ConfigError

        raise ConfigError("APPLICATIONINSIGHTS_CONNECTION_STRING has no InstrumentationKey")
    endpoint = parts.get("IngestionEndpoint", "https://dc.services.visualstudio.com").rstrip("/")
    return key, endpoint


SHUTDOWN_FLUSH_ATTEMPTS = 3


class AppInsightsExporter:
    """Sends events as Application Insights customEvents through the public ingestion (track) API.

    Events are buffered and sent in batches by a background task so the hot path never waits on the
    network; a failed batch is logged and retried once on the next flush.
    """

    def __init__(
        self,
        connection_string: str,
        role_name: str,
        flush_interval: float = 2.0,
        max_batch: int = 200,
    ) -> None:
        self.instrumentation_key, endpoint = parse_connection_string(connection_string)
        self.url = f"{endpoint}/v2/track"
        self.role_name = role_name
        self.flush_interval = flush_interval
        self.max_batch = max_batch
        self.buffer: list[dict[str, Any]] = []
        self.wakeup = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.closed = False

    def export(self, event: TelemetryEvent) -> None:
        tags = {"ai.cloud.role": self.role_name}
        if event.operation_id:
            tags["ai.operation.id"] = event.operation_id
        self.buffer.append(
            {
                "name": "Microsoft.ApplicationInsights.Event",
                "time": datetime.fromtimestamp(event.timestamp, UTC).isoformat().replace("+00:00", "Z"),
                "iKey": self.instrumentation_key,
                "tags": tags,
                "data": {
                    "baseType": "EventData",
                    "baseData": {"ver": 2, "name": event.name, "properties": event.properties},
                },
            }
        )
        if self.task is None and not self.closed:
            self.task = asyncio.get_running_loop().create_task(self._run())
        if len(self.buffer) >= self.max_batch:
            self.wakeup.set()

    async def _run(self) -> None:
        import aiohttp

        async with aiohttp.ClientSession() as session:
            while not self.closed:
                try:
                    await asyncio.wait_for(self.wakeup.wait(), self.flush_interval)
                except TimeoutError:
                    pass
                self.wakeup.clear()
                await self._flush(session)
            # Shutting down: drain every batch, with a few tries so a momentary ingestion hiccup
            # does not lose the last events.
            failures = 0
            while self.buffer and failures < SHUTDOWN_FLUSH_ATTEMPTS:
                if not await self._flush(session):
                    failures += 1
                    await asyncio.sleep(min(self.flush_interval, 1.0))

    async def _flush(self, session: Any) -> bool:
        """Send one batch; False when it could not be delivered (it is then kept for a later flush)."""
        if not self.buffer:
            return True
        batch, self.buffer = self.buffer[: self.max_batch], self.buffer[self.max_batch :]
        try:
            async with session.post(
                self.url,
                data=b"\n".join(orjson.dumps(item) for item in batch),
                headers={"Content-Type": "application/x-json-stream"},
                timeout=10,
            ) as response:
                if response.status == 429 or response.status >= 500:
                    # Throttled or unavailable: the batch is fine, so keep it for the next flush.
                    raise ConnectionError(f"HTTP {response.status}")
                if response.status >= 400:
                    log.warning(
                        "Application Insights rejected %d events: HTTP %d", len(batch), response.status
                    )
        except Exception as error:
            log.warning("Could not send %d events to Application Insights: %s", len(batch), error)
            if len(self.buffer) < 10 * self.max_batch:
                self.buffer[:0] = batch
            return False
        return True

    async def close(self) -> None:
        self.closed = True
        self.wakeup.set()
        if self.task is not None:
            await self.task
