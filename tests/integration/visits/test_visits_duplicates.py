"""Resolving `to-nomis-synch-visit-duplicate` (issue 14): cancel the unmapped NOMIS visit, and only that.

The alerts are recorded through the service's telemetry, the path every real alert takes (the
listener-to-alert path itself is proven in tests/integration/ops/test_ops_duplicates.py).
"""

from __future__ import annotations

from typing import Any

from visits_world import VisitsWorld, visits_service

from hmpps_sandbox.estate import Estate
from hmpps_sandbox.harness import ServiceHarness
from prisoner_to_nomis_update.framework.duplicates import duplicate_id

REPAIR_ROLE = "ROLE_PRISONER_TO_NOMIS__UPDATE__RW"
ALERT = "to-nomis-synch-visit-duplicate"


def alert(vsip_id: str = "12", existing: int = 456, duplicate: int = 789) -> dict[str, str]:
    return {
        "visitId": vsip_id,
        "offenderNo": "AB12345",
        "existingVsipId": vsip_id,
        "existingNomisId": str(existing),
        "existingMappingType": "ONLINE",
        "duplicateVsipId": vsip_id,
        "duplicateNomisId": str(duplicate),
        "duplicateMappingType": "ONLINE",
    }


async def resolve(harness: ServiceHarness, properties: dict[str, str]) -> tuple[int, Any]:
    harness.service.telemetry.track_event(ALERT, properties)
    status, body, _ = await harness.request(
        "POST", f"/duplicates/{duplicate_id('visit', properties)}/resolve", roles=[REPAIR_ROLE]
    )
    return status, body


async def test_only_an_unmapped_duplicate_of_a_still_mapped_visit_is_cancelled(
    clean_estate: Estate, world: VisitsWorld
) -> None:
    async with visits_service(clean_estate, http=True) as harness:
        cancels = r"/prisoners/.*/visits/.*/cancel"

        # The DPS visit is no longer mapped: nothing to keep, so nothing is removed.
        status, body = await resolve(harness, alert("1"))
        assert (status, body["userMessage"]) == (409, "DPS visit 1 is no longer mapped to a NOMIS visit")
        [failed] = harness.events("to-nomis-synch-visit-duplicate-resolution-failed")
        assert failed["reason"] == body["userMessage"] and failed["duplicateNomisId"] == "789"

        # Mapped, but NOMIS lost the mapped visit.
        world.mapping("2", 200)
        status, body = await resolve(harness, alert("2", existing=200))
        assert (status, body["userMessage"]) == (
            409,
            "NOMIS visit 200, which DPS visit 2 is mapped to, no longer exists",
        )

        # The "duplicate" is the mapped visit, or is mapped to another DPS visit.
        world.nomis_visit(300, "AB12345")
        world.mapping("3", 300)
        status, body = await resolve(harness, alert("3", existing=301, duplicate=300))
        assert (status, body["userMessage"]) == (409, "NOMIS visit 300 is the one DPS visit 3 is mapped to")
        world.nomis_visit(400, "AB12345")
        world.nomis_visit(401, "AB12345")
        world.mapping("4", 400)
        world.mapping("other", 401)
        status, body = await resolve(harness, alert("4", existing=400, duplicate=401))
        assert (status, body["userMessage"]) == (409, "NOMIS visit 401 is mapped to DPS visit other")
        assert clean_estate.nomis.requests("PUT", cancels) == []
        status, listed, _ = await harness.request("GET", "/duplicates", roles=[REPAIR_ROLE])
        assert {record["status"] for record in listed} == {"REFUSED"}

        # Already gone from NOMIS: resolved, nothing to cancel.
        world.nomis_visit(500, "AB12345")
        world.mapping("5", 500)
        status, body = await resolve(harness, alert("5", existing=500, duplicate=501))
        assert (status, body["outcome"]) == (200, "NOMIS visit 501 no longer exists: nothing to cancel")
        assert clean_estate.nomis.requests("PUT", cancels) == []


async def test_a_failed_cancel_can_be_resolved_again(clean_estate: Estate, world: VisitsWorld) -> None:
    world.nomis_visit(600, "AB12345")
    world.nomis_visit(601, "AB12345")
    world.mapping("6", 600)
    async with visits_service(clean_estate, http=True) as harness:
        clean_estate.nomis.inject_fault(path_pattern="/prisoners/AB12345/visits/601/cancel", status=500)
        status, body = await resolve(harness, alert("6", existing=600, duplicate=601))
        assert status == 502
        assert body["userMessage"].startswith("Bad Gateway: 500 Internal Server Error from PUT ")
        status, failed, _ = await harness.request(
            "GET", f"/duplicates/{duplicate_id('visit', alert('6', 600, 601))}", roles=[REPAIR_ROLE]
        )
        assert (status, failed["status"]) == (200, "FAILED")

        status, body = await resolve(harness, alert("6", existing=600, duplicate=601))
        assert (status, body["status"]) == (200, "RESOLVED")
        assert world.fakes.nomis_visits[601]["status"] == "CANC"
        assert world.fakes.nomis_visits[600]["status"] == "SCH"
        assert len(harness.events("to-nomis-synch-visit-duplicate-resolution-failed")) == 1
        assert len(harness.events("to-nomis-synch-visit-duplicate-resolved")) == 1

        # A duplicate someone already cancelled in NOMIS (NOMIS answers 409) counts as done.
        world.nomis_visit(700, "AB12345")
        world.nomis_visit(701, "AB12345", status="CANC")
        world.mapping("7", 700)
        status, body = await resolve(harness, alert("7", existing=700, duplicate=701))
        assert (status, body["status"]) == (200, "RESOLVED")
