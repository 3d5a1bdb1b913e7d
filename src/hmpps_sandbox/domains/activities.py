"""Activities in the sandbox: activities-api (DPS), NOMIS course activities and the activity mappings.

The DPS fake keeps schedules, activities, allocations and attendances; `POST /__activities/{event}` (or
the Python methods below) changes a record and publishes its `activities.*` event in one step. NOMIS
keeps course activities, course schedules, allocations and attendances and answers the reconciliation
counts from them; the mapping fake enforces the mapping API's uniqueness on schedule, course activity,
scheduled instance and course schedule ids (409 with `moreInfo.existing/duplicate`).

`nomis.allocation_race_seconds` widens the gap between NOMIS finding no allocation and inserting one,
which reproduces the real API's duplicate rows under concurrent upserts.
"""

from __future__ import annotations

import asyncio
import copy
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web

from hmpps_sandbox.fake import FakeApi, error_response, json_body, json_response
from hmpps_sandbox.stores import Sequence

if TYPE_CHECKING:
    from hmpps_sandbox.estate import Estate

QUEUE_ID = "activity"
EVENTS = (
    "activities.activity-schedule.created",
    "activities.activity-schedule.amended",
    "activities.scheduled-instance.amended",
    "activities.prisoner.allocated",
    "activities.prisoner.allocation-amended",
    "activities.prisoner.deallocated",
    "activities.prisoner.attendance-created",
    "activities.prisoner.attendance-amended",
    "activities.prisoner.attendance-expired",
    "activities.prisoner.attendance-deleted",
)
SUSPENDED = ("SUSPENDED", "AUTO_SUSPENDED", "SUSPENDED_WITH_PAY")
CREATE_ACTIVITY_REQUIRED = (
    "capacity",
    "code",
    "description",
    "excludeBankHolidays",
    "outsideWork",
    "payPerSession",
    "payRates",
    "prisonId",
    "programCode",
    "scheduleRules",
    "schedules",
    "startDate",
)
UPDATE_ACTIVITY_REQUIRED = tuple(f for f in CREATE_ACTIVITY_REQUIRED if f not in ("code", "prisonId"))


def _seconds(value: str) -> str:
    """NOMIS answers times with seconds (`09:00:00`); DPS sends `09:00`."""
    return value if value.count(":") == 2 else f"{value}:00"


def _next_free(sequence: Sequence, used: set[int]) -> int:
    """The next id of a sequence that no seeded record already holds."""
    while True:
        candidate = sequence.next()
        if candidate not in used:
            return candidate


def _missing(body: dict[str, Any], fields: tuple[str, ...]) -> web.Response | None:
    absent = [f for f in fields if f not in body or body[f] is None]
    return error_response(400, f"Missing fields: {', '.join(absent)}") if absent else None


def default_schedule(schedule_id: int, activity_id: int, prison: str = "MDI") -> dict[str, Any]:
    """A DPS schedule (with its activity summary) running tomorrow and the day after."""
    tomorrow = date.today() + timedelta(days=1)
    return {
        "id": schedule_id,
        "description": f"Schedule {schedule_id}",
        "capacity": 10,
        "internalLocation": None,
        "activity": {
            "id": activity_id,
            "prisonCode": prison,
            "payPerSession": "H",
            "summary": f"Activity {activity_id}",
        },
        "instances": [
            {"id": schedule_id * 10 + 1, "date": tomorrow.isoformat(), "startTime": "09:00", "endTime": "10:00", "cancelled": False},
            {"id": schedule_id * 10 + 2, "date": (tomorrow + timedelta(days=1)).isoformat(), "startTime": "14:00", "endTime": "16:30", "cancelled": False},
        ],
        "slots": [
            {"startTime": "09:00", "endTime": "10:00", "mondayFlag": True, "tuesdayFlag": False, "wednesdayFlag": False,
             "thursdayFlag": False, "fridayFlag": False, "saturdayFlag": False, "sundayFlag": False},
        ],
        "startDate": date.today().isoformat(),
        "endDate": None,
        "runsOnBankHoliday": True,
    }  # fmt: skip


def default_activity(activity_id: int, prison: str = "MDI") -> dict[str, Any]:
    return {
        "id": activity_id,
        "prisonCode": prison,
        "summary": f"Activity {activity_id}",
        "category": {"id": 1, "code": "LEISURE_SOCIAL", "name": "Leisure and social"},
        "outsideWork": False,
        "payPerSession": "H",
        "pay": [
            {"id": 1, "incentiveNomisCode": "BAS", "incentiveLevel": "Basic",
             "prisonPayBand": {"id": 1, "nomisPayBand": 1}, "rate": 150, "startDate": None},
        ],
        "startDate": date.today().isoformat(),
        "endDate": None,
    }  # fmt: skip


