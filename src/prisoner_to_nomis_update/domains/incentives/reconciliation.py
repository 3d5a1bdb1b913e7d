"""The weekly incentives reconciliation (spec B9): NOMIS current IEP vs DPS current level, per active prisoner.

Pages of active prisoners are read one after another (with the NOMIS transient-error retry); a page's
prisoners are checked concurrently, at most `thread-count` at once. Only mismatches are kept, so memory
stays flat however many prisoners there are. A page that still fails after its retries is reported as
`...-mismatch-page-error` and skipped; a prisoner whose checks fail is reported and skipped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from importlib import resources

from prisoner_to_nomis_update.domains.incentives.clients import IncentivesApi, NomisIncentivesApi
from prisoner_to_nomis_update.framework.http import ApiConnectionError, HttpError
from prisoner_to_nomis_update.framework.nomis import NomisApi, PrisonerIds
from prisoner_to_nomis_update.framework.reconciliation import paged_reconciliation
from prisoner_to_nomis_update.framework.telemetry import Telemetry, as_text

log = logging.getLogger(__name__)

PREFIX = "incentives-reports-reconciliation"
EXCLUDED_BOOKINGS_RESOURCE = "excludedIncentiveReconciliationBookingIds.txt"


def parse_excluded_booking_ids(text: str) -> frozenset[int]:
    """Comma-separated booking ids (newlines tolerated); entries trimmed, non-numeric ones dropped."""
    entries = (entry.strip() for line in text.splitlines() for entry in line.split(","))
    return frozenset(int(entry) for entry in entries if entry.isdigit())


def load_excluded_booking_ids() -> frozenset[int]:
    package = resources.files(__package__ or "prisoner_to_nomis_update.domains.incentives")
    return parse_excluded_booking_ids(package.joinpath(EXCLUDED_BOOKINGS_RESOURCE).read_text("utf-8"))


@dataclass(frozen=True)
class LevelMismatch:
    offender_no: str
    booking_id: int
    nomis_level: str | None
    dps_level: str | None


@dataclass(frozen=True)
class ReconciliationReport:
    active_prisoners: int
    mismatches: list[LevelMismatch]
    success: bool


class IncentivesReconciliation:
    def __init__(
        self,
        nomis: NomisApi,
        nomis_incentives: NomisIncentivesApi,
        incentives: IncentivesApi,
        telemetry: Telemetry,
        page_size: int,
        thread_count: int,
        excluded_booking_ids: frozenset[int],
    ) -> None:
        if page_size < 1 or thread_count < 1:
            raise ValueError("the reconciliation page size and thread count must be at least 1")
        self.nomis = nomis
        self.nomis_incentives = nomis_incentives
        self.incentives = incentives
        self.telemetry = telemetry
        self.page_size = page_size
        self.thread_count = thread_count
        self.excluded = excluded_booking_ids

    async def run(self) -> ReconciliationReport:
        """The whole report. Raises only if the active-prisoner count cannot be read."""
        return await self.check_all(await self.requested())

    async def requested(self) -> int:
        """Read the number of active prisoners and announce the run (step 1-2)."""
        total = (await self.nomis.active_prisoners_page(0, 1)).totalElements
        self.telemetry.track_event(f"{PREFIX}-requested", {"active-prisoners": total})
        log.info("Incentives reconciliation requested for %d active prisoners", total)
        return total

    async def check_all(self, total: int) -> ReconciliationReport:
        """Steps 3-6: every page, then the summary event. Unexpected failures end in success=false."""
        pages = total // self.page_size + 1
        started = time.monotonic()
        progress = {"checked": 0, "mismatches": 0}

        async def fetch_page(page: int, size: int) -> list[PrisonerIds]:
            if page:
                log.info(
                    "Incentives reconciliation: %d of %d pages done, %d prisoners checked, "
                    "%d mismatches, %.1fs",
                    page,
                    pages,
                    progress["checked"],
                    progress["mismatches"],
                    time.monotonic() - started,
                )
            return (await self.nomis.active_prisoners_page(page, size)).content

        async def check(prisoner: PrisonerIds) -> LevelMismatch | None:
            mismatch = await self.check_prisoner(prisoner)
            progress["checked"] += 1
            progress["mismatches"] += mismatch is not None
            return mismatch

        def page_error(page: int, error: Exception) -> None:
            log.error("Incentives reconciliation: page %d could not be read, skipped: %s", page, error)
            self.telemetry.track_event(f"{PREFIX}-mismatch-page-error", {"page": page})

        try:
            mismatches = await paged_reconciliation(
                total=total,
                page_size=self.page_size,
                fetch_page=fetch_page,
                check=check,
                on_page_error=page_error,
                concurrency=self.thread_count,
            )
        except Exception:
            log.exception("Incentives reconciliation failed")
            self.telemetry.track_event(f"{PREFIX}-report", {"success": False})
            return ReconciliationReport(total, [], success=False)
        self.telemetry.track_event(
            f"{PREFIX}-report",
            {
                "mismatch-count": len(mismatches),
                "success": True,
                **{m.offender_no: f"{as_text(m.nomis_level)}:{as_text(m.dps_level)}" for m in mismatches},
            },
        )
        log.info(
            "Incentives reconciliation finished: %d prisoners checked, %d mismatches, %.1fs",
            progress["checked"],
            len(mismatches),
            time.monotonic() - started,
        )
        return ReconciliationReport(total, mismatches, success=True)

    async def _nomis_level(self, booking_id: int) -> str | None:
        current = await self.nomis_incentives.current_incentive(booking_id)
        return current.iepLevel.code if current is not None else None

    async def _dps_level(self, offender_no: str) -> str | None:
        current = await self.incentives.current_review(offender_no)
        return current.iepCode if current is not None else None

    async def check_prisoner(self, prisoner: PrisonerIds) -> LevelMismatch | None:
        """Compare one prisoner; never raises (a failure is reported and counts as no mismatch)."""
        ids = {"offenderNo": prisoner.offenderNo, "bookingId": prisoner.bookingId}
        nomis, dps = await asyncio.gather(
            self._nomis_level(prisoner.bookingId),
            self._dps_level(prisoner.offenderNo),
            return_exceptions=True,
        )
        failures = [result for result in (nomis, dps) if isinstance(result, BaseException)]
        if failures:
            for failure in failures:
                if not isinstance(failure, Exception):
                    raise failure  # cancellation and the like are not ours to swallow
            network = any(isinstance(f, HttpError | ApiConnectionError) for f in failures)
            log.warning("Incentives reconciliation could not check %s: %s", ids, failures)
            self.telemetry.track_event(
                f"{PREFIX}-network-error" if network else f"{PREFIX}-mismatch-error", ids
            )
            return None
        assert not isinstance(nomis, BaseException) and not isinstance(dps, BaseException)
        excluded = prisoner.bookingId in self.excluded
        if nomis != dps:
            if excluded:
                self.telemetry.track_event(
                    f"{PREFIX}-excluded-booking",
                    {
                        **ids,
                        "reason": f"Excluding reconciliation mismatches for booking id {prisoner.bookingId}",
                    },
                )
                return None
            self.telemetry.track_event(
                f"{PREFIX}-mismatch", {**ids, "nomisIncentiveLevel": nomis, "dpsIncentiveLevel": dps}
            )
            return LevelMismatch(prisoner.offenderNo, prisoner.bookingId, nomis, dps)
        if excluded:
            self.telemetry.track_event(
                f"{PREFIX}-mismatch-excluded-booking-resolved",
                {
                    **ids,
                    "reason": f"No reconciliation mismatches found for excluded booking id "
                    f"{prisoner.bookingId}. Remove from exclusion file.",
                },
            )
        return None
