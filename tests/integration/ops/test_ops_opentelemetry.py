"""OpenTelemetry to Application Insights and OTLP (issue 13): the service as a real child process,
started as in production with APPLICATIONINSIGHTS_CONNECTION_STRING and OTEL_EXPORTER_OTLP_ENDPOINT
pointing at a loopback fake ingestion endpoint.

One booked visit is one trace: its request (the SQS message), its dependencies (the DPS, mapping and
NOMIS calls) and its customEvents share one operation id, which is also the operationId of its JSON
log lines. A queue-admin HTTP request is another trace, with its SQS call as a dependency.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import signal
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import Any

import aiohttp
import orjson
import pytest

from hmpps_sandbox.estate import Estate
from hmpps_sandbox.ingestion import FakeIngestion, otlp_attributes, otlp_hex_id
from prisoner_to_nomis_update.framework.messages import notification_body
from prisoner_to_nomis_update.framework.queues import QueueService
from prisoner_to_nomis_update.framework.telemetry import Telemetry, operation_id_for_message
from prisoner_to_nomis_update.settings import load_settings


def _bench_common() -> ModuleType:
    if "bench_common" in sys.modules:
        return sys.modules["bench_common"]
    path = Path(__file__).resolve().parents[3] / "bench" / "common.py"
    spec = importlib.util.spec_from_file_location("bench_common", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_common"] = module
    spec.loader.exec_module(module)
    return module


bench = _bench_common()
CREATED = "visit-create-success"
JOB = "NON_ASSOCIATIONS_RECON"
UNHEARD_OF = "prison-visit.unheard-of"


@pytest.fixture
async def ingestion() -> AsyncIterator[FakeIngestion]:
    fake = FakeIngestion()
    await fake.start()
    yield fake
    await fake.stop()


def exporting_env(
    estate: Estate, ingestion: FakeIngestion, tmp_path: Path, prefix: str, queues: list[str], **extra: str
) -> dict[str, str]:
    """The service's environment with both exporters pointed at the fake ingestion endpoint."""
    return bench.service_env(
        estate,
        prefix,
        queues,
        # A fresh instrumentation key: the exporter's retry store is per key, so nothing from an
        # earlier run can be replayed into this one.
        APPLICATIONINSIGHTS_CONNECTION_STRING=(
            f"InstrumentationKey={uuid.uuid4()};IngestionEndpoint={ingestion.url}/"
        ),
        OTEL_EXPORTER_OTLP_ENDPOINT=ingestion.url,
        # Statsbeat and the control plane call Microsoft's endpoints: never from a test.
        APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL="true",
        APPLICATIONINSIGHTS_SDKSTATS_DISABLED="true",
        APPLICATIONINSIGHTS_CONTROLPLANE_DISABLED="true",
        OTEL_BSP_SCHEDULE_DELAY="200",
        OTEL_BLRP_SCHEDULE_DELAY="200",
        HMPPS_SQS_WAIT_TIME_SECONDS="1",
        TMPDIR=str(tmp_path),
        LOG_LEVEL="INFO",
        **extra,
    )


