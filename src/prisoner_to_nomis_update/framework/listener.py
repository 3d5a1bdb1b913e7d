"""One listener per queue: long-poll receive, bounded concurrency, delete on success, back-off on failure.

A message is deleted only after its handler returns. A handler that raises leaves the message on the
queue with an escalated visibility timeout; after the redrive policy's maxReceiveCount SQS moves it to
the DLQ. Shutdown stops receiving, gives in-flight work a grace period, and abandons (never deletes)
whatever is still unfinished, so SQS redelivers it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from prisoner_to_nomis_update.framework.http import ApiConnectionError, HttpError
from prisoner_to_nomis_update.framework.messages import MalformedMessage
from prisoner_to_nomis_update.framework.queues import HmppsQueue, QueueService
from prisoner_to_nomis_update.framework.synchronise import RetryLater
from prisoner_to_nomis_update.framework.telemetry import Telemetry, as_text, operation
from prisoner_to_nomis_update.framework.visibility import (
    event_type_of_sqs_message,
    next_visibility,
    timeouts_for,
)

log = logging.getLogger(__name__)

MessageHandler = Callable[[str], Awaitable[None]]

RECEIVE_ERROR_BACKOFF_SECONDS = 1.0

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
    ) -> None:
        self.queues = queues
        self.queue = queue
        self.handle = handle
        self.telemetry = telemetry
        self.default_error_visibility = default_error_visibility
        self.wait_time_seconds = wait_time_seconds
        self.max_in_flight = queue.settings.max_in_flight
        self.in_flight: set[asyncio.Task[None]] = set()
        self.slot_free = asyncio.Event()
        self.receiver: asyncio.Task[None] | None = None
        self.stopping = False
        self.started = asyncio.Event()

    async def start(self) -> None:
        self.receiver = asyncio.create_task(self._receive_loop(), name=f"listener-{self.queue.queue_id}")

    async def stop(self, grace_seconds: float = 30.0) -> None:
        self.stopping = True
        if self.receiver is not None:
            self.receiver.cancel()
            await asyncio.gather(self.receiver, return_exceptions=True)
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

    async def _receive_loop(self) -> None:
        sqs = self.queues.sqs
        self.started.set()
        while not self.stopping:
            while len(self.in_flight) >= self.max_in_flight:
                self.slot_free.clear()
                await self.slot_free.wait()
            wanted = min(10, self.max_in_flight - len(self.in_flight))
            try:
                response = await sqs.receive_message(
                    QueueUrl=self.queue.url,
                    MaxNumberOfMessages=wanted,
                    WaitTimeSeconds=self.wait_time_seconds,
                    AttributeNames=["ApproximateReceiveCount"],
                    MessageAttributeNames=["All"],
                )
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("Receive from %s failed: %s", self.queue.name, error)
                await asyncio.sleep(RECEIVE_ERROR_BACKOFF_SECONDS)
                continue
            for message in response.get("Messages", []):
                task = asyncio.create_task(self._process(message))
                self.in_flight.add(task)
                task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self.in_flight.discard(task)
        self.slot_free.set()

    async def _process(self, message: dict[str, Any]) -> None:
        with operation(message.get("MessageId")):
            try:
                await self.handle(message["Body"])
            except asyncio.CancelledError:
                raise
            except Exception as error:
                await self._on_failure(message, error)
                return
            try:
                await self.queues.sqs.delete_message(
                    QueueUrl=self.queue.url, ReceiptHandle=message["ReceiptHandle"]
                )
            except Exception as error:
                # The work is done; a redelivery is harmless because every handler is idempotent.
                log.warning("Could not delete message %s: %s", message.get("MessageId"), error)

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
