"""Daily allocation, suspended-allocation and attendance reconciliations per activities prison (activities.md 6).

Each prison's NOMIS and DPS per-booking counts are fetched together and compared; only one prison's
counts are held at a time and at most `parallel-prisons` prisons are checked at once (default 1, the
original's sequential order), so memory stays flat however many prisons have activities switched on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from prisoner_to_nomis_update.domains.activities.clients import ActivitiesApi, NomisActivitiesApi
from prisoner_to_nomis_update.domains.activities.models import BookingCount, BookingCounts
from prisoner_to_nomis_update.framework.telemetry import Telemetry

log = logging.getLogger(__name__)

NOMIS_ONLY = "NOMIS_only"
DPS_ONLY = "DPS_only"
DIFFERENT_COUNT = "different_count"


@dataclass(frozen=True)
class Differences:
    nomis_only: list[int]
    dps_only: list[int]
    different_count: list[int]

    @property
    def all(self) -> list[int]:
        return [*self.nomis_only, *self.dps_only, *self.different_count]

    def type_of(self, booking_id: int) -> str:
        if booking_id in self.nomis_only:
            return NOMIS_ONLY
        if booking_id in self.dps_only:
            return DPS_ONLY
        return DIFFERENT_COUNT


def compare(nomis: list[BookingCount], dps: list[BookingCount]) -> Differences:
    """activities.md 6.2: ids on one side only, then the rest paired by position after sorting."""
    nomis_sorted = sorted(nomis, key=lambda b: b.bookingId)
    dps_sorted = sorted(dps, key=lambda b: b.bookingId)
    nomis_ids = {b.bookingId for b in nomis_sorted}
    dps_ids = {b.bookingId for b in dps_sorted}
    nomis_only = [b.bookingId for b in nomis_sorted if b.bookingId not in dps_ids]
    dps_only = [b.bookingId for b in dps_sorted if b.bookingId not in nomis_ids]
    common_nomis = [b for b in nomis_sorted if b.bookingId in dps_ids]
    common_dps = [b for b in dps_sorted if b.bookingId in nomis_ids]
    different = [n.bookingId for n, d in zip(common_nomis, common_dps, strict=False) if n.count != d.count]
    return Differences(nomis_only, dps_only, different)


@dataclass(frozen=True)
class ReportKind:
    name: str
    """allocation, suspended-allocation or attendance (the telemetry infix)."""
    ignore_different_prisons: bool


ALLOCATION = ReportKind("allocation", ignore_different_prisons=False)
SUSPENDED_ALLOCATION = ReportKind("suspended-allocation", ignore_different_prisons=True)
ATTENDANCE = ReportKind("attendance", ignore_different_prisons=True)


class ActivitiesReconciliation:
    def __init__(
        self,
        activities: ActivitiesApi,
        nomis: NomisActivitiesApi,
        telemetry: Telemetry,
        parallel_prisons: int = 1,
    ) -> None:
        self.activities = activities
        self.nomis = nomis
        self.telemetry = telemetry
        self.parallel_prisons = max(parallel_prisons, 1)

    async def allocation_report(self) -> None:
        await self._report(
            ALLOCATION,
            {},
            lambda prison: self.nomis.allocation_counts(prison, suspended=False),
            lambda prison: self.activities.allocation_counts(prison, suspended=False),
        )

    async def suspended_allocation_report(self) -> None:
        await self._report(
            SUSPENDED_ALLOCATION,
            {},
            lambda prison: self.nomis.allocation_counts(prison, suspended=True),
            lambda prison: self.activities.allocation_counts(prison, suspended=True),
        )

    async def attendance_report(self, on: date) -> None:
        await self._report(
            ATTENDANCE,
            {"date": on},
            lambda prison: self.nomis.attendance_counts(prison, on),
            lambda prison: self.activities.attendance_counts(prison, on),
        )

    async def _report(
        self,
        kind: ReportKind,
        extra: dict[str, Any],
        nomis_counts: Callable[[str], Awaitable[BookingCounts]],
        dps_counts: Callable[[str], Awaitable[BookingCounts]],
    ) -> None:
        prefix = f"activity-{kind.name}-reconciliation-report"
        try:
            prisons = await self.nomis.activity_prisons()
        except Exception:
            self.telemetry.track_event(f"{prefix}-error", extra)
            raise
        self.telemetry.track_event(f"{prefix}-requested", {"prisons": prisons, **extra})
        limit = asyncio.Semaphore(self.parallel_prisons)

        async def check(prison: str) -> None:
            async with limit:
                try:
                    await self._check_prison(kind, prefix, prison, extra, nomis_counts, dps_counts)
                except Exception as error:
                    log.error("Activity %s reconciliation failed for %s: %s", kind.name, prison, error)
                    self.telemetry.track_event(f"{prefix}-error", {"prison": prison, **extra})

        if self.parallel_prisons == 1:
            for prison in prisons:
                await check(prison)
        else:
            await asyncio.gather(*(check(prison) for prison in prisons))

    async def _check_prison(
        self,
        kind: ReportKind,
        prefix: str,
        prison: str,
        extra: dict[str, Any],
        nomis_counts: Callable[[str], Awaitable[BookingCounts]],
        dps_counts: Callable[[str], Awaitable[BookingCounts]],
    ) -> None:
        nomis, dps = await asyncio.gather(nomis_counts(prison), dps_counts(prison))
        differences = compare(nomis.bookings, dps.bookings)
        every = differences.all
        details = await self.nomis.prisoner_details(every) if every else []
        ignored = (
            [d.bookingId for d in details if d.location != prison] if kind.ignore_different_prisons else []
        )
        for booking_id in sorted(b for b in every if b not in ignored):
            found = next((d for d in details if d.bookingId == booking_id), None)
            self.telemetry.track_event(
                f"{prefix}-failed",
                {
                    "prison": prison,
                    **extra,
                    "type": differences.type_of(booking_id),
                    "bookingId": booking_id,
                    "offenderNo": found.offenderNo if found else "Details not found in NOMIS",
                    "location": (found.location if found else None) or prison,
                },
            )
        if ignored:
            log.info("Ignoring %s differences for prisoners no longer in %s: %s", kind.name, prison, ignored)
        if len(every) - len(ignored) == 0:
            self.telemetry.track_event(f"{prefix}-success", {"prison": prison, **extra})
