"""The repair endpoints: re-send a prisoner's current DPS incentive to NOMIS (by prisoner or booking)."""

from __future__ import annotations

from datetime import datetime

import pytest
from incentives_support import UPDATE_ROLE, fakes, incentives_service, seed_spec_review

from hmpps_sandbox.estate import Estate


@pytest.mark.scenario("visits-and-incentives", 49)
@pytest.mark.scenario("framework", 54)
async def test_repair_needs_the_update_role(clean_estate: Estate) -> None:
    async with incentives_service(clean_estate) as harness:
        path = "/incentives/prisoner/A1234AA/repair"
        assert (await harness.request("POST", path))[0] == 401
        assert (await harness.request("POST", path, roles=[]))[0] == 403
        assert (await harness.request("POST", path, roles=["ROLE_BANANAS"]))[0] == 403
        booking_path = "/incentives/prisoner/booking-id/1234/repair"
        assert (await harness.request("PUT", booking_path))[0] == 401
        assert (await harness.request("PUT", booking_path, roles=["ROLE_BANANAS"]))[0] == 403
    assert not clean_estate.nomis.requests() and not clean_estate.dps["incentives"].requests()


@pytest.mark.scenario("visits-and-incentives", 50)
async def test_repair_resends_the_current_incentive(clean_estate: Estate) -> None:
    seed_spec_review(clean_estate, review_id=8765, booking_id=1234)
    async with incentives_service(clean_estate) as harness:
        status, body, _ = await harness.request(
            "POST", "/incentives/prisoner/A1234AA/repair", roles=[UPDATE_ROLE]
        )
        assert (status, body) == (200, None)
        assert harness.events("incentives-repair") == [
            {
                "nomisBookingId": "1234",
                "nomisIncentiveSequence": "1",
                "id": "8765",
                "offenderNo": "A1234AA",
                "iep": "STD",
            }
        ]
    [create] = clean_estate.nomis.requests("POST", "/prisoners/A1234AA/incentives")
    assert create.body["iepDateTime"] == "2022-12-02T10:00:00" and create.body["iepLevel"] == "STD"
    assert not clean_estate.mapping.requests(), "a repair neither reads nor writes mappings"


@pytest.mark.scenario("visits-and-incentives", 72)
async def test_repair_without_a_current_incentive_is_an_error(clean_estate: Estate) -> None:
    """The original answers 500 `Unexpected error: No current incentive ...`; an unknown record is the
    caller's mistake, not a server fault, so we answer 404 with the same message (issue 14)."""
    async with incentives_service(clean_estate) as harness:
        status, body, _ = await harness.request(
            "POST", "/incentives/prisoner/A1234AA/repair", roles=[UPDATE_ROLE]
        )
    assert status == 404
    assert body["userMessage"] == "Not Found: No current incentive for prisonNumber A1234AA"
    assert not clean_estate.nomis.requests()
    assert not harness.events("incentives-repair")


async def test_repair_by_booking_id_finds_the_prisoner_in_nomis(clean_estate: Estate) -> None:
    seed_spec_review(clean_estate, review_id=8765, booking_id=1234, iep_code="ENH")
    fakes(clean_estate).add_iep(1234, "A1234AA", "STD", when=datetime(2020, 1, 1))  # NOMIS is behind
    async with incentives_service(clean_estate) as harness:
        status, _, _ = await harness.request(
            "PUT", "/incentives/prisoner/booking-id/1234/repair", roles=[UPDATE_ROLE]
        )
        assert status == 200
        [repair] = harness.events("incentives-repair")
    assert repair["offenderNo"] == "A1234AA" and repair["iep"] == "ENH"
    assert repair["nomisBookingId"] == "1234" and repair["nomisIncentiveSequence"] == "2"
    assert clean_estate.nomis.requests("GET", "/incentives/booking-id/1234/current")
    assert fakes(clean_estate).current_iep(1234)["iepLevel"]["code"] == "ENH"  # type: ignore[index]


async def test_repair_by_booking_refuses_a_booking_that_is_not_current(clean_estate: Estate) -> None:
    seed_spec_review(clean_estate, review_id=8765, booking_id=1234)
    fakes(clean_estate).add_iep(1111, "A1234AA", "STD")  # an older booking of the same prisoner
    async with incentives_service(clean_estate) as harness:
        status, body, _ = await harness.request(
            "PUT", "/incentives/prisoner/booking-id/1111/repair", roles=[UPDATE_ROLE]
        )
        missing_status, missing, _ = await harness.request(
            "PUT", "/incentives/prisoner/booking-id/2222/repair", roles=[UPDATE_ROLE]
        )
    assert status == 400 and "is for booking 1234, not booking 1111" in body["userMessage"]
    assert missing_status == 404 and missing["userMessage"].startswith(
        "Not Found: No NOMIS incentive for booking id 2222"
    )
    assert not clean_estate.nomis.requests("POST")
    assert not harness.events("incentives-repair")
