"""Activity calls to activities-api (DPS), the NOMIS prisoner API and the mapping API (activities.md 7)."""

from __future__ import annotations

from datetime import date
from typing import Any

from prisoner_to_nomis_update.domains.activities.models import (
    Activity,
    ActivityMappingDto,
    ActivitySchedule,
    ActivityScheduleInstance,
    Allocation,
    AttendanceSync,
    BookingCounts,
    CourseScheduleRequest,
    CreateActivityRequest,
    CreateActivityResponse,
    PrisonerDetails,
    UpdateActivityRequest,
    UpsertAllocationRequest,
    UpsertAllocationResponse,
    UpsertAttendanceRequest,
    UpsertAttendanceResponse,
)
from prisoner_to_nomis_update.framework.http import ApiClient, HttpError


def _json(model: Any) -> Any:
    # Nulls are sent explicitly: NOMIS reads a whole-day exclusion from `"slot": null` (activities.md 3).
    return model.model_dump(mode="json")


class ActivitiesApi:
    def __init__(self, client: ApiClient) -> None:
        self.client = client

    async def get_schedule(self, schedule_id: int, today: date) -> ActivitySchedule:
        data = await self.client.get_json(f"/schedules/{schedule_id}", {"earliestSessionDate": today})
        return ActivitySchedule.model_validate(data)

    async def get_activity(self, activity_id: int, today: date) -> Activity:
        data = await self.client.get_json(
            f"/activities/{activity_id}/filtered", {"earliestSessionDate": today}
        )
        return Activity.model_validate(data)

    async def get_scheduled_instance(self, instance_id: int) -> ActivityScheduleInstance:
        return ActivityScheduleInstance.model_validate(
            await self.client.get_json(f"/scheduled-instances/{instance_id}")
        )

    async def get_allocation(self, allocation_id: int) -> Allocation:
        return Allocation.model_validate(await self.client.get_json(f"/allocations/id/{allocation_id}"))

    async def get_attendance_sync(self, attendance_id: int) -> AttendanceSync:
        return AttendanceSync.model_validate(
            await self.client.get_json(f"/synchronisation/attendance/{attendance_id}")
        )

    async def allocation_counts(self, prison: str, suspended: bool) -> BookingCounts:
        kind = "suspended-allocations" if suspended else "allocations"
        return BookingCounts.model_validate(
            await self.client.get_json(f"/synchronisation/reconciliation/{kind}/{prison}")
        )

    async def attendance_counts(self, prison: str, on: date) -> BookingCounts:
        return BookingCounts.model_validate(
            await self.client.get_json(f"/synchronisation/reconciliation/attendances/{prison}", {"date": on})
        )

    async def prison_activity_ids(self, prison: str) -> list[int]:
        found = await self.client.get_json(f"/prison/{prison}/activities", {"excludeArchived": False})
        return [int(item["id"]) for item in found or []]

    async def schedule_ids_of_activity(self, activity_id: int) -> list[int]:
        data = await self.client.get_json(f"/activities/{activity_id}/filtered")
        return [int(schedule["id"]) for schedule in (data or {}).get("schedules", [])]


class NomisApiError(Exception):
    """NOMIS refused an attendance upsert with one of its known business error codes."""

    def __init__(self, error_code: int, cause: HttpError) -> None:
        self.error_code = error_code
        super().__init__(str(cause))


ATTENDANCE_PAID = 1001
PRISONER_MOVED_ALLOCATION_ENDED = 1002


