"""What a handler may ask about the SQS delivery it runs under: could an earlier attempt have done the work?

NOMIS has no idempotency keys, so a create that is repeated after its NOMIS write (a crash, a lost
answer, a failure after the write) writes a second record unless the handler first looks for the one
the earlier attempt left. Looking costs extra calls, so handlers look only when an earlier attempt is
possible: SQS has received the message before (`ApproximateReceiveCount` > 1), or it was moved back from
the DLQ (a new SQS message whose SNS publish time is well before the moment SQS took it), or the work
runs outside a queue delivery at all (an HTTP repair, which an operator may well call twice).
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

# SNS hands a notification to SQS within milliseconds; a message sent this much later than its SNS
# publish time was re-sent by an operator (queue-admin retry-dlq) after earlier attempts failed.
REDRIVE_GAP_SECONDS = 300.0


@dataclass(frozen=True)
class Delivery:
    receive_count: int
    sent_timestamp_ms: int | None
    body: str

    def is_repeat(self) -> bool:
        if self.receive_count > 1:
            return True
        published = _sns_timestamp(self.body)
        if published is None or self.sent_timestamp_ms is None:
            return False
        return self.sent_timestamp_ms / 1000.0 - published > REDRIVE_GAP_SECONDS


current_delivery: contextvars.ContextVar[Delivery | None] = contextvars.ContextVar(
    "current_delivery", default=None
)


@contextmanager
def delivered(message: dict[str, Any]) -> Iterator[Delivery]:
    """Run the block as the handling of this SQS message (as received with its attributes)."""
    attributes = message.get("Attributes", {})
    sent = attributes.get("SentTimestamp")
    delivery = Delivery(
        receive_count=int(attributes.get("ApproximateReceiveCount", "1")),
        sent_timestamp_ms=int(sent) if sent is not None and str(sent).isdigit() else None,
        body=str(message.get("Body", "")),
    )
    token = current_delivery.set(delivery)
    try:
        yield delivery
    finally:
        current_delivery.reset(token)


def may_repeat_earlier_work() -> bool:
    """True unless this is the first delivery of a message taken straight from SNS."""
    delivery = current_delivery.get()
    return delivery is None or delivery.is_repeat()


def _sns_timestamp(body: str) -> float | None:
    try:
        envelope = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    stamp = envelope.get("Timestamp") if isinstance(envelope, dict) else None
    if not isinstance(stamp, str):
        return None
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
