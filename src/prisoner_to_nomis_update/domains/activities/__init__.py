"""The activities domain: `activities.*` events from activities-api to NOMIS (activities.md)."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from prisoner_to_nomis_update.domains.activities.allocations import AllocationService
from prisoner_to_nomis_update.domains.activities.attendances import AttendanceService, upsert_type_of
from prisoner_to_nomis_update.domains.activities.clients import (
    ActivitiesApi,
    ActivityMappingApi,
    NomisActivitiesApi,
)
from prisoner_to_nomis_update.domains.activities.duplicates import ALERT, ActivityDuplicateResolver
from prisoner_to_nomis_update.domains.activities.models import (
    AllocationEvent,
    AttendanceDeletedEvent,
    AttendanceEvent,
    ScheduledInstanceEvent,
    ScheduleEvent,
)
from prisoner_to_nomis_update.domains.activities.reconciliation import ActivitiesReconciliation
from prisoner_to_nomis_update.domains.activities.routes import ReportStarters, build_router
from prisoner_to_nomis_update.domains.activities.schedules import SchedulesService
from prisoner_to_nomis_update.framework.batch import purge_dlq_job
from prisoner_to_nomis_update.framework.domain import Domain, DomainContext, parse_event
from prisoner_to_nomis_update.settings import ConfigError, Settings

log = logging.getLogger(__name__)

QUEUE_ID = "activity"


def report_date(settings: Settings) -> date:
    """RECON_DATE (yyyy-MM-dd) when given, otherwise yesterday, the original's ATTENDANCE_RECON date."""
    configured = (settings.env.get("RECON_DATE") or "").strip()
    if not configured:
        return date.today() - timedelta(days=1)
    try:
        return date.fromisoformat(configured)
    except ValueError:
        raise ConfigError(f"RECON_DATE must be a date such as 2024-01-31, got {configured!r}") from None


def build(context: DomainContext) -> Domain:
    activities = ActivitiesApi(context.apis.get("activities"))
    nomis = NomisActivitiesApi(context.apis.get("nomis"))
    mappings = ActivityMappingApi(context.apis.get("mapping"))
    telemetry = context.telemetry
    schedules = SchedulesService(activities, nomis, mappings, telemetry, context.retry_queue(QUEUE_ID))
    allocations = AllocationService(activities, nomis, mappings, telemetry)
    attendances = AttendanceService(activities, nomis, mappings, telemetry)
    reconciliation = ActivitiesReconciliation(
        activities,
        nomis,
        telemetry,
        parallel_prisons=context.settings.report_int("reports.activities.reconciliation.parallel-prisons", 1),
    )

    async def schedule_created(event: dict[str, Any]) -> None:
        await schedules.create_activity(
            parse_event(ScheduleEvent, event).additionalInformation.activityScheduleId
        )

    async def schedule_amended(event: dict[str, Any]) -> None:
        await schedules.update_activity(
            parse_event(ScheduleEvent, event).additionalInformation.activityScheduleId
        )

    async def instance_amended(event: dict[str, Any]) -> None:
        info = parse_event(ScheduledInstanceEvent, event).additionalInformation
        await schedules.update_scheduled_instance(info.scheduledInstanceId)

    async def allocation(event: dict[str, Any]) -> None:
        await allocations.upsert_allocation(
            parse_event(AllocationEvent, event).additionalInformation.allocationId
        )

    async def attendance(event: dict[str, Any]) -> None:
        parsed = parse_event(AttendanceEvent, event)
        await attendances.upsert_attendance(
            parsed.additionalInformation.attendanceId, upsert_type_of(parsed.eventType)
        )

    async def attendance_deleted(event: dict[str, Any]) -> None:
        info = parse_event(AttendanceDeletedEvent, event).additionalInformation
        await attendances.delete_attendance(info.scheduledInstanceId, info.bookingId)

    async def deallocated(event: dict[str, Any]) -> None:
        """Subscribed but deliberately a no-op: a deallocation also arrives as `allocation-amended`."""
        log.info("Ignoring activities.prisoner.deallocated: handled by its allocation-amended event")

    async def attendance_report() -> None:
        await reconciliation.attendance_report(report_date(context.settings))

    async def delete_unknown_mappings() -> None:
        await schedules.delete_unknown_mappings()

    starters = ReportStarters(reconciliation, context.reports, lambda: date.today() - timedelta(days=1))

    return Domain(
        name="activities",
        queue_id=QUEUE_ID,
        handlers={
            "activities.activity-schedule.created": schedule_created,
            "activities.activity-schedule.amended": schedule_amended,
            "activities.scheduled-instance.amended": instance_amended,
            "activities.prisoner.allocated": allocation,
            "activities.prisoner.allocation-amended": allocation,
            "activities.prisoner.deallocated": deallocated,
            "activities.prisoner.attendance-created": attendance,
            "activities.prisoner.attendance-amended": attendance,
            "activities.prisoner.attendance-expired": attendance,
            "activities.prisoner.attendance-deleted": attendance_deleted,
        },
        retry_create_mapping=schedules.retry_create_mapping,
        router=build_router(schedules, allocations, attendances, telemetry, starters),
        batch_jobs={
            "ALLOCATION_RECON": reconciliation.allocation_report,
            "SUSPENDED_ALLOCATION_RECON": reconciliation.suspended_allocation_report,
            "ATTENDANCE_RECON": attendance_report,
            "DELETE_UNKNOWN_ACTIVITY_MAPPINGS": delete_unknown_mappings,
            "PURGE_ACTIVITY_DLQ": purge_dlq_job(context.queues, context.settings, QUEUE_ID),
        },
        apis=["activities"],
        duplicate_resolvers={ALERT: ActivityDuplicateResolver(nomis, mappings)},
        startable_reports=starters.by_name(),
    )
