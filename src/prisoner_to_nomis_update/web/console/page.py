"""What the console page shows, gathered from the service's own parts (no HTTP round trips).

Queue counts come from the same checks as `/health`; DLQ messages are browsed without hiding them; the
failure reasons, duplicates and report results are what this pod recorded in memory.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from prisoner_to_nomis_update.framework.background import BackgroundReports, ReportRun
from prisoner_to_nomis_update.framework.duplicate_resolution import DuplicateResolution
from prisoner_to_nomis_update.framework.duplicates import Duplicate
from prisoner_to_nomis_update.framework.failures import FailureReasons
from prisoner_to_nomis_update.framework.queues import HmppsQueue, QueueService
from prisoner_to_nomis_update.framework.visibility import event_type_of_sqs_message
from prisoner_to_nomis_update.web.health import queue_health

# Enough to see what is wrong; the get-dlq-messages endpoint pages through more.
DLQ_MESSAGES_SHOWN = 20
QUEUE_CHECK_SECONDS = 5.0
DETAIL_CHARS = 240


@dataclass
class ConsoleSources:
    queues: QueueService
    failures: FailureReasons
    duplicates: DuplicateResolution
    reports: BackgroundReports
    startable_reports: Mapping[str, Callable[[], Awaitable[None]]]


@dataclass
class QueueRow:
    queue: HmppsQueue
    on_queue: str = "?"
    in_flight: str = "?"
    on_dlq: str = "?"
    error: str | None = None

    @property
    def dlq_count(self) -> int:
        return int(self.on_dlq) if self.on_dlq.isdigit() else 0


@dataclass
class DlqMessage:
    message_id: str
    event_type: str
    detail: str
    reason: str | None
    failed_at: datetime | None
    attempts: int | None
    sent_at: datetime | None


@dataclass
class ReportRow:
    name: str
    startable: bool
    running: bool
    last: ReportRun | None


@dataclass
class ConsolePage:
    queues: list[QueueRow]
    dlq_messages: dict[str, list[DlqMessage]]
    duplicates: list[Duplicate]
    reports: list[ReportRow]
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))


async def _queue_row(queues: QueueService, queue: HmppsQueue) -> QueueRow:
    row = QueueRow(queue)
    try:
        component = await asyncio.wait_for(queue_health(queues, queue), QUEUE_CHECK_SECONDS)
    except TimeoutError:
        row.error = f"no answer from SQS within {QUEUE_CHECK_SECONDS:g}s"
        return row
    details: dict[str, Any] = component["details"]
    row.on_queue = str(details.get("messagesOnQueue", "?"))
    row.in_flight = str(details.get("messagesInFlight", "?"))
    row.on_dlq = str(details.get("messagesOnDlq", "-" if not queue.dlq_name else "?"))
    row.error = details.get("error")
    return row


def _detail(body: str) -> str:
    """The part of a message that says what it is about: the event's additionalInformation, or the
    mapping of a retry, as compact JSON."""
    try:
        envelope = orjson.loads(body)
        inner = orjson.loads(envelope["Message"]) if isinstance(envelope, dict) else None
    except (orjson.JSONDecodeError, KeyError, TypeError):
        inner = None
    if isinstance(inner, dict):
        shown = inner.get("additionalInformation") or inner.get("mapping") or inner
        text = orjson.dumps(shown).decode()
    else:
        text = body
    return text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 1] + "…"


def _timestamp(millis: str | None) -> datetime | None:
    if millis is None or not millis.isdigit():
        return None
    return datetime.fromtimestamp(int(millis) / 1000, UTC).replace(microsecond=0)


async def _dlq_messages(sources: ConsoleSources, queue: HmppsQueue) -> list[DlqMessage]:
    shown = []
    for message in await sources.queues.browse(queue.dlq_url, DLQ_MESSAGES_SHOWN):
        body = message.get("Body", "")
        failure = sources.failures.get(message["MessageId"])
        shown.append(
            DlqMessage(
                message_id=message["MessageId"],
                event_type=event_type_of_sqs_message(body, message.get("MessageAttributes")) or "(unknown)",
                detail=_detail(body),
                reason=failure.reason if failure else None,
                failed_at=failure.failed_at if failure else None,
                attempts=failure.receive_count if failure else None,
                sent_at=_timestamp(message.get("Attributes", {}).get("SentTimestamp")),
            )
        )
    return shown


def _reports(sources: ConsoleSources) -> list[ReportRow]:
    names = sorted(set(sources.startable_reports) | set(sources.reports.last))
    return [
        ReportRow(
            name=name,
            startable=name in sources.startable_reports,
            running=sources.reports.running(name),
            last=sources.reports.last.get(name),
        )
        for name in names
    ]


async def gather(sources: ConsoleSources) -> ConsolePage:
    queues = list(sources.queues.queues.values())
    rows = await asyncio.gather(*(_queue_row(sources.queues, queue) for queue in queues))
    with_messages = [row.queue for row in rows if row.dlq_count > 0]
    browsed = await asyncio.gather(
        *(_dlq_messages(sources, queue) for queue in with_messages), return_exceptions=True
    )
    dlq_messages: dict[str, list[DlqMessage]] = {}
    for queue, messages in zip(with_messages, browsed, strict=True):
        if isinstance(messages, BaseException):
            next(row for row in rows if row.queue is queue).error = f"could not read the DLQ: {messages}"
            continue
        dlq_messages[queue.queue_id] = messages
    return ConsolePage(
        queues=list(rows),
        dlq_messages=dlq_messages,
        duplicates=sources.duplicates.log.recent(),
        reports=_reports(sources),
    )
