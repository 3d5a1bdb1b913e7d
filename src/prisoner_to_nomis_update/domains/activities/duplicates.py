"""Resolving `to-nomis-synch-activity-duplicate`: delete the NOMIS course activity nothing maps to.

Two deliveries of one created event, or a NOMIS course schedule id handed out again after a preprod
refresh, leave a course activity no mapping references (`duplicateNomisCourseActivityId`). The runbook
has an operator delete it with NOMIS `DELETE /activities/{id}`; this does the same after checking that
the schedule the alert names (`existingActivityScheduleId`) is still mapped to a course activity NOMIS
has, and that no mapping claims the one to delete.
"""

from __future__ import annotations

from prisoner_to_nomis_update.domains.activities.clients import ActivityMappingApi, NomisActivitiesApi
from prisoner_to_nomis_update.framework.duplicates import Duplicate, DuplicateIsMapped, MappedRecordGone

ALERT = "activity"


class ActivityDuplicateResolver:
    resolves = True

    def __init__(self, nomis: NomisActivitiesApi, mappings: ActivityMappingApi) -> None:
        self.nomis = nomis
        self.mappings = mappings

    async def resolve(self, duplicate: Duplicate) -> str:
        schedule_id = duplicate.required_int("existingActivityScheduleId")
        course_activity_id = duplicate.required_int("duplicateNomisCourseActivityId")
        mapping = await self.mappings.find(schedule_id)
        if mapping is None:
            raise MappedRecordGone(
                f"Activity schedule {schedule_id} is no longer mapped to a course activity"
            )
        if mapping.nomisCourseActivityId == course_activity_id:
            raise DuplicateIsMapped(
                f"Course activity {course_activity_id} is the one activity schedule {schedule_id} is mapped to"
            )
        # When the refused mapping was for another schedule, that schedule may since have been mapped
        # (a repair) to the very course activity the alert calls the duplicate.
        other_schedule = duplicate.value("duplicateActivityScheduleId")
        if other_schedule is not None and other_schedule.isdigit() and int(other_schedule) != schedule_id:
            other = await self.mappings.find(int(other_schedule))
            if other is not None and other.nomisCourseActivityId == course_activity_id:
                raise DuplicateIsMapped(
                    f"Course activity {course_activity_id} is mapped to activity schedule {other_schedule}"
                )
        if not await self.nomis.course_activity_exists(mapping.nomisCourseActivityId):
            raise MappedRecordGone(
                f"Course activity {mapping.nomisCourseActivityId}, which activity schedule {schedule_id} is "
                "mapped to, no longer exists"
            )
        if not await self.nomis.course_activity_exists(course_activity_id):
            return f"Course activity {course_activity_id} no longer exists: nothing to delete"
        await self.nomis.delete_activity(course_activity_id)
        return (
            f"Deleted course activity {course_activity_id}; activity schedule {schedule_id} stays mapped to "
            f"course activity {mapping.nomisCourseActivityId}"
        )
