"""Allocation, suspended-allocation and attendance reconciliations and the batch jobs: scenarios 72-97."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest

from hmpps_sandbox.domains.activities import ActivitiesFakes
from hmpps_sandbox.estate import Estate
from hmpps_sandbox.harness import ServiceHarness, running_service
from prisoner_to_nomis_update.framework.messages import notification_body

ROLE = "ROLE_PRISONER_TO_NOMIS__UPDATE__RW"
DAY = "2024-03-01"


def allocations(
    fakes: ActivitiesFakes, prison: str, nomis: dict[int, int], dps: dict[int, int], suspended: bool = False
) -> None:
    """Seed per-booking allocation counts on each side for one prison."""
    course = fakes.seed_course_activity(prison)
    schedule_id = 1000 + len(fakes.schedules)
    fakes.seed_schedule(schedule_id, prison=prison)
    for booking, count in nomis.items():
        for _ in range(count):
            fakes.seed_nomis_allocation(course, booking, suspended=suspended)
    for booking, count in dps.items():
        for _ in range(count):
            fakes.seed_allocation(
                len(fakes.allocations) + 1,
                schedule_id,
                booking,
                status="SUSPENDED" if suspended else "ACTIVE",
            )


def attendances(fakes: ActivitiesFakes, prison: str, nomis: dict[int, int], dps: dict[int, int]) -> None:
    schedule_id = 2000 + len(fakes.schedules)
    fakes.seed_schedule(schedule_id, prison=prison)
    fakes.schedules[schedule_id]["instances"] = [{"id": schedule_id, "date": DAY, "startTime": "10:00", "endTime": "11:00", "cancelled": False}]  # fmt: skip
    for booking, count in nomis.items():
        for _ in range(count):
            fakes.seed_nomis_attendance(schedule_id, booking, DAY, paid=True, prison=prison)
    for booking, count in dps.items():
        for _ in range(count):
            fakes.seed_attendance(len(fakes.attendances) + 1, schedule_id, booking, issuePayment=True)


MIXED_NOMIS = {11: 1, 12: 1, 14: 1, 15: 2, 16: 1, 17: 1, 19: 1}
MIXED_DPS = {19: 3, 18: 1, 16: 1, 15: 1, 14: 1, 13: 1, 11: 1}
MIXED_FAILURES = [(12, "NOMIS_only"), (13, "DPS_only"), (15, "different_count"), (17, "NOMIS_only"), (18, "DPS_only"), (19, "different_count")]  # fmt: skip


def people(fakes: ActivitiesFakes, prison: str, bookings: range, elsewhere: tuple[int, ...] = ()) -> None:
    for booking in bookings:
        fakes.seed_prisoner(booking, f"A{booking:04d}AA", "OUT" if booking in elsewhere else prison)


async def batch(estate: Estate, job: str, env: dict[str, str] | None = None) -> ServiceHarness:
    harness = ServiceHarness(estate, queues=["activity"], env=env)
    await harness.start(listen=False, http=False)
    try:
        await harness.service.batch_job(job)()
    finally:
        await harness.stop()
    return harness


@pytest.mark.scenario("activities", 72)
@pytest.mark.scenario("activities", 73)
@pytest.mark.scenario("activities", 74)
@pytest.mark.scenario("activities", 75)
@pytest.mark.scenario("activities", 76)
@pytest.mark.scenario("activities", 77)
@pytest.mark.scenario("activities", 78)
@pytest.mark.scenario("activities", 79)
@pytest.mark.scenario("activities", 86)
@pytest.mark.scenario("activities", 87)
@pytest.mark.scenario("activities", 88)
@pytest.mark.scenario("activities", 89)
@pytest.mark.scenario("activities", 91)
@pytest.mark.scenario("activities", 92)
@pytest.mark.scenario("activities", 97)
async def test_allocation_reconciliation(clean_estate: Estate, fakes: ActivitiesFakes) -> None:
    fakes.activity_prisons.extend(["BXI", "MDI", "LEI", "WWI"])
    allocations(fakes, "BXI", {1: 1, 2: 2}, {2: 2, 1: 1})
    allocations(fakes, "MDI", MIXED_NOMIS, MIXED_DPS)
    people(fakes, "MDI", range(11, 20), elsewhere=(17, 19))
    allocations(fakes, "WWI", {30: 1}, {30: 2})
    clean_estate.nomis.inject_fault(path_pattern="/allocations/reconciliation/LEI", status=500)
    clean_estate.dps["activities"].inject_fault(
        path_pattern="/synchronisation/reconciliation/allocations/WWI", status=400
    )
    harness = await batch(clean_estate, "ALLOCATION_RECON")
    assert harness.events("activity-allocation-reconciliation-report-requested") == [
        {"prisons": "[BXI, MDI, LEI, WWI]"}
    ]
    assert harness.events("activity-allocation-reconciliation-report-success") == [{"prison": "BXI"}]
    failed = harness.events("activity-allocation-reconciliation-report-failed")
    assert [(int(e["bookingId"]), e["type"]) for e in failed] == MIXED_FAILURES
    assert failed[3] == {
        "prison": "MDI",
        "type": "NOMIS_only",
        "bookingId": "17",
        "offenderNo": "A0017AA",
        "location": "OUT",
    }
    assert failed[5]["location"] == "OUT"
    assert harness.events("activity-allocation-reconciliation-report-error") == [
        {"prison": "LEI"},
        {"prison": "WWI"},
    ]
    [details] = clean_estate.nomis.requests("POST", "/prisoners/bookings")
    assert details.body == [12, 17, 13, 18, 15, 19]
    assert clean_estate.nomis.requests("GET", "/allocations/reconciliation/BXI")[0].query == {}
    assert clean_estate.dps["activities"].requests("GET", "/synchronisation/reconciliation/allocations/BXI")


@pytest.mark.scenario("activities", 90)
@pytest.mark.scenario("activities", 96)
async def test_prison_list_failure_fails_the_job(clean_estate: Estate, fakes: ActivitiesFakes) -> None:
    clean_estate.nomis.inject_fault(path_pattern="/agency-switches/ACTIVITY", status=404, count=2)
    with pytest.raises(Exception, match="404"):
        await batch(clean_estate, "ALLOCATION_RECON")
    harness = ServiceHarness(clean_estate, queues=["activity"], env={"RECON_DATE": DAY})
    await harness.start(listen=False, http=False)
    try:
        with pytest.raises(Exception, match="404"):
            await harness.service.batch_job("ATTENDANCE_RECON")()
    finally:
        await harness.stop()
    assert harness.events("activity-attendance-reconciliation-report-error") == [{"date": DAY}]


@pytest.mark.scenario("activities", 93)
@pytest.mark.scenario("activities", 94)
@pytest.mark.scenario("activities", 95)
@pytest.mark.scenario("activities", 97)
async def test_suspended_allocation_reconciliation(clean_estate: Estate, fakes: ActivitiesFakes) -> None:
    fakes.activity_prisons.extend(["BXI", "MDI", "LEI"])
    allocations(fakes, "BXI", {1: 1}, {1: 2}, suspended=True)
    people(fakes, "BXI", range(1, 2), elsewhere=(1,))
    allocations(fakes, "MDI", {5: 1}, {5: 1, 6: 1}, suspended=True)
    allocations(fakes, "LEI", {}, {}, suspended=True)
    clean_estate.dps["activities"].inject_fault(
        path_pattern="/synchronisation/reconciliation/suspended-allocations/LEI", status=400
    )
    harness = await batch(clean_estate, "SUSPENDED_ALLOCATION_RECON")
    prefix = "activity-suspended-allocation-reconciliation-report"
    assert harness.events(f"{prefix}-requested") == [{"prisons": "[BXI, MDI, LEI]"}]
    assert harness.events(f"{prefix}-success") == [{"prison": "BXI"}]
    assert harness.events(f"{prefix}-failed") == [
        {
            "prison": "MDI",
            "type": "DPS_only",
            "bookingId": "6",
            "offenderNo": "Details not found in NOMIS",
            "location": "MDI",
        }
    ]
    assert harness.events(f"{prefix}-error") == [{"prison": "LEI"}]
    assert clean_estate.nomis.requests("GET", "/allocations/reconciliation/BXI")[0].query == {
        "suspended": "true"
    }


@pytest.mark.scenario("activities", 80)
@pytest.mark.scenario("activities", 81)
@pytest.mark.scenario("activities", 82)
@pytest.mark.scenario("activities", 83)
@pytest.mark.scenario("activities", 84)
@pytest.mark.scenario("activities", 85)
@pytest.mark.scenario("activities", 96)
async def test_attendance_reconciliation_from_the_endpoint(
    clean_estate: Estate, fakes: ActivitiesFakes
) -> None:
    fakes.activity_prisons.extend(["BXI", "MDI", "LEI", "WWI", "RSI"])
    attendances(fakes, "BXI", {1: 1}, {1: 1})
    attendances(fakes, "MDI", MIXED_NOMIS, MIXED_DPS)
    people(fakes, "MDI", range(11, 20))
    attendances(fakes, "LEI", {40: 1, 41: 1}, {})
    people(fakes, "LEI", range(40, 42), elsewhere=(40,))
    attendances(fakes, "WWI", {50: 1}, {50: 2})
    people(fakes, "WWI", range(50, 51), elsewhere=(50,))
    clean_estate.nomis.inject_fault(path_pattern="/attendances/reconciliation/RSI", status=502)
    prefix = "activity-attendance-reconciliation-report"
    async with running_service(clean_estate, queues=[]) as harness:
        assert (await harness.request("PUT", "/activities/reports/reconciliation/attendances?date=" + DAY))[
            0
        ] == 401
        status, _, _ = await harness.request(
            "PUT", f"/activities/reports/reconciliation/attendances?date={DAY}", roles=[ROLE]
        )
        assert status == 202
        await harness.wait_for_event(f"{prefix}-error")
    assert harness.events(f"{prefix}-requested") == [{"prisons": "[BXI, MDI, LEI, WWI, RSI]", "date": DAY}]
    assert harness.events(f"{prefix}-success") == [
        {"prison": "BXI", "date": DAY},
        {"prison": "WWI", "date": DAY},
    ]
    failed = harness.events(f"{prefix}-failed")
    assert [(e["prison"], int(e["bookingId"]), e["type"]) for e in failed] == [
        *(("MDI", b, t) for b, t in MIXED_FAILURES),
        ("LEI", 41, "NOMIS_only"),
    ]
    assert failed[0] == {
        "prison": "MDI",
        "date": DAY,
        "type": "NOMIS_only",
        "bookingId": "12",
        "offenderNo": "A0012AA",
        "location": "MDI",
    }
    assert harness.events(f"{prefix}-error") == [{"prison": "RSI", "date": DAY}]
    assert clean_estate.nomis.requests("GET", "/attendances/reconciliation/BXI")[0].query == {"date": DAY}
    assert clean_estate.dps["activities"].requests("GET", "/synchronisation/reconciliation/attendances/BXI")[
        0
    ].query == {"date": DAY}


@pytest.mark.scenario("activities", 97)
async def test_attendance_recon_and_dlq_purge_from_the_command_line(
    clean_estate: Estate, fakes: ActivitiesFakes
) -> None:
    """`prisoner-to-nomis-update batch ATTENDANCE_RECON --date ...` as cron runs it, then PURGE_ACTIVITY_DLQ."""
    fakes.activity_prisons.append("BXI")
    attendances(fakes, "BXI", {1: 1}, {1: 1})
    harness = ServiceHarness(clean_estate, queues=["activity"])
    await harness.start(listen=False, http=False)
    try:
        await harness.send_raw("activity", notification_body({"eventType": "x"}), "x", dlq=True)
        env = {**os.environ, **harness.env, "LOG_LEVEL": "INFO"}

        async def run(*args: str) -> tuple[int, str]:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "prisoner_to_nomis_update", "batch", *args, env=env,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip
            output, _ = await process.communicate()
            return process.returncode or 0, output.decode()

        code, output = await run("ATTENDANCE_RECON", "--date", DAY)
        assert code == 0, output
        assert "activity-attendance-reconciliation-report-success" in output and DAY in output
        await harness.service.batch_job("PURGE_ACTIVITY_DLQ")()
        assert await harness.depth("activity", dlq=True) == 0
        assert harness.events("PurgeQueue")[0]["queue-name"].endswith("activity_dlq")
    finally:
        await harness.stop()
    assert clean_estate.nomis.requests("GET", "/attendances/reconciliation/BXI")[0].query == {"date": DAY}
