"""Recall events: inserted, updated, deleted (spec 2.16-2.18).

A recall converts NOMIS sentences to recall sentences and adds breach court appearances, whose ids are
mapped to the DPS recall. Recalling sentences on an old booking makes NOMIS clone their cases first.
"""

from __future__ import annotations

import logging
from typing import Any

from prisoner_to_nomis_update.domains.courtsentencing.clones import (
    clone_details,
    cloned_case_ids,
    mappings_to_update,
)
from prisoner_to_nomis_update.domains.courtsentencing.context import CourtSentencingContext
from prisoner_to_nomis_update.domains.courtsentencing.models import (
    FROM_NOMIS,
    ConvertToRecallRequest,
    CourtAppearanceRecallMappingsDto,
    CourtAppearanceRecallMappingsUpdateDto,
    DeleteRecallRequest,
    LegacyRecall,
    LegacySentence,
    RecallEvent,
    RecallMappingsAndClones,
    RecallRelatedSentenceDetails,
    RecallUpdateMappings,
    RevertRecallRequest,
    SentenceIdAndAdjustmentIds,
    SentenceMappingDto,
    UpdateRecallRequest,
)
from prisoner_to_nomis_update.domains.courtsentencing.requests import recall_sentence, return_to_custody
from prisoner_to_nomis_update.domains.courtsentencing.resync import (
    RESYNC_BREACH_INSERTED,
    RESYNC_BREACH_UPDATED,
)
from prisoner_to_nomis_update.framework.http import HttpError
from prisoner_to_nomis_update.framework.synchronise import reason_of

log = logging.getLogger(__name__)

RECALL_INSERT_RETRY = "court-appearance-recall"
RECALL_UPDATE_RETRY = "court-appearance-recall-update"


class SentencesNotMapped(Exception):
    pass


class RecallWithoutRevocationDate(ValueError):
    pass


def joined(values: list[str]) -> str:
    return ", ".join(values)


