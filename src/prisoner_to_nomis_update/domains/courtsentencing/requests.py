"""DPS records turned into NOMIS request bodies (spec 1.8), and the Kotlin-style renderings telemetry carries."""

from __future__ import annotations

from datetime import date, datetime, time

from prisoner_to_nomis_update.domains.courtsentencing.models import (
    CaseIdentifier,
    CourtAppearanceRequest,
    CourtEventChargeRequest,
    CreateCourtCaseRequest,
    CreateSentenceRequest,
    LegacyCharge,
    LegacyCourtAppearance,
    LegacyCourtCase,
    LegacyPeriodLength,
    LegacyRecall,
    LegacySentence,
    OffenderChargeRequest,
    RecallRelatedSentenceDetails,
    ReturnToCustodyRequest,
    SentenceId,
    SentenceMappingDto,
    SentenceTermRequest,
    UpdateCourtCaseRequest,
)

# NOMIS legal case type for every case DPS creates: "Not Entered".
NOT_ENTERED = "NE"
INDICTMENT_LEVEL = "IND"

# Fixed-term recalls and their length in days; other recall types send no return-to-custody details.
FIXED_TERM_RECALL_DAYS = {"FTR_14": 14, "FTR_28": 28, "FTR_56": 56, "FTR_HDC_14": 14, "FTR_HDC_28": 28}


def case_status(active: bool) -> str:
    return "A" if active else "I"


def local_time(value: str) -> time:
    """DPS sends `HH:mm` or `HH:mm:ss`."""
    return time.fromisoformat(value)


def at(day: date, clock: str | None) -> datetime:
    """A date with a DPS time, or midnight when there is none."""
    return datetime.combine(day, local_time(clock) if clock else time())


def court_case_request(case: LegacyCourtCase) -> CreateCourtCaseRequest:
    return CreateCourtCaseRequest(
        startDate=case.startDate,
        legalCaseType=NOT_ENTERED,
        courtId=case.courtId,
        status=case_status(case.active),
        caseReference=case.caseReference,
    )


def court_case_update(case: LegacyCourtCase) -> UpdateCourtCaseRequest:
    return UpdateCourtCaseRequest(status=case_status(case.active))


def appearance_request(
    appearance: LegacyCourtAppearance,
    charges: list[CourtEventChargeRequest],
    future_appearance: bool,
    force_clone: bool = False,
    force_prevent_clone: bool = False,
) -> CourtAppearanceRequest:
    following = appearance.nextCourtAppearance
    return CourtAppearanceRequest(
        eventDateTime=at(appearance.appearanceDate, appearance.appearanceTime),
        courtEventType=appearance.nomisAppearanceTypeCode,
        courtId=appearance.courtCode,
        outcomeReasonCode=appearance.nomisOutcomeCode,
        nextEventDateTime=at(following.appearanceDate, following.appearanceTime) if following else None,
        nextCourtId=following.courtId if following else None,
        courtEventChargesWithOutcomes=charges,
        comment=appearance.comments,
        futureAppearance=future_appearance,
        forceClone=force_clone,
        forcePreventClone=force_prevent_clone,
    )


def charge_request(charge: LegacyCharge, future_appearance: bool) -> OffenderChargeRequest:
    return OffenderChargeRequest(
        offenceCode=charge.offenceCode,
        offenceDate=charge.offenceStartDate,
        offenceEndDate=charge.offenceEndDate,
        resultCode1=charge.nomisOutcomeCode,
        futureAppearance=future_appearance,
    )


def sentence_request(
    sentence: LegacySentence, nomis_charge_id: int, nomis_appearance_id: int, consecutive_to_seq: int | None
) -> CreateSentenceRequest:
    return CreateSentenceRequest(
        offenderChargeIds=[nomis_charge_id],
        startDate=sentence.sentenceStartDate,
        status=case_status(sentence.active),
        sentenceCategory=sentence.sentenceCategory,
        sentenceCalcType=sentence.sentenceCalcType,
        sentenceLevel=INDICTMENT_LEVEL,
        fine=float(sentence.fineAmount) if sentence.fineAmount is not None else None,
        consecutiveToSentenceSeq=consecutive_to_seq,
        eventId=nomis_appearance_id,
    )


def term_request(period: LegacyPeriodLength) -> SentenceTermRequest:
    return SentenceTermRequest(
        years=period.periodYears,
        months=period.periodMonths,
        weeks=period.periodWeeks,
        days=period.periodDays,
        sentenceTermType=period.sentenceTermCode,
        lifeSentenceFlag=bool(period.isLifeSentence),
    )


def case_identifiers(case: LegacyCourtCase) -> list[CaseIdentifier]:
    return [
        CaseIdentifier(reference=reference.offenderCaseReference, createdDate=reference.updatedDate)
        for reference in case.caseReferences
    ]


def recall_sentence(sentence: LegacySentence, mapping: SentenceMappingDto) -> RecallRelatedSentenceDetails:
    return RecallRelatedSentenceDetails(
        sentenceId=SentenceId(
            offenderBookingId=mapping.nomisBookingId, sentenceSequence=mapping.nomisSentenceSequence
        ),
        sentenceCategory=sentence.sentenceCategory,
        sentenceCalcType=sentence.sentenceCalcType,
        active=sentence.active,
    )


def return_to_custody(recall: LegacyRecall) -> ReturnToCustodyRequest | None:
    """Only fixed-term recalls with a return-to-custody or revocation date carry these details."""
    length = FIXED_TERM_RECALL_DAYS.get(recall.recallType)
    returned = recall.returnToCustodyDate or recall.revocationDate
    if length is None or returned is None:
        return None
    return ReturnToCustodyRequest(
        returnToCustodyDate=returned, enteredByStaffUsername=recall.recallBy, recallLength=length
    )


# ---- renderings the original's telemetry shows (Kotlin data-class toString) -----------------------


def kotlin_date_time(value: datetime) -> str:
    """LocalDateTime.toString(): seconds only when not zero."""
    text = value.strftime("%Y-%m-%dT%H:%M")
    if value.second or value.microsecond:
        text += value.strftime(":%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text


def render_case_identifiers(identifiers: list[CaseIdentifier]) -> str:
    return (
        "["
        + ", ".join(
            f"CaseIdentifier(reference={i.reference}, createdDate={kotlin_date_time(i.createdDate)})"
            for i in identifiers
        )
        + "]"
    )


def render_list(items: list[object]) -> str:
    return "[" + ", ".join(str(item) for item in items) + "]"
