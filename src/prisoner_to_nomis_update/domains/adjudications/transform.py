"""DPS adjudication data in NOMIS terms (spec 3.4 and 3.5): code tables and request bodies, no I/O."""

from __future__ import annotations

from datetime import date, datetime

from prisoner_to_nomis_update.domains.adjudications.models import (
    AdjudicationChargeId,
    ChargeToCreate,
    CreateAdjudicationRequest,
    CreateHearingRequest,
    CreateHearingResultRequest,
    EvidenceToCreate,
    HearingDto,
    HearingResultAwardRequest,
    IncidentToCreate,
    OutcomeHistoryDto,
    PunishmentDto,
    RepairToCreate,
    ReportedAdjudicationDto,
    UpdateHearingRequest,
)

REPAIR_TYPES = {
    "ELECTRICAL_REPAIR": "ELEC",
    "PLUMBING_REPAIR": "PLUM",
    "FURNITURE_OR_FABRIC_REPAIR": "FABR",
    "LOCK_REPAIR": "LOCK",
    "REDECORATION": "DECO",
    "CLEANING": "CLEA",
    "REPLACE_AN_ITEM": "DECO",  # NOMIS has no such repair: the original's "best match"
}

EVIDENCE_TYPES = {
    "PHOTO": "PHOTO",
    "BODY_WORN_CAMERA": "OTHER",
    "CCTV": "OTHER",
    "BAGGED_AND_TAGGED": "EVI_BAG",
    "OTHER": "OTHER",
}

SANCTION_TYPES = {
    "PRIVILEGE": "FORFEIT",
    "EARNINGS": "STOP_PCT",
    "CONFINEMENT": "CC",
    "REMOVAL_ACTIVITY": "REMACT",
    "EXCLUSION_WORK": "EXTRA_WORK",
    "EXTRA_WORK": "EXTW",  # deliberately not EXTRA_WORK (spec 11.3)
    "REMOVAL_WING": "REMWIN",
    "ADDITIONAL_DAYS": "ADA",
    "PROSPECTIVE_DAYS": "ADA",
    "CAUTION": "CAUTION",
    "DAMAGES_OWED": "OTHER",
    "PAYBACK": "PP",
    "RESTRICTION_OF_SOCIAL_VISITS": "RESTR_VISITS",
    "LOSS_OF_SOCIAL_VISITS": "LOSS_VISITS",
}

FINDING_CODES = {
    "REFER_POLICE": "REF_POLICE",
    "REFER_INAD": "ADJOURNED",
    "REFER_GOV": "ADJOURNED",
    "NOT_PROCEED": "NOT_PROCEED",
    "DISMISSED": "D",
    "PROSECUTION": "PROSECUTED",
    "CHARGE_PROVED": "PROVED",
    "QUASHED": "QUASHED",
    "SCHEDULE_HEARING": "ADJOURNED",
    "ADJOURN": "ADJOURNED",
}

PLEAS = {
    "UNFIT": "UNFIT",
    "ABSTAIN": "REFUSED",
    "GUILTY": "GUILTY",
    "NOT_GUILTY": "NOT_GUILTY",
    "NOT_ASKED": "NOT_ASKED",
}

NOT_ASKED = "NOT_ASKED"
# Independent adjudicators are not NOMIS users: their hearings carry no adjudicator username.
INDEPENDENT_HEARING_TYPES = frozenset({"INAD_ADULT", "INAD_YOI"})
PROSPECTIVE_DAYS = "PROSPECTIVE_DAYS"
ADA_TYPES = frozenset({"ADDITIONAL_DAYS", PROSPECTIVE_DAYS})


class UnmappableCode(ValueError):
    """A DPS code NOMIS has no equivalent for: the event fails (and ends on the DLQ) rather than guess."""


def _lookup(table: dict[str, str], code: str, what: str) -> str:
    try:
        return table[code]
    except KeyError:
        raise UnmappableCode(f"DPS {what} {code} has no NOMIS equivalent") from None


def hh_mm(moment: datetime) -> str:
    """NOMIS times are HH:mm: seconds are dropped, not rounded."""
    return f"{moment.hour:02d}:{moment.minute:02d}"


