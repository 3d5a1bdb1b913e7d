"""Activity endpoints: manual synchronisation (activities.md 5) and reconciliation triggers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

from fastapi import APIRouter, Depends, Response

from prisoner_to_nomis_update.domains.activities.allocations import AllocationService
from prisoner_to_nomis_update.domains.activities.attendances import AttendanceService
from prisoner_to_nomis_update.domains.activities.reconciliation import ActivitiesReconciliation
from prisoner_to_nomis_update.domains.activities.schedules import SchedulesService
from prisoner_to_nomis_update.framework.auth import Principal, require_role
from prisoner_to_nomis_update.framework.background import BackgroundReports
from prisoner_to_nomis_update.framework.params import RecordId
from prisoner_to_nomis_update.framework.responses import error_responses
from prisoner_to_nomis_update.framework.telemetry import Telemetry

UPDATE_ROLE = "ROLE_PRISONER_TO_NOMIS__UPDATE__RW"
MISSING_SCHEDULE = "DPS has no such activity schedule, or (update) it has no course activity mapping"
ALREADY_RUNNING = "The same reconciliation is already running on this pod"

ALLOCATION_REPORT = "activity allocation reconciliation"
SUSPENDED_ALLOCATION_REPORT = "activity suspended-allocation reconciliation"
ATTENDANCE_REPORT = "activity attendance reconciliation"


class ReportStarters:
    """Start each reconciliation in the background (their HTTP triggers and the operator console)."""

    def __init__(
        self,
        reconciliation: ActivitiesReconciliation,
        reports: BackgroundReports,
        default_report_date: Callable[[], date],
    ) -> None:
        self.reconciliation = reconciliation
        self.reports = reports
        self.default_report_date = default_report_date

    async def allocations(self) -> None:
        self.reports.start(ALLOCATION_REPORT, self.reconciliation.allocation_report)

    async def suspended_allocations(self) -> None:
        self.reports.start(SUSPENDED_ALLOCATION_REPORT, self.reconciliation.suspended_allocation_report)

    async def attendances(self, on: date | None = None) -> None:
        day = on or self.default_report_date()
        self.reports.start(ATTENDANCE_REPORT, lambda: self.reconciliation.attendance_report(day))

    def by_name(self) -> dict[str, Callable[[], Awaitable[None]]]:
        return {
            ALLOCATION_REPORT: self.allocations,
            SUSPENDED_ALLOCATION_REPORT: self.suspended_allocations,
            ATTENDANCE_REPORT: self.attendances,
        }


def build_router(
    schedules: SchedulesService,
    allocations: AllocationService,
    attendances: AttendanceService,
    telemetry: Telemetry,
    starters: ReportStarters,
) -> APIRouter:
    router = APIRouter(tags=["activities"])
    role = Depends(require_role(UPDATE_ROLE))

    @router.post(
        "/activities/{activityScheduleId}",
        status_code=201,
        operation_id="createActivity",
        summary="Create the NOMIS course activity of a DPS activity schedule (as its created event)",
        response_class=Response,
        responses=error_responses(404, described={404: MISSING_SCHEDULE}),
    )
    async def create_activity(activityScheduleId: RecordId, _: Principal = role) -> Response:
        telemetry.track_event("activity-create-requested", {"dpsActivityScheduleId": activityScheduleId})
        await schedules.create_activity(activityScheduleId)
        return Response(status_code=201)

    @router.put(
        "/activities/{activityScheduleId}",
        operation_id="updateActivity",
        summary="Update the NOMIS course activity of a DPS activity schedule (as its amended event)",
        response_class=Response,
        responses=error_responses(404, described={404: MISSING_SCHEDULE}),
    )
    async def update_activity(activityScheduleId: RecordId, _: Principal = role) -> Response:
        telemetry.track_event("activity-amend-requested", {"dpsActivityScheduleId": activityScheduleId})
        await schedules.update_activity(activityScheduleId)
        return Response(status_code=200)

    @router.put(
        "/allocations/{allocationId}",
        operation_id="upsertAllocation",
        summary="Create or update the NOMIS allocation of a DPS allocation",
        response_class=Response,
        responses=error_responses(
            404, described={404: "DPS has no such allocation, or its schedule has no course activity mapping"}
        ),
    )
    async def upsert_allocation(allocationId: RecordId, _: Principal = role) -> Response:
        telemetry.track_event("activity-allocation-requested", {"dpsAllocationId": allocationId})
        await allocations.upsert_allocation(allocationId)
        return Response(status_code=200)

    @router.put(
        "/attendances/{attendanceId}",
        operation_id="upsertAttendance",
        summary="Create or update the NOMIS attendance of a DPS attendance",
        response_class=Response,
        responses=error_responses(
            404, described={404: "DPS has no such attendance, or its scheduled instance has no mapping"}
        ),
    )
    async def upsert_attendance(attendanceId: RecordId, _: Principal = role) -> Response:
        telemetry.track_event("activity-attendance-requested", {"dpsAttendanceId": attendanceId})
        await attendances.upsert_attendance(attendanceId, "update")
        return Response(status_code=200)

    # Reports take minutes: they run in the background and the answer is 202; outcomes are in telemetry.

    @router.put(
        "/activities/reports/reconciliation/allocations",
        status_code=202,
        response_class=Response,
        responses=error_responses(409, described={409: ALREADY_RUNNING}),
        operation_id="activityAllocationReconciliation",
        summary="Start the allocation reconciliation of every activities prison",
    )
    async def allocation_report(_: Principal = role) -> Response:
        await starters.allocations()
        return Response(status_code=202)

    @router.put(
        "/activities/reports/reconciliation/suspended-allocations",
        status_code=202,
        response_class=Response,
        responses=error_responses(409, described={409: ALREADY_RUNNING}),
        operation_id="activitySuspendedAllocationReconciliation",
        summary="Start the suspended-allocation reconciliation of every activities prison",
    )
    async def suspended_report(_: Principal = role) -> Response:
        await starters.suspended_allocations()
        return Response(status_code=202)

    @router.put(
        "/activities/reports/reconciliation/attendances",
        status_code=202,
        response_class=Response,
        responses=error_responses(409, described={409: ALREADY_RUNNING}),
        operation_id="activityAttendanceReconciliation",
        summary="Start the attendance reconciliation for a date (default yesterday)",
    )
    async def attendance_report(date: date | None = None, _: Principal = role) -> Response:
        await starters.attendances(date)
        return Response(status_code=202)

    return router
