"""Allocations: DPS allocation upserts to NOMIS offender program profiles (activities.md 3.4).

NOMIS upserts by course activity + booking but, as the original's runbook records, two upserts for the
same pair at the same moment can both insert. We prevent that within a process with a lock per pair and
repair it across processes: whoever *created* a row asks whether NOMIS now holds more active
allocations for the booking than DPS does (one NOMIS and one DPS read, whatever the course's size).
Only then does it look through the course for the booking's rows and delete all but the oldest, so
both racers converge on the same single row. The racer that finishes last always sees both rows.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from prisoner_to_nomis_update.domains.activities.clients import (
    ActivitiesApi,
    ActivityMappingApi,
    NomisActivitiesApi,
)
from prisoner_to_nomis_update.domains.activities.models import BookingCounts, UpsertAllocationResponse
from prisoner_to_nomis_update.domains.activities.transform import allocation_request
from prisoner_to_nomis_update.framework.locks import KeyedLocks
from prisoner_to_nomis_update.framework.telemetry import Telemetry

log = logging.getLogger(__name__)


class AllocationService:
    def __init__(
        self,
        activities: ActivitiesApi,
        nomis: NomisActivitiesApi,
        mappings: ActivityMappingApi,
        telemetry: Telemetry,
    ) -> None:
        self.activities = activities
        self.nomis = nomis
        self.mappings = mappings
        self.telemetry = telemetry
        self.locks = KeyedLocks()

    async def upsert_allocation(self, allocation_id: int) -> None:
        telemetry_map: dict[str, Any] = {"dpsAllocationId": allocation_id}
        try:
            allocation = await self.activities.get_allocation(allocation_id)
            telemetry_map["offenderNo"] = allocation.prisonerNumber
            telemetry_map["bookingId"] = allocation.bookingId
            telemetry_map["dpsActivityScheduleId"] = allocation.scheduleId
            mapping = await self.mappings.get(allocation.scheduleId)
            course_activity_id = mapping.nomisCourseActivityId
            telemetry_map["nomisCourseActivityId"] = course_activity_id
            request = allocation_request(allocation)
            async with self.locks.hold((course_activity_id, allocation.bookingId)):
                response = await self.nomis.upsert_allocation(course_activity_id, request)
                if response.created and await self._nomis_holds_more(response.prisonId, allocation.bookingId):
                    await self._remove_duplicates(course_activity_id, allocation.bookingId, response)
            telemetry_map["nomisAllocationId"] = response.offenderProgramReferenceId
            telemetry_map["prisonId"] = response.prisonId
        except Exception:
            self.telemetry.track_event("activity-allocation-failed", telemetry_map)
            raise
        self.telemetry.track_event("activity-allocation-success", telemetry_map)

    async def _nomis_holds_more(self, prison: str, booking_id: int) -> bool:
        """NOMIS has more active allocations for the booking than DPS: a duplicate may have been made.

        The reconciliation counts of both sides (one call each, the same pair the allocation report
        compares). A false alarm (DPS ended another of the booking's allocations a moment ago) costs
        one look through the course; a duplicate hidden by DPS being ahead of NOMIS on another course
        shows in the next allocation reconciliation as `different_count`.
        """
        nomis, dps = await asyncio.gather(
            self.nomis.allocation_counts(prison, suspended=False),
            self.activities.allocation_counts(prison, suspended=False),
        )
        return count_for(nomis, booking_id) > count_for(dps, booking_id)

    async def _remove_duplicates(
        self, course_activity_id: int, booking_id: int, response: UpsertAllocationResponse
    ) -> None:
        """Keep the oldest (lowest id) active allocation of this booking on this course, delete the rest."""
        ids = await self.nomis.active_allocation_ids(response.prisonId, course_activity_id)
        candidates = sorted(i for i in ids if i != response.offenderProgramReferenceId)
        same_booking = [i for i in candidates if await self.nomis.allocation_booking(i) == booking_id]
        if not same_booking:
            return
        keep = min([*same_booking, response.offenderProgramReferenceId])
        for duplicate in sorted({*same_booking, response.offenderProgramReferenceId} - {keep}):
            await self.nomis.delete_allocation(duplicate)
            self.telemetry.track_event(
                "activity-allocation-duplicate-removed",
                {
                    "nomisCourseActivityId": course_activity_id,
                    "bookingId": booking_id,
                    "nomisAllocationId": duplicate,
                    "keptNomisAllocationId": keep,
                },
            )
        response.offenderProgramReferenceId = keep


def count_for(counts: BookingCounts, booking_id: int) -> int:
    return sum(entry.count for entry in counts.bookings if entry.bookingId == booking_id)