def distinct(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


SentencesWithMappings = list[tuple[LegacySentence, SentenceMappingDto]]


def sentence_details(pairs: SentencesWithMappings) -> list[RecallRelatedSentenceDetails]:
    return [recall_sentence(sentence, mapping) for sentence, mapping in pairs]


def describe_sentences(pairs: SentencesWithMappings, prefix: str = "nomisSentenceSeq") -> dict[str, str]:
    """`nomisSentenceSeq` in order, `nomisBookingId` and `dpsSentenceTypes` distinct and sorted."""
    return {
        prefix: joined([str(mapping.nomisSentenceSequence) for _, mapping in pairs]),
        "nomisBookingId": joined(sorted({str(mapping.nomisBookingId) for _, mapping in pairs}, key=int)),
        "dpsSentenceTypes": joined(sorted({sentence.sentenceCalcType for sentence, _ in pairs})),
    }


def revocation_date(recall: LegacyRecall) -> Any:
    if recall.revocationDate is None:
        raise RecallWithoutRevocationDate(f"Recall {recall.recallUuid} has no revocation date")
    return recall.revocationDate


def adjustments_to_resync(wrapper: RecallMappingsAndClones) -> list[SentenceIdAndAdjustmentIds]:
    """Clone adjustments as given, then activated ones with sorted ids, each distinct entry once (spec Q19)."""
    details = wrapper.clonedClonedCourtCaseDetails
    entries = list(details.sentenceAdjustments) if details else []
    entries += [
        SentenceIdAndAdjustmentIds(sentenceId=entry.sentenceId, adjustmentIds=sorted(entry.adjustmentIds))
        for entry in wrapper.sentenceAdjustmentsActivated
    ]
    unique: list[SentenceIdAndAdjustmentIds] = []
    for entry in entries:
        if entry not in unique:
            unique.append(entry)
    return unique


class RecallHandlers:
    def __init__(self, context: CourtSentencingContext) -> None:
        self.context = context

    async def sentences_with_mappings(self, sentence_ids: list[str]) -> SentencesWithMappings:
        """DPS sentences in DPS's order, each with its mapping; every one must be mapped (spec 1.8)."""
        if not sentence_ids:
            return []
        sentences = await self.context.dps.search_sentences(sentence_ids)
        mappings = await self.context.mappings.get_sentences_by_dps_ids(sentence_ids)
        by_dps_id = {mapping.dpsSentenceId: mapping for mapping in mappings}
        if any(sentence.lifetimeUuid not in by_dps_id for sentence in sentences):
            raise SentencesNotMapped(f"Not all sentences have a mapping: [{joined(list(by_dps_id))}]")
        return [(sentence, by_dps_id[sentence.lifetimeUuid]) for sentence in sentences]

    async def breach_appearance_ids(self, recall_id: str) -> list[int]:
        return [
            m.nomisCourtAppearanceId for m in await self.context.mappings.get_recall_appearances(recall_id)
        ]

    # ---- inserted ------------------------------------------------------------------------------

    async def inserted(self, event: RecallEvent) -> None:
        context = self.context
        info = event.additionalInformation
        offender_no = event.offender_no
        telemetry: dict[str, Any] = {
            "dpsRecallId": info.recallId,
            "dpsPreviousRecallId": info.previousRecallId or "",
            "dpsSentenceIds": joined(info.sentenceIds),
            "offenderNo": offender_no,
        }
        if info.source == FROM_NOMIS or not info.sentenceIds:
            context.telemetry.track_event(
                "recall-inserted-ignored", {**telemetry, "reason": "Recall inserted in NOMIS"}
            )
            return
        async with context.writing_for(offender_no):
            if await context.mappings.find_recall_appearances(info.recallId):
                # An earlier delivery (or a duplicate of this event) converted the sentences and mapped the
                # breach appearances; converting again would add a second set of breach appearances.
                context.telemetry.track_event("recall-inserted-duplicate", telemetry)
                return
            try:
                recall = await context.dps.get_recall(info.recallId)
                telemetry["recallType"] = recall.recallType
                pairs = await self.sentences_with_mappings(info.sentenceIds)
                telemetry.update(describe_sentences(pairs))
                response = await context.nomis.create_recall(
                    offender_no,
                    ConvertToRecallRequest(
                        sentences=sentence_details(pairs),
                        returnToCustody=return_to_custody(recall),
                        recallRevocationDate=revocation_date(recall),
                    ),
                )
            except Exception as error:
                context.telemetry.track_event(
                    "recall-inserted-failed", {**telemetry, "reason": reason_of(error)}
                )
                raise
            clone = response.clonedCourtCases
            wrapper = RecallMappingsAndClones(
                sentenceAdjustmentsActivated=response.sentenceAdjustmentsActivated,
                mappings=CourtAppearanceRecallMappingsDto(
                    nomisCourtAppearanceIds=response.courtEventIds,
                    dpsRecallId=info.recallId,
                    mappingsToUpdate=mappings_to_update(clone),
                ),
                offenderNo=offender_no,
                clonedClonedCourtCaseDetails=clone_details(clone),
            )
            try:
                await self.save_recall_mappings(wrapper, telemetry)
            except Exception as error:
                context.telemetry.track_event(
                    "recall-mappings-inserted-failed", {**telemetry, "reason": reason_of(error)}
                )
                await context.retry_queue.send_retry(
                    wrapper, {k: str(v) for k, v in telemetry.items()}, RECALL_INSERT_RETRY
                )
            context.telemetry.track_event("recall-inserted-success", telemetry)

    async def save_recall_mappings(self, wrapper: RecallMappingsAndClones, telemetry: dict[str, Any]) -> None:
        """Spec 2.16 step 6 a-d: mappings, adjustment and breach resyncs, the case.booking message."""
        context = self.context
        try:
            await context.mappings.create_recall(wrapper.mappings)
        except HttpError as error:
            if error.status != 409 or not await self._recall_saved(wrapper):
                raise
        await context.resync.adjustments(wrapper.offenderNo, adjustments_to_resync(wrapper))
        for appearance_id in wrapper.mappings.nomisCourtAppearanceIds:
            await context.resync.breach_appearance(RESYNC_BREACH_INSERTED, wrapper.offenderNo, appearance_id)
        details = wrapper.clonedClonedCourtCaseDetails
        if details is not None:
            await context.resync.cases_moved(wrapper.offenderNo, details)
            context.telemetry.track_event(
                "recall-create-cases-cloned-success",
                {**telemetry, "nomisCourtCaseIds": cloned_case_ids(details)},
            )

    async def _recall_saved(self, wrapper: RecallMappingsAndClones) -> bool:
        """A 409 because this very POST landed before (its answer was lost)."""
        saved = await self.context.mappings.find_recall_appearances(wrapper.mappings.dpsRecallId)
        return sorted(m.nomisCourtAppearanceId for m in saved) == sorted(
            wrapper.mappings.nomisCourtAppearanceIds
        )

    # ---- updated -------------------------------------------------------------------------------

    async def updated(self, event: RecallEvent) -> None:
        context = self.context
        info = event.additionalInformation
        offender_no = event.offender_no
        telemetry: dict[str, Any] = {
            "dpsRecallId": info.recallId,
            "offenderNo": offender_no,
            "dpsSentenceIds": joined(info.sentenceIds),
        }
        if info.source == FROM_NOMIS:
            context.telemetry.track_event(
                "recall-updated-ignored", {**telemetry, "reason": "Recall updated in NOMIS"}
            )
            return
        try:
            recall = await context.dps.get_recall(info.recallId)
            telemetry["recallType"] = recall.recallType
            current = [str(sentence_id) for sentence_id in recall.sentenceIds]
            removed = [
                sentence_id
                for sentence_id in distinct(info.previousSentenceIds)
                if sentence_id not in current
            ]
            pairs = await self.sentences_with_mappings(current)
            telemetry.update(describe_sentences(pairs))
            removed_pairs = await self.sentences_with_mappings(removed)
            if removed_pairs:
                described = describe_sentences(removed_pairs)
                telemetry["removedNomisSentenceSeq"] = described["nomisSentenceSeq"]
                telemetry["removedNomisBookingId"] = described["nomisBookingId"]
                telemetry["removedDpsSentenceTypes"] = described["dpsSentenceTypes"]
                telemetry["removedDpsSentenceIds"] = joined(
                    sorted({s.lifetimeUuid for s, _ in removed_pairs})
                )
            breach_ids = await self.breach_appearance_ids(info.recallId)
            response = await context.nomis.update_recall(
                offender_no,
                UpdateRecallRequest(
                    sentences=sentence_details(pairs),
                    sentencesRemoved=sentence_details(removed_pairs),
                    returnToCustody=return_to_custody(recall),
                    recallRevocationDate=revocation_date(recall),
                    beachCourtEventIds=breach_ids,
                ),
            )
        except Exception as error:
            context.telemetry.track_event("recall-updated-failed", {**telemetry, "reason": reason_of(error)})
            raise
        changes = RecallUpdateMappings(
            createdCourtEventIds=response.createdCourtEventIds,
            updatedCourtEventIds=response.updatedCourtEventIds,
            dpsRecallId=info.recallId,
            offenderNo=offender_no,
        )
        try:
            await self.update_recall_mappings(changes)
        except Exception as error:
            context.telemetry.track_event(
                "recall-mappings-updated-failed", {**telemetry, "reason": reason_of(error)}
            )
            await context.retry_queue.send_retry(
                changes, {k: str(v) for k, v in telemetry.items()}, RECALL_UPDATE_RETRY
            )
        context.telemetry.track_event("recall-updated-success", telemetry)

    async def update_recall_mappings(self, changes: RecallUpdateMappings) -> None:
        """Spec 2.17 step 7: the recall's breach appearances are now the updated plus the created ones."""
        context = self.context
        await context.mappings.update_recall(
            changes.dpsRecallId,
            CourtAppearanceRecallMappingsUpdateDto(
                nomisCourtAppearanceIds=changes.updatedCourtEventIds + changes.createdCourtEventIds
            ),
        )
        for appearance_id in changes.createdCourtEventIds:
            await context.resync.breach_appearance(RESYNC_BREACH_INSERTED, changes.offenderNo, appearance_id)
        for appearance_id in changes.updatedCourtEventIds:
            await context.resync.breach_appearance(RESYNC_BREACH_UPDATED, changes.offenderNo, appearance_id)

    # ---- deleted -------------------------------------------------------------------------------

    async def deleted(self, event: RecallEvent) -> None:
        context = self.context
        info = event.additionalInformation
        offender_no = event.offender_no
        telemetry: dict[str, Any] = {
            "dpsRecallId": info.recallId,
            "offenderNo": offender_no,
            "dpsSentenceIds": joined(info.sentenceIds),
        }
        if info.source == FROM_NOMIS:
            context.telemetry.track_event(
                "recall-deleted-ignored", {**telemetry, "reason": "Recall deleted in NOMIS"}
            )
            return
        try:
            if info.previousRecallId is not None:
                await self._restore_previous(info.previousRecallId, event, telemetry)
            else:
                pairs = await self.sentences_with_mappings(info.sentenceIds)
                telemetry.update(describe_sentences(pairs))
                breach_ids = await self.breach_appearance_ids(info.recallId)
                await context.nomis.restore_original(
                    offender_no,
                    DeleteRecallRequest(sentences=sentence_details(pairs), beachCourtEventIds=breach_ids),
                )
        except Exception as error:
            context.telemetry.track_event("recall-deleted-failed", {**telemetry, "reason": reason_of(error)})
            raise
        try:
            await context.mappings.delete_recall(info.recallId)
        except Exception as error:
            log.warning("Unable to delete breach appearance mappings of recall %s: %s", info.recallId, error)
            context.telemetry.track_event("recall-appearance-deleted-failed", {"dpsRecallId": info.recallId})
        context.telemetry.track_event("recall-deleted-success", telemetry)

    async def _restore_previous(
        self, previous_id: str, event: RecallEvent, telemetry: dict[str, Any]
    ) -> None:
        """Back to the previous recall: its sentences plus the deleted recall's, in first-seen order."""
        context = self.context
        info = event.additionalInformation
        telemetry["dpsPreviousRecallId"] = previous_id
        previous = await context.dps.get_recall(previous_id)
        telemetry["recallType"] = previous.recallType
        telemetry["dpsSentenceIds"] = joined(previous.sentenceIds)
        telemetry["dpsOriginalSentenceIds"] = joined(info.sentenceIds)
        pairs = await self.sentences_with_mappings(distinct(previous.sentenceIds + info.sentenceIds))
        telemetry.update(describe_sentences(pairs))
        breach_ids = await self.breach_appearance_ids(info.recallId)
        await context.nomis.restore_previous(
            event.offender_no,
            RevertRecallRequest(
                sentences=sentence_details(pairs),
                returnToCustody=return_to_custody(previous),
                beachCourtEventIds=breach_ids,
            ),
        )
