"""Telemetry: one `track_event(name, properties)` for every outcome, and the operation it belongs to.

Events go to every configured exporter: a JSON log line always, and OpenTelemetry (Application Insights
customEvents, or any OTLP backend) when `framework/otel.py` is switched on by its variables. Each SQS
message is processed under its own operation id (a context variable) that log lines and events carry,
so one event's story can be read end to end. With OpenTelemetry on, the operation id IS the trace id:
the message's span takes its trace id from the operation id, and an HTTP request's operation id is the
trace id of its server span.

This module imports nothing of OpenTelemetry, so the idle service without an exporter stays small.
"""

from __future__ import annotations

import contextvars
import logging
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

log = logging.getLogger(__name__)

operation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("operation_id", default=None)

# Set by the OpenTelemetry layer while it runs: the trace id of the current span, for work that has no
# operation of its own (an HTTP request's server span).
_trace_id_source: Callable[[], str | None] | None = None


def set_trace_id_source(source: Callable[[], str | None] | None) -> None:
    global _trace_id_source
    _trace_id_source = source


def current_operation_id() -> str | None:
    """The operation id of the work in hand: the message's, else the current trace's, else None."""
    current = operation_id.get()
    if current is None and _trace_id_source is not None:
        return _trace_id_source()
    return current


def new_operation_id() -> str:
    """A W3C trace id: 32 lower-case hex digits, not all zero."""
    return uuid.uuid4().hex


def operation_id_for_message(message_id: str | None) -> str:
    """The operation (and trace) id of an SQS message: its message id's 128 bits as 32 hex digits.

    SQS message ids are UUIDs, so every delivery of one message shares one operation id: a message can
    be followed across its retries by its message id with the dashes removed.
    """
    try:
        value = uuid.UUID(message_id or "")
    except ValueError:
        return new_operation_id()
    return value.hex if value.int else new_operation_id()


@contextmanager
def operation(new_id: str | None = None) -> Iterator[str]:
    """Run the block under its own operation id (one per SQS message, one per batch job run)."""
    value = new_id or new_operation_id()
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


class WorkSpan:
    """What the caller tells the tracing layer about the outcome of one message or batch job."""

    def failed(self, error: BaseException) -> None:
        """The handler raised: the message stays on the queue (or goes to the DLQ)."""
        return None


class Tracing:
    """Where traces go. This base records nothing; `framework/otel.py` records through OpenTelemetry.

    Its hooks are the only places the service touches tracing, so the rest of the code does not know
    whether OpenTelemetry is loaded.
    """

    @contextmanager
    def message_span(self, queue_name: str, message_id: str | None) -> Iterator[WorkSpan]:
        """The span of one message's work; runs inside the message's `operation`."""
        yield WorkSpan()

    @contextmanager
    def job_span(self, batch_type: str) -> Iterator[WorkSpan]:
        """The span of one batch job run; runs inside the run's own `operation`."""
        yield WorkSpan()

    def instrument_app(self, app: Any) -> None:
        """Trace incoming HTTP requests of the FastAPI app."""
        return None

    def http_trace_configs(self) -> list[Any]:
        """aiohttp TraceConfigs that trace outgoing calls to the downstream APIs."""
        return []

    async def close(self) -> None:
        return None


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
    def __init__(self, exporters: list[Exporter] | None = None, tracing: Tracing | None = None) -> None:
        self.exporters: list[Exporter] = list(exporters or [])
        self.tracing = tracing or Tracing()

    def add_exporter(self, exporter: Exporter) -> None:
        self.exporters.append(exporter)

    def track_event(self, name: str, properties: Mapping[str, Any] | None = None) -> None:
        event = TelemetryEvent(
            name=name,
            properties={key: as_text(value) for key, value in (properties or {}).items()},
            operation_id=current_operation_id(),
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
        await self.tracing.close()


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
