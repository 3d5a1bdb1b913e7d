"""OpenTelemetry: one trace per SQS message, HTTP request spans, downstream call spans, log lines and
customEvents, exported to Application Insights and/or any OTLP/HTTP backend.

Imported only when `TelemetrySettings.enabled` (APPLICATIONINSIGHTS_CONNECTION_STRING or the OTLP
endpoint variables), because the SDK, the exporters and the instrumentations cost about 30 MB that the
idle service otherwise never needs (docs/performance.md).

What the original's Application Insights agent gives, and where it comes from here:
- requests: one CONSUMER span per SQS message (`message_span`) and per batch job run (`job_span`), and
  one SERVER span per HTTP request (FastAPI instrumentation, health and info probes left out);
- dependencies: outgoing aiohttp calls (a TraceConfig on the service's one session) and SQS/SNS calls
  (aiobotocore instrumentation); the idle long polls and batched deletes, which belong to no message,
  are not sampled, or each pod would report a dependency every few seconds per queue;
- traces: log records of level LOG_LEVEL and above, except the `telemetry` logger's lines (they are
  the customEvents) and the exporters' own loggers;
- customEvents: every `track_event`, as a log record carrying `microsoft.custom_event.name`, which the
  Azure Monitor exporter sends as an EventData item with the properties as customDimensions.

The trace id of a message's span is its operation id (see `telemetry.operation_id_for_message`), so
the operation_Id of every item in Application Insights is the operationId of the JSON log lines.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry._logs import SeverityNumber
from opentelemetry.instrumentation.aiohttp_client import create_trace_config
from opentelemetry.instrumentation.botocore import AiobotocoreInstrumentor
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace import Link, SpanKind, Status, StatusCode
from opentelemetry.util.types import Attributes

from prisoner_to_nomis_update import __version__
from prisoner_to_nomis_update.framework.telemetry import (
    TelemetryEvent,
    Tracing,
    WorkSpan,
    operation_id,
    set_trace_id_source,
)
from prisoner_to_nomis_update.settings import TelemetrySettings

log = logging.getLogger(__name__)

# The attribute that makes the Azure Monitor exporter send a log record as a customEvent.
CUSTOM_EVENT_NAME = "microsoft.custom_event.name"
# SQS calls made for no message in particular: the listener's long polls and its batched deletes.
UNSAMPLED_ROOT_SPANS = frozenset({"SQS.ReceiveMessage", "SQS.DeleteMessageBatch"})
# Kubernetes probes, /health (which pings every dependency) and /info: neither they nor the calls
# they make are traced, or each pod would report a request and a dozen dependencies every few seconds.
UNTRACED_PATHS = re.compile(r"^/(health(/.*)?|info)$")
UNTRACED_URLS = r"/health(/|$),/info$"
# Loggers whose records never become traces: events are exported as customEvents already, and the
# exporters' own loggers would feed their export failures back into the export.
UNEXPORTED_LOGGERS = ("telemetry", "opentelemetry", "azure", "urllib3", "requests")

_SEVERITY = {
    logging.DEBUG: SeverityNumber.DEBUG,
    logging.INFO: SeverityNumber.INFO,
    logging.WARNING: SeverityNumber.WARN,
    logging.ERROR: SeverityNumber.ERROR,
    logging.CRITICAL: SeverityNumber.FATAL,
}


class OperationIdGenerator(RandomIdGenerator):
    """A root span started inside an `operation` takes the operation id as its trace id."""

    def generate_trace_id(self) -> int:
        current = operation_id.get()
        if current:
            try:
                value = int(current, 16)
            except ValueError:
                value = 0
            if 0 < value < 1 << 128:
                return value
        return super().generate_trace_id()


class QuietPollsSampler(Sampler):
    """Drops the root spans of idle queue polling; every other decision is the configured sampler's."""

    def __init__(self, delegate: Sampler) -> None:
        self.delegate = delegate

    def should_sample(
        self,
        parent_context: otel_context.Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: trace.TraceState | None = None,
    ) -> SamplingResult:
        if (
            name in UNSAMPLED_ROOT_SPANS
            and not trace.get_current_span(parent_context).get_span_context().is_valid
        ):
            return SamplingResult(Decision.DROP)
        return self.delegate.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return f"QuietPolls{{{self.delegate.get_description()}}}"