async def test_one_trace_per_message_with_its_events_dependencies_and_log_lines(
    clean_estate: Estate, ingestion: FakeIngestion, tmp_path: Path
) -> None:
    prefix = f"otel{uuid.uuid4().hex[:6]}_"
    env = exporting_env(clean_estate, ingestion, tmp_path, prefix, ["visit"])
    queues = QueueService(load_settings(env), Telemetry())
    await queues.start({})
    service = bench.ServiceProcess(env, name="otel")
    try:
        service.start()
        await service.wait_ready()
        visits = clean_estate.plugins["visits"]
        await visits.act(f"{prefix}v1", "book", {"prisonerId": "A1234BC"})

        async def created() -> bool:
            return any(line.get("event") == CREATED for line in service.lines())

        await bench.wait_until(created, 30, "the visit to be created")
        # An event nobody handles: logged (not tracked) in the trace of its SQS message.
        sent = await queues.sqs.send_message(
            QueueUrl=queues.by_id("visit").url,
            MessageBody=notification_body({"eventType": UNHEARD_OF}),
            MessageAttributes={"eventType": {"DataType": "String", "StringValue": UNHEARD_OF}},
        )

        async def ignored() -> bool:
            return any(UNHEARD_OF in str(line.get("message")) for line in service.lines())

        await bench.wait_until(ignored, 30, "the unknown event to be logged")
        token = clean_estate.auth.mint_token(["ROLE_SYSCON__QUEUE_ADMIN"])
        dlq = queues.by_id("visit").dlq_name
        async with (
            aiohttp.ClientSession() as session,
            session.get(
                f"{service.url}/queue-admin/get-dlq-messages/{dlq}",
                headers={"Authorization": f"Bearer {token}"},
            ) as admin,
            session.get(f"{service.url}/health/ping") as ping,
        ):
            assert (admin.status, ping.status) == (200, 200)
        # uvicorn re-raises SIGTERM once its graceful shutdown (and so the final flush) is done.
        assert await service.stop_gracefully() in (0, -signal.SIGTERM)
        lines = service.lines()
    finally:
        service.close()
        await queues.close()

    tracked = [line for line in lines if line.get("logger") == "telemetry"]
    assert tracked, service.tail()
    [created] = [line for line in tracked if line["event"] == CREATED]
    message_operation = str(created["operationId"])
    assert len(message_operation) == 32 and int(message_operation, 16)
    # Exporting raised no complaint from the exporters or the SDK.
    assert not [line for line in lines if line["level"] in ("WARNING", "ERROR", "CRITICAL")]

    # One customEvent per track_event, with its properties and its operation id.
    events = ingestion.of_type("EventData")
    assert Counter(
        _key(e.data["name"], _without_logger_name(e.data["properties"]), e.operation_id) for e in events
    ) == Counter(
        _key(line["event"], line.get("properties") or {}, line.get("operationId", "")) for line in tracked
    )
    assert {event.role for event in events} == {"hmpps-prisoner-to-nomis-update"}
    # The exporter names the emitting logger in every item; nothing else is added to the properties.
    assert {e.data["properties"]["logger_name"] for e in events} == {"prisoner_to_nomis_update.events"}

    # The message is one request; its downstream calls are dependencies in the same operation.
    [message] = [r for r in ingestion.of_type("RequestData") if r.operation_id == message_operation]
    assert message.data["success"] is True
    assert message.data["name"].endswith("visit_queue process")
    dependencies = [
        d.data for d in ingestion.of_type("RemoteDependencyData") if d.operation_id == message_operation
    ]
    nomis_port = str(clean_estate.nomis.port)
    [nomis_post] = [
        d
        for d in dependencies
        if d["type"] == "HTTP" and nomis_port in d["target"] and d["name"].startswith("POST")
    ]
    assert nomis_post["resultCode"] == "201"
    assert "/prisoners/A1234BC/visits" in nomis_post["data"]
    assert all(d["id"] for d in dependencies)
    # A log line written while a message was handled: the operation id is the SQS message id's 128 bits,
    # and the line reaches Application Insights as a trace in that operation, beside the message's request.
    ignored_operation = operation_id_for_message(sent["MessageId"])
    assert ignored_operation == sent["MessageId"].replace("-", "")
    [logged] = [line for line in lines if UNHEARD_OF in str(line.get("message"))]
    assert logged["operationId"] == ignored_operation
    [trace_item] = [t for t in ingestion.of_type("MessageData") if UNHEARD_OF in t.data["message"]]
    assert (trace_item.operation_id, trace_item.data["message"]) == (ignored_operation, logged["message"])
    assert trace_item.data["severityLevel"] == 1  # Information
    assert [r.operation_id for r in ingestion.of_type("RequestData") if r.operation_id == ignored_operation]
    # The JSON event lines themselves are not sent again as traces.
    assert not [t for t in ingestion.of_type("MessageData") if t.data["message"] == CREATED]

    # The queue-admin request is a request of its own, whose SQS call is its dependency. Probes and
    # /health are not traced, nor the pings /health makes, nor the listener's idle long polls.
    requests = ingestion.of_type("RequestData")
    [admin_request] = [r for r in requests if "get-dlq-messages" in r.data["name"]]
    assert admin_request.data["responseCode"] == "200"
    admin_calls = {
        (d.data["type"], d.data["name"])
        for d in ingestion.of_type("RemoteDependencyData")
        if d.operation_id == admin_request.operation_id
    }
    assert admin_calls == {("aws.sqs", "SQS.GetQueueAttributes"), ("HTTP", "GET /auth/.well-known/jwks.json")}
    assert sorted(r.data["name"].rsplit(" ", 1)[-1] for r in requests) == [
        "/queue-admin/get-dlq-messages/{dlqName}",
        "process",
        "process",
    ]
    names = [d.data["name"] for d in ingestion.of_type("RemoteDependencyData")]
    assert not [name for name in names if "ReceiveMessage" in name or "health" in name], names

    # OTEL_EXPORTER_OTLP_ENDPOINT: the same trace and events reach an OTLP backend.
    [consumer] = [
        s
        for s in ingestion.otlp_spans
        if otlp_hex_id(s["traceId"]) == message_operation and s["kind"] == "SPAN_KIND_CONSUMER"
    ]
    assert otlp_attributes(consumer)["messaging.destination.name"].endswith("visit_queue")
    otlp_events = [
        (otlp_attributes(record)["microsoft.custom_event.name"], otlp_hex_id(record["traceId"]))
        for record in ingestion.otlp_logs
        if "microsoft.custom_event.name" in otlp_attributes(record)
    ]
    assert Counter(otlp_events) == Counter((line["event"], line.get("operationId", "")) for line in tracked)


def _without_logger_name(properties: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in properties.items() if key != "logger_name"}


def _key(name: str, properties: dict[str, Any], operation_id: str) -> tuple[str, str, str]:
    return name, repr(sorted(properties.items())), operation_id


async def test_a_batch_run_is_one_operation_with_its_calls_and_events(
    clean_estate: Estate, ingestion: FakeIngestion, tmp_path: Path
) -> None:
    """`prisoner-to-nomis-update batch <TYPE>` as the CronJobs run it: one request, failed or not, whose
    operation holds the job's downstream calls, its customEvents and its log lines."""
    env = exporting_env(clean_estate, ingestion, tmp_path, "", [], BATCH_ENABLED="true", BATCH_TYPE=JOB)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "prisoner_to_nomis_update",
        "batch",
        JOB,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, output.decode()
    lines = [orjson.loads(line) for line in output.splitlines() if line.startswith(b"{")]
    tracked = [line for line in lines if line.get("logger") == "telemetry"]
    assert tracked, output.decode()
    [operation] = {line["operationId"] for line in tracked}

    [run] = [r for r in ingestion.of_type("RequestData") if r.data["name"] == f"batch {JOB}"]
    assert (run.operation_id, run.data["success"]) == (operation, True)
    assert Counter((e.data["name"], e.operation_id) for e in ingestion.of_type("EventData")) == Counter(
        (line["event"], operation) for line in tracked
    )
    nomis_port = str(clean_estate.nomis.port)
    assert any(
        d.operation_id == operation and nomis_port in d.data["target"]
        for d in ingestion.of_type("RemoteDependencyData")
    )
