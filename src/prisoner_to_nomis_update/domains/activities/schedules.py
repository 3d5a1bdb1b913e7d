"""Activity schedules and scheduled instances to NOMIS course activities and schedules (activities.md 3.1-3.3, 4, 6.5)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from prisoner_to_nomis_update.domains.activities.clients import (
    ActivitiesApi,
    ActivityMappingApi,
    NomisActivitiesApi,
)
from prisoner_to_nomis_update.domains.activities.models import (
    ActivityMappingDto,
    ActivitySchedule,
    CourseScheduleRequest,
    CreateActivityRequest,
    UpdateActivityRequest,
)
from prisoner_to_nomis_update.domains.activities.transform import (
    build_mapping,
    create_request_parts,
    description,
)
from prisoner_to_nomis_update.framework.errors import ValidationFailure
from prisoner_to_nomis_update.framework.http import HttpError
from prisoner_to_nomis_update.framework.messages import MalformedMessage, RetryMessage
from prisoner_to_nomis_update.framework.synchronise import (
    RetryQueue,
    duplicate_error_from,
    is_own_duplicate,
    synchronise,
)
from prisoner_to_nomis_update.framework.telemetry import Telemetry

log = logging.getLogger(__name__)

NAME = "activity"


def instance_not_mapped(scheduled_instance_id: int) -> ValidationFailure:
    return ValidationFailure(
        f"Mapping for Activity's scheduled instance id not found: {scheduled_instance_id}"
    )


class SchedulesService:
    def __init__(
        self,
        activities: ActivitiesApi,
        nomis: NomisActivitiesApi,
        mappings: ActivityMappingApi,
        telemetry: Telemetry,
        retry_queue: RetryQueue,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.activities = activities
        self.nomis = nomis
        self.mappings = mappings
        self.telemetry = telemetry
        self.retry_queue = retry_queue
        self.today = today

    async def _location_id(self, schedule: ActivitySchedule) -> int | None:
        location = schedule.internalLocation
        if location is None:
            return None
        if location.dpsLocationId is None:
            raise ValidationFailure(f"Activity schedule {schedule.id} has a location without a dpsLocationId")
        return await self.mappings.nomis_location_id(location.dpsLocationId)

    # ---- create (3.1) --------------------------------------------------------------------------

    async def create_activity(self, schedule_id: int) -> None:
        event_telemetry: dict[str, Any] = {"dpsActivityScheduleId": schedule_id}

        async def transform() -> ActivityMappingDto:
            today = self.today()
            schedule = await self.activities.get_schedule(schedule_id, today)
            event_telemetry["description"] = schedule.description
            event_telemetry["dpsActivityId"] = schedule.activity.id
            event_telemetry["prisonId"] = schedule.activity.prisonCode
            activity = await self.activities.get_activity(schedule.activity.id, today)
            request = CreateActivityRequest(
                code=str(schedule.id),
                startDate=activity.startDate,
                endDate=activity.endDate,
                prisonId=activity.prisonCode,
                internalLocationId=await self._location_id(schedule),
                description=description(activity.summary),
                schedules=[
                    CourseScheduleRequest(
                        id=None,
                        date=instance.date,
                        startTime=instance.startTime,
                        endTime=instance.endTime,
                        cancelled=instance.cancelled,
                    )
                    for instance in schedule.instances
                ],
                **create_request_parts(schedule, activity),
            )
            response = await self.nomis.create_activity(request)
            event_telemetry["nomisCourseActivityId"] = response.courseActivityId
            return build_mapping(schedule, response, "ACTIVITY_CREATED")

        await synchronise(
            name=NAME,
            telemetry=self.telemetry,
            event_telemetry=event_telemetry,
            check_mapping_exists=lambda: self.mappings.find(schedule_id),
            transform=transform,
            save_mapping=self._save_new_mapping,
            retry_queue=self.retry_queue,
        )

    async def _save_new_mapping(self, mapping: ActivityMappingDto) -> None:
        """POST the mapping; when another delivery won the race, remove the course activity we just made.

        Two deliveries of one `activity-schedule.created` (two pods, or SNS sending twice) both find no
        mapping and both create a NOMIS course activity. The loser's is referenced by nothing; the
        original leaves it for an operator to delete (runbook), we delete it here and still raise the
        duplicate so the alert fires.
        """
        try:
            await self.mappings.create(mapping)
        except HttpError as error:
            if error.status == 409:
                existing = duplicate_error_from(error).existing
                same_schedule = str(existing.get("activityScheduleId")) == str(mapping.activityScheduleId)
                other_activity = str(existing.get("nomisCourseActivityId")) != str(
                    mapping.nomisCourseActivityId
                )
                if same_schedule and other_activity:
                    await self._remove_orphan(mapping, existing)
            raise

    async def _remove_orphan(self, mapping: ActivityMappingDto, existing: dict[str, Any]) -> None:
        try:
            await self.nomis.delete_activity(mapping.nomisCourseActivityId)
        except Exception as error:
            log.error(
                "Could not delete duplicate course activity %s: %s", mapping.nomisCourseActivityId, error
            )
            return
        self.telemetry.track_event(
            "activity-create-duplicate-removed",
            {
                "dpsActivityScheduleId": mapping.activityScheduleId,
                "nomisCourseActivityId": mapping.nomisCourseActivityId,
                "existingNomisCourseActivityId": existing.get("nomisCourseActivityId"),
            },
        )

    async def retry_create_mapping(self, message: RetryMessage) -> None:
        try:
            mapping = ActivityMappingDto.model_validate(message.mapping)
        except ValueError as error:
            raise MalformedMessage(f"activity retry mapping is invalid: {error}") from None
        try:
            await self.mappings.create(mapping)
        except HttpError as error:
            # A redelivered retry whose first attempt did save: the same mapping is already there.
            if not is_own_duplicate(error, mapping, ("activityScheduleId", "nomisCourseActivityId")):
                raise
        self.telemetry.track_event(
            "activity-create-mapping-retry-success", {"activityScheduleId": mapping.activityScheduleId}
        )

    # ---- update (3.2) --------------------------------------------------------------------------

    async def update_activity(self, schedule_id: int) -> None:
        telemetry_map: dict[str, Any] = {"dpsActivityScheduleId": schedule_id}
        try:
            existing = await self.mappings.get(schedule_id)
            telemetry_map["nomisCourseActivityId"] = existing.nomisCourseActivityId
            today = self.today()
            schedule = await self.activities.get_schedule(schedule_id, today)
            telemetry_map["dpsActivityId"] = schedule.activity.id
            telemetry_map["prisonId"] = schedule.activity.prisonCode
            activity = await self.activities.get_activity(schedule.activity.id, today)
            request = UpdateActivityRequest(
                startDate=schedule.startDate,
                endDate=schedule.endDate,
                internalLocationId=await self._location_id(schedule),
                description=description(schedule.description),
                schedules=[
                    CourseScheduleRequest(
                        id=(mapped.nomisCourseScheduleId if mapped else None),
                        date=instance.date,
                        startTime=instance.startTime,
                        endTime=instance.endTime,
                        cancelled=instance.cancelled,
                    )
                    for instance in schedule.instances
                    for mapped in (existing.instance_mapping(instance.id),)
                ],
                **create_request_parts(schedule, activity),
            )
            response = await self.nomis.update_activity(existing.nomisCourseActivityId, request)
            await self.mappings.update(build_mapping(schedule, response, "ACTIVITY_UPDATED", existing))
        except Exception:
            self.telemetry.track_event("activity-amend-failed", telemetry_map)
            raise
        self.telemetry.track_event("activity-amend-success", telemetry_map)

    # ---- scheduled instance (3.3) --------------------------------------------------------------

    async def update_scheduled_instance(self, scheduled_instance_id: int) -> None:
        telemetry_map: dict[str, Any] = {"dpsScheduledInstanceId": scheduled_instance_id}
        try:
            instance = await self.activities.get_scheduled_instance(scheduled_instance_id)
            telemetry_map["dpsActivityScheduleId"] = instance.activitySchedule.id
            telemetry_map["scheduleDate"] = instance.date
            telemetry_map["startTime"] = instance.startTime
            telemetry_map["endTime"] = instance.endTime
            telemetry_map["prisonId"] = instance.activitySchedule.activity.prisonCode
            mapping = await self.mappings.get(instance.activitySchedule.id)
            telemetry_map["nomisCourseActivityId"] = mapping.nomisCourseActivityId
            instance_mapping = mapping.instance_mapping(scheduled_instance_id)
            if instance_mapping is None:
                raise instance_not_mapped(scheduled_instance_id)
            telemetry_map["nomisCourseScheduleId"] = instance_mapping.nomisCourseScheduleId
            await self.nomis.update_schedule(
                mapping.nomisCourseActivityId,
                CourseScheduleRequest(
                    id=instance_mapping.nomisCourseScheduleId,
                    date=instance.date,
                    startTime=instance.startTime,
                    endTime=instance.endTime,
                    cancelled=instance.cancelled,
                ),
            )
        except Exception:
            self.telemetry.track_event("activity-scheduled-instance-amend-failed", telemetry_map)
            raise
        self.telemetry.track_event("activity-scheduled-instance-amend-success", telemetry_map)

    # ---- housekeeping (6.5) --------------------------------------------------------------------

    async def delete_unknown_mappings(self) -> int:
        """Drop schedule mappings whose NOMIS course schedule id is above NOMIS's highest; returns that id."""
        max_id = await self.nomis.max_course_schedule_id()
        await self.mappings.delete_schedule_mappings_above(max_id)
        log.info("Deleted activity schedule mappings above NOMIS course schedule id %d", max_id)
        return max_id
