"""`may_repeat_earlier_work`: false only for the first delivery of a message taken straight from SNS."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import orjson

from prisoner_to_nomis_update.framework.delivery import delivered, may_repeat_earlier_work


def message(receive_count: int = 1, published_ago: timedelta | None = None) -> dict[str, object]:
    sent = time.time()
    body: dict[str, object] = {"Type": "Notification", "Message": "{}"}
    if published_ago is not None:
        stamp = datetime.fromtimestamp(sent, UTC) - published_ago
        body["Timestamp"] = stamp.isoformat().replace("+00:00", "Z")
    return {
        "Body": orjson.dumps(body).decode(),
        "Attributes": {"ApproximateReceiveCount": str(receive_count), "SentTimestamp": str(int(sent * 1000))},
    }


def test_a_first_delivery_from_sns_cannot_repeat_anything() -> None:
    with delivered(message(published_ago=timedelta(milliseconds=40))):
        assert not may_repeat_earlier_work()
    with delivered(message()):  # sent straight to SQS, no SNS timestamp
        assert not may_repeat_earlier_work()


def test_a_redelivery_may_repeat_an_earlier_attempt() -> None:
    with delivered(message(receive_count=2, published_ago=timedelta(seconds=1))):
        assert may_repeat_earlier_work()


def test_a_message_moved_back_from_the_dlq_may_repeat_an_earlier_attempt() -> None:
    """A re-sent message starts again at receive count 1; its SNS publish time gives it away."""
    with delivered(message(published_ago=timedelta(hours=2))):
        assert may_repeat_earlier_work()


def test_outside_a_delivery_anything_may_be_a_repeat() -> None:
    """An HTTP repair can be called twice: the creates look for earlier records."""
    assert may_repeat_earlier_work()
    with delivered(message()):
        pass
    assert may_repeat_earlier_work()


def test_unreadable_bodies_and_attributes_count_as_first_deliveries() -> None:
    with delivered({"Body": "not json", "Attributes": {"SentTimestamp": "soon"}}):
        assert not may_repeat_earlier_work()
