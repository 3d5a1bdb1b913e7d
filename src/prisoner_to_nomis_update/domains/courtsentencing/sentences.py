"""Sentence events: inserted (and fix-single-charge inserted), updated, deleted (spec 2.10-2.12)."""

from __future__ import annotations

import logging
from typing import Any

from prisoner_to_nomis_update.domains.courtsentencing.context import CourtSentencingContext
from prisoner_to_nomis_update.domains.courtsentencing.guards import RedeliveryGuards
from prisoner_to_nomis_update.domains.courtsentencing.models import (
    FROM_NOMIS,
    CreateSentenceRequest,
    DeletedMapping,
    SentenceEvent,
    SentenceMappingDto,
)
from prisoner_to_nomis_update.domains.courtsentencing.requests import sentence_request
from prisoner_to_nomis_update.domains.courtsentencing.saving import CreatedRecord, save_once
from prisoner_to_nomis_update.framework.delivery import may_repeat_earlier_work
from prisoner_to_nomis_update.framework.synchronise import AwaitParentEntityRetry, synchronise, track

log = logging.getLogger(__name__)

SENTENCE = "sentence"
SENTENCE_LINK = ("dpsSentenceId", "nomisBookingId", "nomisSentenceSequence")


class ParentEntityNotFound(Exception):
    """A parent NOMIS cannot do without, missing where waiting will not help (spec Q5): a plain failure."""


def sentence_telemetry(event: SentenceEvent) -> dict[str, Any]:
    info = event.additionalInformation
    return {
        "dpsCourtCaseId": info.courtCaseId,
        "dpsSentenceId": info.sentenceId,
        "dpsCourtAppearanceId": info.courtAppearanceId,
        "offenderNo": event.offender_no,
    }


