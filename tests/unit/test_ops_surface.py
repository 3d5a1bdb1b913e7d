"""Pure parts of the operations surface: purge lookup, role discovery, OpenAPI tidying, health shapes."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import APIRouter, Depends, FastAPI

from prisoner_to_nomis_update.framework.auth import Principal, normalise_role, require_role, required_roles
from prisoner_to_nomis_update.framework.queues import QueueService
from prisoner_to_nomis_update.framework.telemetry import Telemetry
from prisoner_to_nomis_update.settings import load_settings
from prisoner_to_nomis_update.web.health import describe, queue_timed_out
from prisoner_to_nomis_update.web.openapi import add_date_time_examples, camel
from prisoner_to_nomis_update.web.routes import api_endpoints

ENV = {
    "HMPPS_SQS_QUEUES_VISIT_QUEUE_NAME": "visit_queue",
    "HMPPS_SQS_QUEUES_VISIT_DLQ_NAME": "visit_dlq",
    "HMPPS_SQS_QUEUES_AUDIT_QUEUE_NAME": "audit_queue",
    "HMPPS_SQS_QUEUES_NODLQ_QUEUE_NAME": "nodlq_queue",
}


def queue_service() -> QueueService:
    return QueueService(load_settings(ENV), Telemetry([]))


@pytest.mark.scenario("framework", 87)
def test_find_queue_to_purge() -> None:
    queues = queue_service()
    visit = queues.by_id("visit")
    visit.url, visit.dlq_url = "http://sqs/visit_queue", "http://sqs/visit_dlq"
    assert queues.find_queue_to_purge("visit_queue") == (visit, "http://sqs/visit_queue")
    assert queues.find_queue_to_purge("visit_dlq") == (visit, "http://sqs/visit_dlq")
    assert queues.find_queue_to_purge("unknown") is None
    assert queues.find_queue_to_purge("audit_queue") is None
    # An empty DLQ name never matches a queue without a DLQ.
    assert queues.find_queue_to_purge("") is None
    assert queues.find_by_dlq_name("") is None


def test_required_roles_are_found_through_nested_routers() -> None:
    inner = APIRouter(dependencies=[Depends(require_role("ROUTER_ROLE"))])

    @inner.get("/inner/{id}")
    async def nested(id: int, _: Principal = Depends(require_role("A", "ROLE_B"))) -> None:
        return None

    outer = APIRouter(prefix="/outer")
    outer.include_router(inner)

    @outer.get("/open")
    async def open_endpoint() -> None:
        return None

    app = FastAPI()
    app.include_router(outer)
    roles = {route.path_format: required_roles(route) for route in api_endpoints(app)}
    assert roles == {
        "/outer/inner/{id}": frozenset({"ROLE_ROUTER_ROLE", "ROLE_A", "ROLE_B"}),
        "/outer/open": frozenset(),
    }
    assert normalise_role("SYSCON__QUEUE_ADMIN") == normalise_role("ROLE_SYSCON__QUEUE_ADMIN")


@pytest.mark.parametrize(
    ("name", "expected"),
    [("health_health_get", "healthHealthGet"), ("retryDlq", "retryDlq"), ("_a__b_", "aB")],
)
def test_operation_ids_are_camel_case(name: str, expected: str) -> None:
    assert camel(name) == expected


def test_date_time_examples_are_added_but_never_replaced() -> None:
    schema: dict[str, Any] = {
        "a": {"type": "string", "format": "date-time"},
        "b": [{"type": "string", "format": "date-time", "example": "2020-01-01T00:00:00"}],
        "c": {"type": "string", "format": "date"},
    }
    add_date_time_examples(schema)
    assert schema["a"]["example"] == "2021-07-16T12:34:56"
    assert schema["b"][0]["example"] == "2020-01-01T00:00:00"
    assert "example" not in schema["c"]


def test_health_error_details() -> None:
    assert describe(ValueError("bad")) == "ValueError: bad"
    queues = queue_service()
    assert queue_timed_out(queues.by_id("visit"), 3.0) == {
        "status": "DOWN",
        "details": {
            "queueName": "visit_queue",
            "dlqName": "visit_dlq",
            "dlqStatus": "DOWN",
            "error": "TimeoutError: no answer from SQS within 3s",
        },
    }
    assert queue_timed_out(queues.by_id("nodlq"), 3.0)["details"] == {
        "queueName": "nodlq_queue",
        "error": "TimeoutError: no answer from SQS within 3s",
    }
