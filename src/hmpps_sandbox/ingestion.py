"""A fake telemetry ingestion endpoint: Application Insights' track API and an OTLP/HTTP receiver.

Point `APPLICATIONINSIGHTS_CONNECTION_STRING=InstrumentationKey=<any>;IngestionEndpoint=<url>/` and/or
`OTEL_EXPORTER_OTLP_ENDPOINT=<url>` at it, and it keeps every item the service exports: Application
Insights envelopes (customEvents, requests, dependencies, traces) as the JSON the exporter posted, and
OTLP spans and log records decoded from protobuf into the same dict form as `MessageToDict` gives.
"""

from __future__ import annotations

import base64
import gzip
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web
from google.protobuf.json_format import MessageToDict
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from hmpps_sandbox.fake import FakeApi

PROTOBUF = "application/x-protobuf"


@dataclass(frozen=True)
class Envelope:
    """One Application Insights telemetry item."""

    raw: dict[str, Any]

    @property
    def base_type(self) -> str:
        return str(self.raw.get("data", {}).get("baseType", ""))

    @property
    def data(self) -> dict[str, Any]:
        return dict(self.raw.get("data", {}).get("baseData", {}))

    @property
    def operation_id(self) -> str:
        return str(self.raw.get("tags", {}).get("ai.operation.id", ""))

    @property
    def role(self) -> str:
        return str(self.raw.get("tags", {}).get("ai.cloud.role", ""))


class FakeIngestion(FakeApi):
    def __init__(self) -> None:
        super().__init__("ingestion")
        self.envelopes: list[Envelope] = []
        self.otlp_spans: list[dict[str, Any]] = []
        self.otlp_logs: list[dict[str, Any]] = []
        # Connection strings give the endpoint with a trailing slash, and the exporters keep it.
        for path in ("/v2/track", "/v2.1/track", "//v2/track", "//v2.1/track"):
            self.route("POST", path, self._track)
        self.route("POST", "/v1/traces", self._traces)
        self.route("POST", "/v1/logs", self._logs)
        self.on_reset(self._forget)

    def _forget(self) -> None:
        self.envelopes.clear()
        self.otlp_spans.clear()
        self.otlp_logs.clear()

    def of_type(self, base_type: str) -> list[Envelope]:
        """`EventData` (customEvents), `RequestData`, `RemoteDependencyData`, `MessageData` (traces)."""
        return [envelope for envelope in self.envelopes if envelope.base_type == base_type]

    async def _track(self, request: web.Request) -> web.StreamResponse:
        raw = _decoded(request, await request.read())
        text = raw.strip()
        # The Azure Monitor exporter posts a JSON array; the classic SDKs post one item per line.
        items = (
            orjson.loads(text)
            if text.startswith(b"[")
            else [orjson.loads(line) for line in text.splitlines()]
        )
        self.envelopes.extend(Envelope(item) for item in items)
        return web.json_response({"itemsReceived": len(items), "itemsAccepted": len(items), "errors": []})

    async def _traces(self, request: web.Request) -> web.StreamResponse:
        export = ExportTraceServiceRequest.FromString(_decoded(request, await request.read()))
        for resource_spans in MessageToDict(export).get("resourceSpans", []):
            for scope_spans in resource_spans.get("scopeSpans", []):
                self.otlp_spans.extend(scope_spans.get("spans", []))
        return web.Response(body=ExportTraceServiceResponse().SerializeToString(), content_type=PROTOBUF)

    async def _logs(self, request: web.Request) -> web.StreamResponse:
        export = ExportLogsServiceRequest.FromString(_decoded(request, await request.read()))
        for resource_logs in MessageToDict(export).get("resourceLogs", []):
            for scope_logs in resource_logs.get("scopeLogs", []):
                self.otlp_logs.extend(scope_logs.get("logRecords", []))
        return web.Response(body=ExportLogsServiceResponse().SerializeToString(), content_type=PROTOBUF)


def _decoded(request: web.Request, body: bytes) -> bytes:
    return gzip.decompress(body) if request.headers.get("Content-Encoding") == "gzip" else body


def otlp_hex_id(value: str) -> str:
    """OTLP trace and span ids arrive base64-encoded in `MessageToDict`; as lower-case hex here."""
    return base64.b64decode(value).hex()


def otlp_attributes(item: dict[str, Any]) -> dict[str, str]:
    """An OTLP span's or log record's attributes as plain strings."""
    out: dict[str, str] = {}
    for attribute in item.get("attributes", []):
        value = attribute.get("value", {})
        out[str(attribute["key"])] = str(next(iter(value.values()), "")) if value else ""
    return out