class SentenceHandlers:
    def __init__(self, context: CourtSentencingContext) -> None:
        self.context = context
        self.guards = RedeliveryGuards(context)

    async def inserted(self, event: SentenceEvent) -> None:
        """`sentence.inserted` and `sentence.fix-single-charge.inserted` alike."""
        context = self.context
        info = event.additionalInformation
        offender_no = event.offender_no
        sentence_id = info.sentenceId
        telemetry = sentence_telemetry(event)
        if info.source == FROM_NOMIS:
            context.telemetry.track_event(
                f"{SENTENCE}-create-ignored", {**telemetry, "reason": "Sentence created in NOMIS"}
            )
            return
        created: list[CreatedRecord] = []

        async def transform() -> SentenceMappingDto:
            case_mapping = await context.mappings.find_case_by_dps_id(info.courtCaseId)
            if case_mapping is None:
                raise AwaitParentEntityRetry(f"Missing DPS Case: {info.courtCaseId}")
            case_id = case_mapping.nomisCourtCaseId
            telemetry["nomisCourtCaseId"] = case_id
            sentence = await context.dps.get_sentence(sentence_id)
            telemetry["dpsChargeId"] = sentence.chargeLifetimeUuid
            telemetry["dpsSentenceCategory"] = sentence.sentenceCategory
            telemetry["dpsSentenceCalcType"] = sentence.sentenceCalcType
            appearance_mapping = await context.mappings.find_appearance_by_dps_id(info.courtAppearanceId)
            if appearance_mapping is None:
                raise AwaitParentEntityRetry(f"Missing DPS Appearance: {info.courtAppearanceId}")
            telemetry["nomisCourtAppearanceId"] = appearance_mapping.nomisCourtAppearanceId
            charge_mapping = await context.mappings.find_charge_by_dps_id(sentence.chargeLifetimeUuid)
            if charge_mapping is None:
                raise AwaitParentEntityRetry(f"Missing DPS Charge: {sentence.chargeLifetimeUuid}")
            consecutive_seq: int | None = None
            consecutive_id = sentence.consecutiveToLifetimeUuid
            if consecutive_id is not None:
                telemetry["dpsConsecutiveSentenceId"] = consecutive_id
                consecutive = await context.mappings.find_sentence_by_dps_id(consecutive_id)
                if consecutive is None:
                    telemetry["reason"] = (
                        f"Parent entity not found: consecutive sentence id: {consecutive_id}"
                    )
                    raise ParentEntityNotFound(
                        "Attempt to make sentence consecutive to a sentence without a nomis mapping. Missing "
                        f"sentence id: {consecutive_id} not found for DPS Sentence {sentence.lifetimeUuid}"
                    )
                consecutive_seq = consecutive.nomisSentenceSequence
            request = sentence_request(
                sentence,
                charge_mapping.nomisCourtChargeId,
                appearance_mapping.nomisCourtAppearanceId,
                consecutive_seq,
            )
            booking_id, sentence_seq = await self._write(offender_no, case_id, request, telemetry, created)
            await context.resync.sentence_created(
                offender_no=offender_no,
                booking_id=booking_id,
                sentence_seq=sentence_seq,
                case_id=case_id,
                dps_sentence_id=sentence.lifetimeUuid,
                dps_appearance_id=info.courtAppearanceId,
                dps_consecutive_sentence_id=consecutive_id,
            )
            telemetry["nomisSentenceSeq"] = sentence_seq
            telemetry["nomisbookingId"] = booking_id
            telemetry["nomisChargeId"] = charge_mapping.nomisCourtChargeId
            telemetry["nomisConsecutiveSentenceSequence"] = consecutive_seq
            # The original puts the NOMIS sequence under this DPS-sounding key; kept for the runbook's queries.
            telemetry["dpsConsecutiveSentenceUuid"] = consecutive_seq
            return SentenceMappingDto(
                nomisBookingId=booking_id,
                nomisSentenceSequence=sentence_seq,
                dpsSentenceId=sentence.lifetimeUuid,
            )

        async def save(mapping: SentenceMappingDto) -> None:
            await save_once(
                name=SENTENCE,
                save=lambda: context.mappings.create_sentence(mapping),
                mapping=mapping,
                same_link=SENTENCE_LINK,
                dps_key="dpsSentenceId",
                created=created[0] if created else None,
                telemetry=context.telemetry,
                event_telemetry=telemetry,
            )

        async with context.writing_for(offender_no):
            await synchronise(
                name=SENTENCE,
                telemetry=context.telemetry,
                event_telemetry=telemetry,
                check_mapping_exists=lambda: context.mappings.find_sentence_by_dps_id(sentence_id),
                transform=transform,
                save_mapping=save,
                retry_queue=context.retry_queue,
            )

    async def _write(
        self,
        offender_no: str,
        case_id: int,
        request: CreateSentenceRequest,
        telemetry: dict[str, Any],
        created: list[CreatedRecord],
    ) -> tuple[int, int]:
        context = self.context
        if may_repeat_earlier_work():
            twin = await self.guards.sentence(offender_no, case_id, request)
            if twin is not None:
                context.telemetry.track_event(
                    f"{SENTENCE}-create-reused-nomis-record",
                    {**telemetry, "nomisBookingId": twin.bookingId, "nomisSentenceSeq": twin.sentenceSeq},
                )
                return twin.bookingId, twin.sentenceSeq
        response = await context.nomis.create_sentence(offender_no, case_id, request)
        created.append(
            CreatedRecord(
                {"nomisBookingId": response.bookingId, "nomisSentenceSeq": response.sentenceSeq},
                lambda: context.nomis.delete_sentence(offender_no, case_id, response.sentenceSeq),
            )
        )
        return response.bookingId, response.sentenceSeq

    async def updated(self, event: SentenceEvent) -> None:
        context = self.context
        info = event.additionalInformation
        offender_no = event.offender_no
        sentence_id = info.sentenceId
        name = "sentence-updated"
        telemetry = sentence_telemetry(event)
        if info.source == FROM_NOMIS:
            context.telemetry.track_event(
                f"{name}-ignored", {**telemetry, "reason": "Sentence updated in NOMIS"}
            )
            return

        async def update() -> None:
            sentence = await context.dps.find_sentence(sentence_id)
            if sentence is None:
                context.telemetry.track_event(
                    f"{name}-ignored",
                    {**telemetry, "reason": f"DPS sentence {sentence_id} does not exist in RaS"},
                )
                return
            telemetry["dpsSentenceCategory"] = sentence.sentenceCategory
            telemetry["dpsSentenceCalcType"] = sentence.sentenceCalcType
            sentence_mapping = await context.mappings.find_sentence_by_dps_id(sentence_id)
            if sentence_mapping is None:
                raise AwaitParentEntityRetry(f"Missing Dps sentence id: {sentence_id}")
            telemetry["nomisSentenceSeq"] = sentence_mapping.nomisSentenceSequence
            telemetry["nomisBookingId"] = sentence_mapping.nomisBookingId
            case_mapping = await context.mappings.find_case_by_dps_id(info.courtCaseId)
            if case_mapping is None:
                raise AwaitParentEntityRetry(f"Missing Dps case id: {info.courtCaseId}")
            telemetry["nomisCourtCaseId"] = case_mapping.nomisCourtCaseId
            appearance_mapping = await context.mappings.find_appearance_by_dps_id(info.courtAppearanceId)
            if appearance_mapping is None:
                raise AwaitParentEntityRetry(f"Missing Dps appearance id: {info.courtAppearanceId}")
            telemetry["nomisCourtAppearanceId"] = appearance_mapping.nomisCourtAppearanceId
            charge_mapping = await context.mappings.find_charge_by_dps_id(sentence.chargeLifetimeUuid)
            if charge_mapping is None:
                raise AwaitParentEntityRetry(f"Missing Dps charge id: {sentence.chargeLifetimeUuid}")
            consecutive_seq: int | None = None
            if sentence.consecutiveToLifetimeUuid is not None:
                telemetry["dpsConsecutiveSentenceId"] = sentence.consecutiveToLifetimeUuid
                consecutive = await context.mappings.find_sentence_by_dps_id(
                    sentence.consecutiveToLifetimeUuid
                )
                if consecutive is None:
                    raise AwaitParentEntityRetry(
                        f"Missing DPS consecutive sentence id: {sentence.consecutiveToLifetimeUuid}"
                    )
                consecutive_seq = consecutive.nomisSentenceSequence
            request = sentence_request(
                sentence,
                charge_mapping.nomisCourtChargeId,
                appearance_mapping.nomisCourtAppearanceId,
                consecutive_seq,
            )
            await context.nomis.update_sentence(
                offender_no, case_mapping.nomisCourtCaseId, sentence_mapping.nomisSentenceSequence, request
            )

        await track(name, context.telemetry, telemetry, update)

    async def deleted(self, event: SentenceEvent) -> None:
        context = self.context
        info = event.additionalInformation
        offender_no = event.offender_no
        sentence_id = info.sentenceId
        telemetry: dict[str, Any] = {
            "dpsCourtCaseId": info.courtCaseId,
            "dpsSentenceId": sentence_id,
            "offenderNo": offender_no,
        }
        if info.source == FROM_NOMIS:
            context.telemetry.track_event(
                "sentence-deleted-ignored", {**telemetry, "reason": "sentence deleted in nomis"}
            )
            return
        try:
            case_mapping = await context.mappings.find_case_by_dps_id(info.courtCaseId)
            if case_mapping is None:
                context.telemetry.track_event(
                    "sentence-deleted-skipped",
                    {**telemetry, "reason": "no case mapping found for sentence - required for deletion"},
                )
                return
            telemetry["nomisCourtCaseId"] = case_mapping.nomisCourtCaseId
            sentence_mapping = await context.mappings.find_sentence_by_dps_id(sentence_id)
            if sentence_mapping is None:
                context.telemetry.track_event(
                    "sentence-deleted-skipped", {**telemetry, "reason": "sentence mapping not found"}
                )
                return
            telemetry["nomisSentenceSeq"] = sentence_mapping.nomisSentenceSequence
            telemetry["nomisBookingId"] = sentence_mapping.nomisBookingId
            await context.nomis.delete_sentence(
                offender_no, case_mapping.nomisCourtCaseId, sentence_mapping.nomisSentenceSequence
            )
        except Exception:
            context.telemetry.track_event("sentence-deleted-failed", telemetry)
            raise
        try:
            await context.mappings.delete_sentence_by_dps_id(sentence_id)
        except Exception as error:
            log.warning("Unable to delete sentence mapping %s, queueing a retry: %s", sentence_id, error)
            attributes = {"dpsSentenceId": sentence_id, "offenderNo": offender_no}
            await context.retry_queue.send_retry(
                DeletedMapping(dpsId=sentence_id), attributes, "sentence-deleted"
            )
            context.telemetry.track_event("sentence-mapping-deleted-failed", attributes)
        context.telemetry.track_event("sentence-deleted-success", telemetry)
