"""Saving a create's mapping so that running the create twice is harmless (docs/architecture.md).

- A 409 whose `existing` row is this very mapping means an earlier POST landed (its answer was lost, or a
  redelivery got here first): done, not a duplicate.
- A 409 showing the DPS record already mapped to another NOMIS record means a delivery in another pod
  won the race: the NOMIS record this attempt created (never one it adopted) is removed again where
  NOMIS allows it, and the 409 still surfaces as `to-nomis-synch-<name>-duplicate`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from prisoner_to_nomis_update.framework.http import HttpError, do_api_call_with_retries
from prisoner_to_nomis_update.framework.synchronise import duplicate_error_from, is_own_duplicate, reason_of
from prisoner_to_nomis_update.framework.telemetry import Telemetry, as_text

log = logging.getLogger(__name__)


@dataclass
class CreatedRecord:
    """What this attempt wrote to NOMIS, and how to take it back if another delivery won."""

    describe: dict[str, Any]
    remove: Callable[[], Awaitable[None]] | None


async def save_once(
    *,
    name: str,
    save: Callable[[], Awaitable[Any]],
    mapping: Any,
    same_link: Sequence[str],
    dps_key: str,
    created: CreatedRecord | None,
    telemetry: Telemetry,
    event_telemetry: dict[str, Any],
) -> None:
    try:
        await save()
    except HttpError as error:
        if is_own_duplicate(error, mapping, same_link):
            log.info("%s mapping %s was already saved", name, same_link)
            return
        if error.status == 409 and created is not None and created.remove is not None:
            existing = duplicate_error_from(error).existing
            ours = mapping.model_dump(mode="json") if hasattr(mapping, "model_dump") else dict(mapping)
            if as_text(existing.get(dps_key)) == as_text(ours.get(dps_key)):
                await _remove(name, created, telemetry, event_telemetry)
        raise


async def _remove(
    name: str, created: CreatedRecord, telemetry: Telemetry, event_telemetry: dict[str, Any]
) -> None:
    assert created.remove is not None
    properties = {**event_telemetry, **created.describe}
    try:
        await do_api_call_with_retries(created.remove)
    except Exception as error:
        # An operator removes it (docs/operations.md); the event is consumed either way.
        log.error("Could not remove the duplicate NOMIS record %s: %s", created.describe, error)
        telemetry.track_event(f"{name}-duplicate-removal-failed", {**properties, "reason": reason_of(error)})
        return
    telemetry.track_event(f"{name}-duplicate-removed", properties)
