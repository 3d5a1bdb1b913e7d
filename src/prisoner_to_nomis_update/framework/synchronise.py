"""The create flow every domain uses (framework.md 4 and 5).

`synchronise` checks for an existing mapping, runs the domain's transform (fetch DPS, write NOMIS), then
saves the mapping through `create_mapping`, which turns a 409 into a duplicate alert and any other
failure into a RETRY_CREATE_MAPPING message on the domain's own queue, so the NOMIS write is never
repeated just because the mapping API was down.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator, MutableMapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from prisoner_to_nomis_update.framework.http import HttpError
from prisoner_to_nomis_update.framework.messages import RETRY_CREATE_MAPPING, retry_message_body
from prisoner_to_nomis_update.framework.queues import QueueService
from prisoner_to_nomis_update.framework.telemetry import Telemetry, as_text

log = logging.getLogger(__name__)

M = TypeVar("M")
T = TypeVar("T")


class RetryLater(Exception):
    """Base of the 'not yet' failures: the message is retried with back-off, not treated as a bug."""


class AwaitParentEntityRetry(RetryLater):
    def __init__(self, message: str = "Expected parent entity not found, retrying") -> None:
        super().__init__(message)


class AwaitDependentStateRetry(RetryLater):
    def __init__(self, message: str = "Expected dependent state not yet correct, retrying") -> None:
        super().__init__(message)


class DuplicateMappingError(Exception):
    """The mapping API answered 409: the mapping (or one of its ids) already exists."""

    def __init__(self, duplicate: dict[str, Any], existing: dict[str, Any] | None, cause: HttpError) -> None:
        self.duplicate = duplicate
        self.existing = existing or {}
        super().__init__(str(cause))


def duplicate_error_from(error: HttpError) -> DuplicateMappingError:
    body = error.json() or {}
    more_info = body.get("moreInfo") if isinstance(body, dict) else None
    more_info = more_info if isinstance(more_info, dict) else {}
    duplicate = more_info.get("duplicate")
    existing = more_info.get("existing")
    return DuplicateMappingError(
        duplicate if isinstance(duplicate, dict) else {},
        existing if isinstance(existing, dict) else None,
        error,
    )


def is_own_duplicate(error: BaseException, mapping: Any, keys: Sequence[str]) -> bool:
    """A mapping POST answered 409 whose `existing` row is this very mapping (compared on `keys`).

    That only happens when the same work ran twice (a redelivery after the save, or a POST whose answer
    was lost), so the mapping wanted is in place: callers treat it as success, not as a duplicate.
    """
    if not isinstance(error, HttpError) or error.status != 409:
        return False
    existing = duplicate_error_from(error).existing
    sent = as_map(mapping)
    return bool(existing) and all(as_text(existing.get(key)) == sent.get(key) for key in keys)


async def post_mapping(call: Callable[[], Awaitable[Any]]) -> None:
    """Run a mapping POST, turning a 409 into DuplicateMappingError."""
    try:
        await call()
    except HttpError as error:
        if error.status == 409:
            raise duplicate_error_from(error) from error
        raise


def reason_of(error: BaseException) -> str:
    return str(error) or type(error).__name__


def as_map(mapping: Any) -> dict[str, str]:
    """Every non-null field of a mapping as text (pydantic models, dataclasses or dicts)."""
    if hasattr(mapping, "model_dump"):
        data = mapping.model_dump(by_alias=True)
    elif isinstance(mapping, dict):
        data = mapping
    else:
        data = vars(mapping)
    return {key: as_text(value) for key, value in data.items() if value is not None}


def mapping_json(mapping: Any) -> Any:
    if hasattr(mapping, "model_dump"):
        return mapping.model_dump(mode="json", by_alias=True, exclude_none=True)
    return mapping


def _capitalise(key: str) -> str:
    return key[:1].upper() + key[1:]


@dataclass
class RetryQueue:
    """Sends RETRY_CREATE_MAPPING messages to one domain queue."""

    queues: QueueService
    queue_id: str
    telemetry: Telemetry

    async def send_retry(self, mapping: Any, telemetry_attributes: dict[str, str], entity_name: str) -> None:
        body = retry_message_body(mapping_json(mapping), telemetry_attributes, entity_name)
        message_id = await self.queues.send(self.queue_id, body, RETRY_CREATE_MAPPING)
        self.telemetry.track_event(
            f"{self.queue_id}-create-mapping-retry", {"messageId": message_id, **telemetry_attributes}
        )


async def create_mapping(
    *,
    name: str,
    mapping: Any,
    save: Callable[[Any], Awaitable[Any]],
    telemetry: Telemetry,
    event_telemetry: MutableMapping[str, Any],
    retry_queue: RetryQueue | None,
    failure_suffix: str = "failed",
    failure_reason_key: str = "reason",
) -> bool:
    """POST a mapping; True on success. A 409 is reported as a duplicate, anything else queues a retry."""
    attributes = {**{k: as_text(v) for k, v in event_telemetry.items()}, **as_map(mapping)}
    try:
        await post_mapping(lambda: save(mapping))
        return True
    except Exception as error:
        telemetry.track_event(
            f"{name}-mapping-create-{failure_suffix}",
            {failure_reason_key: str(error) or "Unknown error", **attributes},
        )
        if isinstance(error, DuplicateMappingError):
            telemetry.track_event(
                f"to-nomis-synch-{name}-duplicate",
                {
                    **attributes,
                    **{f"duplicate{_capitalise(k)}": as_text(v) for k, v in error.duplicate.items()},
                    **{f"existing{_capitalise(k)}": as_text(v) for k, v in error.existing.items()},
                },
            )
            return False
        log.error("Failed to create mapping %s for %s, queueing a retry: %s", attributes, name, error)
        if retry_queue is None:
            raise
        await retry_queue.send_retry(mapping, attributes, name)
        return False


async def synchronise(
    *,
    name: str,
    telemetry: Telemetry,
    event_telemetry: MutableMapping[str, Any],
    check_mapping_exists: Callable[[], Awaitable[Any]],
    transform: Callable[[], Awaitable[M | None]],
    save_mapping: Callable[[M], Awaitable[Any]],
    retry_queue: RetryQueue | None,
    failure_suffix: str = "failed",
    failure_reason_key: str = "reason",
) -> M | None:
    """The create flow of framework.md 4.1. Returns the saved mapping, or None if skipped/ignored/queued."""
    if await check_mapping_exists() is not None:
        telemetry.track_event(f"{name}-create-duplicate", event_telemetry)
        return None
    try:
        mapping = await transform()
    except AwaitParentEntityRetry as error:
        if str(error):
            event_telemetry["reason"] = str(error)
        telemetry.track_event(f"{name}-create-awaiting-parent", event_telemetry)
        raise
    except AwaitDependentStateRetry as error:
        if str(error):
            event_telemetry["reason"] = str(error)
        telemetry.track_event(f"{name}-create-awaiting-dependent-state", event_telemetry)
        raise
    except Exception as error:
        telemetry.track_event(
            f"{name}-create-{failure_suffix}", {**event_telemetry, "reason": reason_of(error)}
        )
        raise
    if mapping is None:
        telemetry.track_event(f"{name}-create-ignored", event_telemetry)
        return None
    saved = await create_mapping(
        name=name,
        mapping=mapping,
        save=save_mapping,
        telemetry=telemetry,
        event_telemetry=event_telemetry,
        retry_queue=retry_queue,
        failure_suffix=failure_suffix,
        failure_reason_key=failure_reason_key,
    )
    if saved:
        telemetry.track_event(f"{name}-create-success", {**event_telemetry, **as_map(mapping)})
        return mapping
    return None


async def try_fetch_parent(
    get: Callable[[], Awaitable[T | None]], message: str = "Expected parent entity not found, retrying"
) -> T:
    value = await get()
    if value is None:
        raise AwaitParentEntityRetry(message)
    return value


async def try_update(
    update: Callable[[], Awaitable[T]], message: str = "Expected dependent state not yet correct, retrying"
) -> T:
    try:
        return await update()
    except HttpError as error:
        if error.status == 424:
            raise AwaitDependentStateRetry(f"{message}: {error.text}") from error
        raise


@contextmanager
def reported(
    name: str,
    telemetry: Telemetry,
    properties: MutableMapping[str, Any],
    *,
    failure_suffix: str = "failed",
    reason_key: str | None = None,
) -> Iterator[None]:
    """Report the block's outcome: `<name>-success` when it completes, `-awaiting-parent` /
    `-awaiting-dependent-state` (with `reason`) for a not-yet, `<name>-<failure_suffix>` (with the error
    under `reason_key`, when given) for any other failure, which is re-raised.

    `properties` is read when the block ends, so the block may add what it learns on the way.
    """
    try:
        yield
    except AwaitParentEntityRetry as error:
        properties["reason"] = str(error)
        telemetry.track_event(f"{name}-awaiting-parent", properties)
        raise
    except AwaitDependentStateRetry as error:
        properties["reason"] = str(error)
        telemetry.track_event(f"{name}-awaiting-dependent-state", properties)
        raise
    except Exception as error:
        if reason_key is not None:
            properties[reason_key] = str(error) or "null"
        telemetry.track_event(f"{name}-{failure_suffix}", properties)
        raise
    telemetry.track_event(f"{name}-success", properties)


async def track(
    name: str, telemetry: Telemetry, properties: MutableMapping[str, Any], block: Callable[[], Awaitable[T]]
) -> T:
    """Run `block`, emitting `<name>-success` / `-awaiting-parent` / `-awaiting-dependent-state` / `-error`."""
    with reported(name, telemetry, properties, failure_suffix="error", reason_key="error"):
        return await block()
