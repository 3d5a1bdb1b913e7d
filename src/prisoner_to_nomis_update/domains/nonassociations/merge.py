"""Prisoner merges and booking moves: keep the non-association mappings on the right prisoner (B9, B10).

When both merged prisoner numbers had a non-association with the same third party, both mappings carry
the same NOMIS sequence and the mapping API's merge would hit its unique key. NOMIS has already merged
and renumbered, so the "other" mapping is first reset to the sequence NOMIS gave it; if NOMIS ended up
with two open non-associations, the one DPS has closed is closed in NOMIS too.

Safe to run twice: a redelivery after the reset (but before the mapping merge) finds the two mappings
already on different sequences that each match their NOMIS detail, skips the reset and carries on,
where the original failed with "Entry sequences not equal" for ever and never merged the mappings.
"""

from __future__ import annotations

import asyncio
from datetime import date

from prisoner_to_nomis_update.domains.nonassociations.clients import (
    NomisNonAssociationsApi,
    NonAssociationMappingApi,
    NonAssociationsApi,
)
from prisoner_to_nomis_update.domains.nonassociations.models import (
    BookingMovedEvent,
    LegacyNonAssociation,
    NonAssociationMappingDto,
    NonAssociationResponse,
    PrisonerMergedEvent,
)
from prisoner_to_nomis_update.framework.telemetry import Telemetry


class MergeError(Exception):
    """The mappings and NOMIS cannot be matched up: the event is retried and ends on the DLQ."""


def third_parties(
    mappings: list[NonAssociationMappingDto], noms_number: str, removed: str
) -> dict[str, list[NonAssociationMappingDto]]:
    """Mappings grouped by the prisoner who is neither merged number, in first-seen order."""
    groups: dict[str, list[NonAssociationMappingDto]] = {}
    for mapping in mappings:
        merged = mapping.firstOffenderNo in (noms_number, removed)
        third = mapping.secondOffenderNo if merged else mapping.firstOffenderNo
        groups.setdefault(third, []).append(mapping)
    return groups


def find(details: list[NonAssociationResponse], sequence: int) -> NonAssociationResponse | None:
    return next((d for d in details if d.typeSequence == sequence), None)


