"""The spec's fixture case and helpers for the court sentencing event and repair tests.

Everything is seeded into the real sandbox fakes (Remand and Sentencing, NOMIS, mapping) that the
service talks to over HTTP, and events go through SNS/SQS on moto to the real listener.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from hmpps_sandbox.domains.courtsentencing import FROM_NOMIS_QUEUE_ID, QUEUE_ID, CourtSentencingFakes
from hmpps_sandbox.fake import FakeApi, JournalEntry
from hmpps_sandbox.harness import ServiceHarness, wait_until
from prisoner_to_nomis_update.domains import courtsentencing
from prisoner_to_nomis_update.framework.domain import DomainFactory

SPEC = "court-sentencing"
DOMAINS: list[DomainFactory] = [courtsentencing.build]
QUEUE = QUEUE_ID
QUEUES = [QUEUE_ID, FROM_NOMIS_QUEUE_ID]
ENV = {
    "HMPPS_SQS_QUEUES_COURTSENTENCING_DLQ_MAX_RECEIVE_COUNT": "3",
    # The queue's own escalation list (18 entries up to 60 s) would make retries take minutes.
    "HMPPS_SQS_QUEUES_COURTSENTENCING_ERROR_VISIBILITY_TIMEOUT": "0",
}
UPDATE_ROLE = "ROLE_PRISONER_TO_NOMIS__UPDATE__RW"

OFFENDER_NO = "AB12345"
CASE_ID = "12345"
APPEARANCE_ID = "9c591b18-642a-484a-a967-2d17b5c9c5a1"
CHARGE_IDS = [
    "8576aa44-642a-484a-a967-2d17b5c9c5a1",
    "8576aa44-642a-484a-a967-2d17b5c9c5a2",
    "8576aa44-642a-484a-a967-2d17b5c9c5a3",
    "8576aa44-642a-484a-a967-2d17b5c9c5a4",
]
CHARGE_ID = CHARGE_IDS[0]
SENTENCE_ID = "1c591b18-642a-484a-a967-2d17b5c9c5a1"
CONSECUTIVE_SENTENCE_ID = "2c591b18-642a-484a-a967-2d17b5c9c5a1"
TERM_ID = "4c591b18-642a-484a-a967-2d17b5c9c5a1"
RECALL_ID = "dc71f3c5-70d4-4faf-a4a5-ff9662d5f714"

MAPPING = "/mapping/court-sentencing"
CASES_PATH = f"/prisoners/{OFFENDER_NO}/sentencing/court-cases"


def requests(fake: FakeApi, method: str, pattern: str) -> list[JournalEntry]:
    return fake.requests(method, pattern)


class World:
    """Seeds the court sentencing fakes directly (the tests' 'given') and reads their state."""

    def __init__(self, fakes: CourtSentencingFakes) -> None:
        self.fakes = fakes
        self.dps = fakes.dps
        self.nomis = fakes.nomis
        self.mappings = fakes.mappings

    # ---- DPS -----------------------------------------------------------------------------------

    async def dps_record(self, entity: str, record_id: str, **fields: Any) -> dict[str, Any]:
        await self.fakes.act(entity, record_id, "insert", fields, publish=False)
        table = {
            "court-case": self.dps.cases,
            "appearance": self.dps.appearances,
            "charge": self.dps.charges,
            "sentence": self.dps.sentences,
            "period-length": self.dps.period_lengths,
            "recall": self.dps.recalls,
        }[entity]
        return table[record_id]

    async def dps_case(self, case_id: str = CASE_ID, **fields: Any) -> dict[str, Any]:
        return await self.dps_record("court-case", case_id, **fields)

    async def dps_charge(
        self, charge_id: str = CHARGE_ID, case_id: str = CASE_ID, **fields: Any
    ) -> dict[str, Any]:
        return await self.dps_record("charge", charge_id, courtCaseUuid=case_id, **fields)

    async def dps_appearance(
        self,
        appearance_id: str = APPEARANCE_ID,
        case_id: str = CASE_ID,
        charge_ids: list[str] | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        charge_ids = list(charge_ids if charge_ids is not None else [CHARGE_ID])
        for charge_id in charge_ids:
            if charge_id not in self.dps.charges:
                await self.dps_charge(charge_id, case_id)
        return await self.dps_record(
            "appearance", appearance_id, courtCaseUuid=case_id, chargeIds=charge_ids, **fields
        )

    async def dps_sentence(
        self,
        sentence_id: str = SENTENCE_ID,
        charge_id: str = CHARGE_ID,
        appearance_id: str = APPEARANCE_ID,
        case_id: str = CASE_ID,
        **fields: Any,
    ) -> dict[str, Any]:
        return await self.dps_record(
            "sentence",
            sentence_id,
            chargeLifetimeUuid=charge_id,
            appearanceUuid=appearance_id,
            courtCaseId=case_id,
            **fields,
        )

    async def dps_period_length(
        self, term_id: str = TERM_ID, sentence_id: str = SENTENCE_ID, **fields: Any
    ) -> dict[str, Any]:
        return await self.dps_record("period-length", term_id, sentenceUuid=sentence_id, **fields)

    async def dps_recall(self, recall_id: str = RECALL_ID, **fields: Any) -> dict[str, Any]:
        return await self.dps_record("recall", recall_id, **fields)

    # ---- NOMIS and mappings --------------------------------------------------------------------

    def booking(self, booking_id: int, offender_no: str = OFFENDER_NO) -> int:
        """Make `booking_id` the prisoner's latest booking."""
        self.nomis.prisoners.seed([{"bookingId": booking_id, "offenderNo": offender_no}])
        return booking_id

    def mapped_case(self, case_id: str = CASE_ID, nomis_id: int = 7, **fields: Any) -> dict[str, Any]:
        case = self.nomis.add_case(OFFENDER_NO, id=nomis_id, **fields)
        self.mappings.seed_case(case_id, case["id"], OFFENDER_NO)
        return case

    def mapped_charges(
        self, nomis_case_id: int = 7, dps_ids: list[str] | None = None, nomis_ids: list[int] | None = None
    ) -> list[dict[str, Any]]:
        dps_ids = dps_ids if dps_ids is not None else CHARGE_IDS
        nomis_ids = nomis_ids if nomis_ids is not None else list(range(11, 11 + len(dps_ids)))
        charges = []
        for dps_id, nomis_id in zip(dps_ids, nomis_ids, strict=True):
            charge = self.nomis.add_charge(nomis_case_id, id=nomis_id, offenceCode="PS90031")
            self.mappings.seed_charge(dps_id, charge["id"])
            charges.append(charge)
        return charges

    def mapped_appearance(
        self,
        nomis_case_id: int = 7,
        nomis_id: int = 3,
        dps_id: str = APPEARANCE_ID,
        charge_ids: list[int] | None = None,
    ) -> dict[str, Any]:
        links = [{"offenderChargeId": c, "resultCode1": "4531"} for c in charge_ids or []]
        event = self.nomis.add_event(nomis_case_id, links, id=nomis_id)
        self.mappings.seed_appearance(dps_id, event["id"])
        return event

    def mapped_sentence(
        self,
        nomis_case_id: int = 7,
        seq: int = 54,
        dps_id: str = SENTENCE_ID,
        charge_id: int = 11,
        event_id: int = 3,
    ) -> dict[str, Any]:
        sentence = self.nomis.add_sentence(
            nomis_case_id, sentenceSeq=seq, chargeIds=[charge_id], eventId=event_id
        )
        self.mappings.seed_sentence(dps_id, sentence["bookingId"], seq)
        return sentence

    def mapped_term(
        self, booking_id: int, seq: int = 54, term_seq: int = 32, dps_id: str = TERM_ID
    ) -> dict[str, Any]:
        term = self.nomis.add_term(booking_id, seq, termSequence=term_seq)
        self.mappings.seed_term(dps_id, booking_id, seq, term_seq)
        return term

    async def standard(self, charges: int = 1) -> dict[str, Any]:
        """The spec's fixture: DPS case 12345 -> NOMIS 7, appearance -> 3, charges -> 11.., all mapped."""
        await self.dps_case()
        await self.dps_appearance(charge_ids=CHARGE_IDS[:charges])
        case = self.mapped_case()
        self.mapped_charges(dps_ids=CHARGE_IDS[:charges])
        self.mapped_appearance(charge_ids=list(range(11, 11 + charges)))
        return case

    # ---- events --------------------------------------------------------------------------------

    def event(self, event_type: str, source: str | None = "DPS", **information: Any) -> dict[str, Any]:
        return self.fakes.event(event_type, OFFENDER_NO, information, source)


class FromNomisQueue:
    """What the service sent to the from-NOMIS migration queue (received once, then remembered)."""

    def __init__(self, harness: ServiceHarness) -> None:
        self.harness = harness
        self.received: list[dict[str, Any]] = []

    async def _drain(self) -> None:
        sqs = self.harness.service.queues.sqs
        url = self.harness.queue_url(FROM_NOMIS_QUEUE_ID)
        while True:
            response = await sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=0,
                VisibilityTimeout=300,
                MessageAttributeNames=["All"],
            )
            messages = response.get("Messages", [])
            if not messages:
                return
            for message in messages:
                body = orjson.loads(message["Body"])
                self.received.append(
                    {
                        "type": body["Type"],
                        "message": orjson.loads(body["Message"]),
                        "eventType": message.get("MessageAttributes", {})
                        .get("eventType", {})
                        .get("StringValue"),
                    }
                )

    async def messages(self, event_type: str | None = None) -> list[dict[str, Any]]:
        await self._drain()
        return [m for m in self.received if event_type is None or m["type"] == event_type]

    async def wait_for(
        self, count: int, event_type: str | None = None, timeout: float = 10.0
    ) -> list[dict[str, Any]]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = await self.messages(event_type)
            if len(found) >= count:
                return found
            if loop.time() > deadline:
                raise AssertionError(f"timed out waiting for {count} x {event_type} (have {len(found)})")
            await asyncio.sleep(0.05)


async def publish_and_wait(
    harness: ServiceHarness, event: dict[str, Any], telemetry: str, count: int = 1
) -> dict[str, str]:
    await harness.estate.publish(event)
    return (await harness.wait_for_event(telemetry, count))[-1]


async def wait_for_dlq(harness: ServiceHarness, count: int = 1) -> None:
    await harness.wait_for_depth(QUEUE, count, dlq=True)


async def settled(harness: ServiceHarness, seconds: float = 0.3) -> None:
    """Give the listener a moment to do anything (more) it was going to do."""
    await asyncio.sleep(seconds)
    await wait_until(lambda: True, 1, "nothing")
