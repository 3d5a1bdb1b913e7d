"""Queue registry: SQS/SNS clients, start-up provisioning, send helpers, admin operations and health.

This is the Python equivalent of the HMPPS SQS library (framework.md section 14): queues are addressed
by id (`visit`), listened to by name, and in `localstack` mode the topic, queues, DLQs (with redrive
policy) and filtered subscriptions are created at start-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiobotocore.config import AioConfig

from prisoner_to_nomis_update.framework.aws import aws_session
from prisoner_to_nomis_update.framework.telemetry import Telemetry
from prisoner_to_nomis_update.settings import QueueSettings, Settings

log = logging.getLogger(__name__)

SEND_MAX_ATTEMPTS = 10
SEND_FIRST_BACKOFF_SECONDS = 1.0
SEND_MAX_BACKOFF_SECONDS = 30.0


class QueueNotFound(LookupError):
    pass


@dataclass
class HmppsQueue:
    settings: QueueSettings
    url: str = ""
    dlq_url: str = ""
    subscribed_events: list[str] = field(default_factory=list)
    max_receive_count: int | None = None

    @property
    def queue_id(self) -> str:
        return self.settings.queue_id

    @property
    def name(self) -> str:
        return self.settings.queue_name

    @property
    def dlq_name(self) -> str:
        return self.settings.dlq_name


def topic_name_from_arn(arn: str) -> str:
    return arn.rsplit(":", 1)[-1]


class QueueService:
    """Owns the SQS and SNS clients and every configured queue."""

    def __init__(
        self,
        settings: Settings,
        telemetry: Telemetry,
        *,
        send_max_attempts: int = SEND_MAX_ATTEMPTS,
        send_first_backoff_seconds: float = SEND_FIRST_BACKOFF_SECONDS,
        send_max_backoff_seconds: float = SEND_MAX_BACKOFF_SECONDS,
    ) -> None:
        self.settings = settings
        self.telemetry = telemetry
        # The send back-off is a constructor argument so a test can prove the give-up path in
        # milliseconds instead of the production ~151 s.
        self.send_max_attempts = send_max_attempts
        self.send_first_backoff_seconds = send_first_backoff_seconds
        self.send_max_backoff_seconds = send_max_backoff_seconds
        self.queues: dict[str, HmppsQueue] = {
            queue_id: HmppsQueue(queue_settings) for queue_id, queue_settings in settings.queues.items()
        }
        self.topic_arn = settings.topic_arn
        self._stack = contextlib.AsyncExitStack()
        self.sqs: Any = None
        self.sns: Any = None

    async def start(self, subscriptions: dict[str, list[str]]) -> None:
        """Create clients, provision (localstack mode) and resolve every queue URL."""
        session = aws_session()
        options: dict[str, Any] = {
            "region_name": self.settings.region,
            # Parameter validation re-checks every request against the service model on each call; our
            # requests are fixed shapes, and it was a visible share of the CPU per message.
            "config": AioConfig(
                max_pool_connections=100,
                retries={"max_attempts": 3, "mode": "standard"},
                parameter_validation=False,
            ),
        }
        if self.settings.sqs_provider == "localstack":
            options.update(
                endpoint_url=self.settings.localstack_url,
                aws_access_key_id="any",
                aws_secret_access_key="any",
            )
        self.sqs = await self._stack.enter_async_context(session.create_client("sqs", **options))
        self.sns = await self._stack.enter_async_context(session.create_client("sns", **options))
        for queue_id, events in subscriptions.items():
            if queue_id in self.queues:
                self.queues[queue_id].subscribed_events = list(events)
        if self.settings.sqs_provider == "localstack":
            await self._provision()
        for queue in self.queues.values():
            await self._resolve(queue)

    async def close(self) -> None:
        await self._stack.aclose()

    async def _provision(self) -> None:
        if self.topic_arn:
            response = await self.sns.create_topic(Name=topic_name_from_arn(self.topic_arn))
            self.topic_arn = response["TopicArn"]
        for queue in self.queues.values():
            attributes: dict[str, str] = {"VisibilityTimeout": str(queue.settings.visibility_timeout)}
            fifo = {"FifoQueue": "true"} if queue.name.endswith(".fifo") else {}
            attributes.update(fifo)
            if queue.dlq_name:
                dlq = await self.sqs.create_queue(QueueName=queue.dlq_name, Attributes=fifo)
                dlq_arn = await self._arn(dlq["QueueUrl"])
                attributes["RedrivePolicy"] = orjson.dumps(
                    {
                        "deadLetterTargetArn": dlq_arn,
                        "maxReceiveCount": str(queue.settings.dlq_max_receive_count),
                    }
                ).decode()
            created = await self.sqs.create_queue(QueueName=queue.name, Attributes=attributes)
            if self.topic_arn and queue.subscribed_events:
                await self.sns.subscribe(
                    TopicArn=self.topic_arn,
                    Protocol="sqs",
                    Endpoint=await self._arn(created["QueueUrl"]),
                    Attributes={
                        "FilterPolicy": orjson.dumps({"eventType": queue.subscribed_events}).decode()
                    },
                )
            log.info(
                "Provisioned queue %s (%s) with DLQ %s", queue.queue_id, queue.name, queue.dlq_name or "-"
            )

    async def _arn(self, url: str) -> str:
        response = await self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        return str(response["Attributes"]["QueueArn"])

    async def _resolve(self, queue: HmppsQueue) -> None:
        queue.url = (await self.sqs.get_queue_url(QueueName=queue.name))["QueueUrl"]
        if queue.dlq_name:
            queue.dlq_url = (await self.sqs.get_queue_url(QueueName=queue.dlq_name))["QueueUrl"]
        queue.max_receive_count = await self.read_max_receive_count(queue)

    async def read_max_receive_count(self, queue: HmppsQueue) -> int | None:
        """maxReceiveCount from the main queue's redrive policy; None without a DLQ or on error."""
        if not queue.dlq_name:
            return None
        try:
            response = await self.sqs.get_queue_attributes(
                QueueUrl=queue.url, AttributeNames=["RedrivePolicy"]
            )
            policy = response.get("Attributes", {}).get("RedrivePolicy")
            if not policy:
                return None
            return int(orjson.loads(policy)["maxReceiveCount"])
        except Exception:
            log.exception("Could not read the redrive policy of queue %s", queue.queue_id)
            return None

    # ---- lookups ---------------------------------------------------------------------------------

    def by_id(self, queue_id: str) -> HmppsQueue:
        try:
            return self.queues[queue_id]
        except KeyError:
            raise QueueNotFound(f"{queue_id} not found") from None

    def find_by_dlq_name(self, dlq_name: str) -> HmppsQueue | None:
        return next((q for q in self.queues.values() if q.dlq_name and q.dlq_name == dlq_name), None)

    def find_by_name(self, queue_name: str) -> HmppsQueue | None:
        return next((q for q in self.queues.values() if q.name == queue_name), None)

    def find_queue_to_purge(self, name: str) -> tuple[HmppsQueue, str] | None:
        """(queue, url) for a main queue name (never the audit queue) or a DLQ name."""
        for queue in self.queues.values():
            if queue.name == name and queue.queue_id != "audit":
                return queue, queue.url
        for queue in self.queues.values():
            if queue.dlq_name and queue.dlq_name == name:
                return queue, queue.dlq_url
        return None

    # ---- sending ---------------------------------------------------------------------------------

    async def send(self, queue_id: str, body: str, event_type: str) -> str:
        """Send with the `eventType` attribute, retrying with back-off (1 s doubling, capped at 30 s, 10 tries).

        Returns the SQS message id; raises after the last attempt.
        """
        queue = self.by_id(queue_id)
        delay = self.send_first_backoff_seconds
        for attempt in range(1, self.send_max_attempts + 1):
            try:
                response = await self.sqs.send_message(
                    QueueUrl=queue.url,
                    MessageBody=body,
                    MessageAttributes={"eventType": {"DataType": "String", "StringValue": event_type}},
                )
                return str(response["MessageId"])
            except Exception as error:
                if attempt >= self.send_max_attempts:
                    log.error('Unable to send message %s with body "%s"', event_type, body)
                    raise
                log.warning("Send of %s to %s failed (attempt %d): %s", event_type, queue_id, attempt, error)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.send_max_backoff_seconds)
        raise AssertionError("unreachable")

    async def send_track_on_failure(self, queue_id: str, body: str, event_type: str) -> str | None:
        """Like `send`, but a final failure is reported as telemetry instead of raised."""
        try:
            return await self.send(queue_id, body, event_type)
        except Exception as error:
            self.telemetry.track_event(
                f"send-message-{event_type}-failed",
                {"message": orjson.dumps({"type": type(error).__name__, "message": str(error)}).decode()},
            )
            return None

    # ---- admin operations ------------------------------------------------------------------------

    async def count_messages(self, url: str) -> int:
        response = await self.sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
        )
        return int(response["Attributes"].get("ApproximateNumberOfMessages", "0"))

    async def retry_dlq(self, queue: HmppsQueue) -> int:
        """Move every DLQ message back to its main queue; returns the count found."""
        if not queue.dlq_name:
            return 0
        found = await self.count_messages(queue.dlq_url)
        if found == 0:
            return 0
        log.info("For dlq %s we found %d messages", queue.dlq_name, found)
        self.telemetry.track_event("RetryDLQ", {"dlq-name": queue.dlq_name, "messages-found": found})
        await self._move(queue.dlq_url, queue.url, found)
        return found

    async def retry_all_dlqs(self) -> list[int]:
        return [await self.retry_dlq(queue) for queue in self.queues.values()]

    async def _move(self, source_url: str, target_url: str, limit: int) -> None:
        """Move up to `limit` messages: each is sent to the target before it is deleted from the source.

        At least once, never lost: a message whose send failed stays on the source (it reappears after
        the receive's visibility timeout). The limit (the count found, like SQS's move task) stops a
        message that fails again straight back onto the DLQ from being moved round in a loop.
        """
        moved = 0
        while moved < limit:
            response = await self.sqs.receive_message(
                QueueUrl=source_url,
                MaxNumberOfMessages=min(10, limit - moved),
                WaitTimeSeconds=0,
                VisibilityTimeout=30,
                MessageAttributeNames=["All"],
            )
            messages = response.get("Messages", [])
            if not messages:
                return
            sent = await self.sqs.send_message_batch(
                QueueUrl=target_url,
                Entries=[
                    {
                        "Id": str(index),
                        "MessageBody": message["Body"],
                        **(
                            {"MessageAttributes": message["MessageAttributes"]}
                            if message.get("MessageAttributes")
                            else {}
                        ),
                    }
                    for index, message in enumerate(messages)
                ],
            )
            for failure in sent.get("Failed", []):
                log.warning("Could not move message %s: %s", failure.get("Id"), failure.get("Message"))
            delivered = [entry["Id"] for entry in sent.get("Successful", [])]
            if delivered:
                await self.sqs.delete_message_batch(
                    QueueUrl=source_url,
                    Entries=[
                        {"Id": index, "ReceiptHandle": messages[int(index)]["ReceiptHandle"]}
                        for index in delivered
                    ],
                )
            moved += len(messages)

    async def purge(self, queue_name: str, url: str) -> int:
        found = await self.count_messages(url)
        if found == 0:
            return 0
        await self.sqs.purge_queue(QueueUrl=url)
        log.info("For queue %s we found %d messages and purged them", queue_name, found)
        self.telemetry.track_event("PurgeQueue", {"queue-name": queue_name, "messages-found": found})
        return found

    async def peek_dlq(self, queue: HmppsQueue, max_messages: int) -> tuple[int, int, list[dict[str, Any]]]:
        """(found, returned, messages) without deleting: each is hidden for 1 s then reappears."""
        found = await self.count_messages(queue.dlq_url)
        wanted = min(found, max_messages)
        messages: list[dict[str, Any]] = []
        for _ in range(wanted):
            response = await self.sqs.receive_message(
                QueueUrl=queue.dlq_url, MaxNumberOfMessages=1, VisibilityTimeout=1, WaitTimeSeconds=0
            )
            for message in response.get("Messages", []):
                try:
                    body: Any = orjson.loads(message["Body"])
                except orjson.JSONDecodeError:
                    body = message["Body"]
                messages.append({"body": body, "messageId": message["MessageId"]})
        return found, wanted, messages

    async def browse(self, url: str, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` messages as SQS returns them, left on the queue and visible again at once.

        The messages are held (hidden) while the batch is read, so none is returned twice, then
        released together: unlike `peek_dlq` nothing stays hidden afterwards, so an operator who
        looks at a DLQ and then retries it moves every message.
        """
        held: list[dict[str, Any]] = []
        try:
            while len(held) < limit:
                response = await self.sqs.receive_message(
                    QueueUrl=url,
                    MaxNumberOfMessages=min(10, limit - len(held)),
                    VisibilityTimeout=30,
                    WaitTimeSeconds=0,
                    AttributeNames=["ApproximateReceiveCount", "SentTimestamp"],
                    MessageAttributeNames=["All"],
                )
                messages = response.get("Messages", [])
                if not messages:
                    break
                held.extend(messages)
        finally:
            for start in range(0, len(held), 10):
                batch = held[start : start + 10]
                try:
                    await self.sqs.change_message_visibility_batch(
                        QueueUrl=url,
                        Entries=[
                            {
                                "Id": str(index),
                                "ReceiptHandle": message["ReceiptHandle"],
                                "VisibilityTimeout": 0,
                            }
                            for index, message in enumerate(batch)
                        ],
                    )
                except Exception as error:
                    # They reappear when the 30 s visibility timeout ends anyway.
                    log.warning("Could not release %d browsed messages: %s", len(batch), error)
        return held

    async def queue_attributes(self, url: str, names: Iterable[str]) -> dict[str, str]:
        response = await self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(names))
        return dict(response.get("Attributes", {}))