def repairs(charge: ReportedAdjudicationDto) -> list[RepairToCreate]:
    return [
        RepairToCreate(typeCode=_lookup(REPAIR_TYPES, damage.code, "damage"), comment=damage.details)
        for damage in charge.damages
    ]


def evidence(charge: ReportedAdjudicationDto) -> list[EvidenceToCreate]:
    return [
        EvidenceToCreate(typeCode=_lookup(EVIDENCE_TYPES, item.code, "evidence"), detail=item.details)
        for item in charge.evidence
    ]


def offence_code(charge: ReportedAdjudicationDto) -> str:
    """Incited or assisted others: the 'with others' code; migrated offences lack NOMIS codes."""
    rule = charge.offenceDetails.offenceRule
    if charge.incidentRole.roleCode is not None:
        return rule.withOthersNomisCode or rule.paragraphNumber
    return rule.nomisCode or rule.paragraphNumber


def create_adjudication_request(
    charge: ReportedAdjudicationDto, internal_location_id: int
) -> CreateAdjudicationRequest:
    discovered = charge.incidentDetails.dateTimeOfDiscovery
    victim = charge.offenceDetails.victimPrisonersNumber
    staff_victim = charge.offenceDetails.victimStaffUsername
    return CreateAdjudicationRequest(
        incident=IncidentToCreate(
            reportingStaffUsername=charge.createdByUserId,
            incidentDate=discovered.date(),
            incidentTime=hh_mm(discovered),
            reportedDate=charge.createdDateTime.date(),
            reportedTime=hh_mm(charge.createdDateTime),
            internalLocationId=internal_location_id,
            details=charge.incidentStatement.statement,
            prisonId=charge.originatingAgencyId,
            # NOMIS refuses a victim who is also the suspect.
            prisonerVictimsOffenderNumbers=[victim] if victim and victim != charge.prisonerNumber else [],
            staffWitnessesUsernames=[],
            staffVictimsUsernames=[staff_victim] if staff_victim else [],
            repairs=repairs(charge),
        ),
        charges=[ChargeToCreate(offenceCode=offence_code(charge))],
        evidence=evidence(charge),
    )


def create_hearing_request(hearing: HearingDto, internal_location_id: int) -> CreateHearingRequest:
    return CreateHearingRequest(
        hearingType=hearing.oicHearingType,
        hearingDate=hearing.dateTimeOfHearing.date(),
        hearingTime=hh_mm(hearing.dateTimeOfHearing),
        agencyId=hearing.agencyId,
        internalLocationId=internal_location_id,
    )


def update_hearing_request(hearing: HearingDto, internal_location_id: int) -> UpdateHearingRequest:
    return UpdateHearingRequest(
        hearingType=hearing.oicHearingType,
        hearingDate=hearing.dateTimeOfHearing.date(),
        hearingTime=hh_mm(hearing.dateTimeOfHearing),
        internalLocationId=internal_location_id,
    )


def finding_code(code: str) -> str:
    try:
        return FINDING_CODES[code]
    except KeyError:
        raise UnmappableCode(f"DPS Outcome code {code} does not map to a NOMIS finding code") from None


def plea_code(plea: str | None) -> str:
    return NOT_ASKED if plea is None else _lookup(PLEAS, plea, "plea")


def adjudicator_username(hearing: HearingDto) -> str | None:
    """Internal hearings only: none for independent adjudicators or a blank name (field then omitted)."""
    if hearing.oicHearingType in INDEPENDENT_HEARING_TYPES or hearing.outcome is None:
        return None
    name = hearing.outcome.adjudicator
    return name if name.strip() else None


def _completed_hearing(entry: OutcomeHistoryDto) -> HearingDto:
    if entry.hearing is None or entry.hearing.outcome is None:
        raise ValueError("The DPS outcome entry has no hearing with a hearing outcome")
    return entry.hearing


def standard_result(entry: OutcomeHistoryDto) -> CreateHearingResultRequest:
    """Finding from the outcome block when there is one, else from the hearing outcome."""
    hearing = _completed_hearing(entry)
    assert hearing.outcome is not None
    code = entry.outcome.outcome.code if entry.outcome is not None else hearing.outcome.code
    return CreateHearingResultRequest(
        pleaFindingCode=plea_code(hearing.outcome.plea),
        findingCode=finding_code(code),
        adjudicatorUsername=adjudicator_username(hearing),
    )


