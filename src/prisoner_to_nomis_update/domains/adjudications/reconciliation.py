"""The ADA reconciliation (spec 7): additional days awarded, NOMIS versus DPS, per active prisoner.

Run as batch job ADJUDICATION_RECON (prod CronJob `adjudication-recon`, Mondays 02:30). Active
prisoners are paged from NOMIS one page after another; a page's prisoners are checked concurrently (at
most a page at a time), each holding only its own booking's adjudications while it is checked, so
memory stays flat however many prisoners there are. Only mismatches are kept.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from prisoner_to_nomis_update.domains.adjudications.clients import (
    AdjudicationMappingApi,
    AdjudicationsApi,
    NomisAdjudicationsApi,
)
from prisoner_to_nomis_update.domains.adjudications.models import (
    AdjudicationADAAwardSummaryResponse,
    ChargeSummaryDto,
    MergeDetail,
)
from prisoner_to_nomis_update.domains.adjudications.transform import ADA_TYPES
from prisoner_to_nomis_update.framework.http import do_api_call_with_retries
from prisoner_to_nomis_update.framework.nomis import NomisApi, PrisonerIds
from prisoner_to_nomis_update.framework.reconciliation import paged_reconciliation
from prisoner_to_nomis_update.framework.telemetry import Telemetry

log = logging.getLogger(__name__)

PREFIX = "adjudication-reports-reconciliation"


@dataclass(frozen=True)
class AdaTotals:
    count: int
    days: int


@dataclass(frozen=True)
class AdaMismatch:
    prisoner: PrisonerIds
    nomis: AdaTotals
    dps: AdaTotals

    def summary(self) -> str:
        return f"{self.nomis.count}:{self.dps.count},{self.nomis.days}:{self.dps.days}"


def nomis_totals(summary: AdjudicationADAAwardSummaryResponse) -> AdaTotals:
    return AdaTotals(len(summary.adaSummaries), sum(item.days for item in summary.adaSummaries))


def dps_totals(charges: Iterable[ChargeSummaryDto]) -> AdaTotals:
    """ADAs of adjudications that had a hearing (without one they could never have reached NOMIS)."""
    days = [
        punishment.schedule.duration or 0
        for charge in charges
        if charge.hearings
        for punishment in charge.punishments
        if punishment.type in ADA_TYPES
    ]
    return AdaTotals(len(days), sum(days))


class ReconciliationFailed(RuntimeError):
    """The batch run could not complete: the process exits non-zero so the CronJob shows it."""


class AdjudicationsReconciliation:
    def __init__(
        self,
        nomis: NomisApi,
        nomis_adjudications: NomisAdjudicationsApi,
        dps: AdjudicationsApi,
        mappings: AdjudicationMappingApi,
        telemetry: Telemetry,
        page_size: int,
        migration_date: date,
    ) -> None:
        if page_size < 1:
            raise ValueError("the reconciliation page size must be at least 1")
        self.nomis = nomis
        self.nomis_adjudications = nomis_adjudications
        self.dps = dps
        self.mappings = mappings
        self.telemetry = telemetry
        self.page_size = page_size
        self.migration_date = migration_date

    async def run(self) -> list[AdaMismatch]:
        """The whole report. Raises only when the number of active prisoners cannot be read."""
        total = (await self.nomis.active_prisoners_page(0, 1)).totalElements
        self.telemetry.track_event(f"{PREFIX}-requested", {"active-prisoners": total})
        log.info("Adjudications reconciliation requested for %d active prisoners", total)

        async def fetch_page(page: int, size: int) -> list[PrisonerIds]:
            return (await self.nomis.active_prisoners_page(page, size)).content

        def page_error(page: int, error: Exception) -> None:
            log.error("Adjudications reconciliation: page %d could not be read, skipped: %s", page, error)
            self.telemetry.track_event(f"{PREFIX}-mismatch-page-error", {"page": page})

        try:
            mismatches = await paged_reconciliation(
                total=total,
                page_size=self.page_size,
                fetch_page=fetch_page,
                check=self.check_prisoner,
                on_page_error=page_error,
            )
        except Exception as error:
            log.error("Adjudications reconciliation failed", exc_info=error)
            self.telemetry.track_event(f"{PREFIX}-report", {"success": False})
            raise ReconciliationFailed("the adjudications reconciliation did not complete") from error
        self.telemetry.track_event(
            f"{PREFIX}-report",
            {
                "mismatch-count": len(mismatches),
                "success": True,
                **{mismatch.prisoner.offenderNo: mismatch.summary() for mismatch in mismatches},
            },
        )
        log.info("Adjudications reconciliation finished: %d mismatches", len(mismatches))
        return mismatches

    async def check_prisoner(self, prisoner: PrisonerIds) -> AdaMismatch | None:
        """Never raises: a prisoner who cannot be checked is reported and counts as no mismatch."""
        try:
            return await self._check(prisoner)
        except Exception as error:
            log.warning("Unable to check the ADAs of %s: %s", prisoner, error)
            self.telemetry.track_event(
                f"{PREFIX}-mismatch-error",
                {"offenderNo": prisoner.offenderNo, "bookingId": prisoner.bookingId},
            )
            return None

    async def _check(self, prisoner: PrisonerIds) -> AdaMismatch | None:
        booking_id = prisoner.bookingId
        nomis_summary, dps_charges = await asyncio.gather(
            do_api_call_with_retries(lambda: self.nomis_adjudications.ada_summary(booking_id)),
            self._charges_with_retries(booking_id),
        )
        nomis = nomis_totals(nomis_summary)
        dps = dps_totals(dps_charges)
        if nomis == dps or await self._explained_by_merge(prisoner, nomis, dps, nomis_summary, dps_charges):
            return None
        # DPS figures are the current booking's even when a merge was looked into (spec 11.23).
        self.telemetry.track_event(
            f"{PREFIX}-mismatch",
            {
                "offenderNo": prisoner.offenderNo,
                "bookingId": booking_id,
                "nomisAdaCount": nomis.count,
                "dpsAdaCount": dps.count,
                "nomisAdaDays": nomis.days,
                "dpsAdaDays": dps.days,
            },
        )
        return AdaMismatch(prisoner, nomis, dps)

    async def _charges_with_retries(self, booking_id: int) -> list[ChargeSummaryDto]:
        return await do_api_call_with_retries(lambda: self.dps.charges_for_booking(booking_id))

    async def _explained_by_merge(
        self,
        prisoner: PrisonerIds,
        nomis: AdaTotals,
        dps: AdaTotals,
        nomis_summary: AdjudicationADAAwardSummaryResponse,
        dps_charges: list[ChargeSummaryDto],
    ) -> bool:
        """A merge brings NOMIS ADAs from the old booking that DPS keeps on that booking: count those too."""
        merges = [
            MergeDetail.model_validate(item)
            for item in await self.nomis.merges_since(prisoner.offenderNo, self.migration_date)
        ]
        if not merges:
            return False
        dps_numbers: set[int] = set()
        for charge in dps_charges:
            mapping = await self.mappings.find_adjudication(charge.chargeNumber)
            if mapping is not None:
                dps_numbers.add(mapping.adjudicationNumber)
        missing = [
            s.adjudicationNumber
            for s in nomis_summary.adaSummaries
            if s.adjudicationNumber not in dps_numbers
        ]
        if not missing:
            return False
        previous: list[ChargeSummaryDto] = []
        for merge in merges:
            previous.extend(await self._charges_with_retries(merge.previousBookingId))
        merged = dps_totals([*dps_charges, *previous])
        if merged == nomis:
            return True
        last = merges[-1]
        self.telemetry.track_event(
            f"{PREFIX}-merge-mismatch",
            {
                "offenderNo": prisoner.offenderNo,
                "bookingId": prisoner.bookingId,
                "nomisAdaCount": nomis.count,
                "originalDpsAdaCount": dps.count,
                "dpsAdaCount": merged.count,
                "nomisAdaDays": nomis.days,
                "originalDpsAdaDays": dps.days,
                "dpsAdaDays": merged.days,
                "mergeDate": last.requestDateTime.isoformat(),
                "mergeFrom": last.deletedOffenderNo,
                "missingAdjudications": ", ".join(str(number) for number in missing),
            },
        )
        return False
