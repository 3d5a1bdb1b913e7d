from __future__ import annotations

import pytest

from hmpps_sandbox.estate import Estate
from hmpps_sandbox.harness import running_service


@pytest.mark.scenario("visits-and-incentives", 1)
async def test_booked_visit_reaches_nomis(clean_estate: Estate) -> None:
    async with running_service(clean_estate, queues=["visit"]) as harness:
        visits = clean_estate.plugins["visits"]
        await visits.act("12", "book", {"prisonerId": "A32323Y"})
        await harness.wait_for_event("visit-create-success")
        assert len(visits.nomis_visits) == 1
        assert visits.mappings.rows[0]["vsipId"] == "12"
