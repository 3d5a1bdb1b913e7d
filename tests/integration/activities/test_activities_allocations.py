"""Allocations: activities scenarios 32-40, and one allocation however many listeners take the event."""

from __future__ import annotations

from typing import Any

import pytest

from hmpps_sandbox.domains.activities import ActivitiesFakes
from hmpps_sandbox.estate import Estate
from hmpps_sandbox.harness import ServiceHarness, running_service, wait_until
from prisoner_to_nomis_update.app import Service
from prisoner_to_nomis_update.framework.telemetry import Telemetry

DLQ_AFTER_ONE = {"HMPPS_SQS_QUEUES_ACTIVITY_DLQ_MAX_RECEIVE_COUNT": "1"}


async def publish(estate: Estate, event_type: str, **info: Any) -> None:
    await estate.publish(
        {"eventType": event_type, "version": "1", "description": "test", "additionalInformation": info}
    )


def mapped(fakes: ActivitiesFakes) -> None:
    fakes.seed_mapped_schedule(100, 300, [(600, 900, "2023-02-23", "08:00", "11:00")], prison="MDI")


@pytest.mark.scenario("activities", 32)
@pytest.mark.scenario("activities", 35)
@pytest.mark.scenario("activities", 36)
@pytest.mark.scenario("activities", 37)
@pytest.mark.scenario("activities", 38)
@pytest.mark.scenario("activities", 39)
@pytest.mark.scenario("activities", 40)
async def test_allocation_events_upsert_nomis_allocations(
    clean_estate: Estate, fakes: ActivitiesFakes
) -> None:
    mapped(fakes)
    fakes.seed_allocation(400, 100, 500, "A1234AA", prisonPayBand={"id": 1, "nomisPayBand": 7}, startDate="2023-01-12",
        exclusions=[{"timeSlot": "AM", "daysOfWeek": ["MONDAY", "TUESDAY", "FRIDAY"]},
                    {"timeSlot": "PM", "daysOfWeek": ["FRIDAY"]}, {"timeSlot": "ED", "daysOfWeek": ["FRIDAY"]}])  # fmt: skip
    fakes.seed_allocation(401, 100, 501, "A1234AB", prisonPayBand=None)
    fakes.seed_allocation(402, 100, 502, "A1234AC", status="ENDED", endDate="2023-01-13", deallocatedBy="ANOTHER_USER",
        deallocatedTime="2023-01-13T18:49:04.837Z", deallocatedReason={"code": "RELEASED", "description": "Released from prison"})  # fmt: skip
    fakes.seed_allocation(403, 100, 503, "A1234AD", status="ENDED", deallocatedBy="ANOTHER_USER",
        deallocatedTime="2023-01-13T18:49:04", deallocatedReason={"code": "RELEASED", "description": "Released from prison"},
        plannedDeallocation={"id": 1, "plannedDate": "2023-01-13", "plannedBy": "Planned by user", "plannedAt": "2023-01-10T12:34:56",
                             "plannedReason": {"code": "PLANNED", "description": "Planned reason description"}})  # fmt: skip
    fakes.seed_allocation(404, 100, 504, "A1234AE", status="SUSPENDED", suspendedBy="SUSPEND_USER",
        suspendedTime="2023-01-13T18:49:04", suspendedReason="HOSPITAL")  # fmt: skip
    async with running_service(clean_estate, queues=["activity"]) as harness:
        await publish(clean_estate, "activities.prisoner.allocated", allocationId=400, scheduleId=100)
        for allocation_id in (401, 402, 403, 404):
            await publish(
                clean_estate,
                "activities.prisoner.allocation-amended",
                allocationId=allocation_id,
                scheduleId="100",
            )
        await harness.wait_for_event("activity-allocation-success", 5)
    bodies = {
        r.body["bookingId"]: r.body for r in clean_estate.nomis.requests("PUT", "/activities/300/allocation")
    }
    assert bodies[500] == {
        "bookingId": 500, "payBandCode": "7", "startDate": "2023-01-12", "endDate": None, "endReason": None,
        "endComment": None, "suspended": False, "suspendedComment": None, "programStatusCode": "ALLOC",
        "exclusions": [{"day": "MON", "slot": "AM"}, {"day": "TUE", "slot": "AM"}, {"day": "FRI", "slot": None}],
    }  # fmt: skip
    assert bodies[501]["payBandCode"] is None
    assert (bodies[502]["endDate"], bodies[502]["endReason"], bodies[502]["programStatusCode"]) == (
        "2023-01-13",
        "OTH",
        "END",
    )
    assert (
        bodies[502]["endComment"]
        == "Deallocated in DPS by ANOTHER_USER at 2023-01-13 18:49:04 for reason Released from prison"
    )
    assert bodies[502]["suspended"] is False
    assert bodies[503]["endComment"] == (
        "Deallocated in DPS by Planned by user at 2023-01-10 12:34:56 for reason Planned reason description"
    )
    assert bodies[504]["suspended"] is True and bodies[504]["programStatusCode"] == "ALLOC"
    assert (
        bodies[504]["suspendedComment"]
        == "SUSPENDED in DPS by SUSPEND_USER at 2023-01-13 18:49:04 for reason HOSPITAL"
    )
    success = next(e for e in harness.events("activity-allocation-success") if e["dpsAllocationId"] == "400")
    assert success == {"dpsAllocationId": "400", "offenderNo": "A1234AA", "bookingId": "500", "dpsActivityScheduleId": "100",
                       "nomisCourseActivityId": "300", "nomisAllocationId": "5000", "prisonId": "MDI"}  # fmt: skip


