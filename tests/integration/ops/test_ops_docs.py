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
