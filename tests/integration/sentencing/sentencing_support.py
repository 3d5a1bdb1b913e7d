"""The spec's standard adjustments, events and seeding helpers for the sentencing tests.

Everything is seeded into the real sandbox fakes (Adjustments API, NOMIS, mapping) that the service
talks to over HTTP; nothing in the service is replaced.
"""

from __future__ import annotations

from typing import Any

from hmpps_sandbox.domains.sentencing import SentencingFakes
from hmpps_sandbox.fake import JournalEntry
from hmpps_sandbox.harness import ServiceHarness
from prisoner_to_nomis_update.domains import sentencing
from prisoner_to_nomis_update.framework.domain import DomainFactory

# Only the sentencing domain: these tests neither need nor wait for the other domains' wiring.
DOMAINS: list[DomainFactory] = [sentencing.build]

ADJUSTMENT_ID = "1234-5678-9012"
OFFENDER_NO = "A1234TT"
BOOKING_ID = 987651
QUEUE = "sentencing"
INSERTED = "release-date-adjustments.adjustment.inserted"
UPDATED = "release-date-adjustments.adjustment.updated"
DELETED = "release-date-adjustments.adjustment.deleted"
UPDATE_ROLE = "ROLE_PRISONER_TO_NOMIS__UPDATE__RW"
DLQ_AFTER_3 = {"HMPPS_SQS_QUEUES_SENTENCING_DLQ_MAX_RECEIVE_COUNT": "3"}

NOMIS_SENTENCE_CREATE = rf"/prisoners/booking-id/{BOOKING_ID}/sentences/\d+/adjustments"
NOMIS_KEY_DATE_CREATE = rf"/prisoners/booking-id/{BOOKING_ID}/adjustments"
NOMIS_CREATE = rf"/prisoners/booking-id/{BOOKING_ID}(/sentences/\d+)?/adjustments"
LEGACY_GET = rf"/legacy/adjustments/{ADJUSTMENT_ID}"
MAPPING_POST = "/mapping/sentencing/adjustments"
MAPPING_GET = rf"/mapping/sentencing/adjustments/adjustment-id/{ADJUSTMENT_ID}"


def sentence_adjustment(**overrides: Any) -> dict[str, Any]:
    """The spec's sentence adjustment (scenario 2): RX on sentence 1 of booking B."""
    return {
        "id": ADJUSTMENT_ID,
        "bookingId": BOOKING_ID,
        "offenderNo": OFFENDER_NO,
        "sentenceSequence": 1,
        "adjustmentType": "RX",
        "adjustmentDate": "2022-01-01",
        "adjustmentFromDate": "2020-07-19",
        "adjustmentDays": 99,
        "comment": "Adjusted for remand",
        "active": True,
        "bookingReleased": False,
        "currentTerm": True,
        **overrides,
    }


def key_date_adjustment(**overrides: Any) -> dict[str, Any]:
    """The spec's key-date adjustment (scenario 7): ADA, no sentence sequence."""
    fields: dict[str, Any] = {
        "sentenceSequence": None,
        "adjustmentType": "ADA",
        "comment": "Adjusted for absence",
        **overrides,
    }
    return sentence_adjustment(**fields)


def adjustment_event(
    event_type: str = INSERTED,
    adjustment_id: str = ADJUSTMENT_ID,
    offender_no: str = OFFENDER_NO,
    source: str | None = "DPS",
) -> dict[str, Any]:
    information: dict[str, Any] = {"id": adjustment_id, "offenderNo": offender_no}
    if source is not None:
        information["source"] = source
    return {
        "eventType": event_type,
        "version": "1.0",
        "description": "An adjustment changed",
        "occurredAt": "2023-03-10T10:00:00Z",
        "additionalInformation": information,
    }


class SentencingWorld:
    """Seeds the sentencing fakes directly (the tests' 'given') and reads their state."""

    def __init__(self, fakes: SentencingFakes) -> None:
        self.fakes = fakes

    def dps(self, adjustment: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.fakes.seed_dps(adjustment or sentence_adjustment())

    def mapping(
        self, nomis_id: int = 12345, category: str = "SENTENCE", adjustment_id: str = ADJUSTMENT_ID
    ) -> dict[str, Any]:
        return self.fakes.seed_mapping(adjustment_id, nomis_id, category)

    def nomis(self, category: str = "SENTENCE", **fields: Any) -> dict[str, Any]:
        record: dict[str, Any] = {
            "bookingId": BOOKING_ID,
            "adjustmentTypeCode": "RX",
            "adjustmentDays": 99,
            **fields,
        }
        if category == "SENTENCE":
            record.setdefault("sentenceSequence", 1)
        return self.fakes.seed_nomis(category, record)

    def nomis_records(self, category: str | None = None) -> list[dict[str, Any]]:
        return self.fakes.nomis_for_booking(BOOKING_ID, category)

    def mappings(self) -> list[dict[str, Any]]:
        return list(self.fakes.mappings.rows)


def requests(fake: Any, method: str, pattern: str) -> list[JournalEntry]:
    entries: list[JournalEntry] = fake.requests(method, pattern)
    return entries


async def publish_and_wait(harness: ServiceHarness, event: dict[str, Any], telemetry: str) -> dict[str, str]:
    await harness.estate.publish(event)
    return (await harness.wait_for_event(telemetry))[-1]
