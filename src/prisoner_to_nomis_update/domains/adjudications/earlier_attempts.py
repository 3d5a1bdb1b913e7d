"""Finding the NOMIS records an earlier, interrupted attempt of the same work wrote but never mapped.

NOMIS has no idempotency key and never answers 409 to an adjudication, hearing or award create, so a
create repeated after its NOMIS write would write a second record. The creates ask only when an earlier
attempt is possible (`may_repeat_earlier_work`: a redelivery, a DLQ re-drive or an HTTP repair), and a
record is taken over only if it holds exactly what this attempt would write and no mapping claims it.
Every search costs a fixed number of calls, not one per record of the prisoner's history.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from prisoner_to_nomis_update.domains.adjudications.clients import (
    AdjudicationMappingApi,
    NomisAdjudicationsApi,
)
from prisoner_to_nomis_update.domains.adjudications.models import (
    AdjudicationResponse,
    CreateAdjudicationRequest,
    CreateHearingRequest,
    HearingResultAwardRequest,
    NomisAward,
    NomisHearing,
    ReportedAdjudicationDto,
)

log = logging.getLogger(__name__)

# The charges NOMIS lists for a prison since the DPS report was made: one page covers a busy prison's
# day; the search stops after this many pages rather than scan years of history for an old charge.
CHARGE_PAGE_SIZE = 100
MAX_CHARGE_PAGES = 5


def _hh_mm(time: str | None) -> str | None:
    return time[:5] if time else None


def same_adjudication(found: AdjudicationResponse, request: CreateAdjudicationRequest) -> bool:
    incident = found.incident
    wanted = request.incident
    return (
        (incident.reportingStaff.username if incident.reportingStaff else None)
        == wanted.reportingStaffUsername
        and incident.incidentDate == wanted.incidentDate
        and _hh_mm(incident.incidentTime) == wanted.incidentTime
        and incident.reportedDate == wanted.reportedDate
        and _hh_mm(incident.reportedTime) == wanted.reportedTime
        and (incident.internalLocation.locationId if incident.internalLocation else None)
        == wanted.internalLocationId
        and (incident.details or "") == wanted.details
        and (incident.prison.code if incident.prison else None) == wanted.prisonId
        and [charge.offence.code if charge.offence else None for charge in found.charges]
        == [charge.offenceCode for charge in request.charges]
    )


def same_hearing(found: NomisHearing, request: CreateHearingRequest) -> bool:
    return (
        (found.type.code if found.type else None) == request.hearingType
        and found.hearingDate == request.hearingDate
        and _hh_mm(found.hearingTime) == request.hearingTime
        and (found.internalLocation.locationId if found.internalLocation else None)
        == request.internalLocationId
    )


def same_award(found: NomisAward, request: HearingResultAwardRequest, dated: bool) -> bool:
    """`dated`: the effective date came from DPS; a today/hearing-date fallback may differ between attempts."""
    return (
        (found.sanctionType.code if found.sanctionType else None) == request.sanctionType
        and (found.sanctionStatus.code if found.sanctionStatus else None) == request.sanctionStatus
        and (found.sanctionDays or 0) == (request.sanctionDays or 0)
        and (found.comment or None) == (request.commentText or None)
        and _same_amount(found.compensationAmount, request.compensationAmount)
        and (not dated or found.effectiveDate == request.effectiveDate)
    )


def _same_amount(left: float | None, right: float | None) -> bool:
    if left is None or right is None:
        return left is None and right is None
    return abs(left - right) < 0.005


@dataclass(frozen=True)
class EarlierAdjudication:
    adjudication_number: int
    charge_sequence: int


class EarlierAttempts:
    def __init__(self, nomis: NomisAdjudicationsApi, mappings: AdjudicationMappingApi) -> None:
        self.nomis = nomis
        self.mappings = mappings

    async def adjudication(
        self, charge: ReportedAdjudicationDto, request: CreateAdjudicationRequest
    ) -> EarlierAdjudication | None:
        """An unmapped NOMIS adjudication for this prisoner identical to `request`.

        NOMIS lists charges by prison and creation date only, so the prison's charges created since the
        DPS report are paged (normally one page) and just this prisoner's are read.
        """
        examined: set[int] = set()
        for page in range(MAX_CHARGE_PAGES):
            ids, last = await self.nomis.charge_ids(
                request.incident.prisonId, charge.createdDateTime.date(), page, CHARGE_PAGE_SIZE
            )
            for charge_id in ids:
                number = charge_id.adjudicationNumber
                if charge_id.offenderNo != charge.prisonerNumber or number in examined:
                    continue
                examined.add(number)
                found = await self.nomis.get_adjudication(number)
                if not same_adjudication(found, request) or not found.charges:
                    continue
                sequence = found.charges[0].chargeSequence
                if await self.mappings.find_adjudication_by_nomis_id(number, sequence) is None:
                    return EarlierAdjudication(number, sequence)
            if last:
                return None
        log.warning(
            "Stopped looking for an earlier NOMIS adjudication of charge %s after %d pages",
            charge.chargeNumber,
            MAX_CHARGE_PAGES,
        )
        return None

    async def hearing(self, adjudication_number: int, request: CreateHearingRequest) -> int | None:
        """An unmapped NOMIS hearing of the adjudication identical to `request` (one read of the adjudication)."""
        found = await self.nomis.get_adjudication(adjudication_number)
        for hearing in found.hearings:
            if same_hearing(hearing, request) and (
                await self.mappings.find_hearing_by_nomis_id(hearing.hearingId) is None
            ):
                return hearing.hearingId
        return None
