"""Resolving `to-nomis-synch-activity-duplicate` (issue 14): delete the course activity nothing maps to."""

from __future__ import annotations

from typing import Any

from hmpps_sandbox.domains.activities import ActivitiesFakes
from hmpps_sandbox.estate import Estate
from hmpps_sandbox.harness import ServiceHarness, running_service
from prisoner_to_nomis_update.framework.duplicates import duplicate_id

REPAIR_ROLE = "ROLE_PRISONER_TO_NOMIS__UPDATE__RW"
ALERT = "to-nomis-synch-activity-duplicate"


def alert(existing: tuple[int, int], duplicate: tuple[int, int]) -> dict[str, str]:
    return {
        "dpsActivityScheduleId": str(duplicate[0]),
        "existingActivityScheduleId": str(existing[0]),
        "existingNomisCourseActivityId": str(existing[1]),
        "duplicateActivityScheduleId": str(duplicate[0]),
        "duplicateNomisCourseActivityId": str(duplicate[1]),
    }


async def resolve(harness: ServiceHarness, properties: dict[str, str]) -> tuple[int, Any]:
    harness.service.telemetry.track_event(ALERT, properties)
    status, body, _ = await harness.request(
        "POST", f"/duplicates/{duplicate_id('activity', properties)}/resolve", roles=[REPAIR_ROLE]
    )
    return status, body


async def test_an_orphan_course_activity_the_service_could_not_delete_is_deleted_on_request(
    clean_estate: Estate, fakes: ActivitiesFakes
) -> None:
    fakes.seed_mapped_schedule(100, 300, [])
    clean_estate.mapping.inject_fault(
        path_pattern="/mapping/activities/activity-schedule-id/100", method="GET", status=404
    )
    broken = clean_estate.nomis.inject_fault(path_pattern=r"/activities/\d+", method="DELETE", count=None)
    async with running_service(clean_estate, queues=["activity"]) as harness:
        await clean_estate.publish(
            {
                "eventType": "activities.activity-schedule.created",
                "additionalInformation": {"activityScheduleId": 100},
            }
        )
        [duplicate] = await harness.wait_for_event(ALERT)
        await harness.wait_for_depth("activity", 0)
        clean_estate.nomis.faults.remove(broken)
        orphan = int(duplicate["duplicateNomisCourseActivityId"])
        assert harness.events("activity-create-duplicate-removed") == []
        assert sorted(fakes.course_activities) == sorted([300, orphan])

        status, [record], _ = await harness.request("GET", "/duplicates", roles=[REPAIR_ROLE])
        assert (status, record["domain"]) == (200, "activities")
        status, body, _ = await harness.request(
            "POST", f"/duplicates/{record['id']}/resolve", roles=[REPAIR_ROLE]
        )
        assert (status, body["outcome"]) == (
            200,
            f"Deleted course activity {orphan}; activity schedule 100 stays mapped to course activity 300",
        )
        assert list(fakes.course_activities) == [300]


async def test_the_checks_before_deleting(clean_estate: Estate, fakes: ActivitiesFakes) -> None:
    async with running_service(clean_estate, queues=[]) as harness:
        status, body = await resolve(harness, alert((1, 10), (1, 11)))
        assert (status, body["userMessage"]) == (
            409,
            "Activity schedule 1 is no longer mapped to a course activity",
        )

        fakes.seed_mapped_schedule(2, 20, [])
        status, body = await resolve(harness, alert((2, 21), (2, 20)))
        assert (status, body["userMessage"]) == (
            409,
            "Course activity 20 is the one activity schedule 2 is mapped to",
        )

        # The refused mapping was for another schedule, which a repair has since mapped to the "duplicate".
        fakes.seed_mapped_schedule(3, 30, [])
        fakes.seed_mapped_schedule(4, 31, [])
        status, body = await resolve(harness, alert((3, 30), (4, 31)))
        assert (status, body["userMessage"]) == (409, "Course activity 31 is mapped to activity schedule 4")

        fakes.seed_mapped_schedule(5, 50, [])
        del fakes.course_activities[50]
        fakes.seed_course_activity("MDI", 51)
        status, body = await resolve(harness, alert((5, 50), (5, 51)))
        assert (status, body["userMessage"]) == (
            409,
            "Course activity 50, which activity schedule 5 is mapped to, no longer exists",
        )
        assert clean_estate.nomis.requests("DELETE", r"/activities/\d+") == []

        fakes.seed_mapped_schedule(6, 60, [])
        status, body = await resolve(harness, alert((6, 60), (6, 61)))
        assert (status, body["outcome"]) == (200, "Course activity 61 no longer exists: nothing to delete")
