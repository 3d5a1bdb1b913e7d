"""Visits event handling end to end: events published on the domain topic, the real service listening
on its moto queue, DPS/NOMIS/mapping fakes answering over HTTP (visits-and-incentives.md A4-A7, E 1-7, 65-68).
"""

from __future__ import annotations

import pytest
from visits_world import VisitsWorld, visits_service

from hmpps_sandbox.estate import Estate
from hmpps_sandbox.fake import JournalEntry

NOMIS_CREATE = r"/prisoners/[^/]+/visits"
MAPPING_CREATE = "/mapping/visits"


def only(entries: list[JournalEntry]) -> JournalEntry:
    assert len(entries) == 1, entries
    return entries[0]


def nomis_409(more_info: object) -> dict[str, object]:
    return {
        "status": 409,
        "userMessage": "Visit already exists",
        "developerMessage": "Visit already exists",
        "moreInfo": more_info,
    }


@pytest.mark.scenario("visits-and-incentives", 1)
async def test_booked_visit_creates_nomis_visit_and_mapping(clean_estate: Estate, world: VisitsWorld) -> None:
    world.dps_visit("12")
    async with visits_service(clean_estate) as harness:
        await clean_estate.publish(world.event())
        [success] = await harness.wait_for_event("visit-create-success")
        await harness.wait_for_depth("visit", 0)

    assert len(clean_estate.dps["visits"].requests("GET", "/visits/12")) == 1
    create = only(clean_estate.nomis.requests("POST", NOMIS_CREATE))
    assert create.path == "/prisoners/A32323Y/visits"
    assert create.body == {
        "prisonId": "MDI",
        "startDateTime": "2019-12-02T09:00:00",
        "endTime": "10:00",
        "visitorPersonIds": [543524, 344444, 655656],
        "issueDate": "2021-03-05",
        "visitType": "SCON",
        "visitComment": "DPS booking reference: 12",
        "visitOrderComment": "DPS booking reference: 12",
        "room": "Main visits room",
        "openClosedStatus": "OPEN",
    }
    [nomis_id] = world.fakes.nomis_visits
    mapping = only(clean_estate.mapping.requests("POST", MAPPING_CREATE))
    assert mapping.body == {"nomisId": nomis_id, "vsipId": "12", "mappingType": "ONLINE"}
    assert success == {
        "visitId": "12",
        "offenderNo": "AB12345",
        "prisonId": "MDI",
        "startDateTime": "2019-12-02T09:00:00",
        "endTime": "10:00:00",
        "nomisId": str(nomis_id),
        "vsipId": "12",
        "mappingType": "ONLINE",
    }


@pytest.mark.scenario("visits-and-incentives", 2)
async def test_nomis_409_creates_mapping_to_existing_nomis_visit(
    clean_estate: Estate, world: VisitsWorld
) -> None:
    world.dps_visit("12")
    clean_estate.nomis.inject_fault(
        path_pattern=NOMIS_CREATE, method="POST", status=409, body=nomis_409("7655")
    )
    async with visits_service(clean_estate) as harness:
        await clean_estate.publish(world.event())
        [success] = await harness.wait_for_event("visit-create-success")
        await harness.wait_for_depth("visit", 0)
        assert await harness.depth("visit", dlq=True) == 0

    mapping = only(clean_estate.mapping.requests("POST", MAPPING_CREATE))
    assert mapping.body == {"nomisId": 7655, "vsipId": "12", "mappingType": "ONLINE"}
    assert success["nomisId"] == "7655"
    # the mapping was looked up before NOMIS and again after its 409
    assert len(clean_estate.mapping.requests("GET", "/mapping/visits/vsipId/12")) == 2


@pytest.mark.scenario("visits-and-incentives", 3)
async def test_nomis_409_with_mapping_created_meanwhile_is_ignored(
    clean_estate: Estate, world: VisitsWorld
) -> None:
    world.dps_visit("12")
    world.mapping("12", 7655)
    # the first lookup misses (a concurrent create had not saved it yet); the re-check after 409 finds it
    clean_estate.mapping.inject_fault(path_pattern="/mapping/visits/vsipId/12", method="GET", status=404)
    clean_estate.nomis.inject_fault(
        path_pattern=NOMIS_CREATE, method="POST", status=409, body=nomis_409(7655)
    )
    async with visits_service(clean_estate) as harness:
        await clean_estate.publish(world.event())
        [ignored] = await harness.wait_for_event("visit-create-ignored")
        await harness.wait_for_depth("visit", 0)
        assert await harness.depth("visit", dlq=True) == 0
        assert harness.events("visit-create-success") == []

    assert clean_estate.mapping.requests("POST", MAPPING_CREATE) == []
    assert ignored == {
        "visitId": "12",
        "offenderNo": "AB12345",
        "prisonId": "MDI",
        "startDateTime": "2019-12-02T09:00:00",
        "endTime": "10:00:00",
    }


