"""Flaky dependencies and poison input, against the service as a child process.

framework.md 3.2 defines each poison outcome: a body that is not an envelope, an event without
`eventType`, or an event that does not match its model fails every delivery and ends on the DLQ (the
listener logs "Malformed message <id> on <queue>: <why>"); an unknown envelope `Type` and an unknown
`eventType` are acknowledged and deleted with a log line.
"""

from __future__ import annotations

from typing import Any

import orjson
from chaos_support import LONG, ChaosRun

from prisoner_to_nomis_update.framework.messages import notification_body
from prisoner_to_nomis_update.framework.telemetry import operation_id_for_message

BOOKED = "prison-visit.booked"


def envelope(message: str, message_type: str = "Notification", event_type: str = BOOKED) -> str:
    return orjson.dumps(
        {
            "Type": message_type,
            "MessageId": "poison",
            "Message": message,
            "MessageAttributes": {"eventType": {"Type": "String", "Value": event_type}},
        }
    ).decode()


def booked(reference: Any, prisoner_id: Any = "A1234BC", **extra: Any) -> dict[str, Any]:
    return {
        "eventType": BOOKED,
        "prisonerId": prisoner_id,
        "occurredAt": "2024-03-01T10:00:00Z",
        "additionalInformation": {"reference": reference, **extra},
    }


# (name, body, what the log line must say)
POISON_TO_DLQ = [
    ("not JSON", "this is not JSON {", "message body is not JSON"),
    ("no eventType", envelope(orjson.dumps({"prisonerId": "A1234BC"}).decode()), "no string 'eventType'"),
    (
        "wrong field types",
        envelope(orjson.dumps(booked({"not": "a string"}, prisoner_id=42)).decode()),
        "VisitEvent does not match the event",
    ),
    (
        "huge body",
        # ~250 KB, under SQS's 256 KiB limit: an event that is all padding and has no reference.
        envelope(orjson.dumps({**booked(None), "padding": "x" * 250_000}).decode()),
        "VisitEvent does not match the event",
    ),
]


async def send_poison(chaos: ChaosRun) -> dict[str, str]:
    """Send each DLQ-bound poison message; returns SQS message id -> expected reason."""
    expected = {}
    for _, body, reason in POISON_TO_DLQ:
        expected[await chaos.send_raw(body, BOOKED)] = reason
    return expected


def assert_reasons_logged(chaos: ChaosRun, expected: dict[str, str]) -> None:
    lines = chaos.log_lines()
    for message_id, reason in expected.items():
        logged = [
            str(line.get("message"))
            for line in lines
            if line.get("operationId") == operation_id_for_message(message_id)
            and "Malformed message" in str(line.get("message"))
        ]
        assert logged and all(reason in text for text in logged), (message_id, reason, logged[:1])


async def test_poison_input_lands_on_the_dlq_with_a_reason_and_the_listener_keeps_going(
    chaos_factory: Any,
) -> None:
    chaos = await chaos_factory(HMPPS_SQS_QUEUES_VISIT_DLQ_MAX_RECEIVE_COUNT="2")
    events = await chaos.book(3)
    references = [str(event["additionalInformation"]["reference"]) for event in events]
    await chaos.start_service()

    expected = await send_poison(chaos)
    unknown_type = await chaos.send_raw(envelope("{}", message_type="SomethingElse"), BOOKED)
    unknown_event = await chaos.send_raw(
        notification_body({"eventType": "prison-visit.unheard-of"}), "prison-visit.unheard-of"
    )
    # A huge but valid event is just an event: size alone is no reason to reject it.
    huge_valid = {**events[2], "padding": "y" * 250_000}
    await chaos.send_raw(notification_body(huge_valid), BOOKED)
    await chaos.publish(events[:2])

    await chaos.wait_until_drained(references, dlq_expected=len(POISON_TO_DLQ), timeout=90)
    chaos.assert_exactly_once(references)
    assert_reasons_logged(chaos, expected)
    messages = {
        line.get("operationId"): str(line.get("message"))
        for line in chaos.log_lines()
        if line.get("operationId")
        in (operation_id_for_message(unknown_type), operation_id_for_message(unknown_event))
    }
    assert (
        messages[operation_id_for_message(unknown_type)] == "Ignoring message of type SomethingElse on visit"
    )
    assert (
        messages[operation_id_for_message(unknown_event)]
        == "Received a message I wasn't expecting: prison-visit.unheard-of"
    )
    sent_to_dlq = [name for name, _ in chaos.telemetry() if name.endswith("-sent-to-dlq")]
    assert len(sent_to_dlq) == len(POISON_TO_DLQ)


async def test_flaky_nomis_and_mapping_converge_and_only_poison_reaches_the_dlq(chaos_factory: Any) -> None:
    """20% of NOMIS and mapping calls answer 500 and 5% stall for 2 s; everything still converges.

    The DLQ receive count is raised to 20 because these retries are immediate (visibility 0): with five
    tries, a 50% per-attempt failure would put about 3% of good events on the DLQ, which in production
    the 10 minutes of escalating back-off rides out.
    """
    chaos = await chaos_factory(HMPPS_SQS_QUEUES_VISIT_DLQ_MAX_RECEIVE_COUNT="20")
    count = 500 if LONG else 100
    events = await chaos.book(count)
    references = [str(event["additionalInformation"]["reference"]) for event in events]
    for fake in (chaos.estate.nomis, chaos.estate.mapping):
        fake.inject_fault(path_pattern=".*", status=0, delay_seconds=2.0, count=None, probability=0.05)
        fake.inject_fault(path_pattern=".*", status=500, count=None, probability=0.2)
    await chaos.start_service()
    expected = await send_poison(chaos)
    await chaos.publish(events)

    await chaos.wait_until_drained(references, dlq_expected=len(POISON_TO_DLQ), timeout=300 if LONG else 150)
    chaos.assert_exactly_once(references)
    assert_reasons_logged(chaos, expected)
    failures = [
        name
        for name, _ in chaos.telemetry()
        if name in ("visit-create-failed", "visit-mapping-create-failed")
    ]
    assert failures, "the faults should have caused some failures"
