"""Escalating error visibility timeouts (framework.md 14.7).

A failed message is made visible again after a delay that grows with its receive count, so a downstream
outage is not hammered; on its last allowed delivery the delay is 0 so SQS moves it to the DLQ at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from prisoner_to_nomis_update.framework.messages import event_type_from_attributes


def timeouts_for(
    event_type: str | None,
    event_timeouts: Mapping[str, list[int]],
    queue_timeouts: list[int] | None,
    default_timeouts: list[int],
) -> list[int]:
    if event_type is not None and event_type in event_timeouts:
        return event_timeouts[event_type]
    if queue_timeouts is not None:
        return queue_timeouts
    return default_timeouts


def next_visibility(timeouts: list[int], receive_count: int, max_receive_count: int | None) -> int:
    if max_receive_count is not None and receive_count >= max_receive_count:
        return 0
    if not timeouts:
        return 0
    if receive_count <= len(timeouts):
        return timeouts[max(receive_count, 1) - 1]
    return timeouts[-1]


def event_type_of_sqs_message(body: str, message_attributes: Mapping[str, Any] | None) -> str | None:
    """From the SNS envelope's MessageAttributes, else from the SQS `eventType` attribute."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        data = None
    if isinstance(data, dict):
        from_envelope = event_type_from_attributes(data.get("MessageAttributes"))
        if from_envelope is not None:
            return from_envelope
    attribute = (message_attributes or {}).get("eventType")
    if isinstance(attribute, dict):
        value = attribute.get("StringValue")
        if isinstance(value, str):
            return value
    return None