@pytest.mark.scenario("visits-and-incentives", 5)
@pytest.mark.scenario("framework", 33)
async def test_mapping_409_reports_duplicate_without_retry(clean_estate: Estate, world: VisitsWorld) -> None:
    world.dps_visit("12")
    clean_estate.mapping.inject_fault(
        path_pattern=MAPPING_CREATE,
        method="POST",
        status=409,
        body={
            "status": 409,
            "userMessage": "Conflict: Visit mapping already exist",
            "moreInfo": {
                "existing": {"vsipId": "12", "nomisId": 12345, "mappingType": "ONLINE"},
                "duplicate": {"vsipId": "12", "nomisId": 54321, "mappingType": "ONLINE"},
            },
        },
    )
    async with visits_service(clean_estate) as harness:
        await clean_estate.publish(world.event())
        [duplicate] = await harness.wait_for_event("to-nomis-synch-visit-duplicate")
        await harness.wait_for_depth("visit", 0)
        assert await harness.depth("visit", dlq=True) == 0
        [failed] = harness.events("visit-mapping-create-failed")
        assert harness.events("visit-create-mapping-retry") == []
        assert harness.events("visit-create-success") == []

    assert len(clean_estate.mapping.requests("POST", MAPPING_CREATE)) == 1
    assert {k: duplicate[k] for k in duplicate if k.startswith(("existing", "duplicate"))} == {
        "existingVsipId": "12",
        "existingNomisId": "12345",
        "existingMappingType": "ONLINE",
        "duplicateVsipId": "12",
        "duplicateNomisId": "54321",
        "duplicateMappingType": "ONLINE",
    }
    assert failed["visitId"] == "12" and failed["offenderNo"] == "AB12345" and failed["reason"]


@pytest.mark.scenario("visits-and-incentives", 6)
async def test_cancelled_visit_cancels_nomis_visit(clean_estate: Estate, world: VisitsWorld) -> None:
    world.mapped_visit("12", 456, "AB12345", outcomeStatus="PRISONER_CANCELLED", visitStatus="CANCELLED")
    async with visits_service(clean_estate) as harness:
        await clean_estate.publish(world.event("prison-visit.cancelled"))
        [success] = await harness.wait_for_event("visit-cancelled-success")
        await harness.wait_for_depth("visit", 0)

    cancel = only(clean_estate.nomis.requests("PUT", "/prisoners/AB12345/visits/456/cancel"))
    assert cancel.body["outcome"] == "OFFCANC"
    assert world.fakes.nomis_visits[456]["status"] == "CANC"
    assert success == {"offenderNo": "AB12345", "visitId": "12", "nomisVisitId": "456"}


@pytest.mark.scenario("visits-and-incentives", 7)
async def test_changed_visit_updates_nomis_visit(clean_estate: Estate, world: VisitsWorld) -> None:
    world.mapped_visit(
        "12",
        456,
        "AB12345",
        visitRoom="Side Room",
        visitRestriction="CLOSED",
        startTimestamp="2021-03-05T09:00:00",
        endTimestamp="2021-03-05T10:00:00",
        visitors=[{"nomisPersonId": 99}, {"nomisPersonId": 88}],
    )
    async with visits_service(clean_estate) as harness:
        await clean_estate.publish(world.event("prison-visit.changed"))
        [success] = await harness.wait_for_event("visit-changed-success")
        await harness.wait_for_depth("visit", 0)

    update = only(clean_estate.nomis.requests("PUT", "/prisoners/AB12345/visits/456"))
    assert update.body == {
        "startDateTime": "2021-03-05T09:00:00",
        "endTime": "10:00:00",
        "visitorPersonIds": [99, 88],
        "room": "Side Room",
        "openClosedStatus": "CLOSED",
        "visitComment": "DPS booking reference: 12",
    }
    assert success == {"offenderNo": "AB12345", "visitId": "12", "nomisVisitId": "456"}