def referral_outcome_result(entry: OutcomeHistoryDto) -> CreateHearingResultRequest:
    """A hearing's referral that has its own outcome (prosecution, not proceed, referred to governor...)."""
    hearing = _completed_hearing(entry)
    assert entry.outcome is not None and entry.outcome.referralOutcome is not None
    return CreateHearingResultRequest(
        pleaFindingCode=NOT_ASKED,
        findingCode=finding_code(entry.outcome.referralOutcome.code),
        adjudicatorUsername=adjudicator_username(hearing),
    )


def hearing_result(entry: OutcomeHistoryDto) -> CreateHearingResultRequest:
    if entry.outcome is not None and entry.outcome.referralOutcome is not None:
        return referral_outcome_result(entry)
    return standard_result(entry)


def referral_result(entry: OutcomeHistoryDto) -> CreateHearingResultRequest:
    """A result with no hearing: the referral outcome when there is one, else the outcome itself."""
    if entry.outcome is None:
        raise ValueError("The DPS referral has no outcome")
    code = (entry.outcome.referralOutcome or entry.outcome.outcome).code
    return CreateHearingResultRequest(pleaFindingCode=NOT_ASKED, findingCode=finding_code(code))


def outcome_only_result(entry: OutcomeHistoryDto) -> CreateHearingResultRequest:
    """Rolling a hearing-less referral back after a delete: the outcome's code, referral ignored."""
    assert entry.outcome is not None
    return CreateHearingResultRequest(
        pleaFindingCode=NOT_ASKED, findingCode=finding_code(entry.outcome.outcome.code)
    )


def finding_code_only(entry: OutcomeHistoryDto) -> str:
    """Unquash: the outcome's code, else the hearing outcome's; the entry must have a hearing either way."""
    if entry.hearing is None:
        raise ValueError("The last DPS outcome has no hearing")
    if entry.outcome is not None:
        return finding_code(entry.outcome.outcome.code)
    if entry.hearing.outcome is None:
        raise ValueError("The last DPS outcome has neither an outcome nor a hearing outcome")
    return finding_code(entry.hearing.outcome.code)


def sanction_status(punishment: PunishmentDto) -> str:
    schedule = punishment.schedule
    prospective = punishment.type == PROSPECTIVE_DAYS
    if schedule.startDate is not None:
        return "IMMEDIATE"
    if schedule.suspendedUntil is not None:
        return "SUSP_PROSP" if prospective else "SUSPENDED"
    return "PROSPECTIVE" if prospective else "IMMEDIATE"


def comment_text(punishment: PunishmentDto) -> str:
    if punishment.type == "PRIVILEGE":
        if punishment.privilegeType == "OTHER":
            return f"Added by DPS: Loss of {punishment.otherPrivilege}"
        return f"Added by DPS: Loss of {punishment.privilegeType}"
    if punishment.type == "DAMAGES_OWED":
        return f"Added by DPS: OTHER - Damages owed £{punishment.damagesOwedAmount or 0:.2f}"
    return "Added by DPS"


def dated_effective_date(punishment: PunishmentDto) -> date | None:
    """The effective date the DPS punishment itself fixes (not the hearing date or today fallback)."""
    return punishment.schedule.startDate or punishment.schedule.suspendedUntil


def award(
    punishment: PunishmentDto,
    consecutive: AdjudicationChargeId | None,
    hearing_date: date | None = None,
    today: date | None = None,
) -> HearingResultAwardRequest:
    schedule = punishment.schedule
    compensation: float | None = punishment.damagesOwedAmount
    if compensation is None and punishment.stoppagePercentage is not None:
        compensation = float(punishment.stoppagePercentage)
    return HearingResultAwardRequest(
        sanctionType=_lookup(SANCTION_TYPES, punishment.type, "punishment type"),
        sanctionStatus=sanction_status(punishment),
        commentText=comment_text(punishment),
        effectiveDate=dated_effective_date(punishment) or hearing_date or today or date.today(),
        compensationAmount=compensation,
        # NOMIS counts awards in days only: an award measured in hours is sent as 0 days.
        sanctionDays=(schedule.duration or 0) if schedule.measurement == "DAYS" else 0,
        consecutiveCharge=consecutive,
    )
