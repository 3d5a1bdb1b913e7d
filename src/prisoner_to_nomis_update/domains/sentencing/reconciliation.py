"""Sentencing reconciliation (spec A9): per-type adjustment counts, NOMIS versus DPS, per latest booking.

Run as batch job SENTENCING_RECON. Bookings are paged from NOMIS by booking id (cursor style,
framework.md 9.2); each page's prisoners are checked concurrently and a prisoner whose counts differ
is reported. A failed page or prisoner is reported and skipped, never fatal.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from prisoner_to_nomis_update.domains.sentencing.clients import AdjustmentsApi, NomisAdjustmentsApi
from prisoner_to_nomis_update.domains.sentencing.models import (
    AdjustmentDto,
    NomisAdjustment,
    SentencingAdjustmentsResponse,
)
from prisoner_to_nomis_update.framework.http import do_api_call_with_retries
from prisoner_to_nomis_update.framework.nomis import NomisApi, PrisonerIds
from prisoner_to_nomis_update.framework.reconciliation import IdPage, generate_reconciliation_report
from prisoner_to_nomis_update.framework.telemetry import Telemetry

log = logging.getLogger(__name__)

PREFIX = "sentencing-reports-reconciliation"

# counter name -> (NOMIS codes, DPS adjustment type), in the order differences are listed.
COUNTERS: dict[str, tuple[frozenset[str], str]] = {
    "lawfullyAtLarge": (frozenset({"LAL"}), "LAWFULLY_AT_LARGE"),
    "unlawfullyAtLarge": (frozenset({"UAL"}), "UNLAWFULLY_AT_LARGE"),
    "restorationOfAdditionalDaysAwarded": (frozenset({"RADA"}), "RESTORATION_OF_ADDITIONAL_DAYS_AWARDED"),
    "additionalDaysAwarded": (frozenset({"ADA"}), "ADDITIONAL_DAYS_AWARDED"),
    "specialRemission": (frozenset({"SREM"}), "SPECIAL_REMISSION"),
    "remand": (frozenset({"RSR", "RX"}), "REMAND"),
    "unusedDeductions": (frozenset({"UR"}), "UNUSED_DEDUCTIONS"),
    "taggedBail": (frozenset({"S240A", "RST"}), "TAGGED_BAIL"),
}
NOMIS_COUNTER = {code: name for name, (codes, _) in COUNTERS.items() for code in codes}
DPS_COUNTER = {dps_type: name for name, (_, dps_type) in COUNTERS.items()}


@dataclass(frozen=True)
class AdjustmentCounts:
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def nomis_counts(response: SentencingAdjustmentsResponse) -> AdjustmentCounts:
    records: Iterable[NomisAdjustment] = [*response.keyDateAdjustments, *response.sentenceAdjustments]
    counts = dict.fromkeys(COUNTERS, 0)
    for record in records:
        name = NOMIS_COUNTER.get(record.adjustmentType.code)
        if name is not None and record.adjustmentDays != 0:
            counts[name] += 1
    return AdjustmentCounts(counts)


def dps_counts(adjustments: list[AdjustmentDto] | None, booking_id: int) -> AdjustmentCounts:
    counts = dict.fromkeys(COUNTERS, 0)
    for adjustment in adjustments or []:
        # Only this booking's, and not those that change nothing (null effective days are kept).
        if adjustment.bookingId != booking_id or adjustment.effectiveDays == 0:
            continue
        name = DPS_COUNTER.get(adjustment.adjustmentType)
        if name is not None:
            counts[name] += 1
    return AdjustmentCounts(counts)


def differences(nomis: AdjustmentCounts, dps: AdjustmentCounts) -> str:
    parts = [
        f"{name} {dps.counts[name] - nomis.counts[name]}"
        for name in COUNTERS
        if dps.counts[name] != nomis.counts[name]
    ]
    return ", ".join(parts) if parts else "no differences"


@dataclass(frozen=True)
class MismatchSentencingAdjustments:
    prisoner: PrisonerIds
    nomis: AdjustmentCounts
    dps: AdjustmentCounts


class SentencingReconciliation:
    def __init__(
        self,
        nomis: NomisApi,
        nomis_adjustments: NomisAdjustmentsApi,
        adjustments: AdjustmentsApi,
        telemetry: Telemetry,
        page_size: int,
        all_prisoners: bool,
    ) -> None:
        self.nomis = nomis
        self.nomis_adjustments = nomis_adjustments
        self.adjustments = adjustments
        self.telemetry = telemetry
        self.page_size = page_size
        self.active_only = not all_prisoners

    async def run(self) -> list[MismatchSentencingAdjustments]:
        """The whole report; failures are telemetry, never exceptions (the batch run always ends)."""
        self.telemetry.track_event(f"{PREFIX}-requested", {})
        try:
            result = await generate_reconciliation_report(
                thread_count=self.page_size,
                page_size=self.page_size,
                check_match=self.check_prisoner,
                next_page=self._next_page,
                skip_ahead=_skip_bookings,
            )
        except Exception as error:
            log.error("Sentencing reconciliation failed: %s", error, exc_info=error)
            self.telemetry.track_event(f"{PREFIX}-report", {"success": "false"})
            return []
        mismatches = sorted(result.mismatches, key=lambda m: m.prisoner.bookingId)
        self.telemetry.track_event(
            f"{PREFIX}-report",
            {
                "mismatch-count": str(len(mismatches)),
                "success": "true",
                **{m.prisoner.offenderNo: f"{m.nomis.total}:{m.dps.total}" for m in mismatches},
            },
        )
        log.info(
            "Sentencing reconciliation: %d checked, %d mismatches", result.items_checked, len(mismatches)
        )
        return mismatches

    async def _next_page(self, last: PrisonerIds | None) -> IdPage[PrisonerIds]:
        last_booking_id = last.bookingId if last is not None else 0
        try:
            ids, _ = await self.nomis.latest_bookings_from_id(
                last_booking_id, self.active_only, self.page_size
            )
        except Exception:
            self.telemetry.track_event(f"{PREFIX}-mismatch-page-error", {"booking": str(last_booking_id)})
            raise
        # The next page starts after the last prisoner listed (the response's lastBookingId is not used).
        return IdPage(ids=ids, last=ids[-1] if ids else last)

    async def check_prisoner(self, prisoner: PrisonerIds) -> MismatchSentencingAdjustments | None:
        try:
            nomis_response, dps_list = await asyncio.gather(
                do_api_call_with_retries(lambda: self.nomis_adjustments.adjustments(prisoner.bookingId)),
                do_api_call_with_retries(lambda: self.adjustments.adjustments_for(prisoner.offenderNo)),
            )
        except Exception as error:
            log.warning("Unable to check sentencing adjustments of %s: %s", prisoner, error)
            self.telemetry.track_event(
                f"{PREFIX}-mismatch-error",
                {"offenderNo": prisoner.offenderNo, "bookingId": str(prisoner.bookingId)},
            )
            return None
        nomis = nomis_counts(nomis_response)
        dps = dps_counts(dps_list, prisoner.bookingId)
        if nomis.counts == dps.counts:
            return None
        self.telemetry.track_event(
            f"{PREFIX}-mismatch",
            {
                "offenderNo": prisoner.offenderNo,
                "bookingId": str(prisoner.bookingId),
                "nomisAdjustmentsCount": str(nomis.total),
                "dpsAdjustmentsCount": str(dps.total),
                "differences": differences(nomis, dps),
            },
        )
        return MismatchSentencingAdjustments(prisoner, nomis, dps)


def _skip_bookings(last: PrisonerIds | None, by: int) -> PrisonerIds:
    """After a failed page, jump the booking cursor by a page size (the original's heuristic)."""
    start = last.bookingId if last is not None else 0
    return PrisonerIds(bookingId=start + by, offenderNo="")
