"""Attendances: DPS attendance upserts and deletes to NOMIS offender course attendances (activities.md 3.5-3.6)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from prisoner_to_nomis_update.domains.activities.clients import (
    ATTENDANCE_PAID,
    PRISONER_MOVED_ALLOCATION_ENDED,
    ActivitiesApi,
    ActivityMappingApi,
    NomisActivitiesApi,
    NomisApiError,
)
from prisoner_to_nomis_update.domains.activities.schedules import instance_not_mapped
from prisoner_to_nomis_update.domains.activities.transform import attendance_request
from prisoner_to_nomis_update.framework.http import HttpError
from prisoner_to_nomis_update.framework.locks import KeyedLocks
from prisoner_to_nomis_update.framework.telemetry import Telemetry


def upsert_type_of(event_type: str) -> str:
    return "create" if "created" in event_type else "update"


class AttendanceService:
    def __init__(
        self,
        activities: ActivitiesApi,
        nomis: NomisActivitiesApi,
        mappings: ActivityMappingApi,
        telemetry: Telemetry,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.activities = activities
        self.nomis = nomis
        self.mappings = mappings
        self.telemetry = telemetry
        self.today = today
        # NOMIS upserts by course schedule + booking; serialising the pair stops two deliveries in this
        # process from both inserting (the duplicate the original's runbook has to repair by hand).
        self.locks = KeyedLocks()

    async def upsert_attendance(self, attendance_id: int, upsert_type: str) -> None:
        telemetry_map: dict[str, Any] = {"dpsAttendanceId": attendance_id}
        session_date: date | None = None
        try:
            sync = await self.activities.get_attendance_sync(attendance_id)
            session_date = sync.sessionDate
            telemetry_map.update(
                {
                    "dpsActivityScheduleId": sync.activityScheduleId,
                    "dpsScheduleInstanceId": sync.scheduledInstanceId,
                    "sessionDate": sync.sessionDate,
                    "sessionStartTime": sync.sessionStartTime,
                    "sessionEndTime": sync.sessionEndTime,
                    "offenderNo": sync.prisonerNumber,
                    "bookingId": sync.bookingId,
                }
            )
            mapping = await self.mappings.get(sync.activityScheduleId)
            telemetry_map["nomisCourseActivityId"] = mapping.nomisCourseActivityId
            instance_mapping = mapping.instance_mapping(sync.scheduledInstanceId)
            if instance_mapping is None:
                raise instance_not_mapped(sync.scheduledInstanceId)
            course_schedule_id = instance_mapping.nomisCourseScheduleId
            telemetry_map["nomisCourseScheduleId"] = course_schedule_id
            request = attendance_request(sync, self.today())
            async with self.locks.hold((course_schedule_id, sync.bookingId)):
                response = await self.nomis.upsert_attendance(course_schedule_id, sync.bookingId, request)
            telemetry_map["nomisAttendanceEventId"] = response.eventId
            telemetry_map["created"] = response.created
            telemetry_map["prisonId"] = response.prisonId
        except NomisApiError as error:
            reason = self._ignore_reason(error, session_date, telemetry_map)
            if reason is None:
                self.telemetry.track_event(f"activity-attendance-{upsert_type}-failed", telemetry_map)
                raise
            telemetry_map["reason"] = reason
            self.telemetry.track_event(f"activity-attendance-{upsert_type}-ignored", telemetry_map)
            return
        except Exception:
            self.telemetry.track_event(f"activity-attendance-{upsert_type}-failed", telemetry_map)
            raise
        self.telemetry.track_event(f"activity-attendance-{upsert_type}-success", telemetry_map)

    def _ignore_reason(
        self, error: NomisApiError, session_date: date | None, telemetry_map: dict[str, Any]
    ) -> str | None:
        if error.error_code == ATTENDANCE_PAID and session_date == self.today():
            return (
                f"Attendance update ignored as already paid session on {session_date} "
                f"at {telemetry_map.get('sessionStartTime')}"
            )
        if error.error_code == PRISONER_MOVED_ALLOCATION_ENDED:
            return "Attendance update ignored as the prisoner is deallocated and has moved from the prison"
        return None

    async def delete_attendance(self, scheduled_instance_id: int, booking_id: int) -> None:
        telemetry_map: dict[str, Any] = {
            "dpsScheduledInstanceId": scheduled_instance_id,
            "bookingId": booking_id,
        }
        try:
            course_schedule_id = await self.mappings.find_scheduled_instance(scheduled_instance_id)
            if course_schedule_id is None:
                raise instance_not_mapped(scheduled_instance_id)
            telemetry_map["nomisCourseScheduleId"] = course_schedule_id
            await self.nomis.delete_attendance(course_schedule_id, booking_id)
        except HttpError as error:
            if error.status == 404:
                self.telemetry.track_event("activity-attendance-delete-ignored", telemetry_map)
                return
            self.telemetry.track_event("activity-attendance-delete-failed", telemetry_map)
            raise
        except Exception:
            self.telemetry.track_event("activity-attendance-delete-failed", telemetry_map)
            raise
        self.telemetry.track_event("activity-attendance-delete-success", telemetry_map)