class NomisActivitiesApi:
    def __init__(self, client: ApiClient) -> None:
        self.client = client

    async def create_activity(self, request: CreateActivityRequest) -> CreateActivityResponse:
        return CreateActivityResponse.model_validate(
            await self.client.post_json("/activities", _json(request))
        )

    async def update_activity(
        self, course_activity_id: int, request: UpdateActivityRequest
    ) -> CreateActivityResponse:
        return CreateActivityResponse.model_validate(
            await self.client.put_json(f"/activities/{course_activity_id}", _json(request))
        )

    async def delete_activity(self, course_activity_id: int) -> None:
        await self.client.delete(f"/activities/{course_activity_id}")

    async def update_schedule(self, course_activity_id: int, request: CourseScheduleRequest) -> None:
        await self.client.put_json(f"/activities/{course_activity_id}/schedule", _json(request))

    async def upsert_allocation(
        self, course_activity_id: int, request: UpsertAllocationRequest
    ) -> UpsertAllocationResponse:
        return UpsertAllocationResponse.model_validate(
            await self.client.put_json(f"/activities/{course_activity_id}/allocation", _json(request))
        )

    async def active_allocation_ids(self, prison: str, course_activity_id: int) -> list[int]:
        """Every active allocation of a course (all pages)."""
        ids: list[int] = []
        page = 0
        while True:
            data = await self.client.get_json(
                "/allocations/ids",
                {"prisonId": prison, "courseActivityId": course_activity_id, "page": page, "size": 100},
            )
            ids.extend(int(item["allocationId"]) for item in data.get("content", []))
            if data.get("last", True) or not data.get("content"):
                return ids
            page += 1

    async def allocation_booking(self, allocation_id: int) -> int:
        return int((await self.client.get_json(f"/allocations/{allocation_id}"))["bookingId"])

    async def delete_allocation(self, allocation_id: int) -> None:
        """Already gone (another pod repaired it first) counts as done."""
        try:
            await self.client.delete(f"/allocations/{allocation_id}")
        except HttpError as error:
            if error.status != 404:
                raise

    async def upsert_attendance(
        self, course_schedule_id: int, booking_id: int, request: UpsertAttendanceRequest
    ) -> UpsertAttendanceResponse:
        try:
            data = await self.client.put_json(
                f"/schedules/{course_schedule_id}/booking/{booking_id}/attendance", _json(request)
            )
        except HttpError as error:
            body = error.json() if error.status == 400 else None
            code = body.get("errorCode") if isinstance(body, dict) else None
            if code in (ATTENDANCE_PAID, PRISONER_MOVED_ALLOCATION_ENDED):
                raise NomisApiError(int(code), error) from error
            raise
        return UpsertAttendanceResponse.model_validate(data)

    async def delete_attendance(self, course_schedule_id: int, booking_id: int) -> None:
        await self.client.delete(f"/schedules/{course_schedule_id}/booking/{booking_id}/attendance")

    async def allocation_counts(self, prison: str, suspended: bool) -> BookingCounts:
        params = {"suspended": True} if suspended else None
        return BookingCounts.model_validate(
            await self.client.get_json(f"/allocations/reconciliation/{prison}", params)
        )

    async def attendance_counts(self, prison: str, on: date) -> BookingCounts:
        return BookingCounts.model_validate(
            await self.client.get_json(f"/attendances/reconciliation/{prison}", {"date": on})
        )

    async def activity_prisons(self) -> list[str]:
        return [str(agency["agencyId"]) for agency in await self.client.get_json("/agency-switches/ACTIVITY")]

    async def prisoner_details(self, booking_ids: list[int]) -> list[PrisonerDetails]:
        found = await self.client.post_json("/prisoners/bookings", booking_ids)
        return [PrisonerDetails.model_validate(item) for item in found or []]

    async def max_course_schedule_id(self) -> int:
        return int(await self.client.get_json("/schedules/max-id"))

    async def course_activity_exists(self, course_activity_id: int) -> bool:
        return await self.client.exists(f"/activities/{course_activity_id}")


class ActivityMappingApi:
    def __init__(self, client: ApiClient) -> None:
        self.client = client

    async def find(self, activity_schedule_id: int) -> ActivityMappingDto | None:
        found = await self.client.get_json_or_none(
            f"/mapping/activities/activity-schedule-id/{activity_schedule_id}"
        )
        return ActivityMappingDto.model_validate(found) if found is not None else None

    async def get(self, activity_schedule_id: int) -> ActivityMappingDto:
        """The mapping; a 404 is an error here (every flow but the create duplicate check)."""
        return ActivityMappingDto.model_validate(
            await self.client.get_json(f"/mapping/activities/activity-schedule-id/{activity_schedule_id}")
        )

    async def find_scheduled_instance(self, scheduled_instance_id: int) -> int | None:
        """The NOMIS course schedule id mapped to a DPS scheduled instance, None when unmapped."""
        found = await self.client.get_json_or_none(
            f"/mapping/activities/schedules/scheduled-instance-id/{scheduled_instance_id}"
        )
        if found is None or found.get("nomisCourseScheduleId") is None:
            return None
        return int(found["nomisCourseScheduleId"])

    async def create(self, mapping: ActivityMappingDto) -> None:
        await self.client.post_json("/mapping/activities", mapping.model_dump(mode="json", exclude_none=True))

    async def update(self, mapping: ActivityMappingDto) -> None:
        await self.client.put_json("/mapping/activities", mapping.model_dump(mode="json", exclude_none=True))

    async def delete_schedule_mappings_above(self, max_course_schedule_id: int) -> None:
        await self.client.delete(f"/mapping/schedules/max-nomis-schedule-id/{max_course_schedule_id}")

    async def nomis_location_id(self, dps_location_id: str) -> int:
        return int(
            (await self.client.get_json(f"/mapping/locations/dps/{dps_location_id}"))["nomisLocationId"]
        )
