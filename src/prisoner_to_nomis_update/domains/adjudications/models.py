"""The fields we use of the Manage Adjudications API, the NOMIS adjudication endpoints and the mappings.

Model names follow the OpenAPI schemas (adjudications-api-docs, nomis-prisoner-api-docs,
nomis-mapping-service-api-docs). Requests leave null fields out of their JSON: NOMIS must not see an
`adjudicatorUsername: null` (spec 1.3).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from prisoner_to_nomis_update.framework.models import Lenient

# ---- domain events ---------------------------------------------------------------------------------


class ChargeInformation(Lenient):
    # DPS sends strings; numbers are accepted as text as the original's JSON binding does.
    model_config = ConfigDict(extra="ignore", defer_build=True, coerce_numbers_to_str=True)

    chargeNumber: str
    prisonId: str
    prisonerNumber: str
    hearingId: str | None = None


class ChargeEvent(Lenient):
    """Every `adjudication.*` event: the charge, the prison (Active-Caseload) and the prisoner."""

    additionalInformation: ChargeInformation

    @property
    def charge_number(self) -> str:
        return self.additionalInformation.chargeNumber

    @property
    def prison_id(self) -> str:
        return self.additionalInformation.prisonId

    @property
    def prisoner_number(self) -> str:
        return self.additionalInformation.prisonerNumber

    @property
    def hearing_id(self) -> str | None:
        return self.additionalInformation.hearingId


class HearingInformation(ChargeInformation):
    hearingId: str


class HearingEvent(ChargeEvent):
    """`adjudication.hearing.created|updated|deleted`: the hearing id is required."""

    additionalInformation: HearingInformation

    @property
    def dps_hearing_id(self) -> str:
        return self.additionalInformation.hearingId


def charge_event(
    charge_number: str, prison_id: str, prisoner_number: str, hearing_id: str | None = None
) -> ChargeEvent:
    """The event the repair endpoints run a handler with."""
    return ChargeEvent(
        additionalInformation=ChargeInformation(
            chargeNumber=charge_number,
            prisonId=prison_id,
            prisonerNumber=prisoner_number,
            hearingId=hearing_id,
        )
    )


def hearing_event(charge_number: str, prison_id: str, prisoner_number: str, hearing_id: str) -> HearingEvent:
    return HearingEvent(
        additionalInformation=HearingInformation(
            chargeNumber=charge_number,
            prisonId=prison_id,
            prisonerNumber=prisoner_number,
            hearingId=hearing_id,
        )
    )


# ---- DPS Manage Adjudications API ------------------------------------------------------------------


class IncidentDetailsDto(Lenient):
    locationUuid: str
    dateTimeOfDiscovery: datetime


class IncidentStatementDto(Lenient):
    statement: str


class IncidentRoleDto(Lenient):
    roleCode: str | None = None


class OffenceRuleDto(Lenient):
    paragraphNumber: str
    nomisCode: str | None = None
    withOthersNomisCode: str | None = None


class OffenceDto(Lenient):
    offenceRule: OffenceRuleDto
    victimPrisonersNumber: str | None = None
    victimStaffUsername: str | None = None


class ReportedDamageDto(Lenient):
    code: str
    details: str


class ReportedEvidenceDto(Lenient):
    code: str
    details: str


class HearingOutcomeDto(Lenient):
    id: int | None = None
    adjudicator: str = ""
    code: str
    plea: str | None = None


class HearingDto(Lenient):
    id: int | None = None
    locationUuid: str
    dateTimeOfHearing: datetime
    oicHearingType: str
    agencyId: str
    outcome: HearingOutcomeDto | None = None


class OutcomeDto(Lenient):
    id: int | None = None
    code: str


class CombinedOutcomeDto(Lenient):
    outcome: OutcomeDto
    referralOutcome: OutcomeDto | None = None


class OutcomeHistoryDto(Lenient):
    hearing: HearingDto | None = None
    outcome: CombinedOutcomeDto | None = None


class PunishmentScheduleDto(Lenient):
    duration: int | None = None
    measurement: str = "DAYS"
    startDate: date | None = None
    endDate: date | None = None
    suspendedUntil: date | None = None


class PunishmentDto(Lenient):
    id: int | None = None
    type: str
    privilegeType: str | None = None
    otherPrivilege: str | None = None
    stoppagePercentage: int | None = None
    damagesOwedAmount: float | None = None
    consecutiveChargeNumber: str | None = None
    schedule: PunishmentScheduleDto


class ReportedAdjudicationDto(Lenient):
    chargeNumber: str
    prisonerNumber: str
    createdByUserId: str
    createdDateTime: datetime
    originatingAgencyId: str
    incidentDetails: IncidentDetailsDto
    incidentStatement: IncidentStatementDto
    incidentRole: IncidentRoleDto = Field(default_factory=IncidentRoleDto)
    offenceDetails: OffenceDto
    damages: list[ReportedDamageDto] = Field(default_factory=list)
    evidence: list[ReportedEvidenceDto] = Field(default_factory=list)
    hearings: list[HearingDto] = Field(default_factory=list)
    outcomes: list[OutcomeHistoryDto] = Field(default_factory=list)
    punishments: list[PunishmentDto] = Field(default_factory=list)

    def hearing(self, hearing_id: str) -> HearingDto | None:
        """The last hearing with this id (ids compared as text, spec 11.22)."""
        found = [hearing for hearing in self.hearings if str(hearing.id) == hearing_id]
        return found[-1] if found else None

    def last_outcome(self) -> OutcomeHistoryDto | None:
        return self.outcomes[-1] if self.outcomes else None


class ReportedAdjudicationResponse(Lenient):
    reportedAdjudication: ReportedAdjudicationDto


class ReconciliationSchedule(Lenient):
    duration: int | None = None


class ReconciliationPunishment(Lenient):
    type: str
    schedule: ReconciliationSchedule = Field(default_factory=ReconciliationSchedule)


class ChargeSummaryDto(Lenient):
    """What the reconciliation needs of an adjudication listed by booking (the rest is not parsed)."""

    chargeNumber: str
    hearings: list[dict[str, Any]] = Field(default_factory=list)
    punishments: list[ReconciliationPunishment] = Field(default_factory=list)


# ---- NOMIS prisoner API: requests ------------------------------------------------------------------


class Request(BaseModel):
    def body(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


class RepairToCreate(Request):
    typeCode: str
    comment: str | None = None


class EvidenceToCreate(Request):
    typeCode: str
    detail: str


class IncidentToCreate(Request):
    reportingStaffUsername: str
    incidentDate: date
    incidentTime: str
    reportedDate: date
    reportedTime: str
    internalLocationId: int
    details: str
    prisonId: str
    prisonerVictimsOffenderNumbers: list[str]
    staffWitnessesUsernames: list[str]
    staffVictimsUsernames: list[str]
    repairs: list[RepairToCreate]


class ChargeToCreate(Request):
    offenceCode: str


class CreateAdjudicationRequest(Request):
    incident: IncidentToCreate
    charges: list[ChargeToCreate]
    evidence: list[EvidenceToCreate]


class UpdateRepairsRequest(Request):
    repairs: list[RepairToCreate]


class UpdateEvidenceRequest(Request):
    evidence: list[EvidenceToCreate]


class CreateHearingRequest(Request):
    hearingType: str
    hearingDate: date
    hearingTime: str
    agencyId: str
    internalLocationId: int


class UpdateHearingRequest(Request):
    hearingType: str
    hearingDate: date
    hearingTime: str
    internalLocationId: int


class CreateHearingResultRequest(Request):
    pleaFindingCode: str
    findingCode: str
    adjudicatorUsername: str | None = None


class AdjudicationChargeId(Request):
    adjudicationNumber: int
    chargeSequence: int


class HearingResultAwardRequest(Request):
    sanctionType: str
    sanctionStatus: str
    commentText: str | None = None
    effectiveDate: date
    compensationAmount: float | None = None
    sanctionDays: int | None = None
    consecutiveCharge: AdjudicationChargeId | None = None


class ExistingHearingResultAwardRequest(Request):
    award: HearingResultAwardRequest
    sanctionSequence: int


class CreateHearingResultAwardRequest(Request):
    awards: list[HearingResultAwardRequest]


class UpdateHearingResultAwardRequest(Request):
    awardsToCreate: list[HearingResultAwardRequest]
    awardsToUpdate: list[ExistingHearingResultAwardRequest]


class UnquashHearingResultAwardRequest(Request):
    findingCode: str
    awards: UpdateHearingResultAwardRequest


# ---- NOMIS prisoner API: responses -----------------------------------------------------------------


class ChargeResponse(Lenient):
    chargeSequence: int


class CreateAdjudicationResponse(Lenient):
    adjudicationNumber: int
    charges: list[ChargeResponse]


class HearingResultAwardResponse(Lenient):
    bookingId: int
    sanctionSequence: int


class AwardsResponse(Lenient):
    """Create, update, delete and unquash awards: which NOMIS awards the call created and deleted."""

    awardsCreated: list[HearingResultAwardResponse] = Field(default_factory=list)
    awardsDeleted: list[HearingResultAwardResponse] = Field(default_factory=list)


class CodeDescription(Lenient):
    code: str
    description: str | None = None


class NomisStaff(Lenient):
    username: str


class NomisInternalLocation(Lenient):
    locationId: int


class NomisIncident(Lenient):
    reportingStaff: NomisStaff | None = None
    incidentDate: date | None = None
    incidentTime: str | None = None
    reportedDate: date | None = None
    reportedTime: str | None = None
    internalLocation: NomisInternalLocation | None = None
    details: str | None = None
    prison: CodeDescription | None = None


class NomisOffence(Lenient):
    code: str


class NomisCharge(Lenient):
    chargeSequence: int
    offence: NomisOffence | None = None


class NomisAward(Lenient):
    sequence: int
    chargeSequence: int
    adjudicationNumber: int
    sanctionType: CodeDescription | None = None
    sanctionStatus: CodeDescription | None = None
    comment: str | None = None
    effectiveDate: date | None = None
    sanctionDays: int | None = None
    compensationAmount: float | None = None
    consecutiveAward: NomisAward | None = None


class NomisHearingResult(Lenient):
    charge: NomisCharge
    resultAwards: list[NomisAward] = Field(default_factory=list)


class NomisHearing(Lenient):
    hearingId: int
    type: CodeDescription | None = None
    hearingDate: date | None = None
    hearingTime: str | None = None
    internalLocation: NomisInternalLocation | None = None
    hearingResults: list[NomisHearingResult] = Field(default_factory=list)


class AdjudicationResponse(Lenient):
    """`GET /adjudications/adjudication-number/{n}`: read only to recognise an earlier attempt's records."""

    adjudicationNumber: int
    offenderNo: str
    bookingId: int
    incident: NomisIncident
    charges: list[NomisCharge] = Field(default_factory=list)
    hearings: list[NomisHearing] = Field(default_factory=list)

    def awards_for(self, charge_sequence: int) -> list[NomisAward]:
        seen: set[int] = set()
        awards: list[NomisAward] = []
        for hearing in self.hearings:
            for result in hearing.hearingResults:
                for award in result.resultAwards:
                    if award.chargeSequence == charge_sequence and award.sequence not in seen:
                        seen.add(award.sequence)
                        awards.append(award)
        return awards


