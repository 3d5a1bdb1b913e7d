"""Attendances: activities scenarios 41-60."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from hmpps_sandbox.domains.activities import ActivitiesFakes
from hmpps_sandbox.estate import Estate
from hmpps_sandbox.harness import running_service

DLQ_AFTER_ONE = {"HMPPS_SQS_QUEUES_ACTIVITY_DLQ_MAX_RECEIVE_COUNT": "1"}
TODAY = date.today()
TOMORROW = (TODAY + timedelta(days=1)).isoformat()
YESTERDAY = (TODAY - timedelta(days=1)).isoformat()
KEYS_TO_COURSE_SCHEDULE = {
    "dpsAttendanceId", "dpsActivityScheduleId", "dpsScheduleInstanceId", "sessionDate", "sessionStartTime",
    "sessionEndTime", "offenderNo", "bookingId", "nomisCourseActivityId", "nomisCourseScheduleId",
}  # fmt: skip


async def publish(estate: Estate, event_type: str, **info: Any) -> None:
    await estate.publish(
        {"eventType": event_type, "version": "1", "description": "test", "additionalInformation": info}
    )


def mapped(fakes: ActivitiesFakes) -> None:
    fakes.seed_mapped_schedule(
        100,
        300,
        [
            (600, 900, TOMORROW, "10:00", "11:00"),
            (601, 901, YESTERDAY, "10:00", "11:00"),
            (602, 902, TOMORROW, "14:00", "15:00"),
            (603, 903, TODAY.isoformat(), "10:00", "11:00"),
            (604, 904, TOMORROW, "16:00", "17:00"),
        ],
    )


def nomis_error(code: int) -> dict[str, Any]:
    return {"status": 400, "errorCode": code, "userMessage": "refused", "developerMessage": "refused"}


@pytest.mark.scenario("activities", 46)
@pytest.mark.scenario("activities", 47)
@pytest.mark.scenario("activities", 50)
@pytest.mark.scenario("activities", 51)
@pytest.mark.scenario("activities", 52)
@pytest.mark.scenario("activities", 54)
@pytest.mark.scenario("activities", 55)
@pytest.mark.scenario("activities", 57)
@pytest.mark.scenario("activities", 60)
async def test_attendance_events_reach_nomis(clean_estate: Estate, fakes: ActivitiesFakes) -> None:
    mapped(fakes)
    nomis = clean_estate.nomis
    nomis.inject_fault(
        path_pattern="/schedules/903/booking/500/attendance", method="PUT", status=400, body=nomis_error(1001)
    )
    nomis.inject_fault(
        path_pattern="/schedules/904/booking/500/attendance", method="PUT", status=400, body=nomis_error(1002)
    )
    async with running_service(clean_estate, queues=["activity"]) as harness:
        await fakes.attendance(700, 600, 500, prisoner="A1234AA")
        [created] = await harness.wait_for_event("activity-attendance-create-success")
        await fakes.attendance(700, 600, 500, "activities.prisoner.attendance-amended", prisoner="A1234AA",
                               status="COMPLETED", attendanceReasonCode="ATTENDED", comment="Attended",
                               issuePayment=True, bonusAmount=100)  # fmt: skip
        [amended] = await harness.wait_for_event("activity-attendance-update-success")
        await fakes.attendance(701, 601, 500, "activities.prisoner.attendance-expired")
        await fakes.attendance(702, 603, 500, "activities.prisoner.attendance-amended")
        await fakes.attendance(703, 604, 500, "activities.prisoner.attendance-amended")
        await harness.wait_for_event("activity-attendance-update-success", 2)
        await harness.wait_for_event("activity-attendance-update-ignored", 2)
        await fakes.attendance_deleted(600, 500)
        await fakes.attendance_deleted(602, 888)
        [deleted] = await harness.wait_for_event("activity-attendance-delete-success")
        [not_there] = await harness.wait_for_event("activity-attendance-delete-ignored")
        await harness.wait_for_depth("activity", 0)
        assert await harness.depth("activity", dlq=True) == 0

    upserts = nomis.requests("PUT", "/schedules/900/booking/500/attendance")
    assert upserts[0].body == {"scheduleDate": TOMORROW, "startTime": "10:00", "endTime": "11:00", "eventStatusCode": "SCH",
                               "eventOutcomeCode": None, "comments": None, "unexcusedAbsence": False,
                               "authorisedAbsence": False, "paid": False, "bonusPay": None}  # fmt: skip
    assert set(created) == KEYS_TO_COURSE_SCHEDULE | {"nomisAttendanceEventId", "created", "prisonId"}
    assert (created["created"], created["prisonId"]) == ("true", "MDI")
    assert upserts[1].body == {"scheduleDate": TOMORROW, "startTime": "10:00", "endTime": "11:00", "eventStatusCode": "COMP",
                               "eventOutcomeCode": "ATT", "comments": "Attended", "unexcusedAbsence": False,
                               "authorisedAbsence": False, "paid": True, "bonusPay": 100.0}  # fmt: skip
    assert amended["created"] == "false"
    [expired] = nomis.requests("PUT", "/schedules/901/booking/500/attendance")
    assert expired.body["eventStatusCode"] == "EXP" and expired.body["scheduleDate"] == YESTERDAY
    ignored = {
        e["dpsAttendanceId"]: e["reason"] for e in harness.events("activity-attendance-update-ignored")
    }
    assert ignored == {
        "702": f"Attendance update ignored as already paid session on {TODAY.isoformat()} at 10:00",
        "703": "Attendance update ignored as the prisoner is deallocated and has moved from the prison",
    }
    assert nomis.requests("DELETE", "/schedules/900/booking/500/attendance")
    assert deleted == {"dpsScheduledInstanceId": "600", "bookingId": "500", "nomisCourseScheduleId": "900"}
    assert not_there == {"dpsScheduledInstanceId": "602", "bookingId": "888", "nomisCourseScheduleId": "902"}


@pytest.mark.scenario("activities", 41)
@pytest.mark.scenario("activities", 42)
@pytest.mark.scenario("activities", 43)
@pytest.mark.scenario("activities", 44)
@pytest.mark.scenario("activities", 45)
@pytest.mark.scenario("activities", 53)
@pytest.mark.scenario("activities", 56)
@pytest.mark.scenario("activities", 58)
@pytest.mark.scenario("activities", 59)
async def test_attendance_failures_reach_the_dlq(clean_estate: Estate, fakes: ActivitiesFakes) -> None:
    mapped(fakes)
    fakes.seed_schedule(102)
    fakes.schedules[102]["instances"] = [{"id": 620, "date": TOMORROW, "startTime": "10:00", "endTime": "11:00", "cancelled": False}]  # fmt: skip
    dps, nomis, mapping = clean_estate.dps["activities"], clean_estate.nomis, clean_estate.mapping
    dps.inject_fault(path_pattern="/synchronisation/attendance/710", status=503, count=None)
    mapping.inject_fault(path_pattern="/mapping/activities/activity-schedule-id/102", status=403, count=None)
    nomis.inject_fault(
        path_pattern="/schedules/902/booking/500/attendance", method="PUT", status=400, count=None
    )
    nomis.inject_fault(path_pattern="/schedules/901/booking/500/attendance", method="PUT", status=400, count=None, body=nomis_error(1001))  # fmt: skip
    nomis.inject_fault(
        path_pattern="/schedules/903/booking/777/attendance", method="DELETE", status=500, count=None
    )
    for attendance_id, instance_id, fields in (
        (710, 600, {}), (711, 620, {}), (712, 602, {}), (713, 600, {"status": "INVALID"}),
        (714, 600, {"status": "COMPLETED", "attendanceReasonCode": "INVALID"}), (715, 601, {"status": "COMPLETED"}),
    ):  # fmt: skip
        fakes.seed_attendance(attendance_id, instance_id, 500, **fields)
    async with running_service(clean_estate, queues=["activity"], env=DLQ_AFTER_ONE) as harness:
        for attendance_id in range(710, 716):
            await publish(clean_estate, "activities.prisoner.attendance-amended", attendanceId=attendance_id)
        await fakes.attendance_deleted(999, 500)
        await fakes.attendance_deleted(603, 777)
        await harness.wait_for_depth("activity", 8, dlq=True)
    failed = {e["dpsAttendanceId"]: e for e in harness.events("activity-attendance-update-failed")}
    assert failed["710"] == {"dpsAttendanceId": "710"}
    assert set(failed["711"]) == KEYS_TO_COURSE_SCHEDULE - {"nomisCourseActivityId", "nomisCourseScheduleId"}
    assert failed["712"]["nomisCourseActivityId"] == "300"
    assert set(failed["713"]) == set(failed["714"]) == KEYS_TO_COURSE_SCHEDULE
    assert failed["715"]["sessionDate"] == YESTERDAY and "reason" not in failed["715"]
    upserted = {r.path for r in nomis.requests("PUT")}
    assert upserted == {"/schedules/902/booking/500/attendance", "/schedules/901/booking/500/attendance"}
    delete_failures = sorted(
        harness.events("activity-attendance-delete-failed"), key=lambda e: e["dpsScheduledInstanceId"]
    )
    assert delete_failures == [
        {"dpsScheduledInstanceId": "603", "bookingId": "777", "nomisCourseScheduleId": "903"},
        {"dpsScheduledInstanceId": "999", "bookingId": "500"},
    ]
    assert [r.path for r in nomis.requests("DELETE")] == ["/schedules/903/booking/777/attendance"]