class MergeService:
    def __init__(
        self,
        dps: NonAssociationsApi,
        nomis: NomisNonAssociationsApi,
        mappings: NonAssociationMappingApi,
        telemetry: Telemetry,
    ) -> None:
        self.dps = dps
        self.nomis = nomis
        self.mappings = mappings
        self.telemetry = telemetry

    async def merged(self, event: PrisonerMergedEvent) -> None:
        info = event.additionalInformation
        if info.reason != "MERGE":
            return
        today = date.today()
        report: dict[str, str] = {}
        common = await self.mappings.common_between(info.removedNomsNumber, info.nomsNumber)
        for third, group in third_parties(common, info.nomsNumber, info.removedNomsNumber).items():
            await self._resolve(third, group, info.nomsNumber, today, report)
        await self.mappings.merge(info.removedNomsNumber, info.nomsNumber)
        self.telemetry.track_event(
            "non-association-merge-success",
            {
                "removedNomsNumber": info.removedNomsNumber,
                "nomsNumber": info.nomsNumber,
                "reason": info.reason,
                **report,
            },
        )

    async def _resolve(
        self,
        third: str,
        group: list[NonAssociationMappingDto],
        noms_number: str,
        today: date,
        report: dict[str, str],
    ) -> None:
        if len(group) != 2:
            raise MergeError(f"Entry not size 2 for {third}: {group}")
        m1, m2 = group[0], group[-1]
        d1, d2 = await asyncio.gather(
            self.dps.get_legacy(m1.nonAssociationId), self.dps.get_legacy(m2.nonAssociationId)
        )
        nomis_data = await self.nomis.all_details(third, noms_number)
        if m1.nomisTypeSequence != m2.nomisTypeSequence:
            if not self._already_reset(m1, d1, m2, d2, nomis_data):
                raise MergeError(f"Entry sequences not equal for {third}: {group}")
            report[third] = (
                f"Sequences of nonAssociationId {m1.nonAssociationId} and {m2.nonAssociationId} already "
                f"{m1.nomisTypeSequence} and {m2.nomisTypeSequence}"
            )
            n_match = find(nomis_data, m1.nomisTypeSequence)
            n_other = find(nomis_data, m2.nomisTypeSequence)
        else:
            n_match = find(nomis_data, m1.nomisTypeSequence)
            matched_first = n_match is not None and d1.effectiveDate.date() == n_match.effectiveDate
            other_dps = d2 if matched_first else d1
            n_other = next(
                (
                    d
                    for d in nomis_data
                    if d.typeSequence != m1.nomisTypeSequence
                    and d.effectiveDate == other_dps.effectiveDate.date()
                ),
                None,
            )
            if n_other is None:
                raise MergeError(
                    f"Cannot match up DPS and Nomis NAs for {third}: dps={d1}, {d2}; nomis={nomis_data}"
                )
            await self.mappings.reset_sequence(other_dps.id, n_other.typeSequence)
            report[third] = (
                f"Reset nonAssociationId {other_dps.id} sequence from {m1.nomisTypeSequence} "
                f"to {n_other.typeSequence}"
            )
        if n_match is None or n_other is None or n_match.closed_on(today) or n_other.closed_on(today):
            return
        await self._close_the_dps_closed_one(third, d1, d2, nomis_data, today, report)

    @staticmethod
    def _already_reset(
        m1: NonAssociationMappingDto,
        d1: LegacyNonAssociation,
        m2: NonAssociationMappingDto,
        d2: LegacyNonAssociation,
        nomis_data: list[NonAssociationResponse],
    ) -> bool:
        """Each mapping already points at the NOMIS detail that starts when its DPS record does."""
        n1, n2 = find(nomis_data, m1.nomisTypeSequence), find(nomis_data, m2.nomisTypeSequence)
        return (
            n1 is not None
            and n2 is not None
            and n1.effectiveDate == d1.effectiveDate.date()
            and n2.effectiveDate == d2.effectiveDate.date()
        )

    async def _close_the_dps_closed_one(
        self,
        third: str,
        d1: LegacyNonAssociation,
        d2: LegacyNonAssociation,
        nomis_data: list[NonAssociationResponse],
        today: date,
        report: dict[str, str],
    ) -> None:
        closed1, closed2 = d1.closed_on(today), d2.closed_on(today)
        if closed1 == closed2:
            report[f"{third}-warning"] = "Found both non-associations open or closed in DPS"
            return
        closed_dps = d1 if closed1 else d2
        detail = next((d for d in nomis_data if d.effectiveDate == closed_dps.effectiveDate.date()), None)
        if detail is None:
            return
        await self.nomis.close(detail.offenderNo, detail.nsOffenderNo, detail.typeSequence)
        report[f"{third}-closed"] = (
            f"Closed non-association between {detail.offenderNo} and {detail.nsOffenderNo} "
            f"with sequence {detail.typeSequence}"
        )

    async def booking_moved(self, event: BookingMovedEvent) -> None:
        info = event.additionalInformation
        pairs = await self.nomis.for_booking(info.bookingId)
        if pairs:
            others = [
                p.offenderNo2 if p.offenderNo1 == info.movedToNomsNumber else p.offenderNo1 for p in pairs
            ]
            await self.mappings.update_list(info.movedFromNomsNumber, info.movedToNomsNumber, others)
        self.telemetry.track_event(
            "non-association-booking-moved-success",
            {
                "movedFromNomsNumber": info.movedFromNomsNumber,
                "movedToNomsNumber": info.movedToNomsNumber,
                "bookingId": info.bookingId,
                "bookingStartDateTime": info.bookingStartDateTime,
                "count": len(pairs),
            },
        )
