"""One listener per queue: long-poll receive, bounded concurrency, delete on success, back-off on failure.

A message is deleted only after its handler returns. A handler that raises leaves the message on the
queue with an escalated visibility timeout; after the redrive policy's maxReceiveCount SQS moves it to
the DLQ. Shutdown stops receiving, gives in-flight work a grace period, and abandons (never deletes)
whatever is still unfinished, so SQS redelivers it.

Every SQS call costs the service more CPU (signing, serialising, parsing) than a handler's own work, so
the queue calls are batched (docs/performance.md): one receive fetches a full batch while the previous
batch is still being handled (at most one batch waits, never more than the in-flight limit), and
finished messages are deleted with delete_message_batch, ten at a time or after at most 0.2 s.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from prisoner_to_nomis_update.framework.delivery import delivered
from prisoner_to_nomis_update.framework.failures import FailureReasons
from prisoner_to_nomis_update.framework.http import ApiConnectionError, HttpError
from prisoner_to_nomis_update.framework.messages import MalformedMessage
from prisoner_to_nomis_update.framework.queues import HmppsQueue, QueueService
from prisoner_to_nomis_update.framework.synchronise import RetryLater, reason_of
from prisoner_to_nomis_update.framework.telemetry import (
    Telemetry,
    as_text,
    operation,
    operation_id_for_message,
)
from prisoner_to_nomis_update.framework.visibility import (
    event_type_of_sqs_message,
    next_visibility,
    timeouts_for,
)

log = logging.getLogger(__name__)

MessageHandler = Callable[[str], Awaitable[None]]

RECEIVE_ERROR_BACKOFF_SECONDS = 1.0
SQS_MAX_BATCH = 10
# How long a finished message may wait for others to share its delete call. Deleting late only means a
# crash in that window redelivers work that is already done, which every handler treats as a duplicate.
DELETE_BATCH_WINDOW_SECONDS = 0.2

# Failures whose message says it all; anything else is logged with its traceback.
_EXPECTED_FAILURES = (MalformedMessage, HttpError, ApiConnectionError, RetryLater)


class QueueListener:
    def __init__(
        self,
        queues: QueueService,
        queue: HmppsQueue,
        handle: MessageHandler,
        telemetry: Telemetry,
        default_error_visibility: list[int],
        wait_time_seconds: int,
        failures: FailureReasons | None = None,
    ) -> None:
        self.queues = queues
        self.queue = queue
        self.handle = handle
        self.telemetry = telemetry
        self.default_error_visibility = default_error_visibility
        self.wait_time_seconds = wait_time_seconds
        self.failures = failures
        self.max_in_flight = queue.settings.max_in_flight
        # Received messages waiting for a handler slot: at most one batch, and never more than the
        # in-flight limit, so a waiting message is started long before its visibility timeout runs out.
        self.prefetch = min(SQS_MAX_BATCH, self.max_in_flight)
        self.waiting: deque[dict[str, Any]] = deque()
        self.in_flight: set[asyncio.Task[None]] = set()
        self.room = asyncio.Event()
        self.finished: list[dict[str, Any]] = []
        self.batch_ready = asyncio.Event()
        self.deleter: asyncio.Task[None] | None = None
        self.receiver: asyncio.Task[None] | None = None
        self.stopping = False
        self.started = asyncio.Event()

    async def start(self) -> None:
        self.receiver = asyncio.create_task(self._receive_loop(), name=f"listener-{self.queue.queue_id}")

    async def stop(self, grace_seconds: float = 30.0) -> None:
        self.stopping = True
        self.batch_ready.set()
        if self.receiver is not None:
            self.receiver.cancel()
            await asyncio.gather(self.receiver, return_exceptions=True)
        await self._release_waiting()
        if self.in_flight:
            _, unfinished = await asyncio.wait(set(self.in_flight), timeout=grace_seconds)
            for task in unfinished:
                task.cancel()
            if unfinished:
                log.warning(
                    "Abandoned %d unfinished messages on %s; SQS will redeliver them",
                    len(unfinished),
                    self.queue.queue_id,
                )
                await asyncio.gather(*unfinished, return_exceptions=True)
        while self.deleter is not None and not self.deleter.done():
            await asyncio.gather(self.deleter, return_exceptions=True)

    async def _release_waiting(self) -> None:
        """Hand messages that were received but never started straight back to SQS (visibility 0)."""
        waiting = list(self.waiting)
        self.waiting.clear()
        for start in range(0, len(waiting), SQS_MAX_BATCH):
            batch = waiting[start : start + SQS_MAX_BATCH]
            try:
                await self.queues.sqs.change_message_visibility_batch(
                    QueueUrl=self.queue.url,
                    Entries=[
                        {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"], "VisibilityTimeout": 0}
                        for index, message in enumerate(batch)
                    ],
                )
            except Exception as error:
                # They reappear when their visibility timeout ends anyway.
                log.warning("Could not release %d unstarted messages: %s", len(batch), error)

    def _held(self) -> int:
        return len(self.in_flight) + len(self.waiting)

    async def _receive_loop(self) -> None:
        sqs = self.queues.sqs
        self.started.set()
        capacity = self.max_in_flight + self.prefetch
        while not self.stopping:
            # Wait for room for a whole batch, so each receive can return up to 10 messages.
            while capacity - self._held() < self.prefetch:
                self.room.clear()
                await self.room.wait()
            wanted = min(SQS_MAX_BATCH, capacity - self._held())
            try:
                response = await sqs.receive_message(
                    QueueUrl=self.queue.url,
                    MaxNumberOfMessages=wanted,
                    WaitTimeSeconds=self.wait_time_seconds,
                    AttributeNames=["ApproximateReceiveCount", "SentTimestamp"],
                    MessageAttributeNames=["All"],
                )
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("Receive from %s failed: %s", self.queue.name, error)
                await asyncio.sleep(RECEIVE_ERROR_BACKOFF_SECONDS)
                continue
            self.waiting.extend(response.get("Messages", []))
            self._start_waiting()

    def _start_waiting(self) -> None:
        while self.waiting and len(self.in_flight) < self.max_in_flight and not self.stopping:
            task = asyncio.create_task(self._process(self.waiting.popleft()))
            self.in_flight.add(task)
            task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self.in_flight.discard(task)
        self._start_waiting()
        self.room.set()

    def _delete_soon(self, message: dict[str, Any]) -> None:
        self.finished.append(message)
        if len(self.finished) >= SQS_MAX_BATCH:
            self.batch_ready.set()
        if self.deleter is None or self.deleter.done():
            # A delete call serves up to ten messages, so it runs in no message's operation or trace.
            self.deleter = asyncio.create_task(self._delete_finished(), context=contextvars.Context())

    async def _delete_finished(self) -> None:
        # One delete call at a time, each waiting up to the window for a full batch (shutdown does not
        # wait): at 50 messages a second that is one call per 10 messages instead of 10 calls.
        while self.finished:
            if len(self.finished) < SQS_MAX_BATCH and not self.stopping:
                self.batch_ready.clear()
                try:
                    await asyncio.wait_for(self.batch_ready.wait(), DELETE_BATCH_WINDOW_SECONDS)
                except TimeoutError:
                    pass
            batch = self.finished[:SQS_MAX_BATCH]
            del self.finished[:SQS_MAX_BATCH]
            try:
                response = await self.queues.sqs.delete_message_batch(
                    QueueUrl=self.queue.url,
                    Entries=[
                        {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                        for index, message in enumerate(batch)
                    ],
                )
                failed = response.get("Failed", [])
            except Exception as error:
                failed = [{"Id": str(index), "Message": str(error)} for index in range(len(batch))]
            for failure in failed:
                # The work is done; a redelivery is harmless because every handler is idempotent.
                message = batch[int(failure.get("Id", 0))]
                with operation(operation_id_for_message(message.get("MessageId"))):
                    log.warning(
                        "Could not delete message %s: %s", message.get("MessageId"), failure.get("Message")
                    )

    async def _process(self, message: dict[str, Any]) -> None:
        message_id = message.get("MessageId")
        with (
            operation(operation_id_for_message(message_id)),
            delivered(message),
            self.telemetry.tracing.message_span(self.queue.name, message_id) as span,
        ):
            try:
                await self.handle(message["Body"])
            except asyncio.CancelledError:
                raise
            except Exception as error:
                span.failed(error)
                await self._on_failure(message, error)
                return
            self._delete_soon(message)

    async def _on_failure(self, message: dict[str, Any], error: Exception) -> None:
        body = message.get("Body", "")
        event_type = event_type_of_sqs_message(body, message.get("MessageAttributes"))
        receive_count = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
        max_receive_count = self.queue.max_receive_count
        settings = self.queue.settings
        timeouts = timeouts_for(
            event_type,
            settings.event_error_visibility_timeout,
            settings.error_visibility_timeout,
            self.default_error_visibility,
        )
        delay = next_visibility(timeouts, receive_count, max_receive_count)
        if self.failures is not None and message.get("MessageId"):
            self.failures.record(
                message["MessageId"], self.queue.queue_id, event_type, reason_of(error), receive_count
            )
        if isinstance(error, MalformedMessage):
            log.error(
                "Malformed message %s on %s: %s",
                message.get("MessageId"),
                self.queue.name,
                error,
                extra={"receiveCount": receive_count},
            )
        else:
            log.error(
                "Failed to process message %s (%s) on %s: %s",
                message.get("MessageId"),
                event_type,
                self.queue.name,
                error,
                exc_info=not isinstance(error, _EXPECTED_FAILURES),
            )
        if max_receive_count is None:
            log.warning("No max receive count configured for queue %s", self.queue.queue_id)
        if max_receive_count is None or receive_count < max_receive_count:
            log.info(
                "Setting error visibility timeout for event type %s on queue %s with receive count %d "
                "to %d seconds",
                event_type,
                self.queue.queue_id,
                receive_count,
                delay,
            )
        else:
            log.info(
                "Setting error visibility timeout to 0 for event type %s on queue %s with receive count %d "
                "because this is the last retry",
                event_type,
                self.queue.queue_id,
                receive_count,
            )
            self.telemetry.track_event(
                f"{event_type}-sent-to-dlq",
                {
                    "queueName": self.queue.name,
                    "dlqName": self.queue.dlq_name,
                    "timeouts": as_text(timeouts),
                    "maxReceiveCount": str(receive_count),
                },
            )
        try:
            await self.queues.sqs.change_message_visibility(
                QueueUrl=self.queue.url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=delay
            )
        except Exception as visibility_error:
            log.warning("Could not change visibility of %s: %s", message.get("MessageId"), visibility_error)
