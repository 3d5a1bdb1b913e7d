"""Activity schedules and scheduled instances: activities scenarios 1-31."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

import orjson
import pytest

from hmpps_sandbox.domains.activities import ActivitiesFakes
from hmpps_sandbox.estate import Estate
from hmpps_sandbox.harness import ServiceHarness, running_service
from prisoner_to_nomis_update.framework.messages import notification_body

DLQ_AFTER_ONE = {"HMPPS_SQS_QUEUES_ACTIVITY_DLQ_MAX_RECEIVE_COUNT": "1"}
TOMORROW = date.today() + timedelta(days=1)
DAY_AFTER = TOMORROW + timedelta(days=1)
YESTERDAY = date.today() - timedelta(days=1)


def spec_schedule(fakes: ActivitiesFakes, **changes: Any) -> None:
    """Schedule 100 / activity 200 at PVI as activities.md scenario 5 describes it."""
    fakes.location_mappings["b7602cc8-e769-4cbb-8194-62d8e655992a"] = 5432
    slot = {"mondayFlag": True, "tuesdayFlag": True, "wednesdayFlag": False, "thursdayFlag": False,
            "fridayFlag": False, "saturdayFlag": False, "sundayFlag": False}  # fmt: skip
    fakes.seed_schedule(
        100,
        activity_id=200,
        prison="PVI",
        schedule={
            "description": "Monday AM Houseblock 3",
            "capacity": 10,
            "internalLocation": {"id": 98877667, "code": "EDU-ROOM-1", "dpsLocationId": "b7602cc8-e769-4cbb-8194-62d8e655992a"},
            "activity": {"id": 200, "prisonCode": "PVI", "payPerSession": "F", "summary": "Maths level 1"},
            "instances": [
                {"id": 600, "date": TOMORROW.isoformat(), "startTime": "09:00", "endTime": "10:00", "cancelled": False},
                {"id": 601, "date": DAY_AFTER.isoformat(), "startTime": "14:00", "endTime": "16:30", "cancelled": False},
            ],
            "slots": [
                {"startTime": "09:00", "endTime": "12:00", **slot},
                {"startTime": "13:00", "endTime": "16:30", **{**slot, "mondayFlag": False, "fridayFlag": True}},
            ],
            "startDate": "2023-01-20",
            "endDate": "2023-01-23",
            "runsOnBankHoliday": True,
            **changes,
        },
        activity={
            "summary": "Maths level 1",
            "outsideWork": True,
            "startDate": "2023-01-12",
            "endDate": "2023-01-13",
            "category": {"id": 1, "code": "LEISURE_SOCIAL", "name": "Leisure and social"},
        },
    )  # fmt: skip


async def publish(estate: Estate, event_type: str, **info: Any) -> None:
    await estate.publish(
        {"eventType": event_type, "version": "1", "description": "test", "additionalInformation": info}
    )


async def drained(harness: ServiceHarness) -> None:
    await harness.wait_for_depth("activity", 0)


@pytest.mark.scenario("activities", 1)
@pytest.mark.scenario("activities", 5)
@pytest.mark.scenario("activities", 11)
async def test_schedule_created_becomes_a_nomis_course_activity(
    clean_estate: Estate, fakes: ActivitiesFakes
) -> None:
    spec_schedule(fakes)
    async with running_service(clean_estate, queues=["activity"]) as harness:
        await publish(clean_estate, "activities.activity-schedule.created", activityScheduleId="100")
        [success] = await harness.wait_for_event("activity-create-success")

    [create] = clean_estate.nomis.requests("POST", "/activities")
    assert create.body == {
        "code": "100",
        "startDate": "2023-01-12",
        "endDate": "2023-01-13",
        "prisonId": "PVI",
        "internalLocationId": 5432,
        "capacity": 10,
        "payRates": [{"incentiveLevel": "BAS", "payBand": "1", "rate": 1.5, "startDate": None}],
        "description": "Maths level 1",
        "programCode": "LEISURE_SOCIAL",
        "payPerSession": "F",
        "schedules": [
            {"id": None, "date": TOMORROW.isoformat(), "startTime": "09:00", "endTime": "10:00", "cancelled": False},
            {"id": None, "date": DAY_AFTER.isoformat(), "startTime": "14:00", "endTime": "16:30", "cancelled": False},
        ],
        "scheduleRules": [
            {"startTime": "09:00", "endTime": "12:00", "monday": True, "tuesday": True, "wednesday": False,
             "thursday": False, "friday": False, "saturday": False, "sunday": False},
            {"startTime": "13:00", "endTime": "16:30", "monday": False, "tuesday": True, "wednesday": False,
             "thursday": False, "friday": True, "saturday": False, "sunday": False},
        ],
        "excludeBankHolidays": False,
        "outsideWork": True,
    }  # fmt: skip
    assert "minimumIncentiveLevelCode" not in create.body
    assert clean_estate.mapping.requests("GET", "/mapping/locations/dps/b7602cc8-e769-4cbb-8194-62d8e655992a")
    [mapping] = clean_estate.mapping.requests("POST", "/mapping/activities")
    assert mapping.body == {
        "nomisCourseActivityId": 300,
        "activityScheduleId": 100,
        "activityId": 200,
        "mappingType": "ACTIVITY_CREATED",
        "scheduledInstanceMappings": [
            {"scheduledInstanceId": 600, "nomisCourseScheduleId": 900, "mappingType": "ACTIVITY_CREATED"},
            {"scheduledInstanceId": 601, "nomisCourseScheduleId": 901, "mappingType": "ACTIVITY_CREATED"},
        ],
    }
    [dps_schedule] = clean_estate.dps["activities"].requests("GET", "/schedules/100")
    assert dps_schedule.query == {"earliestSessionDate": date.today().isoformat()}
    assert success["nomisCourseActivityId"] == "300"
    assert success["dpsActivityScheduleId"] == "100"
    assert success["dpsActivityId"] == "200"
    assert success["description"] == "Monday AM Houseblock 3"
    assert success["prisonId"] == "PVI"
    assert success["mappingType"] == "ACTIVITY_CREATED"


@pytest.mark.scenario("activities", 2)
@pytest.mark.scenario("activities", 4)
@pytest.mark.scenario("activities", 13)
async def test_switched_off_unknown_and_already_mapped_events_are_acknowledged(
    clean_estate: Estate, fakes: ActivitiesFakes
) -> None:
    """Switched off: no handler; deallocated/unknown: acknowledged with no call; mapped: duplicate."""
    fakes.seed_mapped_schedule(100, 300, [(600, 900, TOMORROW.isoformat(), "09:00", "10:00")])
    env = {"FEATURE_EVENT_ACTIVITIES_ACTIVITY-SCHEDULE_AMENDED": "false"}
    async with running_service(clean_estate, queues=["activity"], env=env) as harness:
        await publish(clean_estate, "activities.activity-schedule.amended", activityScheduleId=100)
        await publish(clean_estate, "activities.prisoner.deallocated", allocationId=1)
        await harness.send_raw(
            "activity",
            notification_body({"eventType": "activities.something.new", "additionalInformation": {}}),
            "activities.something.new",
        )
        await publish(clean_estate, "activities.activity-schedule.created", activityScheduleId=100)
        [duplicate] = await harness.wait_for_event("activity-create-duplicate")
        await drained(harness)
        assert await harness.depth("activity", dlq=True) == 0
    assert duplicate == {"dpsActivityScheduleId": "100"}
    assert clean_estate.dps["activities"].journal == []
    assert clean_estate.nomis.journal == []
    assert [e.path for e in clean_estate.mapping.journal] == ["/mapping/activities/activity-schedule-id/100"]
    assert harness.events("activity-amend-failed") == harness.events("activity-amend-success") == []


@pytest.mark.scenario("activities", 6)
@pytest.mark.scenario("activities", 14)
@pytest.mark.scenario("activities", 3)
@pytest.mark.scenario("activities", 23)
async def test_mapping_failure_is_retried_without_writing_nomis_again(
    clean_estate: Estate, fakes: ActivitiesFakes
) -> None:
    spec_schedule(fakes)
    clean_estate.mapping.inject_fault(path_pattern="/mapping/activities", method="POST", status=500)
    async with running_service(clean_estate, queues=["activity"]) as harness:
        await publish(clean_estate, "activities.activity-schedule.created", activityScheduleId=100)
        [retried] = await harness.wait_for_event("activity-create-mapping-retry-success")
        await drained(harness)
        assert await harness.depth("activity", dlq=True) == 0
    [failed] = harness.events("activity-mapping-create-failed")
    for key, value in {"nomisCourseActivityId": "300", "dpsActivityScheduleId": "100", "dpsActivityId": "200",
                       "description": "Monday AM Houseblock 3", "prisonId": "PVI"}.items():  # fmt: skip
        assert failed[key] == value
    [queued] = harness.events("activity-create-mapping-retry")
    assert queued["messageId"] and queued["nomisCourseActivityId"] == "300"
    assert retried == {"activityScheduleId": "100"}
    posts = clean_estate.mapping.requests("POST", "/mapping/activities")
    assert len(posts) == 2 and posts[0].body == posts[1].body
    assert len(clean_estate.nomis.requests("POST", "/activities")) == 1
    assert harness.events("activity-create-success") == []
    assert fakes.mappings[100]["nomisCourseActivityId"] == 300


@pytest.mark.scenario("activities", 7)
async def test_concurrent_creates_report_the_duplicate_and_remove_the_orphan(
    clean_estate: Estate, fakes: ActivitiesFakes
) -> None:
    """Two deliveries of one created event race; the loser's 409 is reported as the original does.

    Differs from the original: the loser's NOMIS course activity, which nothing references, is deleted
    (the original's runbook has an operator do that by hand from the alert).
    """
    spec_schedule(fakes)
    clean_estate.nomis.inject_fault(
        path_pattern="/activities", method="POST", status=0, delay_seconds=0.5, count=2
    )
    async with running_service(clean_estate, queues=["activity"]) as harness:
        await publish(clean_estate, "activities.activity-schedule.created", activityScheduleId=100)
        await publish(clean_estate, "activities.activity-schedule.created", activityScheduleId=100)
        [duplicate] = await harness.wait_for_event("to-nomis-synch-activity-duplicate")
        [removed] = await harness.wait_for_event("activity-create-duplicate-removed")
        await drained(harness)
        assert await harness.depth("activity", dlq=True) == 0
    assert len(harness.events("activity-mapping-create-failed")) == 1
    assert duplicate["existingActivityScheduleId"] == duplicate["duplicateActivityScheduleId"] == "100"
    assert {duplicate["existingNomisCourseActivityId"], duplicate["duplicateNomisCourseActivityId"]} == {
        "300",
        "301",
    }
    assert duplicate["prisonId"] == "PVI"
    assert removed["nomisCourseActivityId"] == duplicate["duplicateNomisCourseActivityId"]
    assert list(fakes.course_activities) == [fakes.mappings[100]["nomisCourseActivityId"]]
    assert len(clean_estate.mapping.requests("POST", "/mapping/activities")) == 2


@pytest.mark.scenario("activities", 8)
async def test_mapping_retry_that_keeps_failing_is_recovered_from_the_dlq(
    clean_estate: Estate, fakes: ActivitiesFakes
) -> None:
    spec_schedule(fakes)
    fault = clean_estate.mapping.inject_fault(path_pattern="/mapping/activities", method="POST", count=None)
    async with running_service(clean_estate, queues=["activity"], env=DLQ_AFTER_ONE) as harness:
        await publish(clean_estate, "activities.activity-schedule.created", activityScheduleId=100)
        await harness.wait_for_depth("activity", 1, dlq=True)
        [failure] = harness.events("create-mapping-retry-failure")
        assert orjson.loads(failure["retryMessage"])["mapping"]["activityScheduleId"] == 100
        clean_estate.mapping.faults.remove(fault)
        status, _, _ = await harness.request(
            "PUT", "/queue-admin/retry-all-dlqs", roles=["ROLE_SYSCON__QUEUE_ADMIN"]
        )
        assert status == 200
        await harness.wait_for_event("activity-create-mapping-retry-success")
        await drained(harness)
        await harness.wait_for_depth("activity", 0, dlq=True)
    assert len(clean_estate.mapping.requests("POST", "/mapping/activities")) == 3
    assert len(clean_estate.nomis.requests("POST", "/activities")) == 1
    assert 100 in fakes.mappings


@pytest.mark.scenario("activities", 9)
@pytest.mark.scenario("activities", 10)
@pytest.mark.scenario("activities", 12)
async def test_create_failures_reach_the_dlq(clean_estate: Estate, fakes: ActivitiesFakes) -> None:
    spec_schedule(fakes)
    del fakes.location_mappings["b7602cc8-e769-4cbb-8194-62d8e655992a"]
    fakes.seed_schedule(101, activity_id=201, activity={"summary": "A" * 60})
    fakes.seed_schedule(102, activity_id=202, activity={"summary": "x" * 50})
    clean_estate.nomis.inject_fault(path_pattern="/activities", method="POST", status=500, count=1)
    async with running_service(clean_estate, queues=["activity"], env=DLQ_AFTER_ONE) as harness:
        await publish(clean_estate, "activities.activity-schedule.created", activityScheduleId=101)
        [failed_nomis] = await harness.wait_for_event("activity-create-failed")
        await harness.wait_for_depth("activity", 1, dlq=True)
        await publish(clean_estate, "activities.activity-schedule.created", activityScheduleId=100)
        await harness.wait_for_event("activity-create-failed", 2)
        await harness.wait_for_depth("activity", 2, dlq=True)
        await publish(clean_estate, "activities.activity-schedule.created", activityScheduleId=102)
        await harness.wait_for_event("activity-create-success")
    assert failed_nomis["dpsActivityScheduleId"] == "101" and failed_nomis["dpsActivityId"] == "201"
    assert failed_nomis["reason"].startswith("500 Internal Server Error from POST")
    location_failure = harness.events("activity-create-failed")[1]
    assert location_failure["dpsActivityScheduleId"] == "100" and "404" in location_failure["reason"]
    created = clean_estate.nomis.requests("POST", "/activities")
    assert [len(r.body["description"]) for r in created] == [40, 40]
    assert all(len(r.body["code"]) <= 12 for r in created)
    assert created[-1].body["description"] == "x" * 40


@pytest.mark.scenario("activities", 15)
@pytest.mark.scenario("activities", 22)
async def test_schedule_amended_updates_the_course_activity(
    clean_estate: Estate, fakes: ActivitiesFakes
) -> None:
    spec_schedule(fakes, endDate=TOMORROW.isoformat())
    fakes.schedules[100]["instances"][1]["cancelled"] = True
    fakes.course_activities[300] = {
        "courseActivityId": 300, "prisonId": "PVI", "code": "100",
        "schedules": {900: {"date": TOMORROW.isoformat(), "startTime": "09:00", "endTime": "10:00", "cancelled": False}},
    }  # fmt: skip
    fakes.mappings[100] = {
        "activityScheduleId": 100, "nomisCourseActivityId": 300, "activityId": 200, "mappingType": "ACTIVITY_CREATED",
        "scheduledInstanceMappings": [{"scheduledInstanceId": 600, "nomisCourseScheduleId": 900, "mappingType": "ACTIVITY_CREATED"}],
    }  # fmt: skip
    async with running_service(clean_estate, queues=["activity"]) as harness:
        await publish(clean_estate, "activities.activity-schedule.amended", activityScheduleId=100)
        [success] = await harness.wait_for_event("activity-amend-success")
        await drained(harness)
        assert await harness.depth("activity", dlq=True) == 0
    [update] = clean_estate.nomis.requests("PUT", "/activities/300")
    body = update.body
    assert (body["startDate"], body["endDate"]) == ("2023-01-20", TOMORROW.isoformat())
    assert body["capacity"] == 10 and body["description"] == "Monday AM Houseblock 3"
    assert body["outsideWork"] is True and body["excludeBankHolidays"] is False
    assert body["internalLocationId"] == 5432 and body["programCode"] == "LEISURE_SOCIAL"
    assert body["payRates"] == [{"incentiveLevel": "BAS", "payBand": "1", "rate": 1.5, "startDate": None}]
    assert len(body["scheduleRules"]) == 2
    assert body["schedules"][0]["id"] == 900 and body["schedules"][0]["cancelled"] is False
    assert body["schedules"][1]["id"] is None and body["schedules"][1]["cancelled"] is True
    [mapping] = clean_estate.mapping.requests("PUT", "/mapping/activities")
    assert mapping.body["mappingType"] == "ACTIVITY_UPDATED"
    assert mapping.body["scheduledInstanceMappings"] == [
        {"scheduledInstanceId": 600, "nomisCourseScheduleId": 900, "mappingType": "ACTIVITY_UPDATED"},
        {"scheduledInstanceId": 601, "nomisCourseScheduleId": 901, "mappingType": "ACTIVITY_UPDATED"},
    ]
    assert success == {
        "dpsActivityScheduleId": "100",
        "nomisCourseActivityId": "300",
        "dpsActivityId": "200",
        "prisonId": "PVI",
    }


@pytest.mark.scenario("activities", 17)
async def test_amend_keeps_instances_dps_no_longer_lists(
    clean_estate: Estate, fakes: ActivitiesFakes
) -> None:
    fakes.seed_mapped_schedule(100, 300, [(600, 900, YESTERDAY.isoformat(), "09:00", "10:00")])
    fakes.schedules[100]["instances"].append(
        {
            "id": 601,
            "date": TOMORROW.isoformat(),
            "startTime": "09:00",
            "endTime": "10:00",
            "cancelled": False,
        }
    )
    async with running_service(clean_estate, queues=["activity"]) as harness:
        await publish(clean_estate, "activities.activity-schedule.amended", activityScheduleId=100)
        await harness.wait_for_event("activity-amend-success")
    [update] = clean_estate.nomis.requests("PUT", "/activities/300")
    assert [s["id"] for s in update.body["schedules"]] == [None]
    [mapping] = clean_estate.mapping.requests("PUT", "/mapping/activities")
    assert [(m["scheduledInstanceId"], m["nomisCourseScheduleId"]) for m in mapping.body["scheduledInstanceMappings"]] == [
        (600, 900), (601, 901),
    ]  # fmt: skip


@pytest.mark.scenario("activities", 16)
@pytest.mark.scenario("activities", 18)
@pytest.mark.scenario("activities", 19)
@pytest.mark.scenario("activities", 20)
@pytest.mark.scenario("activities", 21)
async def test_amend_failures(clean_estate: Estate, fakes: ActivitiesFakes) -> None:
    """Four schedules, each failing at a different step, all delivered at once."""
    for schedule_id, course_id in ((100, 300), (101, 301), (102, 302)):
        fakes.seed_mapped_schedule(schedule_id, course_id, [(schedule_id * 10, course_id * 10, TOMORROW.isoformat(), "09:00", "10:00")], prison="PVI")  # fmt: skip
    dps = clean_estate.dps["activities"]
    dps.inject_fault(path_pattern="/schedules/100", status=404, count=None)
    dps.inject_fault(path_pattern="/activities/201/filtered", status=404, count=None)
    clean_estate.nomis.inject_fault(path_pattern="/activities/302", method="PUT", status=503, count=None)
    async with running_service(clean_estate, queues=["activity"], env=DLQ_AFTER_ONE) as harness:
        for schedule_id in (100, 101, 102, 103):
            await publish(
                clean_estate, "activities.activity-schedule.amended", activityScheduleId=schedule_id
            )
        await harness.wait_for_depth("activity", 4, dlq=True)
    failed = {e["dpsActivityScheduleId"]: e for e in harness.events("activity-amend-failed")}
    assert failed["100"] == {"dpsActivityScheduleId": "100", "nomisCourseActivityId": "300"}
    assert failed["101"] == {
        "dpsActivityScheduleId": "101",
        "nomisCourseActivityId": "301",
        "dpsActivityId": "201",
        "prisonId": "PVI",
    }
    assert failed["102"] == {
        "dpsActivityScheduleId": "102",
        "nomisCourseActivityId": "302",
        "dpsActivityId": "202",
        "prisonId": "PVI",
    }
    assert failed["103"] == {"dpsActivityScheduleId": "103"}
    assert [r.path for r in clean_estate.nomis.requests("PUT")] == ["/activities/302"]
    assert harness.events("activity-amend-success") == []


@pytest.mark.scenario("activities", 24)
@pytest.mark.scenario("activities", 25)
@pytest.mark.scenario("activities", 26)
@pytest.mark.scenario("activities", 27)
@pytest.mark.scenario("activities", 30)
async def test_scheduled_instance_amend_failures(clean_estate: Estate, fakes: ActivitiesFakes) -> None:
    fakes.seed_mapped_schedule(100, 300, [(600, 900, "2023-02-23", "08:00", "11:00")], prison="LEI")
    fakes.schedules[100]["instances"].append(
        {"id": 601, "date": "2023-02-24", "startTime": "08:00", "endTime": "11:00", "cancelled": False}
    )
    fakes.seed_schedule(102, prison="LEI")
    fakes.schedules[102]["instances"] = [{"id": 620, "date": "2023-02-23", "startTime": "08:00", "endTime": "11:00", "cancelled": False}]  # fmt: skip
    clean_estate.nomis.inject_fault(path_pattern="/activities/300/schedule", status=503, count=None)
    async with running_service(clean_estate, queues=["activity"], env=DLQ_AFTER_ONE) as harness:
        for instance_id in (999, 601, 600, 620):
            await publish(
                clean_estate, "activities.scheduled-instance.amended", scheduledInstanceId=instance_id
            )
        await harness.wait_for_depth("activity", 4, dlq=True)
    failed = {
        e["dpsScheduledInstanceId"]: e for e in harness.events("activity-scheduled-instance-amend-failed")
    }
    assert failed["999"] == {"dpsScheduledInstanceId": "999"}
    assert failed["620"] == {"dpsScheduledInstanceId": "620", "dpsActivityScheduleId": "102", "scheduleDate": "2023-02-23",
                             "startTime": "08:00", "endTime": "11:00", "prisonId": "LEI"}  # fmt: skip
    assert failed["601"]["nomisCourseActivityId"] == "300" and "nomisCourseScheduleId" not in failed["601"]
    assert failed["600"]["nomisCourseActivityId"] == "300" and failed["600"]["prisonId"] == "LEI"
    assert failed["600"]["nomisCourseScheduleId"] == "900"


@pytest.mark.scenario("activities", 28)
@pytest.mark.scenario("activities", 29)
async def test_scheduled_instance_amended(clean_estate: Estate, fakes: ActivitiesFakes) -> None:
    fakes.seed_mapped_schedule(100, 300, [(600, 900, "2023-02-23", "08:00", "11:00")], prison="LEI")
    async with running_service(clean_estate, queues=["activity"]) as harness:
        await publish(clean_estate, "activities.scheduled-instance.amended", scheduledInstanceId=600)
        [success] = await harness.wait_for_event("activity-scheduled-instance-amend-success")
        await drained(harness)
        assert await harness.depth("activity", dlq=True) == 0
    [update] = clean_estate.nomis.requests("PUT", "/activities/300/schedule")
    assert update.body == {
        "id": 900,
        "date": "2023-02-23",
        "startTime": "08:00",
        "endTime": "11:00",
        "cancelled": False,
    }
    assert success == {"dpsScheduledInstanceId": "600", "dpsActivityScheduleId": "100", "scheduleDate": "2023-02-23",
                       "startTime": "08:00", "endTime": "11:00", "prisonId": "LEI", "nomisCourseActivityId": "300",
                       "nomisCourseScheduleId": "900"}  # fmt: skip


@pytest.mark.scenario("activities", 31)
@pytest.mark.scenario("activities", 97)
async def test_delete_unknown_mappings_batch_job(clean_estate: Estate, fakes: ActivitiesFakes) -> None:
    fakes.seed_mapped_schedule(
        100, 300, [(600, 900, "2023-02-23", "08:00", "11:00"), (601, 950, "2023-02-24", "08:00", "11:00")]
    )
    del fakes.course_activities[300]["schedules"][950]  # NOMIS was refreshed: its highest id is now 900
    harness = ServiceHarness(clean_estate, queues=["activity"])
    await harness.start(listen=False, http=False)
    try:
        await harness.service.batch_job("DELETE_UNKNOWN_ACTIVITY_MAPPINGS")()
    finally:
        await harness.stop()
    assert clean_estate.nomis.requests("GET", "/schedules/max-id")
    assert clean_estate.mapping.requests("DELETE", "/mapping/schedules/max-nomis-schedule-id/900")
    assert [m["nomisCourseScheduleId"] for m in fakes.mappings[100]["scheduledInstanceMappings"]] == [900]


async def test_retry_message_for_an_already_saved_mapping_is_done(
    clean_estate: Estate, fakes: ActivitiesFakes
) -> None:
    """A redelivered RETRY_CREATE_MAPPING whose first attempt saved: the 409 for the same ids is success."""
    fakes.seed_mapped_schedule(100, 300, [(600, 900, "2023-02-23", "08:00", "11:00")])
    mapping = {k: v for k, v in fakes.mappings[100].items() if k != "whenCreated"}
    body = orjson.dumps({"Type": "RETRY_CREATE_MAPPING", "Message": orjson.dumps({"mapping": mapping, "telemetryAttributes": {}, "entityName": "activity"}).decode()}).decode()  # fmt: skip
    async with running_service(clean_estate, queues=["activity"], env=DLQ_AFTER_ONE) as harness:
        await harness.send_raw("activity", body, "RETRY_CREATE_MAPPING")
        await harness.wait_for_event("activity-create-mapping-retry-success")
        await drained(harness)
        await asyncio.sleep(0)
        assert await harness.depth("activity", dlq=True) == 0
