"""Hearings created, updated and deleted (adjudications scenarios 27-35), and their bad input."""

from __future__ import annotations

import pytest
from adjudications_support import (
    ADJUDICATION_PATH,
    HEARING_PATH,
    NOMIS_HEARING,
    NOMIS_HEARING_LOCATION,
    OFFENDER,
    PRISON,
    QUEUE,
    SPEC,
    AdjudicationsWorld,
    charge,
    dps_get,
    event,
    hearing,
    publish_and_wait,
    requests,
)

from hmpps_sandbox.harness import ServiceHarness

CREATED = "adjudication.hearing.created"
UPDATED = "adjudication.hearing.updated"
DELETED = "adjudication.hearing.deleted"
UNMAPPED_LOCATION = "5a1f4c1e-0000-4000-8000-000000000001"


@pytest.mark.scenario(SPEC, 27)
async def test_hearing_is_created_in_nomis_and_mapped(
    service: ServiceHarness, world: AdjudicationsWorld
) -> None:
    world.dps(charge(hearings=[hearing(345)]))
    world.mapped_charge()
    success = await publish_and_wait(service, event(CREATED, hearing_id=345), "hearing-create-success")

    assert len(requests(world.dps_api, "GET", dps_get())) == 1
    [create] = requests(service.estate.nomis, "POST", f"{ADJUDICATION_PATH}/hearings")
    assert create.body == {
        "hearingType": "GOV_ADULT",
        "hearingDate": "2023-08-23",
        "hearingTime": "14:25",
        "agencyId": PRISON,
        "internalLocationId": NOMIS_HEARING_LOCATION,
    }
    [nomis_hearing_id] = world.fakes.nomis.adjudications[12345]["hearings"]
    [mapping] = requests(service.estate.mapping, "POST", "/mapping/hearings")
    assert mapping.body == {"dpsHearingId": "345", "nomisHearingId": nomis_hearing_id}
    assert success == {
        "chargeNumber": "12345-1",
        "prisonId": PRISON,
        "offenderNo": OFFENDER,
        "dpsHearingId": "345",
        "adjudicationNumber": "12345",
        "nomisHearingId": str(nomis_hearing_id),
    }


@pytest.mark.scenario(SPEC, 29)
async def test_existing_hearing_mapping_is_a_duplicate(
    service: ServiceHarness, world: AdjudicationsWorld
) -> None:
    world.dps(charge(hearings=[hearing(345)]))
    world.mapped_charge()
    world.mapped_hearing()
    duplicate = await publish_and_wait(service, event(CREATED, hearing_id=345), "hearing-create-duplicate")

    assert duplicate == {
        "chargeNumber": "12345-1",
        "prisonId": PRISON,
        "offenderNo": OFFENDER,
        "dpsHearingId": "345",
    }
    assert requests(service.estate.nomis, "POST", f"{ADJUDICATION_PATH}/hearings") == []


@pytest.mark.scenario(SPEC, 30)
async def test_hearing_mapping_failure_is_retried_without_a_second_nomis_create(
    service: ServiceHarness, world: AdjudicationsWorld
) -> None:
    world.dps(charge(hearings=[hearing(345)]))
    world.mapped_charge()
    service.estate.mapping.inject_fault(path_pattern="/mapping/hearings", method="POST", status=500)
    retried = await publish_and_wait(
        service, event(CREATED, hearing_id=345), "hearing-create-mapping-retry-success"
    )

    assert len(requests(service.estate.nomis, "POST", f"{ADJUDICATION_PATH}/hearings")) == 1
    assert len(requests(service.estate.mapping, "POST", "/mapping/hearings")) == 2
    assert retried["dpsHearingId"] == "345" and retried["nomisHearingId"]
    assert len(service.events("adjudication-create-mapping-retry")) == 1
    assert len(world.fakes.mappings.hearings.rows) == 1


