"""The NOMIS court case repair request built from DPS's reconciliation view of a case (spec 4.4)."""

from __future__ import annotations

from datetime import datetime

from prisoner_to_nomis_update.domains.courtsentencing.models import (
    CaseIdentifier,
    CaseIdentifierRequest,
    CourtAppearanceRepairRequest,
    CourtCaseRepairRequest,
    CourtEventChargeRepairRequest,
    OffenderChargeRepairRequest,
)
from prisoner_to_nomis_update.domains.courtsentencing.reconciliation_models import (
    ReconciliationCharge,
    ReconciliationCourtAppearance,
    ReconciliationCourtCase,
)
from prisoner_to_nomis_update.domains.courtsentencing.requests import NOT_ENTERED, at, case_status
from prisoner_to_nomis_update.framework.errors import Conflict

# The original always repairs appearances as court appearances; DPS's own type is not carried over (spec Q21).
COURT_APPEARANCE_TYPE = "CRT"


class NothingToRepair(Conflict):
    """A DPS case without appearances has no start date or court for NOMIS: answered 409, nothing changed."""


def _when(appearance: ReconciliationCourtAppearance) -> datetime:
    return at(appearance.appearanceDate, appearance.appearanceTime)


def _appearance(appearance: ReconciliationCourtAppearance) -> CourtAppearanceRepairRequest:
    following = appearance.nextCourtAppearance
    return CourtAppearanceRepairRequest(
        eventDateTime=_when(appearance),
        courtEventType=COURT_APPEARANCE_TYPE,
        courtId=appearance.courtCode,
        outcomeReasonCode=appearance.nomisOutcomeCode,
        nextEventDateTime=at(following.appearanceDate, following.appearanceTime) if following else None,
        nextCourtId=following.courtId if following else None,
        courtEventCharges=[
            CourtEventChargeRepairRequest(
                id=charge.chargeUuid,
                offenceDate=charge.offenceStartDate,
                offenceEndDate=charge.offenceEndDate,
                resultCode1=charge.nomisOutcomeCode,
            )
            for charge in appearance.charges
        ],
    )


def _offender_charges(appearances: list[ReconciliationCourtAppearance]) -> list[OffenderChargeRepairRequest]:
    """One per distinct charge (first-seen order), as it stands on the latest appearance that has it."""
    latest: dict[str, tuple[datetime, ReconciliationCharge]] = {}
    for appearance in appearances:
        when = _when(appearance)
        for charge in appearance.charges:
            seen = latest.get(charge.chargeUuid)
            # Strictly later only: on a tie the first appearance listed wins.
            if seen is None or when > seen[0]:
                latest[charge.chargeUuid] = (when, charge)
    return [
        OffenderChargeRepairRequest(
            id=charge.chargeUuid,
            offenceCode=charge.offenceCode,
            offenceDate=charge.offenceStartDate,
            offenceEndDate=charge.offenceEndDate,
            resultCode1=charge.nomisOutcomeCode,
        )
        for _, charge in latest.values()
    ]


def repair_request(case: ReconciliationCourtCase) -> CourtCaseRepairRequest:
    if not case.appearances:
        raise NothingToRepair(f"Court case {case.courtCaseUuid} has no appearances to repair NOMIS from")
    earliest = min(case.appearances, key=lambda appearance: appearance.appearanceDate)
    references = case.courtCaseLegacyData.caseReferences if case.courtCaseLegacyData else []
    return CourtCaseRepairRequest(
        startDate=earliest.appearanceDate,
        legalCaseType=NOT_ENTERED,
        courtId=earliest.courtCode,
        status=case_status(case.active),
        courtAppearances=[_appearance(appearance) for appearance in case.appearances],
        offenderCharges=_offender_charges(case.appearances),
        caseReferences=CaseIdentifierRequest(
            caseIdentifiers=[
                CaseIdentifier(reference=reference.offenderCaseReference, createdDate=reference.updatedDate)
                for reference in references
                if reference.updatedDate is not None
            ]
        ),
    )


def has_sentence(case: ReconciliationCourtCase) -> bool:
    return any(
        charge.sentence is not None for appearance in case.appearances for charge in appearance.charges
    )
