"""`/info`, `/v3/api-docs` and Swagger UI (framework 6, 7, 12-20, 75)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from fastapi import APIRouter, Depends
from openapi_spec_validator import validate
from ops_support import VISITS_ONLY
from pydantic import BaseModel

from hmpps_sandbox.estate import Estate
from hmpps_sandbox.harness import running_service
from prisoner_to_nomis_update import __version__
from prisoner_to_nomis_update.framework.auth import Principal, require_role
from prisoner_to_nomis_update.framework.domain import Domain, DomainContext

SWITCHES = {
    "FEATURE_EVENT_PRISON-VISIT_REVISED": "true",
    "FEATURE_EVENT_OTHER-EVENT": "false",
    "feature.event.casenote.prison-visit.booked": "false",
}


@pytest.mark.scenario("framework", 6)
@pytest.mark.scenario("framework", 7)
async def test_info(clean_estate: Estate) -> None:
    """Helm spells `OTHER_EVENT` with underscores as `OTHER-EVENT` here (framework.md 3.4)."""
    env = {**SWITCHES, "feature.event.OTHER_EVENT": "false"}
    env.pop("FEATURE_EVENT_OTHER-EVENT")
    async with running_service(clean_estate, domains=VISITS_ONLY, queues=[], env=env) as harness:
        status, body, _ = await harness.request("GET", "/info")
        assert status == 200
        assert body["build"] == {"name": "hmpps-prisoner-to-nomis-update", "version": __version__}
        assert body["event-feature-switches"] == {
            "OTHER_EVENT": False,
            "casenote.prison-visit.booked": False,
            "prison-visit.revised": True,
        }


class Slot(BaseModel):
    start: datetime.datetime
    day: datetime.date


def docs_domain(context: DomainContext) -> Domain:
    """Two date-time fields (response and query), as several domains' endpoints have."""
    router = APIRouter(tags=["test"])

    @router.get("/test/slots", operation_id="getSlots")
    async def slots(
        after: datetime.datetime, _: Principal = Depends(require_role("ROLE_PRISONER_TO_NOMIS__UPDATE__RW"))
    ) -> list[Slot]:
        return []

    return Domain(name="test", queue_id="test", handlers={}, router=router)


async def api_docs(harness: Any) -> dict[str, Any]:
    status, doc, _ = await harness.request("GET", "/v3/api-docs")
    assert status == 200
    assert isinstance(doc, dict)
    return doc