@pytest.mark.scenario(SPEC, 31)
@pytest.mark.scenario(SPEC, 34)
async def test_hearing_is_updated_then_deleted(service: ServiceHarness, world: AdjudicationsWorld) -> None:
    world.dps(charge(hearings=[hearing(345, hearing_type="INAD_ADULT", when="2023-09-01T10:15:30")]))
    world.mapped_charge()
    world.mapped_hearing()
    updated = await publish_and_wait(service, event(UPDATED, hearing_id=345), "hearing-updated-success")

    assert len(requests(world.dps_api, "GET", dps_get())) == 1
    [put] = requests(service.estate.nomis, "PUT", HEARING_PATH)
    assert put.body == {
        "hearingType": "INAD_ADULT",
        "hearingDate": "2023-09-01",
        "hearingTime": "10:15",
        "internalLocationId": NOMIS_HEARING_LOCATION,
    }
    expected = {
        "chargeNumber": "12345-1",
        "prisonId": PRISON,
        "offenderNo": OFFENDER,
        "dpsHearingId": "345",
        "adjudicationNumber": "12345",
        "nomisHearingId": str(NOMIS_HEARING),
    }
    assert updated == expected

    deleted = await publish_and_wait(service, event(DELETED, hearing_id=345), "hearing-deleted-success")
    assert deleted == expected
    assert len(requests(service.estate.nomis, "DELETE", HEARING_PATH)) == 1
    assert len(requests(service.estate.mapping, "DELETE", "/mapping/hearings/dps/345")) == 1
    assert world.fakes.nomis.adjudications[12345]["hearings"] == {}
    assert world.fakes.mappings.hearings.rows == []
    # No DPS call on delete.
    assert len(requests(world.dps_api, "GET", dps_get())) == 1


@pytest.mark.scenario(SPEC, 28)
@pytest.mark.scenario(SPEC, 32)
@pytest.mark.scenario(SPEC, 33)
@pytest.mark.scenario(SPEC, 35)
async def test_hearing_failures_end_on_the_dlq(service: ServiceHarness, world: AdjudicationsWorld) -> None:
    """28: create without a location mapping; 32/35: update/delete without a hearing mapping; 33: update
    without a location mapping; and an event naming a hearing DPS does not have."""
    unmapped = hearing(345) | {"locationUuid": UNMAPPED_LOCATION}
    world.dps(charge("28", hearings=[unmapped]))
    world.mapped_charge("28", 28)
    world.dps(charge("32", hearings=[hearing(346)]))
    world.mapped_charge("32", 32)
    world.dps(charge("33", hearings=[unmapped | {"id": 347}]))
    world.mapped_charge("33", 33)
    world.fakes.nomis.seed_hearing(33, 3347)
    world.fakes.mappings.map_hearing("347", 3347)
    world.dps(charge("99", hearings=[hearing(348)]))
    world.mapped_charge("99", 99)
    await service.estate.publish(event(CREATED, "28", hearing_id=345))
    await service.estate.publish(event(UPDATED, "32", hearing_id=346))
    await service.estate.publish(event(DELETED, "32", hearing_id=346))
    await service.estate.publish(event(UPDATED, "33", hearing_id=347))
    await service.estate.publish(event(CREATED, "99", hearing_id=999))
    await service.wait_for_depth(QUEUE, 5, dlq=True, timeout=30)

    created_failed = service.events("hearing-create-failed")
    assert len(created_failed) == 6
    location = [f for f in created_failed if f["chargeNumber"] == "28"]
    assert {f["dpsHearingId"] for f in location} == {"345"}
    assert all(f["offenderNo"] == OFFENDER and f["prisonId"] == PRISON for f in location)
    unknown = [f for f in created_failed if f["chargeNumber"] == "99"]
    assert {f["reason"] for f in unknown} == {"Hearing 999 not found for DPS adjudication with charge no 99"}
    updated_failed = service.events("hearing-updated-failed")
    assert sorted(f["chargeNumber"] for f in updated_failed) == ["32"] * 3 + ["33"] * 3
    assert {f.get("nomisHearingId") for f in updated_failed if f["chargeNumber"] == "33"} == {"3347"}
    assert {f.get("nomisHearingId") for f in updated_failed if f["chargeNumber"] == "32"} == {None}
    assert [f["chargeNumber"] for f in service.events("hearing-deleted-failed")] == ["32"] * 3
    assert requests(service.estate.nomis, "POST", r".*/hearings") == []
    assert requests(service.estate.nomis, "PUT", r".*/hearings/.*") == []
    assert requests(service.estate.nomis, "DELETE", r".*/hearings/.*") == []


async def test_deleting_a_hearing_nomis_no_longer_has_still_removes_the_mapping(
    service: ServiceHarness, world: AdjudicationsWorld
) -> None:
    """Redelivery after the NOMIS delete but before the mapping delete: NOMIS 404 means already done."""
    world.mapped_charge()
    world.mapped_hearing()
    service.estate.nomis.inject_fault(path_pattern=HEARING_PATH, method="DELETE", status=404)
    await publish_and_wait(service, event(DELETED, hearing_id=345), "hearing-deleted-success")
    assert world.fakes.mappings.hearings.rows == []
    assert service.events("hearing-deleted-failed") == []
