"""Error bodies (framework 51-53) through a test-only domain router mounted on the real app."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, Depends

from hmpps_sandbox.estate import Estate
from hmpps_sandbox.harness import running_service
from prisoner_to_nomis_update.framework.auth import Principal, require_role
from prisoner_to_nomis_update.framework.domain import Domain, DomainContext
from prisoner_to_nomis_update.framework.errors import BadRequest, NotFound
from prisoner_to_nomis_update.framework.http import HttpError

ROLE = "ROLE_PRISONER_TO_NOMIS__UPDATE__RW"


def error_domain(context: DomainContext) -> Domain:
    router = APIRouter()
    role = Depends(require_role(ROLE))

    @router.get("/test/unexpected")
    async def unexpected(_: Principal = role) -> None:
        raise RuntimeError("DRAFT")

    @router.get("/test/incidents/{incidentId}")
    async def missing(incidentId: int, _: Principal = role) -> None:
        raise NotFound(f"Incident not found {incidentId}")

    @router.put("/test/domestic-status/{offenderNo}")
    async def downstream(offenderNo: str, _: Principal = role) -> None:
        try:
            await context.apis.get("nomis").get_json(f"/sync/{offenderNo}/domestic-status")
        except HttpError as error:
            raise BadRequest(str(error)) from error

    return Domain(name="test", queue_id="test", handlers={}, router=router)


@pytest.mark.breaks_contract  # the test route calls a made-up NOMIS path to see a downstream 502
@pytest.mark.scenario("framework", 51)
@pytest.mark.scenario("framework", 52)
@pytest.mark.scenario("framework", 53)
async def test_error_bodies(clean_estate: Estate) -> None:
    async with running_service(clean_estate, queues=[], domains=[error_domain]) as harness:
        status, body, _ = await harness.request("GET", "/test/unexpected", roles=[ROLE])
        assert (status, body) == (
            500,
            {
                "status": 500,
                "errorCode": None,
                "userMessage": "Unexpected error: DRAFT",
                "developerMessage": "DRAFT",
                "moreInfo": None,
            },
        )

        status, body, _ = await harness.request("GET", "/test/incidents/99999", roles=[ROLE])
        assert status == 404
        assert body["userMessage"] == "Not Found: Incident not found 99999"
        assert body["developerMessage"] == "Incident not found 99999"

        clean_estate.nomis.inject_fault(path_pattern=r"/sync/A1234BC/domestic-status", status=502)
        status, body, _ = await harness.request("PUT", "/test/domestic-status/A1234BC", roles=[ROLE])
        assert status == 400
        expected = f"502 Bad Gateway from GET {clean_estate.nomis.url}/sync/A1234BC/domestic-status"
        assert body["userMessage"] == f"Bad Request: {expected}"

        # Unknown paths and methods keep the same body shape.
        status, body, _ = await harness.request("GET", "/no/such/path", roles=[ROLE])
        assert status == 404
        assert body["status"] == 404
        status, body, _ = await harness.request("DELETE", "/test/unexpected", roles=[ROLE])
        assert status == 405
        assert body["status"] == 405