class ActivitiesFakes:
    def __init__(self, estate: Estate) -> None:
        self.estate = estate
        self.dps = estate.add_dps("activities", FakeApi("activities"))
        # DPS
        self.schedules: dict[int, dict[str, Any]] = {}
        self.activities: dict[int, dict[str, Any]] = {}
        self.allocations: dict[int, dict[str, Any]] = {}
        self.attendances: dict[int, dict[str, Any]] = {}
        # NOMIS
        self.course_activities: dict[int, dict[str, Any]] = {}
        self.nomis_allocations: dict[int, dict[str, Any]] = {}
        self.nomis_attendances: dict[int, dict[str, Any]] = {}
        self.activity_prisons: list[str] = []
        self.prisoner_locations: dict[int, tuple[str, str]] = {}
        self.course_activity_ids = Sequence(start=300)
        self.course_schedule_ids = Sequence(start=900)
        self.allocation_ids = Sequence(start=5000)
        self.attendance_ids = Sequence(start=7000)
        self.allocation_race_seconds = 0.0
        # mapping API
        self.mappings: dict[int, dict[str, Any]] = {}
        self.location_mappings: dict[str, int] = {}
        self._install_dps()
        self._install_nomis(estate.nomis)
        self._install_mapping(estate.mapping)
        self.dps.on_reset(self._reset_dps)
        estate.nomis.on_reset(self._reset_nomis)
        estate.mapping.on_reset(self._reset_mapping)

    def _reset_dps(self) -> None:
        for store in (self.schedules, self.activities, self.allocations, self.attendances):
            store.clear()

    def _reset_nomis(self) -> None:
        for store in (self.course_activities, self.nomis_allocations, self.nomis_attendances):
            store.clear()
        self.activity_prisons.clear()
        self.prisoner_locations.clear()
        for sequence in (
            self.course_activity_ids,
            self.course_schedule_ids,
            self.allocation_ids,
            self.attendance_ids,
        ):
            sequence.reset()
        self.allocation_race_seconds = 0.0

    def _reset_mapping(self) -> None:
        self.mappings.clear()
        self.location_mappings.clear()

    # ---- seeding and events (DPS side) ---------------------------------------------------------

    async def _publish(self, event_type: str, info: dict[str, Any], publish: bool) -> dict[str, Any]:
        event = {
            "eventType": event_type,
            "version": "1",
            "description": f"sandbox {event_type}",
            "occurredAt": datetime.now().astimezone().isoformat(),
            "additionalInformation": info,
        }
        if publish:
            await self.estate.publish(event)
        return event

    def seed_schedule(
        self,
        schedule_id: int,
        activity_id: int | None = None,
        prison: str = "MDI",
        schedule: dict[str, Any] | None = None,
        activity: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        activity_id = activity_id or schedule_id + 100
        record = default_schedule(schedule_id, activity_id, prison)
        record.update(schedule or {})
        self.schedules[schedule_id] = record
        activity_record = default_activity(activity_id, prison)
        activity_record.update(activity or {})
        self.activities[activity_id] = activity_record
        return record

    async def schedule_created(self, schedule_id: int, publish: bool = True, **seed: Any) -> dict[str, Any]:
        self.seed_schedule(schedule_id, **seed)
        return await self._publish(
            "activities.activity-schedule.created", {"activityScheduleId": schedule_id}, publish
        )

    async def schedule_amended(
        self, schedule_id: int, changes: dict[str, Any] | None = None, publish: bool = True
    ) -> dict[str, Any]:
        self.schedules[schedule_id].update(changes or {})
        return await self._publish(
            "activities.activity-schedule.amended", {"activityScheduleId": schedule_id}, publish
        )

    async def instance_amended(
        self, instance_id: int, changes: dict[str, Any] | None = None, publish: bool = True
    ) -> dict[str, Any]:
        _, instance = self._instance(instance_id) or ({}, {})
        instance.update(changes or {})
        return await self._publish(
            "activities.scheduled-instance.amended", {"scheduledInstanceId": instance_id}, publish
        )

    def seed_allocation(
        self, allocation_id: int, schedule_id: int, booking_id: int, prisoner: str = "A1234AA", **fields: Any
    ) -> dict[str, Any]:
        record = {
            "id": allocation_id,
            "prisonerNumber": prisoner,
            "bookingId": booking_id,
            "scheduleId": schedule_id,
            "activityId": self.schedules.get(schedule_id, {}).get("activity", {}).get("id", 0),
            "prisonPayBand": {"id": 1, "nomisPayBand": 1},
            "startDate": date.today().isoformat(),
            "endDate": None,
            "status": "ACTIVE",
            "exclusions": [],
        }
        record.update(fields)
        self.allocations[allocation_id] = record
        return record

    async def allocated(
        self,
        allocation_id: int,
        schedule_id: int,
        booking_id: int,
        event_type: str = "activities.prisoner.allocated",
        publish: bool = True,
        **fields: Any,
    ) -> dict[str, Any]:
        self.seed_allocation(allocation_id, schedule_id, booking_id, **fields)
        return await self._publish(
            event_type, {"allocationId": allocation_id, "scheduleId": schedule_id}, publish
        )

    def seed_attendance(
        self, attendance_id: int, instance_id: int, booking_id: int, prisoner: str = "A1234AA", **fields: Any
    ) -> dict[str, Any]:
        found = self._instance(instance_id)
        schedule, instance = found if found else ({"id": 0}, {"date": date.today().isoformat(), "startTime": "10:00", "endTime": "11:00"})  # fmt: skip
        record = {
            "attendanceId": attendance_id,
            "scheduledInstanceId": instance_id,
            "activityScheduleId": schedule["id"],
            "sessionDate": instance["date"],
            "sessionStartTime": instance["startTime"],
            "sessionEndTime": instance["endTime"],
            "prisonerNumber": prisoner,
            "bookingId": booking_id,
            "attendanceReasonCode": None,
            "comment": None,
            "status": "WAITING",
            "payAmount": None,
            "bonusAmount": None,
            "issuePayment": None,
        }
        record.update(fields)
        self.attendances[attendance_id] = record
        return record

    async def attendance(
        self,
        attendance_id: int,
        instance_id: int,
        booking_id: int,
        event_type: str = "activities.prisoner.attendance-created",
        publish: bool = True,
        **fields: Any,
    ) -> dict[str, Any]:
        self.seed_attendance(attendance_id, instance_id, booking_id, **fields)
        return await self._publish(event_type, {"attendanceId": attendance_id}, publish)

    async def attendance_deleted(
        self, instance_id: int, booking_id: int, publish: bool = True
    ) -> dict[str, Any]:
        return await self._publish(
            "activities.prisoner.attendance-deleted",
            {"scheduledInstanceId": instance_id, "bookingId": booking_id},
            publish,
        )

    def _instance(self, instance_id: int) -> tuple[dict[str, Any], dict[str, Any]] | None:
        for schedule in self.schedules.values():
            for instance in schedule["instances"]:
                if instance["id"] == instance_id:
                    return schedule, instance
        return None

    def _prison_of_schedule(self, schedule_id: int) -> str | None:
        schedule = self.schedules.get(schedule_id)
        return schedule["activity"]["prisonCode"] if schedule else None

    # ---- DPS routes ----------------------------------------------------------------------------

    def _install_dps(self) -> None:
        dps = self.dps

        def int_param(request: web.Request, name: str) -> int:
            try:
                return int(request.match_info[name])
            except ValueError:
                raise web.HTTPBadRequest(text=f"{name} must be a number") from None

        async def get_schedule(request: web.Request) -> web.StreamResponse:
            schedule = self.schedules.get(int_param(request, "id"))
            if schedule is None:
                return error_response(404, "Activity schedule not found")
            answer = copy.deepcopy(schedule)
            earliest = request.query.get("earliestSessionDate")
            if earliest:
                answer["instances"] = [i for i in answer["instances"] if i["date"] >= earliest]
            return json_response(answer)

        async def get_activity(request: web.Request) -> web.StreamResponse:
            activity_id = int_param(request, "id")
            activity = self.activities.get(activity_id)
            if activity is None:
                return error_response(404, "Activity not found")
            schedules = [s for s in self.schedules.values() if s["activity"]["id"] == activity_id]
            return json_response({**activity, "schedules": schedules})

        async def get_instance(request: web.Request) -> web.StreamResponse:
            found = self._instance(int_param(request, "id"))
            if found is None:
                return error_response(404, "Scheduled instance not found")
            schedule, instance = found
            lite = {k: v for k, v in schedule.items() if k != "instances"}
            return json_response({**instance, "timeSlot": "AM", "activitySchedule": lite})

        async def get_allocation(request: web.Request) -> web.StreamResponse:
            allocation = self.allocations.get(int_param(request, "id"))
            return json_response(allocation) if allocation else error_response(404, "Allocation not found")

        async def get_attendance(request: web.Request) -> web.StreamResponse:
            attendance = self.attendances.get(int_param(request, "id"))
            return json_response(attendance) if attendance else error_response(404, "Attendance not found")

        def counts(records: list[int]) -> list[dict[str, int]]:
            totals: dict[int, int] = {}
            for booking in records:
                totals[booking] = totals.get(booking, 0) + 1
            return [{"bookingId": b, "count": c} for b, c in sorted(totals.items())]

        def allocation_recon(suspended: bool) -> Any:
            async def handler(request: web.Request) -> web.StreamResponse:
                prison = request.match_info["prison"]
                bookings = [
                    a["bookingId"]
                    for a in self.allocations.values()
                    if self._prison_of_schedule(a["scheduleId"]) == prison
                    and (a["status"] in SUSPENDED if suspended else a["status"] != "ENDED")
                ]
                return json_response({"prisonCode": prison, "bookings": counts(bookings)})

            return handler

        async def attendance_recon(request: web.Request) -> web.StreamResponse:
            prison = request.match_info["prison"]
            on = request.query.get("date")
            if not on:
                return error_response(400, "date is required")
            bookings = [
                a["bookingId"]
                for a in self.attendances.values()
                if self._prison_of_schedule(a["activityScheduleId"]) == prison
                and a["sessionDate"] == on
                and a.get("issuePayment") is True
            ]
            return json_response({"prisonCode": prison, "date": on, "bookings": counts(bookings)})

        async def prison_activities(request: web.Request) -> web.StreamResponse:
            prison = request.match_info["prison"]
            return json_response(
                [
                    {"id": a["id"], "activityName": a["summary"], "category": a["category"]}
                    for a in self.activities.values()
                    if a["prisonCode"] == prison
                ]
            )

        async def control(request: web.Request) -> web.StreamResponse:
            """`POST /__activities/{event}` with the record's fields; `?publish=false` only changes DPS."""
            body = await json_body(request) or {}
            publish = request.query.get("publish", "true") != "false"
            event = request.match_info["event"]
            try:
                if event == "schedule-created":
                    result = await self.schedule_created(int(body.pop("id")), publish, **body)
                elif event == "schedule-amended":
                    result = await self.schedule_amended(int(body.pop("id")), body, publish)
                elif event == "instance-amended":
                    result = await self.instance_amended(int(body.pop("id")), body, publish)
                elif event in ("allocated", "allocation-amended"):
                    result = await self.allocated(
                        int(body.pop("id")),
                        int(body.pop("scheduleId")),
                        int(body.pop("bookingId")),
                        f"activities.prisoner.{event}",
                        publish,
                        **body,
                    )
                elif event in ("attendance-created", "attendance-amended", "attendance-expired"):
                    result = await self.attendance(
                        int(body.pop("attendanceId")),
                        int(body.pop("scheduledInstanceId")),
                        int(body.pop("bookingId")),
                        f"activities.prisoner.{event}",
                        publish,
                        **body,
                    )
                elif event == "attendance-deleted":
                    result = await self.attendance_deleted(
                        int(body["scheduledInstanceId"]), int(body["bookingId"]), publish
                    )
                else:
                    return error_response(404, f"unknown sandbox activities event {event}")
            except (KeyError, ValueError, TypeError) as error:
                return error_response(400, f"bad {event} request: {error}")
            return json_response({"event": result}, status=201)

        dps.route("GET", "/schedules/{id}", get_schedule)
        dps.route("GET", "/activities/{id}/filtered", get_activity)
        dps.route("GET", "/scheduled-instances/{id}", get_instance)
        dps.route("GET", "/allocations/id/{id}", get_allocation)
        dps.route("GET", "/synchronisation/attendance/{id}", get_attendance)
        dps.route("GET", "/synchronisation/reconciliation/allocations/{prison}", allocation_recon(False))
        dps.route(
            "GET", "/synchronisation/reconciliation/suspended-allocations/{prison}", allocation_recon(True)
        )
        dps.route("GET", "/synchronisation/reconciliation/attendances/{prison}", attendance_recon)
        dps.route("GET", "/prison/{prison}/activities", prison_activities)
        dps.route("POST", "/__activities/{event}", control)

    # ---- NOMIS ---------------------------------------------------------------------------------

    def seed_prisoner(self, booking_id: int, offender_no: str, location: str) -> None:
        """What `POST /prisoners/bookings` answers for a booking (its prisoner and current location)."""
        self.prisoner_locations[booking_id] = (offender_no, location)

    def seed_nomis_allocation(
        self, course_activity_id: int, booking_id: int, suspended: bool = False, status: str = "ALLOC"
    ) -> int:
        allocation_id = self.allocation_ids.next()
        self.nomis_allocations[allocation_id] = {
            "offenderProgramReferenceId": allocation_id,
            "courseActivityId": course_activity_id,
            "bookingId": booking_id,
            "programStatusCode": status,
            "suspended": suspended,
        }
        return allocation_id

    def seed_course_activity(self, prison: str, course_activity_id: int | None = None) -> int:
        activity_id = course_activity_id or self.course_activity_ids.next()
        self.course_activities[activity_id] = {
            "courseActivityId": activity_id,
            "prisonId": prison,
            "schedules": {},
        }
        return activity_id

    def seed_mapped_schedule(
        self,
        schedule_id: int,
        course_activity_id: int,
        instances: list[tuple[int, int, str, str, str]],
        prison: str = "MDI",
        dps_instances: bool = True,
    ) -> dict[str, Any]:
        """A schedule already in NOMIS and mapped: instances are (instanceId, courseScheduleId, date, start, end).

        With `dps_instances=False` DPS lists none of them (as for sessions before today).
        """
        schedule = self.seed_schedule(schedule_id, prison=prison)
        schedule["instances"] = (
            [
                {"id": i, "date": d, "startTime": s, "endTime": e, "cancelled": False}
                for i, _, d, s, e in instances
            ]
            if dps_instances
            else []
        )
        self.course_activities[course_activity_id] = {
            "courseActivityId": course_activity_id,
            "prisonId": prison,
            "code": str(schedule_id),
            "schedules": {cs: {"date": d, "startTime": s, "endTime": e, "cancelled": False} for _, cs, d, s, e in instances},
        }  # fmt: skip
        self.mappings[schedule_id] = {
            "activityScheduleId": schedule_id,
            "nomisCourseActivityId": course_activity_id,
            "activityId": schedule["activity"]["id"],
            "mappingType": "ACTIVITY_CREATED",
            "scheduledInstanceMappings": [
                {"scheduledInstanceId": i, "nomisCourseScheduleId": cs, "mappingType": "ACTIVITY_CREATED"}
                for i, cs, *_ in instances
            ],
            "whenCreated": datetime.now().isoformat(timespec="seconds"),
        }
        return schedule

    def seed_nomis_attendance(
        self, course_schedule_id: int, booking_id: int, on: str, paid: bool, prison: str
    ) -> int:
        event_id = self.attendance_ids.next()
        self.nomis_attendances[event_id] = {
            "eventId": event_id, "courseScheduleId": course_schedule_id, "bookingId": booking_id,
            "scheduleDate": on, "paid": paid, "prisonId": prison,
        }  # fmt: skip
        return event_id

    def max_course_schedule_id(self) -> int:
        return max(
            (cs for a in self.course_activities.values() for cs in a["schedules"]),
            default=self.course_schedule_ids.start - 1,
        )

    def _course_schedules_answer(self, activity: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            {"courseScheduleId": cs_id, "date": cs["date"], "startTime": _seconds(cs["startTime"]), "endTime": _seconds(cs["endTime"])}
            for cs_id, cs in sorted(activity["schedules"].items())
        ]  # fmt: skip

    def _apply_schedules(self, activity: dict[str, Any], requested: list[dict[str, Any]]) -> None:
        for schedule in requested:
            cs_id = schedule.get("id")
            if cs_id is None or cs_id not in activity["schedules"]:
                used = {cs for a in self.course_activities.values() for cs in a["schedules"]}
                cs_id = _next_free(self.course_schedule_ids, used)
            activity["schedules"][cs_id] = {
                k: schedule[k] for k in ("date", "startTime", "endTime", "cancelled")
            }

    def _install_nomis(self, nomis: FakeApi) -> None:
        def course_activity(request: web.Request) -> dict[str, Any] | None:
            try:
                return self.course_activities.get(int(request.match_info["id"]))
            except ValueError:
                return None

        async def create_activity(request: web.Request) -> web.StreamResponse:
            body = await json_body(request) or {}
            problem = _missing(body, CREATE_ACTIVITY_REQUIRED)
            if problem:
                return problem
            if len(body["description"]) > 40 or len(body["code"]) > 12:
                return error_response(400, "description must be at most 40 and code at most 12 characters")
            activity_id = _next_free(self.course_activity_ids, set(self.course_activities))
            activity = {**body, "courseActivityId": activity_id, "schedules": {}}
            self._apply_schedules(activity, body["schedules"])
            self.course_activities[activity_id] = activity
            return json_response(
                {"courseActivityId": activity_id, "courseSchedules": self._course_schedules_answer(activity)},
                status=201,
            )

        async def update_activity(request: web.Request) -> web.StreamResponse:
            activity = course_activity(request)
            if activity is None:
                return error_response(404, "Course activity not found")
            body = await json_body(request) or {}
            problem = _missing(body, UPDATE_ACTIVITY_REQUIRED)
            if problem:
                return problem
            activity.update({k: v for k, v in body.items() if k != "schedules"})
            self._apply_schedules(activity, body["schedules"])
            return json_response(
                {"courseActivityId": activity["courseActivityId"], "courseSchedules": self._course_schedules_answer(activity)}
            )  # fmt: skip

        async def get_activity(request: web.Request) -> web.StreamResponse:
            activity = course_activity(request)
            if activity is None:
                return error_response(404, "Course activity not found")
            return json_response({k: v for k, v in activity.items() if k != "schedules"})

        async def delete_activity(request: web.Request) -> web.StreamResponse:
            activity = course_activity(request)
            if activity is not None:
                del self.course_activities[activity["courseActivityId"]]
            return web.Response(status=204)

        async def update_schedule(request: web.Request) -> web.StreamResponse:
            activity = course_activity(request)
            body = await json_body(request) or {}
            if activity is None or body.get("id") not in activity["schedules"]:
                return error_response(404, "Course schedule not found")
            activity["schedules"][body["id"]].update(
                {k: body[k] for k in ("date", "startTime", "endTime", "cancelled") if k in body}
            )
            return json_response({"courseScheduleId": body["id"]})  # fmt: skip

        async def upsert_allocation(request: web.Request) -> web.StreamResponse:
            activity = course_activity(request)
            if activity is None:
                return error_response(404, "Course activity not found")
            body = await json_body(request) or {}
            problem = _missing(body, ("bookingId", "programStatusCode", "startDate"))
            if problem:
                return problem
            key = (activity["courseActivityId"], body["bookingId"])

            def existing() -> list[dict[str, Any]]:
                return [
                    a
                    for a in self.nomis_allocations.values()
                    if (a["courseActivityId"], a["bookingId"]) == key
                ]

            found = existing()
            if self.allocation_race_seconds:
                # Read, then write later: the window in which a concurrent upsert can also insert.
                await asyncio.sleep(self.allocation_race_seconds)
            if len(found) > 1:
                return error_response(500, "query did not return a unique result: " + str(len(found)))
            fields = {
                "bookingId": body["bookingId"], "programStatusCode": body["programStatusCode"],
                "suspended": bool(body.get("suspended")), "payBandCode": body.get("payBandCode"),
                "startDate": body["startDate"], "endDate": body.get("endDate"), "exclusions": body.get("exclusions", []),
            }  # fmt: skip
            if found:
                found[0].update(fields)
                return json_response(
                    {"offenderProgramReferenceId": found[0]["offenderProgramReferenceId"], "created": False, "prisonId": activity["prisonId"]}
                )  # fmt: skip
            allocation_id = self.allocation_ids.next()
            self.nomis_allocations[allocation_id] = {
                **fields, "offenderProgramReferenceId": allocation_id, "courseActivityId": key[0]
            }  # fmt: skip
            return json_response(
                {
                    "offenderProgramReferenceId": allocation_id,
                    "created": True,
                    "prisonId": activity["prisonId"],
                }
            )

        async def allocation_ids(request: web.Request) -> web.StreamResponse:
            prison = request.query.get("prisonId")
            if not prison:
                return error_response(400, "prisonId is required")
            course = request.query.get("courseActivityId")
            page, size = int(request.query.get("page", "0")), int(request.query.get("size", "10"))
            ids = sorted(
                a_id
                for a_id, a in self.nomis_allocations.items()
                if a["programStatusCode"] == "ALLOC"
                and self.course_activities.get(a["courseActivityId"], {}).get("prisonId") == prison
                and (course is None or str(a["courseActivityId"]) == course)
            )
            content = ids[page * size : (page + 1) * size]
            last = (page + 1) * size >= len(ids)
            return json_response(
                {"content": [{"allocationId": i} for i in content], "last": last, "number": page, "size": size, "totalElements": len(ids)}
            )  # fmt: skip

        async def get_allocation(request: web.Request) -> web.StreamResponse:
            allocation = self.nomis_allocations.get(int(request.match_info["id"]))
            if allocation is None:
                return error_response(404, "Allocation not found")
            prison = self.course_activities.get(allocation["courseActivityId"], {}).get("prisonId")
            return json_response({**allocation, "prisonId": prison})

        async def delete_allocation(request: web.Request) -> web.StreamResponse:
            if self.nomis_allocations.pop(int(request.match_info["id"]), None) is None:
                return error_response(404, "Allocation not found")
            return web.Response(status=204)

        def course_schedule(cs_id: int) -> tuple[dict[str, Any], dict[str, Any]] | None:
            for activity in self.course_activities.values():
                if cs_id in activity["schedules"]:
                    return activity, activity["schedules"][cs_id]
            return None

        async def upsert_attendance(request: web.Request) -> web.StreamResponse:
            cs_id, booking_id = int(request.match_info["cs"]), int(request.match_info["booking"])
            found = course_schedule(cs_id)
            if found is None:
                return error_response(404, "Course schedule not found")
            body = await json_body(request) or {}
            problem = _missing(body, ("endTime", "eventStatusCode", "scheduleDate", "startTime"))
            if problem:
                return problem
            activity, _ = found
            existing = [a for a in self.nomis_attendances.values() if (a["courseScheduleId"], a["bookingId"]) == (cs_id, booking_id)]  # fmt: skip
            record = {
                **body,
                "courseScheduleId": cs_id,
                "bookingId": booking_id,
                "prisonId": activity["prisonId"],
            }
            if existing:
                existing[0].update(record)
                event_id, created = existing[0]["eventId"], False
            else:
                event_id, created = self.attendance_ids.next(), True
                self.nomis_attendances[event_id] = {**record, "eventId": event_id}
            return json_response({"eventId": event_id, "courseScheduleId": cs_id, "created": created, "prisonId": activity["prisonId"]})  # fmt: skip

        async def delete_attendance(request: web.Request) -> web.StreamResponse:
            key = (int(request.match_info["cs"]), int(request.match_info["booking"]))
            found = [
                e for e, a in self.nomis_attendances.items() if (a["courseScheduleId"], a["bookingId"]) == key
            ]
            if not found:
                return error_response(404, "Attendance not found")
            for event_id in found:
                del self.nomis_attendances[event_id]
            return web.Response(status=204)

        def counts(bookings: list[int]) -> list[dict[str, int]]:
            totals: dict[int, int] = {}
            for booking in bookings:
                totals[booking] = totals.get(booking, 0) + 1
            return [{"bookingId": b, "count": c} for b, c in sorted(totals.items())]

        async def allocation_recon(request: web.Request) -> web.StreamResponse:
            prison = request.match_info["prison"]
            suspended = request.query.get("suspended") == "true"
            bookings = [
                a["bookingId"]
                for a in self.nomis_allocations.values()
                if a["programStatusCode"] == "ALLOC"
                and self.course_activities.get(a["courseActivityId"], {}).get("prisonId") == prison
                and (a["suspended"] if suspended else True)
            ]
            return json_response({"prisonId": prison, "bookings": counts(bookings)})

        async def attendance_recon(request: web.Request) -> web.StreamResponse:
            prison, on = request.match_info["prison"], request.query.get("date")
            if not on:
                return error_response(400, "date is required")
            bookings = [
                a["bookingId"]
                for a in self.nomis_attendances.values()
                if a["prisonId"] == prison and a["scheduleDate"] == on and a.get("paid")
            ]
            return json_response({"prisonId": prison, "date": on, "bookings": counts(bookings)})

        async def agency_switches(request: web.Request) -> web.StreamResponse:
            return json_response([{"agencyId": p, "name": f"{p} (HMP)"} for p in self.activity_prisons])

        async def bookings(request: web.Request) -> web.StreamResponse:
            body = await json_body(request)
            if not isinstance(body, list):
                return error_response(400, "body must be a list of booking ids")
            answer = []
            for booking_id in body:
                known = self.prisoner_locations.get(int(booking_id))
                if known is not None:
                    answer.append(
                        {"offenderNo": known[0], "offenderId": booking_id, "rootOffenderId": booking_id,
                         "bookingId": booking_id, "location": known[1], "active": known[1] != "OUT"}
                    )  # fmt: skip
            return json_response(answer)

        async def max_schedule_id(request: web.Request) -> web.StreamResponse:
            return json_response(self.max_course_schedule_id())

        nomis.route("POST", "/activities", create_activity)
        nomis.route("GET", "/activities/{id}", get_activity)
        nomis.route("PUT", "/activities/{id}", update_activity)
        nomis.route("DELETE", "/activities/{id}", delete_activity)
        nomis.route("PUT", "/activities/{id}/schedule", update_schedule)
        nomis.route("PUT", "/activities/{id}/allocation", upsert_allocation)
        nomis.route("GET", "/allocations/ids", allocation_ids)
        nomis.route("GET", "/allocations/reconciliation/{prison}", allocation_recon)
        nomis.route("GET", "/allocations/{id}", get_allocation)
        nomis.route("DELETE", "/allocations/{id}", delete_allocation)
        nomis.route("PUT", "/schedules/{cs}/booking/{booking}/attendance", upsert_attendance)
        nomis.route("DELETE", "/schedules/{cs}/booking/{booking}/attendance", delete_attendance)
        nomis.route("GET", "/attendances/reconciliation/{prison}", attendance_recon)
        nomis.route("GET", "/agency-switches/ACTIVITY", agency_switches)
        nomis.route("POST", "/prisoners/bookings", bookings)
        nomis.route("GET", "/schedules/max-id", max_schedule_id)

    # ---- mapping API ---------------------------------------------------------------------------

    def _clash(self, candidate: dict[str, Any], replacing: int | None) -> dict[str, Any] | None:
        instance_ids = {m["scheduledInstanceId"] for m in candidate.get("scheduledInstanceMappings", [])}
        course_ids = {m["nomisCourseScheduleId"] for m in candidate.get("scheduledInstanceMappings", [])}
        for schedule_id, row in self.mappings.items():
            if schedule_id == replacing:
                continue
            if schedule_id == candidate["activityScheduleId"] or row["nomisCourseActivityId"] == candidate["nomisCourseActivityId"]:  # fmt: skip
                return row
            for mapping in row["scheduledInstanceMappings"]:
                if (
                    mapping["scheduledInstanceId"] in instance_ids
                    or mapping["nomisCourseScheduleId"] in course_ids
                ):
                    return row
        return None

    def add_mapping(self, row: dict[str, Any]) -> web.Response | None:
        """Store an activity mapping, or the 409 the mapping API gives when any of its ids is taken."""
        existing = self._clash(row, None)
        if existing is not None:
            return error_response(
                409,
                "Conflict: Activity mapping already exist",
                more_info={"existing": {k: v for k, v in existing.items() if k != "scheduledInstanceMappings"},
                           "duplicate": {k: v for k, v in row.items() if k != "scheduledInstanceMappings"}},
            )  # fmt: skip
        self.mappings[row["activityScheduleId"]] = row
        return None

    def _install_mapping(self, mapping: FakeApi) -> None:
        async def read_row(request: web.Request) -> dict[str, Any] | web.Response:
            body = await json_body(request) or {}
            problem = _missing(body, ("activityScheduleId", "nomisCourseActivityId", "mappingType"))
            if problem:
                return problem
            return {
                "activityScheduleId": int(body["activityScheduleId"]),
                "nomisCourseActivityId": int(body["nomisCourseActivityId"]),
                "activityId": body.get("activityId"),
                "mappingType": body["mappingType"],
                "scheduledInstanceMappings": [
                    {"scheduledInstanceId": int(m["scheduledInstanceId"]), "nomisCourseScheduleId": int(m["nomisCourseScheduleId"]), "mappingType": m.get("mappingType")}
                    for m in body.get("scheduledInstanceMappings", [])
                ],
                "whenCreated": datetime.now().isoformat(timespec="seconds"),
            }  # fmt: skip

        async def create(request: web.Request) -> web.StreamResponse:
            row = await read_row(request)
            if isinstance(row, web.Response):
                return row
            return self.add_mapping(row) or web.Response(status=201)

        async def update(request: web.Request) -> web.StreamResponse:
            row = await read_row(request)
            if isinstance(row, web.Response):
                return row
            current = self.mappings.get(row["activityScheduleId"])
            if current is None:
                return error_response(404, "Activity mapping not found")
            existing = self._clash(row, row["activityScheduleId"])
            if existing is not None:
                return error_response(409, "Conflict: scheduled instance mapping already exists", more_info={"existing": existing, "duplicate": row})  # fmt: skip
            row["whenCreated"] = current.get("whenCreated")
            self.mappings[row["activityScheduleId"]] = row
            return json_response(row)

        async def get(request: web.Request) -> web.StreamResponse:
            row = self.mappings.get(int(request.match_info["id"]))
            return json_response(row) if row else error_response(404, "Activity mapping not found")

        async def get_instance(request: web.Request) -> web.StreamResponse:
            instance_id = int(request.match_info["id"])
            for row in self.mappings.values():
                for m in row["scheduledInstanceMappings"]:
                    if m["scheduledInstanceId"] == instance_id:
                        return json_response(m)
            return error_response(404, "Scheduled instance mapping not found")

        async def delete_above(request: web.Request) -> web.StreamResponse:
            max_id = int(request.match_info["max"])
            for row in self.mappings.values():
                row["scheduledInstanceMappings"] = [
                    m for m in row["scheduledInstanceMappings"] if m["nomisCourseScheduleId"] <= max_id
                ]
            return web.Response(status=204)

        async def location(request: web.Request) -> web.StreamResponse:
            dps_id = request.match_info["id"]
            nomis_id = self.location_mappings.get(dps_id)
            if nomis_id is None:
                return error_response(404, "Location mapping not found")
            return json_response({"dpsLocationId": dps_id, "nomisLocationId": nomis_id, "mappingType": "LOCATION_CREATED"})  # fmt: skip

        mapping.route("POST", "/mapping/activities", create)
        mapping.route("PUT", "/mapping/activities", update)
        mapping.route("GET", "/mapping/activities/activity-schedule-id/{id}", get)
        mapping.route("GET", "/mapping/activities/schedules/scheduled-instance-id/{id}", get_instance)
        mapping.route("DELETE", "/mapping/schedules/max-nomis-schedule-id/{max}", delete_above)
        mapping.route("GET", "/mapping/locations/dps/{id}", location)


def install(estate: Estate) -> ActivitiesFakes:
    estate.add_queue(QUEUE_ID, EVENTS)
    return ActivitiesFakes(estate)