@pytest.mark.scenario("activities", 33)
async def test_allocation_failure_is_reported_and_retried(
    clean_estate: Estate, fakes: ActivitiesFakes
) -> None:
    mapped(fakes)
    fakes.seed_allocation(400, 100, 500, "A1234AA")
    clean_estate.nomis.inject_fault(path_pattern="/activities/300/allocation", status=500, count=None, body={"status": 500, "userMessage": "test"})  # fmt: skip
    async with running_service(clean_estate, queues=["activity"], env=DLQ_AFTER_ONE) as harness:
        await publish(clean_estate, "activities.prisoner.allocated", allocationId=400, scheduleId=100)
        await harness.wait_for_depth("activity", 1, dlq=True)
    [failed] = harness.events("activity-allocation-failed")
    assert failed == {"dpsAllocationId": "400", "offenderNo": "A1234AA", "bookingId": "500", "dpsActivityScheduleId": "100",
                      "nomisCourseActivityId": "300"}  # fmt: skip


async def test_same_allocation_event_taken_by_two_services_at_once_makes_one_allocation(
    clean_estate: Estate, fakes: ActivitiesFakes
) -> None:
    """Two pods on one queue each take a copy of the same `prisoner.allocated` event at the same moment.

    NOMIS's upsert is made racy (a gap between its read and its insert), so both copies would insert;
    the creators' check (NOMIS now counts two active allocations for the booking, DPS one) sends the
    last to finish through the course, which removes the extra row: exactly one allocation remains.
    (When one pod happens to finish before the other reads, the second simply updates the first's row.)
    """
    mapped(fakes)
    fakes.seed_allocation(400, 100, 500, "A1234AA")
    fakes.allocation_race_seconds = 0.3
    first = ServiceHarness(clean_estate, queues=["activity"])
    second = ServiceHarness(clean_estate, queues=["activity"])
    # the second pod: same queues and settings as the first, its own telemetry
    second.prefix, second.env, second.settings = first.prefix, first.env, first.settings
    second.service = Service(first.settings, Telemetry([second.recorder]), shutdown_grace_seconds=5.0)
    await first.start(http=False)
    await second.start(http=False)
    try:
        for _ in range(2):
            await publish(clean_estate, "activities.prisoner.allocated", allocationId=400, scheduleId=100)
        await first.wait_for_depth("activity", 0)
        events = first.events("activity-allocation-success") + second.events("activity-allocation-success")
        assert len(events) == 2
    finally:
        await second.stop()
        await first.stop()
    upserts = clean_estate.nomis.requests("PUT", "/activities/300/allocation")
    assert len(upserts) == 2
    assert [a["bookingId"] for a in fakes.nomis_allocations.values()] == [500]
    assert {e["nomisAllocationId"] for e in events} == set(map(str, fakes.nomis_allocations))


