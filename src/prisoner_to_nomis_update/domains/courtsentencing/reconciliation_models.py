"""The fields court-sentencing reconciliation reads from DPS, NOMIS and the mapping API (spec 5.3, 5.4).

Names follow the OpenAPI schemas: DPS `ReconciliationCourtCase` (and its appearances, charges,
sentences, period lengths) and `LegacyCourtCaseUuids`; NOMIS `CourtCaseResponse` (and its court events,
charges, sentences, terms); mapping `CourtCaseMappingDto` and the per-item mapping DTOs whose id the
extra-information check shows. Only what the comparison uses is modelled; anything else is ignored.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import Field

from prisoner_to_nomis_update.framework.models import Lenient

# ---- DPS (remand and sentencing) ----------------------------------------------------------------


class CaseReferenceLegacyData(Lenient):
    offenderCaseReference: str
    updatedDate: datetime | None = None


class CourtCaseLegacyData(Lenient):
    caseReferences: list[CaseReferenceLegacyData] = Field(default_factory=list)
    bookingId: int | None = None


class SentenceLegacyData(Lenient):
    sentenceCalcType: str | None = None
    sentenceCategory: str | None = None


class ReconciliationPeriodLength(Lenient):
    periodLengthUuid: str
    periodYears: int | None = None
    periodMonths: int | None = None
    periodWeeks: int | None = None
    periodDays: int | None = None
    lifeSentence: bool | None = None
    sentenceTermCode: str | None = None


class ReconciliationSentence(Lenient):
    sentenceUuid: str
    fineAmount: Decimal | None = None
    sentenceCalcType: str | None = None
    sentenceCategory: str | None = None
    active: bool
    sentenceStartDate: date | None = None
    legacyData: SentenceLegacyData | None = None
    periodLengths: list[ReconciliationPeriodLength] = Field(default_factory=list)


class ReconciliationCharge(Lenient):
    chargeUuid: str
    offenceCode: str
    offenceStartDate: date | None = None
    offenceEndDate: date | None = None
    nomisOutcomeCode: str | None = None
    sentence: ReconciliationSentence | None = None


class ReconciliationNextCourtAppearance(Lenient):
    appearanceDate: date
    appearanceTime: str | None = None
    courtId: str


class ReconciliationCourtAppearance(Lenient):
    appearanceUuid: str
    courtCode: str
    appearanceDate: date
    appearanceTime: str | None = None
    nomisOutcomeCode: str | None = None
    nextCourtAppearance: ReconciliationNextCourtAppearance | None = None
    charges: list[ReconciliationCharge] = Field(default_factory=list)


class ReconciliationCourtCase(Lenient):
    courtCaseUuid: str
    active: bool
    status: Literal["ACTIVE", "DUPLICATE", "DELETED", "MERGED", "INACTIVE"] | None = None
    courtCaseLegacyData: CourtCaseLegacyData | None = None
    appearances: list[ReconciliationCourtAppearance] = Field(default_factory=list)


class LegacyCourtCaseUuids(Lenient):
    courtCaseUuids: list[str] = Field(default_factory=list)


# ---- NOMIS prisoner API ---------------------------------------------------------------------------


class CodeDescription(Lenient):
    code: str
    description: str | None = None


class OffenceResultCodeResponse(Lenient):
    code: str


class OffenceResponse(Lenient):
    offenceCode: str


class OffenderChargeResponse(Lenient):
    id: int
    offence: OffenceResponse


class CourtEventChargeResponse(Lenient):
    offenderCharge: OffenderChargeResponse
    offenceDate: date | None = None
    offenceEndDate: date | None = None
    resultCode1: OffenceResultCodeResponse | None = None


class CourtEventResponse(Lenient):
    id: int
    eventDateTime: datetime
    courtId: str | None = None
    outcomeReasonCode: OffenceResultCodeResponse | None = None
    courtEventCharges: list[CourtEventChargeResponse] = Field(default_factory=list)


class CourtOrderResponse(Lenient):
    eventId: int | None = None


class SentenceTermResponse(Lenient):
    termSequence: int
    sentenceTermType: CodeDescription | None = None
    years: int | None = None
    months: int | None = None
    weeks: int | None = None
    days: int | None = None
    lifeSentenceFlag: bool | None = None


class SentenceResponse(Lenient):
    bookingId: int
    sentenceSeq: int
    status: str | None = None
    category: CodeDescription | None = None
    calculationType: CodeDescription | None = None
    fineAmount: Decimal | None = None
    courtOrder: CourtOrderResponse | None = None
    offenderCharges: list[OffenderChargeResponse] = Field(default_factory=list)
    sentenceTerms: list[SentenceTermResponse] = Field(default_factory=list)


class CaseIdentifierResponse(Lenient):
    reference: str


class CourtCaseResponse(Lenient):
    id: int
    bookingId: int
    caseStatus: CodeDescription
    caseInfoNumbers: list[CaseIdentifierResponse] = Field(default_factory=list)
    courtEvents: list[CourtEventResponse] = Field(default_factory=list)
    sentences: list[SentenceResponse] = Field(default_factory=list)


# ---- mapping API ----------------------------------------------------------------------------------


class CourtCaseMappingDto(Lenient):
    nomisCourtCaseId: int
    dpsCourtCaseId: str
    offenderNo: str | None = None
