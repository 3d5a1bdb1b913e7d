"""Period length events, NOMIS sentence terms: inserted, updated, deleted (spec 2.13-2.15)."""

from __future__ import annotations

import logging
from typing import Any

from prisoner_to_nomis_update.domains.courtsentencing.context import CourtSentencingContext
from prisoner_to_nomis_update.domains.courtsentencing.guards import RedeliveryGuards
from prisoner_to_nomis_update.domains.courtsentencing.models import (
    FROM_NOMIS,
    DeletedMapping,
    PeriodLengthEvent,
    SentenceTermMappingDto,
)
from prisoner_to_nomis_update.domains.courtsentencing.requests import term_request
from prisoner_to_nomis_update.domains.courtsentencing.saving import CreatedRecord, save_once
from prisoner_to_nomis_update.framework.delivery import may_repeat_earlier_work
from prisoner_to_nomis_update.framework.synchronise import AwaitParentEntityRetry, synchronise, track

log = logging.getLogger(__name__)

SENTENCE_TERM = "sentence-term"
TERM_LINK = ("dpsTermId", "nomisBookingId", "nomisSentenceSequence", "nomisTermSequence")


def term_telemetry(event: PeriodLengthEvent) -> dict[str, Any]:
    info = event.additionalInformation
    return {
        "dpsCourtCaseId": info.courtCaseId,
        "dpsSentenceId": info.sentenceId,
        "dpsCourtAppearanceId": info.courtAppearanceId,
        "dpsTermId": info.periodLengthId,
        "offenderNo": event.offender_no,
    }