async def test_a_row_another_pod_inserted_meanwhile_is_found_by_the_counts_and_the_newer_removed(
    clean_estate: Estate, fakes: ActivitiesFakes
) -> None:
    """The cross-pod race made deterministic: while NOMIS is between reading and inserting for our
    upsert, another pod's row for the same booking lands. Both are active; NOMIS counts two for the
    booking, DPS one, so our pod looks through the course, keeps the older row and deletes its own."""
    mapped(fakes)
    fakes.seed_allocation(400, 100, 500, "A1234AA")
    fakes.allocation_race_seconds = 1.0
    async with running_service(clean_estate, queues=["activity"]) as harness:
        await publish(clean_estate, "activities.prisoner.allocated", allocationId=400, scheduleId=100)
        await wait_until(
            lambda: bool(clean_estate.nomis.requests("PUT", "/activities/300/allocation")), 10, "upsert"
        )
        other_pods = fakes.seed_nomis_allocation(300, 500)
        [removed] = await harness.wait_for_event("activity-allocation-duplicate-removed")
        [success] = await harness.wait_for_event("activity-allocation-success")
    assert list(fakes.nomis_allocations) == [other_pods]
    assert removed["keptNomisAllocationId"] == str(other_pods) != removed["nomisAllocationId"]
    assert success["nomisAllocationId"] == str(other_pods)
    assert [e.path for e in clean_estate.nomis.requests("DELETE")] == [
        f"/allocations/{removed['nomisAllocationId']}"
    ]


async def test_a_created_allocation_costs_the_same_nomis_calls_whatever_the_course_size(
    clean_estate: Estate, fakes: ActivitiesFakes
) -> None:
    """Issue 14 part 5: the cross-pod duplicate check no longer lists and reads the whole course.

    A create costs the upsert and one reconciliation count (plus the DPS count); an update only the
    upsert. The course already holds 150 allocations of other prisoners.
    """
    mapped(fakes)
    for booking in range(1000, 1150):
        fakes.seed_allocation(booking, 100, booking, "A1234AA")
        fakes.seed_nomis_allocation(300, booking)
    fakes.seed_allocation(400, 100, 500, "A1234AA")
    async with running_service(clean_estate, queues=["activity"]) as harness:
        await publish(clean_estate, "activities.prisoner.allocated", allocationId=400, scheduleId=100)
        await harness.wait_for_event("activity-allocation-success")
        created = [(e.method, e.path) for e in clean_estate.nomis.journal]
        clean_estate.nomis.journal.clear()
        await publish(
            clean_estate, "activities.prisoner.allocation-amended", allocationId=400, scheduleId=100
        )
        await harness.wait_for_event("activity-allocation-success", 2)
    assert sorted(created) == [
        ("GET", "/allocations/reconciliation/MDI"),
        ("PUT", "/activities/300/allocation"),
    ]
    assert [(e.method, e.path) for e in clean_estate.nomis.journal] == [("PUT", "/activities/300/allocation")]
    assert [r.path for r in clean_estate.dps["activities"].requests("GET", r"/synchronisation/.*")] == [
        "/synchronisation/reconciliation/allocations/MDI"
    ]
    assert harness.events("activity-allocation-duplicate-removed") == []


async def test_more_nomis_allocations_than_dps_for_the_booking_looks_through_the_course(
    clean_estate: Estate, fakes: ActivitiesFakes
) -> None:
    """NOMIS holds one more active allocation for the booking than DPS (on another course, which DPS
    has just ended): the creator looks through its course for a second row, finds none, deletes none."""
    mapped(fakes)
    fakes.seed_course_activity("MDI", 301)
    fakes.seed_nomis_allocation(301, 500)  # ended in DPS, not yet in NOMIS
    fakes.seed_allocation(400, 100, 500, "A1234AA")
    async with running_service(clean_estate, queues=["activity"]) as harness:
        await publish(clean_estate, "activities.prisoner.allocated", allocationId=400, scheduleId=100)
        [success] = await harness.wait_for_event("activity-allocation-success")
    assert len(clean_estate.nomis.requests("GET", "/allocations/ids")) == 1
    assert clean_estate.nomis.requests("DELETE") == []
    assert sorted(a["courseActivityId"] for a in fakes.nomis_allocations.values()) == [300, 301]
    assert success["nomisAllocationId"] != ""