class AdjudicationChargeIdResponse(Lenient):
    adjudicationNumber: int
    chargeSequence: int
    offenderNo: str


class AdaSummary(Lenient):
    adjudicationNumber: int
    days: int = 0


class AdjudicationADAAwardSummaryResponse(Lenient):
    adaSummaries: list[AdaSummary] = Field(default_factory=list)


class MergeDetail(Lenient):
    deletedOffenderNo: str
    retainedOffenderNo: str | None = None
    previousBookingId: int
    activeBookingId: int | None = None
    requestDateTime: datetime


# ---- mapping API ------------------------------------------------------------------------------------


class Mapping(BaseModel):
    model_config = ConfigDict(extra="ignore")

    def body(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


class AdjudicationMappingDto(Mapping):
    adjudicationNumber: int
    chargeSequence: int
    chargeNumber: str
    label: str | None = None
    mappingType: str | None = None
    whenCreated: str | None = None


class AdjudicationHearingMappingDto(Mapping):
    dpsHearingId: str
    nomisHearingId: int
    label: str | None = None
    mappingType: str | None = None
    whenCreated: str | None = None


class AdjudicationPunishmentMappingDto(Mapping):
    dpsPunishmentId: str
    nomisBookingId: int
    nomisSanctionSequence: int
    label: str | None = None
    mappingType: str | None = None
    whenCreated: str | None = None


class AdjudicationPunishmentNomisIdDto(Mapping):
    nomisBookingId: int
    nomisSanctionSequence: int


class AdjudicationPunishmentBatchMappingDto(Mapping):
    punishments: list[AdjudicationPunishmentMappingDto]


class AdjudicationPunishmentBatchUpdateMappingDto(Mapping):
    punishmentsToCreate: list[AdjudicationPunishmentMappingDto]
    punishmentsToDelete: list[AdjudicationPunishmentNomisIdDto]

    @property
    def is_empty(self) -> bool:
        return not self.punishmentsToCreate and not self.punishmentsToDelete


class AdjudicationDeleteMappingDto(Mapping):
    dpsChargeNumber: str
    dpsHearingIds: list[str]
    dpsPunishmentIds: list[str]


class LocationMappingDto(Lenient):
    dpsLocationId: str
    nomisLocationId: int