class RecordedWorkSpan(WorkSpan):
    def __init__(self, span: trace.Span) -> None:
        self.span = span

    def failed(self, error: BaseException) -> None:
        self.span.record_exception(error)
        self.span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"))


class UntracedPaths:
    """ASGI middleware: requests to `UNTRACED_PATHS` run with instrumentation suppressed."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and UNTRACED_PATHS.match(scope["path"]):
            with suppress_instrumentation():
                await self.app(scope, receive, send)
        else:
            await self.app(scope, receive, send)


class LogRecordsAsTraces(logging.Handler):
    """Python log records as OpenTelemetry log records (Application Insights traces) in the current
    trace, with the exception, when there is one, as exception attributes."""

    def __init__(self, provider: LoggerProvider) -> None:
        super().__init__()
        self.provider = provider
        self.addFilter(lambda record: not record.name.startswith(UNEXPORTED_LOGGERS))

    def emit(self, record: logging.LogRecord) -> None:
        attributes: dict[str, str | int] = {"logger": record.name}
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            attributes["exception.type"] = type(error).__name__
            attributes["exception.message"] = str(error)
            attributes["exception.stacktrace"] = "".join(traceback.format_exception(error))
        self.provider.get_logger(record.name).emit(
            timestamp=int(record.created * 1e9),
            severity_number=_SEVERITY.get(record.levelno, SeverityNumber.INFO),
            severity_text=record.levelname,
            body=record.getMessage(),
            attributes=attributes,
        )


class CustomEvents:
    """The telemetry exporter of `track_event`: one customEvent, in the trace of the operation that
    raised it. Closing the `OpenTelemetry` layer flushes what it has emitted."""

    def __init__(self, provider: LoggerProvider) -> None:
        self.logger = provider.get_logger("prisoner_to_nomis_update.events", __version__)

    def export(self, event: TelemetryEvent) -> None:
        self.logger.emit(
            timestamp=int(event.timestamp * 1e9),
            context=_context_of(event.operation_id),
            severity_number=SeverityNumber.INFO,
            body=event.name,
            attributes={**event.properties, CUSTOM_EVENT_NAME: event.name},
            event_name=event.name,
        )

    async def close(self) -> None:
        return None


class OpenTelemetry(Tracing):
    """The tracing layer and the customEvent exporter, sharing one tracer and one logger provider."""

    def __init__(self, settings: TelemetrySettings) -> None:
        # service.name is Application Insights' cloud_RoleName; OTEL_RESOURCE_ATTRIBUTES adds to it.
        resource = Resource.create({"service.name": settings.service_name, "service.version": __version__})
        # The sampler OTEL_TRACES_SAMPLER asks for (parent-based always-on by default), read by the SDK.
        configured = TracerProvider(shutdown_on_exit=False).sampler
        self.tracer_provider = TracerProvider(
            resource=resource,
            id_generator=OperationIdGenerator(),
            sampler=QuietPollsSampler(configured),
            shutdown_on_exit=False,
        )
        self.logger_provider = LoggerProvider(resource=resource, shutdown_on_exit=False)
        self._add_exporters(settings)
        self.tracer = self.tracer_provider.get_tracer(__name__, __version__)
        self.events = CustomEvents(self.logger_provider)
        self.log_handler = LogRecordsAsTraces(self.logger_provider)
        logging.getLogger().addHandler(self.log_handler)
        self.aws = AiobotocoreInstrumentor()  # type: ignore[no-untyped-call]
        self.aws.instrument(tracer_provider=self.tracer_provider)
        set_trace_id_source(current_trace_id)

    def _add_exporters(self, settings: TelemetrySettings) -> None:
        if settings.appinsights_connection_string:
            from azure.monitor.opentelemetry.exporter import (
                AzureMonitorLogExporter,
                AzureMonitorTraceExporter,
            )

            connection = settings.appinsights_connection_string
            self.tracer_provider.add_span_processor(
                BatchSpanProcessor(
                    # It reads the resource (the cloud role) from the provider, the global one otherwise.
                    AzureMonitorTraceExporter(
                        connection_string=connection, tracer_provider=self.tracer_provider
                    )
                )
            )
            self.logger_provider.add_log_record_processor(
                BatchLogRecordProcessor(AzureMonitorLogExporter(connection_string=connection))
            )
        # Headers, timeout, compression and certificates come from the standard OTEL_EXPORTER_OTLP_*
        # variables, which the OTLP exporters read themselves.
        if settings.otlp_traces_endpoint:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            self.tracer_provider.add_span_processor(
                BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.otlp_traces_endpoint))
            )
        if settings.otlp_logs_endpoint:
            from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter

            self.logger_provider.add_log_record_processor(
                BatchLogRecordProcessor(OTLPLogExporter(endpoint=settings.otlp_logs_endpoint))
            )

    @contextmanager
    def message_span(self, queue_name: str, message_id: str | None) -> Iterator[WorkSpan]:
        # A root span whatever the current context, so its trace id is the message's operation id.
        with self.tracer.start_as_current_span(
            f"{queue_name} process",
            context=otel_context.Context(),
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "aws_sqs",
                "messaging.operation": "process",
                "messaging.destination.name": queue_name,
                "messaging.message.id": message_id or "",
            },
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            yield RecordedWorkSpan(span)

    @contextmanager
    def job_span(self, batch_type: str) -> Iterator[WorkSpan]:
        # A request of its own in Application Insights, failed when the job raised.
        with self.tracer.start_as_current_span(
            f"batch {batch_type}",
            context=otel_context.Context(),
            kind=SpanKind.CONSUMER,
            attributes={"batch.type": batch_type},
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            yield RecordedWorkSpan(span)

    def instrument_app(self, app: Any) -> None:
        app.add_middleware(UntracedPaths)
        FastAPIInstrumentor.instrument_app(
            app,
            tracer_provider=self.tracer_provider,
            excluded_urls=UNTRACED_URLS,
            # The ASGI send/receive steps as spans of their own: two "InProc" dependencies per request.
            exclude_spans=["receive", "send"],
        )

    def http_trace_configs(self) -> list[Any]:
        return [create_trace_config(tracer_provider=self.tracer_provider)]

    async def close(self) -> None:
        set_trace_id_source(None)
        logging.getLogger().removeHandler(self.log_handler)
        self.aws.uninstrument()
        # Flushing posts whatever is still batched; the exporters are synchronous HTTP clients.
        await asyncio.to_thread(self._shutdown)

    def _shutdown(self) -> None:
        self.tracer_provider.shutdown()
        self.logger_provider.shutdown()


def current_trace_id() -> str | None:
    span_context = trace.get_current_span().get_span_context()
    return format(span_context.trace_id, "032x") if span_context.is_valid else None


def _context_of(operation: str | None) -> otel_context.Context:
    """The current context when it is the operation's trace; else one that names the operation's trace
    (an event raised under `operation` outside any span, as a batch job's)."""
    current = otel_context.get_current()
    if operation is None or current_trace_id() == operation:
        return current
    try:
        trace_id = int(operation, 16)
    except ValueError:
        return current
    if not 0 < trace_id < 1 << 128:
        return current
    parent = trace.SpanContext(
        trace_id=trace_id,
        span_id=random.getrandbits(64) or 1,
        is_remote=False,
        trace_flags=trace.TraceFlags(trace.TraceFlags.SAMPLED),
    )
    return trace.set_span_in_context(trace.NonRecordingSpan(parent), current)
