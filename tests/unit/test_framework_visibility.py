"""Error visibility timeout selection (framework.md 14.7, scenarios 76-82)."""

from __future__ import annotations

import orjson
import pytest

from prisoner_to_nomis_update.framework.messages import notification_body
from prisoner_to_nomis_update.framework.visibility import (
    event_type_of_sqs_message,
    next_visibility,
    timeouts_for,
)

EVENT = "some-event"
SNS_BODY = notification_body({"eventType": EVENT, "additionalInformation": {}})


def delay(
    event_type: str | None,
    *,
    event: dict[str, list[int]] | None = None,
    queue: list[int] | None = None,
    default: list[int] | None = None,
    receive_count: int = 1,
    max_receive_count: int | None = 5,
) -> int:
    timeouts = timeouts_for(event_type, event or {}, queue, default if default is not None else [0])
    return next_visibility(timeouts, receive_count, max_receive_count)


@pytest.mark.scenario("framework", 76)
def test_no_configuration_gives_zero() -> None:
    assert delay(EVENT) == 0
    assert delay(EVENT, default=[]) == 0
    assert delay(None, default=[], max_receive_count=None) == 0


@pytest.mark.scenario("framework", 77)
def test_default_list_applies() -> None:
    assert delay(EVENT, default=[1]) == 1


@pytest.mark.scenario("framework", 78)
def test_queue_list_overrides_default() -> None:
    assert delay(EVENT, default=[1], queue=[2]) == 2


@pytest.mark.scenario("framework", 79)
def test_event_list_overrides_queue_list_wherever_the_event_type_comes_from() -> None:
    # From the SNS payload's MessageAttributes (typed or string body, which are the same JSON here).
    assert event_type_of_sqs_message(SNS_BODY, None) == EVENT
    # From an SNS envelope whose attributes carry StringValue instead of Value.
    body = orjson.dumps(
        {"Type": "Notification", "Message": "{}", "MessageAttributes": {"eventType": {"StringValue": EVENT}}}
    )
    assert event_type_of_sqs_message(body.decode(), None) == EVENT
    # From the SQS message attribute header (internal RETRY_CREATE_MAPPING messages, raw sends).
    attributes = {"eventType": {"DataType": "String", "StringValue": EVENT}}
    assert event_type_of_sqs_message('{"Type":"RETRY_CREATE_MAPPING","Message":"{}"}', attributes) == EVENT
    assert event_type_of_sqs_message("not json at all", attributes) == EVENT
    event_type = event_type_of_sqs_message(SNS_BODY, None)
    assert delay(event_type, default=[1], queue=[2], event={EVENT: [3]}) == 3


@pytest.mark.scenario("framework", 80)
def test_message_without_event_type_uses_queue_list() -> None:
    assert event_type_of_sqs_message('{"Type":"Notification","Message":"{}"}', None) is None
    assert event_type_of_sqs_message("[1, 2]", {}) is None
    assert delay(None, default=[1], queue=[2], event={EVENT: [3]}) == 2
    assert delay("other-event", default=[1], queue=[2], event={EVENT: [3]}) == 2


@pytest.mark.scenario("framework", 81)
def test_list_is_indexed_by_receive_count() -> None:
    assert delay(EVENT, default=[1, 2, 3], receive_count=2) == 2


@pytest.mark.scenario("framework", 82)
def test_last_value_is_reused_beyond_the_list() -> None:
    assert delay(EVENT, default=[1, 2], receive_count=3) == 2
    assert delay(EVENT, default=[1, 2], receive_count=30, max_receive_count=None) == 2


@pytest.mark.scenario("framework", 83)
def test_last_delivery_gets_zero_so_the_message_moves_to_the_dlq_at_once() -> None:
    assert [delay(EVENT, queue=[1, 2], receive_count=n, max_receive_count=3) for n in (1, 2, 3)] == [1, 2, 0]
    assert [delay(EVENT, default=[1, 10, 60, 600], receive_count=n) for n in (1, 2, 3, 4, 5)] == [
        1,
        10,
        60,
        600,
        0,
    ]