@pytest.mark.scenario("visits-and-incentives", 65)
async def test_invalid_visit_type_fails_and_is_retried(clean_estate: Estate, world: VisitsWorld) -> None:
    world.dps_visit("12", visitType="OFFICIAL")
    env = {"HMPPS_SQS_QUEUES_VISIT_DLQ_MAX_RECEIVE_COUNT": "2"}
    async with visits_service(clean_estate, env=env) as harness:
        await clean_estate.publish(world.event())
        await harness.wait_for_depth("visit", 1, dlq=True)
        await harness.wait_for_depth("visit", 0)
        failures = harness.events("visit-create-failed")

    assert len(failures) == 2  # first delivery and one retry, then the DLQ
    assert failures[0] == {
        "visitId": "12",
        "offenderNo": "AB12345",
        "prisonId": "MDI",
        "startDateTime": "2019-12-02T09:00:00",
        "endTime": "10:00:00",
        "reason": "Invalid visit type OFFICIAL",
    }
    assert clean_estate.nomis.requests("POST", NOMIS_CREATE) == []


@pytest.mark.scenario("visits-and-incentives", 66)
async def test_visitor_support_is_appended_to_visit_comment(clean_estate: Estate, world: VisitsWorld) -> None:
    world.dps_visit("12", visitorSupport={"description": "wheelchair"})
    async with visits_service(clean_estate) as harness:
        await clean_estate.publish(world.event())
        await harness.wait_for_event("visit-create-success")
        await clean_estate.publish(world.event("prison-visit.changed", prisoner_id="A32323Y"))
        await harness.wait_for_event("visit-changed-success")
        await harness.wait_for_depth("visit", 0)

    create = only(clean_estate.nomis.requests("POST", NOMIS_CREATE))
    assert create.body["visitComment"] == "DPS booking reference: 12 - wheelchair"
    assert create.body["visitOrderComment"] == "DPS booking reference: 12"
    [nomis_id] = world.fakes.nomis_visits
    update = only(clean_estate.nomis.requests("PUT", f"/prisoners/A32323Y/visits/{nomis_id}"))
    assert update.body["visitComment"] == "DPS booking reference: 12 - wheelchair"
    assert "visitOrderComment" not in update.body


@pytest.mark.scenario("visits-and-incentives", 67)
async def test_nomis_409_on_cancel_counts_as_success(clean_estate: Estate, world: VisitsWorld) -> None:
    world.mapped_visit("12", 456, "AB12345", outcomeStatus="VISITOR_CANCELLED")
    world.fakes.nomis_visits[456]["status"] = "CANC"  # the fake answers 409 to a second cancel
    async with visits_service(clean_estate) as harness:
        await clean_estate.publish(world.event("prison-visit.cancelled"))
        await harness.wait_for_event("visit-cancelled-success")
        await harness.wait_for_depth("visit", 0)
        assert await harness.depth("visit", dlq=True) == 0
        assert harness.events("visit-cancelled-failed") == []

    only(clean_estate.nomis.requests("PUT", "/prisoners/AB12345/visits/456/cancel"))


@pytest.mark.scenario("visits-and-incentives", 68)
@pytest.mark.parametrize(
    ("event_type", "failure"),
    [("prison-visit.cancelled", "visit-cancelled-failed"), ("prison-visit.changed", "visit-changed-failed")],
)
async def test_missing_mapping_fails_and_is_retried(
    clean_estate: Estate, world: VisitsWorld, event_type: str, failure: str
) -> None:
    world.dps_visit("12")
    env = {"HMPPS_SQS_QUEUES_VISIT_DLQ_MAX_RECEIVE_COUNT": "2"}
    async with visits_service(clean_estate, env=env) as harness:
        await clean_estate.publish(world.event(event_type))
        await harness.wait_for_depth("visit", 1, dlq=True)
        await harness.wait_for_depth("visit", 0)
        failures = harness.events(failure)

    assert failures == [{"offenderNo": "AB12345", "visitId": "12"}] * 2
    assert clean_estate.dps["visits"].requests("GET") == []
    assert [e for e in clean_estate.nomis.requests() if "/visits" in e.path] == []