class TermHandlers:
    def __init__(self, context: CourtSentencingContext) -> None:
        self.context = context
        self.guards = RedeliveryGuards(context)

    async def inserted(self, event: PeriodLengthEvent) -> None:
        context = self.context
        info = event.additionalInformation
        offender_no = event.offender_no
        term_id = info.periodLengthId
        telemetry = term_telemetry(event)
        if info.source == FROM_NOMIS:
            context.telemetry.track_event(
                f"{SENTENCE_TERM}-create-ignored", {**telemetry, "reason": "Sentence term created in NOMIS"}
            )
            return
        created: list[CreatedRecord] = []

        async def transform() -> SentenceTermMappingDto:
            case_mapping = await context.mappings.find_case_by_dps_id(info.courtCaseId)
            if case_mapping is None:
                raise AwaitParentEntityRetry(f"Missing DPS Case: {info.courtCaseId}")
            case_id = case_mapping.nomisCourtCaseId
            telemetry["nomisCourtCaseId"] = case_id
            sentence_mapping = await context.mappings.find_sentence_by_dps_id(info.sentenceId)
            if sentence_mapping is None:
                raise AwaitParentEntityRetry(f"Missing DPS Sentence: {info.sentenceId}")
            sentence_seq = sentence_mapping.nomisSentenceSequence
            booking_id = sentence_mapping.nomisBookingId
            telemetry["nomisSentenceSequence"] = sentence_seq
            telemetry["nomisBookingId"] = booking_id
            period = await context.dps.get_period_length(term_id)
            telemetry["dpsTermId"] = period.periodLengthUuid
            telemetry["termCode"] = period.sentenceTermCode
            request = term_request(period)
            term_seq = (
                await self.guards.term(offender_no, case_id, booking_id, sentence_seq, request)
                if may_repeat_earlier_work()
                else None
            )
            if term_seq is not None:
                context.telemetry.track_event(
                    f"{SENTENCE_TERM}-create-reused-nomis-record", {**telemetry, "nomisTermSeq": term_seq}
                )
            else:
                response = await context.nomis.create_term(offender_no, case_id, sentence_seq, request)
                term_seq, sentence_seq, booking_id = (
                    response.termSeq,
                    response.sentenceSeq,
                    response.bookingId,
                )
                created_seq = term_seq
                created.append(
                    CreatedRecord(
                        {"nomisTermSeq": created_seq},
                        lambda: context.nomis.delete_term(offender_no, case_id, sentence_seq, created_seq),
                    )
                )
            telemetry["nomisSentenceSeq"] = sentence_seq
            telemetry["nomisbookingId"] = booking_id
            return SentenceTermMappingDto(
                nomisBookingId=booking_id,
                nomisSentenceSequence=sentence_seq,
                nomisTermSequence=term_seq,
                dpsTermId=term_id,
            )

        async def save(mapping: SentenceTermMappingDto) -> None:
            await save_once(
                name=SENTENCE_TERM,
                save=lambda: context.mappings.create_term(mapping),
                mapping=mapping,
                same_link=TERM_LINK,
                dps_key="dpsTermId",
                created=created[0] if created else None,
                telemetry=context.telemetry,
                event_telemetry=telemetry,
            )

        async with context.writing_for(offender_no):
            await synchronise(
                name=SENTENCE_TERM,
                telemetry=context.telemetry,
                event_telemetry=telemetry,
                check_mapping_exists=lambda: context.mappings.find_term_by_dps_id(term_id),
                transform=transform,
                save_mapping=save,
                retry_queue=context.retry_queue,
            )

    async def updated(self, event: PeriodLengthEvent) -> None:
        context = self.context
        info = event.additionalInformation
        offender_no = event.offender_no
        term_id = info.periodLengthId
        name = "sentence-term-updated"
        telemetry = term_telemetry(event)
        if info.source == FROM_NOMIS:
            context.telemetry.track_event(
                f"{name}-ignored", {**telemetry, "reason": "Sentence term updated in NOMIS"}
            )
            return

        async def update() -> None:
            period = await context.dps.find_period_length(term_id)
            if period is None:
                context.telemetry.track_event(
                    f"{name}-ignored",
                    {**telemetry, "reason": f"DPS sentence term {term_id} does not exist in RaS"},
                )
                return
            case_mapping = await context.mappings.find_case_by_dps_id(info.courtCaseId)
            if case_mapping is None:
                raise AwaitParentEntityRetry(f"Missing Dps case id: {info.courtCaseId}")
            telemetry["nomisCourtCaseId"] = case_mapping.nomisCourtCaseId
            term_mapping = await context.mappings.find_term_by_dps_id(term_id)
            if term_mapping is None:
                raise AwaitParentEntityRetry(f"Missing Dps period length id: {term_id}")
            telemetry["nomisSentenceSeq"] = term_mapping.nomisSentenceSequence
            telemetry["nomisTermSeq"] = term_mapping.nomisTermSequence
            telemetry["nomisBookingId"] = term_mapping.nomisBookingId
            telemetry["termCode"] = period.sentenceTermCode
            await context.nomis.update_term(
                offender_no,
                case_mapping.nomisCourtCaseId,
                term_mapping.nomisSentenceSequence,
                term_mapping.nomisTermSequence,
                term_request(period),
            )

        await track(name, context.telemetry, telemetry, update)

    async def deleted(self, event: PeriodLengthEvent) -> None:
        context = self.context
        info = event.additionalInformation
        offender_no = event.offender_no
        term_id = info.periodLengthId
        telemetry: dict[str, Any] = {
            "dpsCourtCaseId": info.courtCaseId,
            "dpsSentenceId": info.sentenceId,
            "dpsTermId": term_id,
            "offenderNo": offender_no,
        }
        if info.source == FROM_NOMIS:
            context.telemetry.track_event(
                "sentence-term-deleted-ignored", {**telemetry, "reason": "sentence term deleted in nomis"}
            )
            return
        try:
            case_mapping = await context.mappings.find_case_by_dps_id(info.courtCaseId)
            if case_mapping is None:
                context.telemetry.track_event(
                    "sentence-term-deleted-skipped",
                    {**telemetry, "reason": "Parent entity case not found - required for deletion"},
                )
                return
            term_mapping = await context.mappings.find_term_by_dps_id(term_id)
            if term_mapping is None:
                context.telemetry.track_event(
                    "sentence-term-deleted-skipped",
                    {**telemetry, "reason": "sentence term mapping not found"},
                )
                return
            telemetry["nomisSentenceSeq"] = term_mapping.nomisSentenceSequence
            telemetry["nomisTermSeq"] = term_mapping.nomisTermSequence
            telemetry["nomisBookingId"] = term_mapping.nomisBookingId
            await context.nomis.delete_term(
                offender_no,
                case_mapping.nomisCourtCaseId,
                term_mapping.nomisSentenceSequence,
                term_mapping.nomisTermSequence,
            )
        except Exception:
            context.telemetry.track_event("sentence-term-deleted-failed", telemetry)
            raise
        try:
            await context.mappings.delete_term_by_dps_id(term_id)
        except Exception as error:
            log.warning("Unable to delete sentence term mapping %s, queueing a retry: %s", term_id, error)
            attributes = {"dpsTermId": term_id, "offenderNo": offender_no}
            await context.retry_queue.send_retry(
                DeletedMapping(dpsId=term_id), attributes, "sentence-term-deleted"
            )
            context.telemetry.track_event("sentence-term-mapping-deleted-failed", attributes)
        context.telemetry.track_event("sentence-term-deleted-success", telemetry)
