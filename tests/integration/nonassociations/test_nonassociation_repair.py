"""POST /non-associations/{id}/repair: the fix for a reported mismatch without hand-written calls."""

from __future__ import annotations

from na_support import fakes, na_service

from hmpps_sandbox.estate import Estate

ROLE = "ROLE_PRISONER_TO_NOMIS__UPDATE__RW"


async def test_repair_creates_a_missing_non_association(clean_estate: Estate) -> None:
    na = fakes(clean_estate)
    na.put_dps(12345)
    async with na_service(clean_estate, listen=False) as harness:
        status, body, _ = await harness.request("POST", "/non-associations/12345/repair", roles=[ROLE])
        assert (status, body) == (200, {"nonAssociationId": 12345, "action": "created"})
        assert harness.events("to-nomis-synch-non-association-repair") == [
            {"nonAssociationId": "12345", "action": "created"}
        ]
        assert len(harness.events("non-association-create-success")) == 1
        # a second repair finds the mapping and only amends: still one NOMIS non-association
        status, body, _ = await harness.request("POST", "/non-associations/12345/repair", roles=[ROLE])
        assert body["action"] == "amended"
    assert len(na.nomis_details) == 1 and len(na.mappings.rows) == 1


async def test_repair_amends_and_closes_what_dps_has_closed(clean_estate: Estate) -> None:
    na = fakes(clean_estate)
    na.put_dps(12345, restrictionType="CELL", isClosed=True, closedAt="2024-01-01T00:00:00")
    na.put_nomis("A1234AA", "B1234BB", 1, type="WING")
    na.put_mapping(12345, "A1234AA", "B1234BB", 1)
    async with na_service(clean_estate, listen=False) as harness:
        status, body, _ = await harness.request("POST", "/non-associations/12345/repair", roles=[ROLE])
    assert (status, body["action"]) == (200, "amended-and-closed")
    [detail] = na.nomis_pair("A1234AA", "B1234BB")
    assert detail["type"] == "CELL" and detail["expiryDate"] is not None


async def test_repair_needs_the_update_role_and_reports_failures(clean_estate: Estate) -> None:
    async with na_service(clean_estate, listen=False) as harness:
        assert (await harness.request("POST", "/non-associations/1/repair"))[0] == 401
        assert (await harness.request("POST", "/non-associations/1/repair", roles=["ROLE_BANANAS"]))[0] == 403
        status, body, _ = await harness.request("POST", "/non-associations/1/repair", roles=[ROLE])
        # A DPS 404 names the record with 404 (the original: 500 "Unexpected error"; issue 14).
        assert status == 404 and body["userMessage"].startswith(
            "Not Found: nonAssociationId 1: the non-associations API has no such record (404 Not Found"
        )
        assert harness.events("to-nomis-synch-non-association-repair") == []
        assert len(harness.events("non-association-create-failed")) == 1
