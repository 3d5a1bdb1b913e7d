"""Non-association reconciliation: the per-pair comparison and the NON_ASSOCIATIONS_RECON report (B11, B12).

NOMIS keeps one parent per pair of prisoners with numbered details; DPS keeps one record per
non-association. A pair matches when, after dropping all but the latest open NOMIS detail, the two
lists line up element by element on type, start date and open/closed state.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from prisoner_to_nomis_update.domains.nonassociations.clients import (
    NomisNonAssociationsApi,
    NonAssociationsApi,
)
from prisoner_to_nomis_update.domains.nonassociations.models import (
    NonAssociation,
    NonAssociationIdResponse,
    NonAssociationResponse,
)
from prisoner_to_nomis_update.framework.reconciliation import as_pages, paged_reconciliation
from prisoner_to_nomis_update.framework.telemetry import Telemetry, as_text

log = logging.getLogger(__name__)

PREFIX = "non-associations-reports-reconciliation"
SUMMARY_LIMIT = 10
NOMIS_WING_TYPES = ("NONEX", "TNA", "WING")
EARLIEST_REAL_DATE = date(1960, 1, 1)


@dataclass(frozen=True)
class ReportDetail:
    type: str
    createdDate: date
    expiryDate: date | None
    closed: bool | None
    roleReason: str | None
    roleReason2: str | None
    dpsReason: str | None

    @classmethod
    def of_nomis(cls, n: NonAssociationResponse) -> ReportDetail:
        return cls(n.type, n.effectiveDate, n.expiryDate, None, n.reason, n.recipReason, None)

    @classmethod
    def of_dps(cls, d: NonAssociation) -> ReportDetail:
        return cls(
            d.restrictionType,
            d.whenCreated.date(),
            None,
            d.isClosed,
            d.firstPrisonerRole,
            d.secondPrisonerRole,
            d.reason,
        )

    def text(self) -> str:
        """The Kotlin data-class form operators read in telemetry."""
        fields = ", ".join(f"{name}={as_text(value)}" for name, value in self.json().items())
        return f"NonAssociationReportDetail({fields})"

    def json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "createdDate": self.createdDate.isoformat(),
            "expiryDate": self.expiryDate.isoformat() if self.expiryDate else None,
            "closed": self.closed,
            "roleReason": self.roleReason,
            "roleReason2": self.roleReason2,
            "dpsReason": self.dpsReason,
        }


@dataclass(frozen=True)
class Mismatch:
    id: NonAssociationIdResponse
    nomis: ReportDetail | None
    dps: ReportDetail | None

    def json(self) -> dict[str, Any]:
        return {
            "id": {"offenderNo1": self.id.offenderNo1, "offenderNo2": self.id.offenderNo2},
            "nomisNonAssociation": self.nomis.json() if self.nomis else None,
            "dpsNonAssociation": self.dps.json() if self.dps else None,
        }

    def nomis_text(self) -> str:
        return self.nomis.text() if self.nomis else "null"

    def dps_text(self) -> str:
        return self.dps.text() if self.dps else "null"

    def summary(self) -> str:
        return f"nomis={self.nomis_text()}, dps={self.dps_text()}"


def type_differs(n: NonAssociationResponse, d: NonAssociation) -> bool:
    if n.type in NOMIS_WING_TYPES:
        return d.restrictionType != "WING"
    return n.type != d.restrictionType[:4]


def start_differs(n: NonAssociationResponse, d: NonAssociation, today: date) -> bool:
    created = d.whenCreated.date()
    if n.effectiveDate < EARLIEST_REAL_DATE:
        # NOMIS placeholder dates (e.g. 1066) match any DPS placeholder date before 1960.
        return created > EARLIEST_REAL_DATE
    # A future NOMIS start never counts as a difference.
    return n.effectiveDate <= today and n.effectiveDate != created


def differs(n: NonAssociationResponse, d: NonAssociation, today: date) -> bool:
    return type_differs(n, d) or start_differs(n, d, today) or (n.closed_on(today) != d.isClosed)


def comparable_nomis(details: list[NonAssociationResponse], today: date) -> list[NonAssociationResponse]:
    """All closed details plus only the latest open one, by start date then sequence."""
    by_sequence = sorted(details, key=lambda n: n.typeSequence)
    closed = [n for n in by_sequence if n.closed_on(today)]
    still_open = [n for n in by_sequence if not n.closed_on(today)]
    return sorted(closed + still_open[-1:], key=lambda n: (n.effectiveDate, n.typeSequence))


def compare(
    offender_no1: str,
    offender_no2: str,
    nomis_details: list[NonAssociationResponse],
    dps_records: list[NonAssociation],
    today: date,
) -> tuple[list[Mismatch], list[dict[str, Any]], int]:
    """(mismatches, their telemetry properties, size of the compared NOMIS list)."""
    nomis = comparable_nomis(nomis_details, today)
    dps = sorted(dps_records, key=lambda d: (d.whenCreated, d.id))
    pair = NonAssociationIdResponse(offenderNo1=offender_no1, offenderNo2=offender_no2)
    keys = {"offenderNo1": offender_no1, "offenderNo2": offender_no2}
    mismatches: list[Mismatch] = []
    events: list[dict[str, Any]] = []
    if len(nomis) > len(dps):
        for n in nomis[len(dps) :]:
            mismatches.append(Mismatch(pair, ReportDetail.of_nomis(n), None))
            events.append({**keys, "typeSequence": n.typeSequence})
    elif len(dps) > len(nomis):
        for d in dps[len(nomis) :]:
            mismatches.append(Mismatch(pair, None, ReportDetail.of_dps(d)))
            events.append(dict(keys))
    else:
        # Two-element lists whose first NOMIS detail matches the second DPS record are taken as the
        # same pair in swapped order: the original suppresses every mismatch then, and so do we.
        swapped = len(dps) == 2 and not differs(nomis[0], dps[1], today)
        for n, d in zip(nomis, dps, strict=True):
            if differs(n, d, today) and not swapped:
                mismatch = Mismatch(pair, ReportDetail.of_nomis(n), ReportDetail.of_dps(d))
                mismatches.append(mismatch)
                events.append({**keys, "nomis": mismatch.nomis_text(), "dps": mismatch.dps_text()})
    return mismatches, events, len(nomis)


class NonAssociationsReconciliation:
    def __init__(
        self,
        dps: NonAssociationsApi,
        nomis: NomisNonAssociationsApi,
        telemetry: Telemetry,
        page_size: int,
    ) -> None:
        self.dps = dps
        self.nomis = nomis
        self.telemetry = telemetry
        self.page_size = page_size

    async def check_pair(self, offender_no1: str, offender_no2: str) -> tuple[list[Mismatch], int]:
        """Compare one pair exactly as given; emits one `-mismatch` event per difference."""
        nomis_details, dps_records = await asyncio.gather(
            self.nomis.all_details(offender_no1, offender_no2), self.dps.between(offender_no1, offender_no2)
        )
        mismatches, events, count = compare(
            offender_no1, offender_no2, nomis_details, dps_records, date.today()
        )
        for properties in events:
            self.telemetry.track_event(f"{PREFIX}-mismatch", properties)
        return mismatches, count

    async def _check_normalised(self, pair: NonAssociationIdResponse) -> tuple[list[Mismatch], int]:
        first, second = sorted((pair.offenderNo1, pair.offenderNo2))
        try:
            return await self.check_pair(first, second)
        except Exception as error:
            log.error("Non-association reconciliation of %s/%s failed: %s", first, second, error)
            self.telemetry.track_event(
                f"{PREFIX}-mismatch-error", {"offenderNo1": first, "offenderNo2": second}
            )
            return [], 0

    def _page_error(self, page: int, error: Exception) -> None:
        log.error("Non-association reconciliation page %d failed: %s", page, error)
        self.telemetry.track_event(f"{PREFIX}-mismatch-page-error", {"page": page})

    async def report(self) -> list[Mismatch]:
        """The whole report. Only the opening NOMIS count may fail the job; the rest reports failures."""
        _, nomis_total = await self.nomis.ids_page(0, 1)
        self.telemetry.track_event(f"{PREFIX}-requested", {"non-associations-nomis-total": nomis_total})
        try:
            mismatches = await self._run(nomis_total)
        except Exception as error:
            log.error("Non-association reconciliation failed: %s", error, exc_info=error)
            self.telemetry.track_event(f"{PREFIX}-failed", {})
            return []
        summary: dict[str, Any] = {"mismatch-count": len(mismatches)}
        for mismatch in mismatches[:SUMMARY_LIMIT]:
            summary[mismatch.id.text()] = mismatch.summary()
        self.telemetry.track_event(f"{PREFIX}-success", summary)
        return mismatches

    async def _run(self, nomis_total: int) -> list[Mismatch]:
        all_nomis_ids: set[tuple[str, str]] = set()

        async def fetch_page(page: int, size: int) -> list[NonAssociationIdResponse]:
            pairs, _ = await self.nomis.ids_page(page, size)
            all_nomis_ids.update((p.offenderNo1, p.offenderNo2) for p in pairs)
            return pairs

        results = await paged_reconciliation(
            total=nomis_total,
            page_size=self.page_size,
            fetch_page=fetch_page,
            check=self._check_normalised,
            on_page_error=self._page_error,
        )
        mismatches = [m for found, _ in results for m in found]
        nomis_count = sum(count for _, count in results)
        mismatches.extend(await self._dps_only(nomis_count, all_nomis_ids))
        return mismatches

    async def _dps_only(self, nomis_count: int, all_nomis_ids: set[tuple[str, str]]) -> list[Mismatch]:
        _, dps_total = await self.dps.page(0, 1)
        if dps_total == nomis_count:
            return []
        self.telemetry.track_event(
            f"{PREFIX}-mismatch-missing-dps-records", {"dps-total": dps_total, "nomis-total": nomis_count}
        )
        found: list[Mismatch] = []
        for page, size in as_pages(dps_total, self.page_size):
            try:
                records, _ = await self.dps.page(page, size)
            except Exception as error:
                self._page_error(page, error)
                continue
            for d in records:
                first, second = d.firstPrisonerNumber, d.secondPrisonerNumber
                if (first, second) in all_nomis_ids or (second, first) in all_nomis_ids:
                    continue
                mismatch = Mismatch(
                    NonAssociationIdResponse(offenderNo1=first, offenderNo2=second),
                    None,
                    ReportDetail.of_dps(d),
                )
                found.append(mismatch)
                self.telemetry.track_event(
                    f"{PREFIX}-dps-only",
                    {"offenderNo1": first, "offenderNo2": second, "dps": ReportDetail.of_dps(d).text()},
                )
        return found
