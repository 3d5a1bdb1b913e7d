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
from prisoner_to_nomis_update.framework.params import RecordId
from prisoner_to_nomis_update.framework.synchronise import AwaitDependentStateRetry, AwaitParentEntityRetry

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

    @router.put("/test/incidents/{incidentId}/parent")
    async def awaiting_parent(incidentId: RecordId, _: Principal = role) -> None:
        raise AwaitParentEntityRetry(f"Missing incident location for {incidentId}")

    @router.put("/test/incidents/{incidentId}/dependent")
    async def awaiting_state(incidentId: RecordId, _: Principal = role) -> None:
        raise AwaitDependentStateRetry("Expected dependent state not yet correct, retrying: locked")

    @router.put("/test/incidents/{incidentId}/repair")
    async def repair(incidentId: RecordId, _: Principal = role) -> None:
        await context.apis.get("nomis").get_json(f"/incidents/{incidentId}")

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


async def test_a_record_downstream_does_not_have_is_a_404_naming_it(clean_estate: Estate) -> None:
    """Issue 14: a repair of an unknown record answers 404 naming it (the original: 500), a malformed id
    400; any other downstream failure is still the original's 500."""
    async with running_service(clean_estate, queues=[], domains=[error_domain]) as harness:
        status, body, _ = await harness.request("PUT", "/test/incidents/42/repair", roles=[ROLE])
        assert status == 404
        message = (
            "incidentId 42: the nomis API has no such record "
            f"(404 Not Found from GET {clean_estate.nomis.url}/incidents/42)"
        )
        assert (body["userMessage"], body["developerMessage"]) == (f"Not Found: {message}", message)

        for malformed in ("0", "-1", "abc", str(2**63)):
            status, body, _ = await harness.request(
                "PUT", f"/test/incidents/{malformed}/repair", roles=[ROLE]
            )
            assert status == 400 and body["userMessage"].startswith("Invalid Argument: path.incidentId")

        clean_estate.nomis.inject_fault(path_pattern="/incidents/43", status=500)
        status, body, _ = await harness.request("PUT", "/test/incidents/43/repair", roles=[ROLE])
        assert status == 500
        assert body["userMessage"].startswith("Unexpected error: 500 Internal Server Error from GET")


async def test_a_repair_that_would_wait_on_a_queue_answers_at_once(clean_estate: Estate) -> None:
    """A parent not yet in NOMIS is missing as far as a repair goes (404); NOMIS's 424 is a 409 to retry."""
    async with running_service(clean_estate, queues=[], domains=[error_domain]) as harness:
        status, body, _ = await harness.request("PUT", "/test/incidents/7/parent", roles=[ROLE])
        assert (status, body["userMessage"]) == (404, "Not Found: Missing incident location for 7")
        status, body, _ = await harness.request("PUT", "/test/incidents/7/dependent", roles=[ROLE])
        assert status == 409
        assert body["userMessage"] == (
            "Expected dependent state not yet correct, retrying: locked (try again once NOMIS has caught up)"
        )
