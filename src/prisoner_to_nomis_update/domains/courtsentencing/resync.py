"""Resynchronisation requests for the from-NOMIS migration service (spec 1.6).

They go to queue id `fromnomiscourtsentencing`, which this service only sends to (no listener is started
for a queue no domain consumes). A send that still fails after the queue service's retries is reported as
`send-message-<eventType>-failed` and never fails the work that triggered it.
"""

from __future__ import annotations

from typing import Any

import orjson

from prisoner_to_nomis_update.domains.courtsentencing.models import (
    ClonedCourtCaseDetails,
    SentenceIdAndAdjustmentIds,
)
from prisoner_to_nomis_update.framework.queues import QueueService

FROM_NOMIS_QUEUE_ID = "fromnomiscourtsentencing"

RESYNC_CASE = "courtsentencing.resync.case"
RESYNC_SENTENCE = "courtsentencing.resync.sentence"
RESYNC_CASE_BOOKING = "courtsentencing.resync.case.booking"
RESYNC_SENTENCE_ADJUSTMENTS = "courtsentencing.resync.sentence-adjustments"
RESYNC_BREACH_INSERTED = "courtsentencing.resync.breach-court-appearance.inserted"
RESYNC_BREACH_UPDATED = "courtsentencing.resync.breach-court-appearance.updated"


class ResyncQueue:
    def __init__(self, queues: QueueService) -> None:
        self.queues = queues

    async def send(self, event_type: str, payload: dict[str, Any]) -> None:
        body = orjson.dumps(
            {"Type": event_type, "Message": orjson.dumps(payload).decode(), "MessageId": None}
        ).decode()
        await self.queues.send_track_on_failure(FROM_NOMIS_QUEUE_ID, body, event_type)

    async def case_created(self, offender_no: str, nomis_case_id: int, dps_case_id: str) -> None:
        await self.send(
            RESYNC_CASE, {"dpsCaseUuid": dps_case_id, "offenderNo": offender_no, "caseId": nomis_case_id}
        )

    async def sentence_created(
        self,
        *,
        offender_no: str,
        booking_id: int,
        sentence_seq: int,
        case_id: int,
        dps_sentence_id: str,
        dps_appearance_id: str,
        dps_consecutive_sentence_id: str | None,
    ) -> None:
        await self.send(
            RESYNC_SENTENCE,
            {
                "sentenceSeq": sentence_seq,
                "dpsSentenceUuid": dps_sentence_id,
                "offenderNo": offender_no,
                "bookingId": booking_id,
                "caseId": case_id,
                "dpsAppearanceUuid": dps_appearance_id,
                "dpsConsecutiveSentenceUuid": dps_consecutive_sentence_id,
            },
        )

    async def cases_moved(self, offender_no: str, details: ClonedCourtCaseDetails) -> None:
        await self.send(
            RESYNC_CASE_BOOKING,
            {
                "offenderNo": offender_no,
                "fromBookingId": details.fromBookingId,
                "toBookingId": details.toBookingId,
                "caseIds": details.clonedCourtCaseIds,
                "casesMoved": [moved.body() for moved in details.casesMoved],
            },
        )

    async def adjustments(self, offender_no: str, adjustments: list[SentenceIdAndAdjustmentIds]) -> None:
        """One message per adjustment id: the receiving side's batch create is not idempotent."""
        for entry in adjustments:
            for adjustment_id in entry.adjustmentIds:
                await self.send(
                    RESYNC_SENTENCE_ADJUSTMENTS,
                    {
                        "offenderNo": offender_no,
                        "sentences": [
                            {
                                "sentenceId": entry.sentenceId.model_dump(mode="json"),
                                "adjustmentIds": [adjustment_id],
                            }
                        ],
                    },
                )

    async def breach_appearance(self, event_type: str, offender_no: str, appearance_id: int) -> None:
        await self.send(event_type, {"offenderNo": offender_no, "courtAppearanceId": appearance_id})
