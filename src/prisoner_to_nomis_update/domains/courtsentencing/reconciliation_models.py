"""The DPS views court-sentencing reconciliation reads (spec 5.3, 5.4); E7 (court case repair) reads them too.

Names follow the OpenAPI schemas: `ReconciliationCourtCase` (with its appearances, charges, sentences and
period lengths) and `LegacyCourtCaseUuids`. NOMIS's `CourtCaseResponse` and the mapping DTOs are the
domain's shared models in `models.py`. Only what is used is modelled; anything else is ignored.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

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
    status: str | None = None
    """ACTIVE, DUPLICATE, DELETED, MERGED or INACTIVE; kept as text so a new DPS status is no parse error."""
    courtCaseLegacyData: CourtCaseLegacyData | None = None
    appearances: list[ReconciliationCourtAppearance] = Field(default_factory=list)


class LegacyCourtCaseUuids(Lenient):
    courtCaseUuids: list[str] = Field(default_factory=list)
