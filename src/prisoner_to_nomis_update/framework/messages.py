"""Inbound message shapes: the SNS envelope, the domain event inside it, and RETRY_CREATE_MAPPING."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

NOTIFICATION = "Notification"
RETRY_CREATE_MAPPING = "RETRY_CREATE_MAPPING"


class MalformedMessage(ValueError):
    """The message cannot be understood; it is retried and ends on the DLQ with this reason logged."""


@dataclass(frozen=True)
class Envelope:
    type: str
    message: str
    message_id: str | None
    event_type_attribute: str | None


def parse_json_object(text: str | bytes, what: str) -> dict[str, Any]:
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise MalformedMessage(f"{what} is not JSON: {error}") from None
    if not isinstance(value, dict):
        raise MalformedMessage(f"{what} is not a JSON object")
    return value


def parse_envelope(body: str) -> Envelope:
    data = parse_json_object(body, "message body")
    message_type = data.get("Type")
    message = data.get("Message")
    if not isinstance(message_type, str):
        raise MalformedMessage("message body has no string 'Type'")
    if not isinstance(message, str):
        raise MalformedMessage("message body has no string 'Message'")
    message_id = data.get("MessageId")
    return Envelope(
        type=message_type,
        message=message,
        message_id=message_id if isinstance(message_id, str) else None,
        event_type_attribute=event_type_from_attributes(data.get("MessageAttributes")),
    )


def event_type_from_attributes(attributes: Any) -> str | None:
    if isinstance(attributes, dict):
        event_type = attributes.get("eventType")
        if isinstance(event_type, dict):
            value = event_type.get("Value", event_type.get("StringValue"))
            if isinstance(value, str):
                return value
    return None


def event_type_of(message: str) -> tuple[str, dict[str, Any]]:
    """The event type and decoded body of a domain event (the envelope's `Message`)."""
    event = parse_json_object(message, "domain event")
    event_type = event.get("eventType")
    if not isinstance(event_type, str) or not event_type:
        raise MalformedMessage("domain event has no string 'eventType'")
    return event_type, event


@dataclass(frozen=True)
class RetryMessage:
    mapping: dict[str, Any]
    telemetry_attributes: dict[str, str]
    entity_name: str | None


def parse_retry_message(message: str) -> RetryMessage:
    data = parse_json_object(message, "retry message")
    mapping = data.get("mapping")
    if not isinstance(mapping, dict):
        raise MalformedMessage("retry message has no 'mapping' object")
    attributes = data.get("telemetryAttributes") or {}
    if not isinstance(attributes, dict):
        raise MalformedMessage("retry message 'telemetryAttributes' is not an object")
    entity_name = data.get("entityName")
    return RetryMessage(
        mapping=mapping,
        telemetry_attributes={str(key): str(value) for key, value in attributes.items()},
        entity_name=entity_name if isinstance(entity_name, str) else None,
    )


def retry_message_body(mapping: Any, telemetry_attributes: dict[str, str], entity_name: str) -> str:
    message = orjson.dumps(
        {"mapping": mapping, "telemetryAttributes": telemetry_attributes, "entityName": entity_name}
    ).decode()
    return orjson.dumps({"Type": RETRY_CREATE_MAPPING, "Message": message, "MessageId": None}).decode()


def notification_body(event: dict[str, Any], message_id: str = "") -> str:
    """An SNS notification envelope as SQS delivers it (used by tests and the sandbox)."""
    return orjson.dumps(
        {
            "Type": NOTIFICATION,
            "MessageId": message_id,
            "Message": orjson.dumps(event).decode(),
            "MessageAttributes": {"eventType": {"Type": "String", "Value": event.get("eventType", "")}},
        }
    ).decode()
