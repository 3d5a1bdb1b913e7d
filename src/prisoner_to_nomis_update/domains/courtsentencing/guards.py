"""Redelivery guards: find what an earlier, interrupted delivery already wrote to NOMIS (docs/architecture.md).

NOMIS has no idempotency key and never answers 409 on these creates, so a delivery that wrote to NOMIS and
then died (or lost NOMIS's answer) would, when redelivered, write a second record. Before writing, a
redelivery reads the parent NOMIS record once and looks for the newest record identical to what it is
about to write; if no mapping claims it, it is the earlier delivery's and is adopted instead.

Only the newest identical record is considered: an interrupted write is always the latest of its kind,
so one mapping lookup settles it, and the cost stays fixed however large the case is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from prisoner_to_nomis_update.domains.courtsentencing.context import CourtSentencingContext
from prisoner_to_nomis_update.domains.courtsentencing.models import (
    BookingCourtCaseCloneResponse,
    ClonedCourtCaseResponse,
    CodeDescription,
    CourtAppearanceRequest,
    CourtCaseResponse,
    CreateCourtCaseRequest,
    CreateSentenceRequest,
    NomisCourtEvent,
    NomisSentence,
    NomisSentenceTerm,
    OffenderChargeRequest,
    SentenceTermRequest,
)

T = TypeVar("T")


def _code(value: CodeDescription | None) -> str | None:
    return value.code if value is not None else None


async def newest_unmapped(
    candidates: Sequence[T], order: Callable[[T], int], find_mapping: Callable[[T], Awaitable[object | None]]
) -> T | None:
    if not candidates:
        return None
    newest = max(candidates, key=order)
    return newest if await find_mapping(newest) is None else None


def same_case(case: CourtCaseResponse, request: CreateCourtCaseRequest) -> bool:
    return (
        _code(case.caseStatus) == request.status
        and _code(case.legalCaseType) == request.legalCaseType
        and case.courtId == request.courtId
        and case.beginDate == request.startDate
        and case.primaryCaseInfoNumber == request.caseReference
        and not case.courtEvents
    )


def same_appearance(event: NomisCourtEvent, request: CourtAppearanceRequest) -> bool:
    return (
        event.eventDateTime == request.eventDateTime
        and event.courtId == request.courtId
        and _code(event.courtEventType) == request.courtEventType
    )


def same_charge_fields(
    offence_code: str | None,
    offence_date: object,
    end_date: object,
    result: str | None,
    request: OffenderChargeRequest,
) -> bool:
    return (
        offence_code == request.offenceCode
        and offence_date == request.offenceDate
        and end_date == request.offenceEndDate
        and result == request.resultCode1
    )


def same_sentence(sentence: NomisSentence, request: CreateSentenceRequest) -> bool:
    return (
        _code(sentence.calculationType) == request.sentenceCalcType
        and _code(sentence.category) == request.sentenceCategory
        and sentence.startDate == request.startDate
        and sentence.status == request.status
        and (sentence.courtOrder.eventId if sentence.courtOrder else None) == request.eventId
        and [charge.id for charge in sentence.offenderCharges] == request.offenderChargeIds
    )


def same_term(term: NomisSentenceTerm, request: SentenceTermRequest) -> bool:
    return (
        _code(term.sentenceTermType) == request.sentenceTermType
        and term.years == request.years
        and term.months == request.months
        and term.weeks == request.weeks
        and term.days == request.days
        and bool(term.lifeSentenceFlag) == request.lifeSentenceFlag
    )


class RedeliveryGuards:
    def __init__(self, context: CourtSentencingContext) -> None:
        self.nomis = context.nomis
        self.mappings = context.mappings

    async def court_case(self, offender_no: str, request: CreateCourtCaseRequest) -> int | None:
        """An empty NOMIS case exactly as requested that no DPS case is mapped to."""
        cases = [case for case in await self.nomis.court_cases(offender_no) if same_case(case, request)]
        twin = await newest_unmapped(
            cases, lambda c: c.id, lambda c: self.mappings.find_case_by_nomis_id(c.id)
        )
        return twin.id if twin else None

    async def appearance(self, offender_no: str, case_id: int, request: CourtAppearanceRequest) -> int | None:
        case = await self.nomis.court_case(offender_no, case_id)
        events = [event for event in case.courtEvents if same_appearance(event, request)]
        twin = await newest_unmapped(
            events, lambda e: e.id, lambda e: self.mappings.find_appearance_by_nomis_id(e.id)
        )
        return twin.id if twin else None

    async def charge(self, offender_no: str, case_id: int, request: OffenderChargeRequest) -> int | None:
        case = await self.nomis.court_case(offender_no, case_id)
        charges = [
            charge
            for charge in case.offenderCharges
            if same_charge_fields(
                charge.offence.offenceCode if charge.offence else None,
                charge.offenceDate,
                charge.offenceEndDate,
                _code(charge.resultCode1),
                request,
            )
        ]
        twin = await newest_unmapped(
            charges, lambda c: c.id, lambda c: self.mappings.find_charge_by_nomis_id(c.id)
        )
        return twin.id if twin else None

    async def sentence(
        self, offender_no: str, case_id: int, request: CreateSentenceRequest
    ) -> NomisSentence | None:
        case = await self.nomis.court_case(offender_no, case_id)
        sentences = [sentence for sentence in case.sentences if same_sentence(sentence, request)]
        return await newest_unmapped(
            sentences,
            lambda s: s.sentenceSeq,
            lambda s: self.mappings.find_sentence_by_nomis_id(s.bookingId, s.sentenceSeq),
        )

    async def term(
        self, offender_no: str, case_id: int, booking_id: int, sentence_seq: int, request: SentenceTermRequest
    ) -> int | None:
        case = await self.nomis.court_case(offender_no, case_id)
        sentence = next(
            (s for s in case.sentences if s.bookingId == booking_id and s.sentenceSeq == sentence_seq), None
        )
        terms = [term for term in (sentence.sentenceTerms if sentence else []) if same_term(term, request)]
        twin = await newest_unmapped(
            terms,
            lambda t: t.termSequence,
            lambda t: self.mappings.find_term_by_nomis_id(booking_id, sentence_seq, t.termSequence),
        )
        return twin.termSequence if twin else None

    async def earlier_clone(
        self, offender_no: str, source_case_id: int, appearance: CourtAppearanceRequest | None = None
    ) -> tuple[BookingCourtCaseCloneResponse, int | None] | None:
        """A clone of `source_case_id` on a later booking that no mapping knows yet, left by an interrupted clone.

        With `appearance`, the clone must also hold that new appearance as its one extra court event
        (an appearance create that cloned the case); its id is returned alongside the rebuilt clone
        response. Adjustments NOMIS copied cannot be recovered from the cases, so the rebuilt response
        lists none.
        """
        cases = await self.nomis.court_cases(offender_no)
        source = next((case for case in cases if case.id == source_case_id), None)
        if source is None:
            return None
        copies: dict[int, tuple[CourtCaseResponse, int | None]] = {}
        for case in cases:
            if case.bookingId <= source.bookingId:
                continue
            copy, new_event = _without_new_appearance(case, appearance)
            if (appearance is None or new_event is not None) and _copies(source, copy):
                copies[case.id] = (copy, new_event)
        clone = await newest_unmapped(
            list(copies),
            lambda case_id: case_id,
            lambda case_id: self.mappings.find_case_by_nomis_id(case_id),
        )
        if clone is None:
            return None
        copy, new_event = copies[clone]
        return (
            BookingCourtCaseCloneResponse(
                courtCases=[ClonedCourtCaseResponse(sourceCourtCase=source, courtCase=copy)]
            ),
            new_event,
        )


def _without_new_appearance(
    case: CourtCaseResponse, appearance: CourtAppearanceRequest | None
) -> tuple[CourtCaseResponse, int | None]:
    """The case without the newest court event matching `appearance` (and that event's id)."""
    if appearance is None:
        return case, None
    matching = [event for event in case.courtEvents if same_appearance(event, appearance)]
    if not matching:
        return case, None
    new_event = max(matching, key=lambda event: event.id)
    kept = [event for event in case.courtEvents if event.id != new_event.id]
    return case.model_copy(update={"courtEvents": kept}), new_event.id


def _copies(source: CourtCaseResponse, case: CourtCaseResponse) -> bool:
    """Whether `case` looks like NOMIS's copy of `source`: same case details and the same children."""
    return (
        case.courtId == source.courtId
        and case.beginDate == source.beginDate
        and _code(case.legalCaseType) == _code(source.legalCaseType)
        and case.primaryCaseInfoNumber == source.primaryCaseInfoNumber
        and sorted((str(e.eventDateTime), e.courtId or "") for e in case.courtEvents)
        == sorted((str(e.eventDateTime), e.courtId or "") for e in source.courtEvents)
        and len(case.offenderCharges) == len(source.offenderCharges)
        and len(case.sentences) == len(source.sentences)
    )
