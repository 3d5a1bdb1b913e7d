"""The fields court sentencing uses of its events, the Remand and Sentencing (DPS) legacy API, the NOMIS
court-case endpoints and the court-sentencing mappings.

Model names follow the OpenAPI schemas (court-sentencing-api-docs, nomis-prisoner-api-docs,
nomis-mapping-service-api-docs). Reconciliation's read models live in `reconciliation_models.py`.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from prisoner_to_nomis_update.framework.messages import MalformedMessage
from prisoner_to_nomis_update.framework.models import Lenient
from prisoner_to_nomis_update.framework.telemetry import as_text

DPS_CREATED = "DPS_CREATED"
FROM_NOMIS = "NOMIS"

# ---- events ------------------------------------------------------------------------------------


class PersonIdentifier(Lenient):
    type: str
    value: str


class PersonReference(Lenient):
    identifiers: list[PersonIdentifier] = Field(default_factory=list)


class CourtSentencingEvent(Lenient):
    """The envelope fields every court-sentencing event shares (spec 1.3)."""

    eventType: str
    personReference: PersonReference | None = None

    @property
    def offender_no(self) -> str:
        """The first NOMS identifier; an event without one cannot be processed (retried, then DLQ)."""
        identifiers = self.personReference.identifiers if self.personReference else []
        for identifier in identifiers:
            if identifier.type == "NOMS":
                return identifier.value
        raise MalformedMessage(f"{self.eventType} event has no NOMS person identifier")


class CaseInformation(Lenient):
    courtCaseId: str
    source: str


class CourtCaseEvent(CourtSentencingEvent):
    additionalInformation: CaseInformation


class CaseReferencesInformation(Lenient):
    courtCaseId: str
    # The references refresh runs whatever the source (spec 2.4), so it may be absent.
    source: str | None = None


class CaseReferencesEvent(CourtSentencingEvent):
    additionalInformation: CaseReferencesInformation


class AppearanceInformation(Lenient):
    courtAppearanceId: str
    courtCaseId: str
    source: str
    isOnFutureCourtAppearance: bool = False


class AppearanceEvent(CourtSentencingEvent):
    additionalInformation: AppearanceInformation


class ChargeInformation(Lenient):
    courtChargeId: str
    courtCaseId: str
    courtAppearanceId: str | None = None
    source: str
    isOnFutureAppearance: bool | None = None


class ChargeEvent(CourtSentencingEvent):
    additionalInformation: ChargeInformation


class SentenceInformation(Lenient):
    sentenceId: str
    courtAppearanceId: str
    courtCaseId: str
    source: str


class SentenceEvent(CourtSentencingEvent):
    additionalInformation: SentenceInformation


class PeriodLengthInformation(Lenient):
    periodLengthId: str
    sentenceId: str
    courtAppearanceId: str
    courtCaseId: str
    source: str


class PeriodLengthEvent(CourtSentencingEvent):
    additionalInformation: PeriodLengthInformation


class RecallInformation(Lenient):
    recallId: str
    previousRecallId: str | None = None
    sentenceIds: list[str] = Field(default_factory=list)
    previousSentenceIds: list[str] = Field(default_factory=list)
    source: str


class RecallEvent(CourtSentencingEvent):
    additionalInformation: RecallInformation


# ---- DPS (Remand and Sentencing legacy API) -----------------------------------------------------


class CaseReferenceLegacyData(Lenient):
    offenderCaseReference: str
    updatedDate: datetime
    source: str | None = None


class LegacyCourtCase(Lenient):
    courtCaseUuid: str
    prisonerId: str
    active: bool
    startDate: date | None = None
    courtId: str | None = None
    caseReference: str | None = None
    caseReferences: list[CaseReferenceLegacyData] = Field(default_factory=list)


class LegacyCharge(Lenient):
    lifetimeUuid: str
    courtCaseUuid: str | None = None
    nomisOutcomeCode: str | None = None
    offenceCode: str
    offenceStartDate: date | None = None
    offenceEndDate: date | None = None


class LegacyNextCourtAppearance(Lenient):
    appearanceDate: date
    appearanceTime: str | None = None
    courtId: str


class LegacyCourtAppearance(Lenient):
    lifetimeUuid: str
    courtCaseUuid: str
    nomisOutcomeCode: str | None = None
    courtCode: str
    appearanceDate: date
    appearanceTime: str
    charges: list[LegacyCharge] = Field(default_factory=list)
    nextCourtAppearance: LegacyNextCourtAppearance | None = None
    nomisAppearanceTypeCode: str
    comments: str | None = None


class LegacySentence(Lenient):
    lifetimeUuid: str
    chargeLifetimeUuid: str
    appearanceUuid: str | None = None
    courtCaseId: str | None = None
    active: bool
    sentenceCalcType: str
    sentenceCategory: str
    consecutiveToLifetimeUuid: str | None = None
    fineAmount: Decimal | None = None
    sentenceStartDate: date


class LegacyPeriodLength(Lenient):
    periodYears: int | None = None
    periodMonths: int | None = None
    periodWeeks: int | None = None
    periodDays: int | None = None
    isLifeSentence: bool | None = None
    sentenceTermCode: str
    periodLengthUuid: str
    sentenceUuid: str


RecallType = Literal["LR", "FTR_14", "FTR_28", "FTR_56", "FTR_HDC_14", "FTR_HDC_28", "CUR_HDC", "IN_HDC"]


class LegacyRecall(Lenient):
    recallUuid: str
    returnToCustodyDate: date | None = None
    revocationDate: date | None = None
    sentenceIds: list[str] = Field(default_factory=list)
    recallType: RecallType
    recallBy: str


# ---- NOMIS prisoner API: requests ---------------------------------------------------------------


class NomisRequest(BaseModel):
    """A request body: nulls are left out (the original's optional fields are absent, never null)."""

    model_config = ConfigDict(defer_build=True)

    def body(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


class CreateCourtCaseRequest(NomisRequest):
    startDate: date | None
    legalCaseType: str
    courtId: str | None
    status: str
    caseReference: str | None = None


class UpdateCourtCaseRequest(NomisRequest):
    status: str


class CourtEventChargeRequest(NomisRequest):
    offenderChargeId: int
    resultCode1: str | None = None

    def __str__(self) -> str:
        return f"CourtEventChargeRequest(offenderChargeId={self.offenderChargeId}, resultCode1={as_text(self.resultCode1)})"


class CourtAppearanceRequest(NomisRequest):
    eventDateTime: datetime
    courtEventType: str
    courtId: str
    outcomeReasonCode: str | None = None
    nextEventDateTime: datetime | None = None
    courtEventChargesWithOutcomes: list[CourtEventChargeRequest]
    nextCourtId: str | None = None
    comment: str | None = None
    futureAppearance: bool
    forceClone: bool = False
    forcePreventClone: bool = False


class OffenderChargeRequest(NomisRequest):
    offenceCode: str
    offenceDate: date | None = None
    offenceEndDate: date | None = None
    resultCode1: str | None = None
    futureAppearance: bool


class CaseIdentifier(NomisRequest):
    reference: str
    createdDate: datetime


class CaseIdentifierRequest(NomisRequest):
    caseIdentifiers: list[CaseIdentifier]


class CreateSentenceRequest(NomisRequest):
    offenderChargeIds: list[int]
    startDate: date
    status: str
    sentenceCategory: str
    sentenceCalcType: str
    sentenceLevel: str
    fine: float | None = None
    consecutiveToSentenceSeq: int | None = None
    eventId: int


class SentenceTermRequest(NomisRequest):
    years: int | None = None
    months: int | None = None
    weeks: int | None = None
    days: int | None = None
    sentenceTermType: str
    lifeSentenceFlag: bool


class SentenceId(Lenient):
    offenderBookingId: int
    sentenceSequence: int


class RecallRelatedSentenceDetails(NomisRequest):
    sentenceId: SentenceId
    sentenceCategory: str
    sentenceCalcType: str
    active: bool


class ReturnToCustodyRequest(NomisRequest):
    returnToCustodyDate: date
    enteredByStaffUsername: str
    recallLength: int


class ConvertToRecallRequest(NomisRequest):
    sentences: list[RecallRelatedSentenceDetails]
    returnToCustody: ReturnToCustodyRequest | None = None
    recallRevocationDate: date | None


class UpdateRecallRequest(NomisRequest):
    sentences: list[RecallRelatedSentenceDetails]
    sentencesRemoved: list[RecallRelatedSentenceDetails]
    returnToCustody: ReturnToCustodyRequest | None = None
    recallRevocationDate: date | None
    beachCourtEventIds: list[int]


class DeleteRecallRequest(NomisRequest):
    sentences: list[RecallRelatedSentenceDetails]
    beachCourtEventIds: list[int]


class RevertRecallRequest(NomisRequest):
    sentences: list[RecallRelatedSentenceDetails]
    returnToCustody: ReturnToCustodyRequest | None = None
    beachCourtEventIds: list[int]


class CourtEventChargeRepairRequest(NomisRequest):
    id: str
    offenceDate: date | None
    offenceEndDate: date | None = None
    resultCode1: str | None = None


class CourtAppearanceRepairRequest(NomisRequest):
    eventDateTime: datetime
    courtEventType: str
    courtId: str
    outcomeReasonCode: str | None = None
    nextEventDateTime: datetime | None = None
    courtEventCharges: list[CourtEventChargeRepairRequest]
    nextCourtId: str | None = None


class OffenderChargeRepairRequest(NomisRequest):
    id: str
    offenceCode: str
    offenceDate: date | None
    offenceEndDate: date | None = None
    resultCode1: str | None = None


class CourtCaseRepairRequest(NomisRequest):
    startDate: date
    legalCaseType: str
    courtId: str
    status: str
    courtAppearances: list[CourtAppearanceRepairRequest]
    offenderCharges: list[OffenderChargeRepairRequest]
    caseReferences: CaseIdentifierRequest


# ---- NOMIS prisoner API: responses --------------------------------------------------------------


class CodeDescription(Lenient):
    code: str
    description: str | None = None


class OffenderChargeIdResponse(Lenient):
    offenderChargeId: int


class CreateCourtCaseResponse(Lenient):
    id: int


class NomisOffence(Lenient):
    offenceCode: str


class NomisOffenderCharge(Lenient):
    id: int
    offence: NomisOffence | None = None
    offenceDate: date | None = None
    offenceEndDate: date | None = None
    resultCode1: CodeDescription | None = None


class NomisCourtEventCharge(Lenient):
    offenderCharge: NomisOffenderCharge
    offenceDate: date | None = None
    offenceEndDate: date | None = None
    resultCode1: CodeDescription | None = None


class NomisCourtEvent(Lenient):
    id: int
    eventDateTime: datetime | None = None
    courtEventType: CodeDescription | None = None
    courtId: str | None = None
    outcomeReasonCode: CodeDescription | None = None
    courtEventCharges: list[NomisCourtEventCharge] = Field(default_factory=list)


class NomisSentenceTerm(Lenient):
    termSequence: int
    sentenceTermType: CodeDescription | None = None
    years: int | None = None
    months: int | None = None
    weeks: int | None = None
    days: int | None = None
    lifeSentenceFlag: bool | None = None


class NomisCourtOrder(Lenient):
    eventId: int | None = None


class NomisSentence(Lenient):
    bookingId: int
    sentenceSeq: int
    status: str | None = None
    category: CodeDescription | None = None
    calculationType: CodeDescription | None = None
    startDate: date | None = None
    fineAmount: Decimal | None = None
    courtOrder: NomisCourtOrder | None = None
    offenderCharges: list[NomisOffenderCharge] = Field(default_factory=list)
    sentenceTerms: list[NomisSentenceTerm] = Field(default_factory=list)


class NomisCaseIdentifier(Lenient):
    reference: str


class CourtCaseResponse(Lenient):
    """NOMIS's court case: what clone responses carry and what the redelivery guards compare."""

    id: int
    bookingId: int
    caseStatus: CodeDescription | None = None
    legalCaseType: CodeDescription | None = None
    beginDate: date | None = None
    courtId: str | None = None
    primaryCaseInfoNumber: str | None = None
    caseInfoNumbers: list[NomisCaseIdentifier] = Field(default_factory=list)
    courtEvents: list[NomisCourtEvent] = Field(default_factory=list)
    offenderCharges: list[NomisOffenderCharge] = Field(default_factory=list)
    sentences: list[NomisSentence] = Field(default_factory=list)


class ClonedCourtCaseResponse(Lenient):
    sourceCourtCase: CourtCaseResponse
    courtCase: CourtCaseResponse


class SentenceIdAndAdjustmentIds(BaseModel):
    sentenceId: SentenceId
    adjustmentIds: list[int]


class BookingCourtCaseCloneResponse(Lenient):
    courtCases: list[ClonedCourtCaseResponse] = Field(default_factory=list)
    sentenceAdjustments: list[SentenceIdAndAdjustmentIds] = Field(default_factory=list)


class CreateCourtAppearanceResponse(Lenient):
    id: int
    courtEventChargesIds: list[OffenderChargeIdResponse] = Field(default_factory=list)
    clonedCourtCases: BookingCourtCaseCloneResponse | None = None


class UpdateCourtAppearanceResponse(Lenient):
    createdCourtEventChargesIds: list[OffenderChargeIdResponse] = Field(default_factory=list)
    deletedOffenderChargesIds: list[OffenderChargeIdResponse] = Field(default_factory=list)

    def __str__(self) -> str:
        def ids(items: list[OffenderChargeIdResponse]) -> str:
            return (
                "["
                + ", ".join(f"OffenderChargeIdResponse(offenderChargeId={i.offenderChargeId})" for i in items)
                + "]"
            )

        return (
            f"UpdateCourtAppearanceResponse(createdCourtEventChargesIds={ids(self.createdCourtEventChargesIds)}, "
            f"deletedOffenderChargesIds={ids(self.deletedOffenderChargesIds)})"
        )


class CreateSentenceResponse(Lenient):
    sentenceSeq: int
    bookingId: int


class CreateSentenceTermResponse(Lenient):
    sentenceSeq: int
    termSeq: int
    bookingId: int


class ConvertToRecallResponse(Lenient):
    courtEventIds: list[int] = Field(default_factory=list)
    sentenceAdjustmentsActivated: list[SentenceIdAndAdjustmentIds] = Field(default_factory=list)
    clonedCourtCases: BookingCourtCaseCloneResponse | None = None


class UpdateRecallResponse(Lenient):
    createdCourtEventIds: list[int] = Field(default_factory=list)
    updatedCourtEventIds: list[int] = Field(default_factory=list)
    deletedCourtEventIds: list[int] = Field(default_factory=list)


class CourtCaseRepairResponse(Lenient):
    caseId: int
    bookingId: int
    courtAppearanceIds: list[int] = Field(default_factory=list)
    offenderChargeIds: list[int] = Field(default_factory=list)


# ---- mapping API --------------------------------------------------------------------------------


class MappingDto(BaseModel):
    """A mapping we send or read: label and whenCreated stay null on what we send."""

    model_config = ConfigDict(defer_build=True, extra="ignore")

    def body(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


class CourtAppearanceMappingDto(MappingDto):
    nomisCourtAppearanceId: int
    dpsCourtAppearanceId: str
    mappingType: str | None = DPS_CREATED
    label: str | None = None
    whenCreated: str | None = None


class CourtChargeMappingDto(MappingDto):
    nomisCourtChargeId: int
    dpsCourtChargeId: str
    mappingType: str | None = DPS_CREATED
    label: str | None = None
    whenCreated: str | None = None


class SentenceMappingDto(MappingDto):
    nomisBookingId: int
    nomisSentenceSequence: int
    dpsSentenceId: str
    mappingType: str | None = DPS_CREATED
    label: str | None = None
    whenCreated: str | None = None


class SentenceTermMappingDto(MappingDto):
    nomisBookingId: int
    nomisSentenceSequence: int
    nomisTermSequence: int
    dpsTermId: str
    mappingType: str | None = DPS_CREATED
    label: str | None = None
    whenCreated: str | None = None


class CourtCaseMappingDto(MappingDto):
    nomisCourtCaseId: int
    dpsCourtCaseId: str
    offenderNo: str | None = None
    mappingType: str | None = DPS_CREATED
    label: str | None = None
    whenCreated: str | None = None


class CourtCaseAllMappingDto(MappingDto):
    nomisCourtCaseId: int
    dpsCourtCaseId: str
    courtAppearances: list[CourtAppearanceMappingDto] = Field(default_factory=list)
    courtCharges: list[CourtChargeMappingDto] = Field(default_factory=list)
    sentences: list[SentenceMappingDto] = Field(default_factory=list)
    mappingType: str | None = DPS_CREATED
    label: str | None = None
    whenCreated: str | None = None


class CourtCaseBatchMappingDto(MappingDto):
    courtCases: list[CourtCaseMappingDto] = Field(default_factory=list)
    courtAppearances: list[CourtAppearanceMappingDto] = Field(default_factory=list)
    courtCharges: list[CourtChargeMappingDto] = Field(default_factory=list)
    sentences: list[SentenceMappingDto] = Field(default_factory=list)
    sentenceTerms: list[SentenceTermMappingDto] = Field(default_factory=list)
    mappingType: str = DPS_CREATED
    label: str | None = None
    whenCreated: str | None = None


class SimpleCourtSentencingIdPair(MappingDto):
    fromNomisId: int
    toNomisId: int


class MappingSentenceId(MappingDto):
    """The mapping API's `SentenceId` (booking + sequence), not NOMIS's `SentenceId`."""

    nomisBookingId: int
    nomisSequence: int


class CourtSentenceIdPair(MappingDto):
    fromNomisId: MappingSentenceId
    toNomisId: MappingSentenceId


class MappingSentenceTermId(MappingDto):
    nomisSentenceId: MappingSentenceId
    nomisSequence: int


class CourtSentenceTermIdPair(MappingDto):
    fromNomisId: MappingSentenceTermId
    toNomisId: MappingSentenceTermId


class CourtCaseBatchUpdateMappingDto(MappingDto):
    courtCases: list[SimpleCourtSentencingIdPair] = Field(default_factory=list)
    courtAppearances: list[SimpleCourtSentencingIdPair] = Field(default_factory=list)
    courtCharges: list[SimpleCourtSentencingIdPair] = Field(default_factory=list)
    sentences: list[CourtSentenceIdPair] = Field(default_factory=list)
    sentenceTerms: list[CourtSentenceTermIdPair] = Field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (
            self.courtCases
            or self.courtAppearances
            or self.courtCharges
            or self.sentences
            or self.sentenceTerms
        )


class CourtCaseBatchUpdateAndCreateMappingDto(MappingDto):
    mappingsToCreate: CourtCaseBatchMappingDto
    mappingsToUpdate: CourtCaseBatchUpdateMappingDto


class DpsCourtCaseBatchMappingDto(MappingDto):
    courtCases: list[str] = Field(default_factory=list)
    courtAppearances: list[str] = Field(default_factory=list)
    courtCharges: list[str] = Field(default_factory=list)
    sentences: list[str] = Field(default_factory=list)
    sentenceTerms: list[str] = Field(default_factory=list)


class CourtChargeNomisIdDto(MappingDto):
    nomisCourtChargeId: int


class CourtChargeBatchUpdateMappingDto(MappingDto):
    courtChargesToCreate: list[CourtChargeMappingDto] = Field(default_factory=list)
    courtChargesToDelete: list[CourtChargeNomisIdDto] = Field(default_factory=list)


class CourtAppearanceRecallMappingsDto(MappingDto):
    nomisCourtAppearanceIds: list[int]
    dpsRecallId: str
    mappingsToUpdate: CourtCaseBatchUpdateMappingDto
    mappingType: str | None = DPS_CREATED
    label: str | None = None


class CourtAppearanceRecallMappingDto(MappingDto):
    nomisCourtAppearanceId: int
    dpsRecallId: str
    mappingType: str | None = None


class CourtAppearanceRecallMappingsUpdateDto(MappingDto):
    nomisCourtAppearanceIds: list[int]


# ---- what RETRY_CREATE_MAPPING messages carry (spec 1.9, 2.16, 2.17, 2.12) -----------------------


class ClonedCourtCaseDetails(MappingDto):
    clonedCourtCaseIds: list[int] = Field(default_factory=list)
    fromBookingId: int
    toBookingId: int
    sentenceAdjustments: list[SentenceIdAndAdjustmentIds] = Field(default_factory=list)
    casesMoved: list[CaseMoved] = Field(default_factory=list)


class SentenceSequence(MappingDto):
    sentenceSequence: int


class CaseMoved(MappingDto):
    caseId: int
    sentences: list[SentenceSequence] = Field(default_factory=list)


class CourtCaseMappingsAndClones(MappingDto):
    """The appearance-create / clone wrapper; the doubled word in the field name is the original's."""

    mappings: CourtCaseBatchUpdateAndCreateMappingDto
    offenderNo: str
    clonedClonedCourtCaseDetails: ClonedCourtCaseDetails | None = None


class RecallMappingsAndClones(MappingDto):
    sentenceAdjustmentsActivated: list[SentenceIdAndAdjustmentIds] = Field(default_factory=list)
    mappings: CourtAppearanceRecallMappingsDto
    offenderNo: str
    clonedClonedCourtCaseDetails: ClonedCourtCaseDetails | None = None


class RecallUpdateMappings(MappingDto):
    createdCourtEventIds: list[int] = Field(default_factory=list)
    updatedCourtEventIds: list[int] = Field(default_factory=list)
    dpsRecallId: str
    offenderNo: str


class DeletedMapping(MappingDto):
    dpsId: str


ClonedCourtCaseDetails.model_rebuild()