def walk(node: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            found.extend(walk(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(walk(value))
    return found


@pytest.mark.scenario("framework", 14)
@pytest.mark.scenario("framework", 15)
@pytest.mark.scenario("framework", 17)
@pytest.mark.scenario("framework", 18)
@pytest.mark.scenario("framework", 19)
@pytest.mark.scenario("framework", 20)
@pytest.mark.scenario("framework", 75)
async def test_the_production_document(clean_estate: Estate) -> None:
    """Every domain's routes included: the document is what operators and clients see."""
    async with running_service(clean_estate, queues=[]) as harness:
        doc = await api_docs(harness)
        validate(doc)  # raises on any problem
        assert doc["paths"]
        assert doc["info"]["version"] == __version__
        assert doc["info"]["title"] == "Prisoner to NOMIS update API"

        scheme = doc["components"]["securitySchemes"]["bearer-jwt"]
        assert scheme["type"] == "http"
        assert scheme["scheme"] == "bearer"
        assert scheme["bearerFormat"] == "JWT"
        assert scheme["description"] == "An HMPPS Auth access token."
        assert doc["security"][0]["bearer-jwt"] == ["read", "write"]

        schemas = doc["components"]["schemas"]
        assert "LocalTime" not in schemas
        assert not any(node.get("format") == "time" for node in walk(doc))
        assert schemas["ErrorResponse"]["required"] == ["status"]

        operations = [op for path in doc["paths"].values() for op in path.values()]
        ids = [op["operationId"] for op in operations]
        assert not [i for i in ids if "_" in i]
        assert len(ids) == len(set(ids))
        assert not any("422" in op["responses"] for op in operations)

        retry = doc["paths"]["/queue-admin/retry-dlq/{dlqName}"]["put"]
        assert retry["tags"] == ["hmpps-reactive-queue-resource"]
        assert retry["responses"]["403"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorResponse"
        }
        for node in walk(doc):
            if node.get("format") == "date-time":
                assert node["example"] == "2021-07-16T12:34:56"


OPEN_OPERATIONS = {
    ("/health", "get"),
    ("/health/ping", "get"),
    ("/health/liveness", "get"),
    ("/health/readiness", "get"),
    ("/info", "get"),
    ("/v3/api-docs", "get"),
    ("/v3/api-docs/swagger-config", "get"),
    ("/swagger-ui/index.html", "get"),
    ("/swagger-ui.html", "get"),
}
ERROR_BODY = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}
# Statuses particular to a route, beyond the shared 400/401/403/500 (issue 13 part 4, issue 14 part 3).
OWN_STATUSES = {
    ("/activities/{activityScheduleId}", "post"): {"201", "404"},
    ("/activities/{activityScheduleId}", "put"): {"200", "404"},
    ("/allocations/{allocationId}", "put"): {"200", "404"},
    ("/attendances/{attendanceId}", "put"): {"200", "404"},
    ("/activities/reports/reconciliation/allocations", "put"): {"202", "409"},
    ("/incentives/prisoner/{prisonNumber}/repair", "post"): {"200", "404"},
    ("/incentives/reports/reconciliation", "put"): {"202", "409"},
    ("/non-associations/{nonAssociationId}/repair", "post"): {"200", "404"},
    ("/non-associations/reconciliation/{prisonNumber1}/ns/{prisonNumber2}", "get"): {"200", "404"},
    ("/prisoners/{offenderNo}/sentencing-adjustments/{adjustmentId}/repair", "post"): {"200", "404"},
    (
        "/sentencing-adjustments/nomis-adjustment-category/{nomisAdjustmentCategory}"
        "/nomis-adjustment-id/{nomisAdjustmentId}",
        "delete",
    ): {"204", "404", "409"},
    ("/prisoners/{offenderNo}/visits/resynchronise/{visitId}", "post"): {"204", "404"},
    ("/queue-admin/retry-dlq/{dlqName}", "put"): {"200", "404"},
    ("/queue-admin/purge-queue/{queueName}", "put"): {"200", "404"},
    ("/queue-admin/get-dlq-messages/{dlqName}", "get"): {"200", "404"},
    ("/duplicates/{duplicateId}", "get"): {"200", "400", "404"},
    ("/duplicates/{duplicateId}/resolve", "post"): {"200", "400", "404", "409", "502"},
    ("/health", "get"): {"200", "503"},
    ("/health/readiness", "get"): {"200", "503"},
    ("/swagger-ui.html", "get"): {"302"},
}


async def test_every_answer_is_documented_and_open_routes_need_no_token(clean_estate: Estate) -> None:
    """Open routes say `security: []`; protected ones list 401 (empty, `WWW-Authenticate`), 403 and 500;
    a route with parameters lists 400; each route lists its own 404/409/503; errors are ErrorResponse."""
    async with running_service(clean_estate, queues=[]) as harness:
        doc = await api_docs(harness)
    validate(doc)
    operations = {(path, method): op for path, ops in doc["paths"].items() for method, op in ops.items()}
    assert {key for key, op in operations.items() if op.get("security") == []} == OPEN_OPERATIONS
    for key, operation in operations.items():
        responses = operation["responses"]
        statuses = set(responses)
        if key not in OPEN_OPERATIONS:
            assert {"401", "403", "500"} <= statuses, key
            assert "content" not in responses["401"], key
            assert "WWW-Authenticate" in responses["401"]["headers"], key
        if operation.get("parameters") and key not in OPEN_OPERATIONS:
            assert "400" in statuses, key
        assert OWN_STATUSES.get(key, set()) <= statuses, key
        for status, response in responses.items():
            if (
                status.startswith(("4", "5"))
                and status != "401"
                and key[0] not in ("/health", "/health/readiness")
            ):
                assert response["content"] == ERROR_BODY, (key, status)
        if key not in OPEN_OPERATIONS:
            answered = {"200", "201", "202", "204", "400", "401", "403", "404", "409", "500"}
            assert not statuses - answered - OWN_STATUSES.get(key, set()), key
    health_down = operations[("/health", "get")]["responses"]["503"]["content"]["application/json"]["schema"]
    assert health_down == {"$ref": "#/components/schemas/HealthStatus"}
    # Empty success bodies are documented as empty, not as JSON.
    assert "content" not in operations[("/allocations/{allocationId}", "put")]["responses"]["200"]
    assert "content" not in operations[("/incentives/reports/reconciliation", "put")]["responses"]["202"]
    ids = operations[("/allocations/{allocationId}", "put")]["parameters"][0]["schema"]
    assert (ids["minimum"], ids["maximum"]) == (1, 2**63 - 1)
    prisoner = operations[("/incentives/prisoner/{prisonNumber}/repair", "post")]["parameters"][0]["schema"]
    assert prisoner["pattern"] == "^[A-Z0-9]{1,10}$"


@pytest.mark.scenario("framework", 16)
async def test_date_time_examples_have_no_zone(clean_estate: Estate) -> None:
    async with running_service(clean_estate, queues=[], domains=[docs_domain]) as harness:
        doc = await api_docs(harness)
        validate(doc)
        # The test domain's own: Slot.start and the `after` query parameter (framework routes have more).
        own = [doc["paths"]["/test/slots"], doc["components"]["schemas"]["Slot"]]
        assert len([node for node in walk(own) if node.get("format") == "date-time"]) == 2
        date_times = [node for node in walk(doc) if node.get("format") == "date-time"]
        for node in date_times:
            assert node["type"] == "string"
            assert node["example"] == "2021-07-16T12:34:56"
        assert doc["paths"]["/test/slots"]["get"]["responses"]["400"]  # FastAPI's 422 as our 400


@pytest.mark.scenario("framework", 12)
@pytest.mark.scenario("framework", 13)
async def test_swagger_ui(clean_estate: Estate) -> None:
    async with running_service(clean_estate, domains=VISITS_ONLY, queues=[]) as harness:
        status, page, _ = await harness.request("GET", "/swagger-ui/index.html?configUrl=/v3/api-docs")
        assert status == 200
        assert "/v3/api-docs" in page
        status, _, headers = await harness.request("GET", "/swagger-ui.html")
        assert 300 <= status < 400
        assert "/swagger-ui/index.html?configUrl=/v3/api-docs/swagger-config" in headers["Location"]
        status, page, _ = await harness.request(
            "GET", "/swagger-ui/index.html?configUrl=/v3/api-docs/swagger-config"
        )
        assert status == 200
        assert "'/v3/api-docs'" in page or '"/v3/api-docs"' in page
