"""Turns a raw SQS body into a domain call (framework.md 3.2)."""

from __future__ import annotations

import logging

from prisoner_to_nomis_update.framework.domain import Domain
from prisoner_to_nomis_update.framework.feature_switches import FeatureSwitches
from prisoner_to_nomis_update.framework.listener import MessageHandler
from prisoner_to_nomis_update.framework.messages import (
    NOTIFICATION,
    RETRY_CREATE_MAPPING,
    event_type_of,
    parse_envelope,
    parse_retry_message,
)
from prisoner_to_nomis_update.framework.telemetry import Telemetry

log = logging.getLogger(__name__)


def message_handler(domain: Domain, switches: FeatureSwitches, telemetry: Telemetry) -> MessageHandler:
    async def handle(body: str) -> None:
        envelope = parse_envelope(body)
        if envelope.type == NOTIFICATION:
            event_type, event = event_type_of(envelope.message)
            if not switches.is_enabled(event_type, domain.name):
                log.warning("Feature switch is disabled for %s", event_type)
                return
            handler = domain.handlers.get(event_type)
            if handler is None:
                log.info("Received a message I wasn't expecting: %s", event_type)
                return
            await handler(event)
        elif envelope.type == RETRY_CREATE_MAPPING and domain.retry_create_mapping is not None:
            try:
                await domain.retry_create_mapping(parse_retry_message(envelope.message))
            except Exception:
                telemetry.track_event("create-mapping-retry-failure", {"retryMessage": envelope.message})
                raise
        else:
            log.info("Ignoring message of type %s on %s", envelope.type, domain.queue_id)

    return handle
