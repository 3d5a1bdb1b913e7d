"""QueueService against moto: provisioning (framework.md 14.3), redrive policy reads (14.5), aws-mode start
(14.2) and the send helpers' give-up paths (5.4)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest

from hmpps_sandbox.estate import Estate
from prisoner_to_nomis_update.framework.queues import (
    SEND_FIRST_BACKOFF_SECONDS,
    SEND_MAX_ATTEMPTS,
    SEND_MAX_BACKOFF_SECONDS,
    QueueService,
)
from prisoner_to_nomis_update.framework.telemetry import RecordingExporter, Telemetry
from prisoner_to_nomis_update.settings import Settings, load_settings

PREFIX = "fwq_"


def settings(estate: Estate, **env: str) -> Settings:
    base = estate.service_env(PREFIX, ["widget"], HMPPS_SQS_QUEUES_WIDGET_DLQ_MAX_RECEIVE_COUNT="4")
    return load_settings({**base, **env})


@pytest.fixture
async def started(clean_estate: Estate) -> AsyncIterator[QueueService]:
    service = QueueService(settings(clean_estate), Telemetry([RecordingExporter()]))
    await service.start({"widget": ["widget.b", "widget.a"]})
    yield service
    await service.close()


async def subscriptions(service: QueueService) -> list[dict[str, Any]]:
    response = await service.sns.list_subscriptions_by_topic(TopicArn=service.topic_arn)
    return list(response["Subscriptions"])


@pytest.mark.scenario("framework", 91)
@pytest.mark.scenario("framework", 92)
async def test_localstack_mode_creates_dlq_redrive_policy_and_filtered_subscription(
    clean_estate: Estate, started: QueueService
) -> None:
    queue = started.by_id("widget")
    attributes = await started.queue_attributes(queue.url, ["RedrivePolicy", "VisibilityTimeout"])
    policy = orjson.loads(attributes["RedrivePolicy"])
    dlq_arn = (await started.queue_attributes(queue.dlq_url, ["QueueArn"]))["QueueArn"]
    assert policy["deadLetterTargetArn"] == dlq_arn
    assert int(policy["maxReceiveCount"]) == 4
    assert attributes["VisibilityTimeout"] == "30"
    assert queue.max_receive_count == 4
    assert await started.read_max_receive_count(queue) == 4

    [subscription] = await subscriptions(started)
    assert subscription["Protocol"] == "sqs"
    assert subscription["Endpoint"] == (await started.queue_attributes(queue.url, ["QueueArn"]))["QueueArn"]
    sub_attributes = await started.sns.get_subscription_attributes(
        SubscriptionArn=subscription["SubscriptionArn"]
    )
    assert orjson.loads(sub_attributes["Attributes"]["FilterPolicy"]) == {
        "eventType": ["widget.b", "widget.a"]
    }

    # A restart reuses the queues (CreateQueue is idempotent with the same attributes).
    again = QueueService(settings(clean_estate), Telemetry([]))
    await again.start({})
    try:
        assert again.by_id("widget").url == queue.url
        assert again.by_id("widget").dlq_url == queue.dlq_url
    finally:
        await again.close()


@pytest.mark.scenario("framework", 91)
async def test_fifo_queues_and_dlqs_get_the_fifo_attribute(clean_estate: Estate) -> None:
    env = clean_estate.service_env(
        "",
        [],
        HMPPS_SQS_QUEUES_ORDERED_QUEUE_NAME=f"{PREFIX}ordered.fifo",
        HMPPS_SQS_QUEUES_ORDERED_DLQ_NAME=f"{PREFIX}ordered_dlq.fifo",
    )
    service = QueueService(load_settings(env), Telemetry([]))
    await service.start({})
    try:
        queue = service.by_id("ordered")
        assert (await service.queue_attributes(queue.url, ["FifoQueue"]))["FifoQueue"] == "true"
        assert (await service.queue_attributes(queue.dlq_url, ["FifoQueue"]))["FifoQueue"] == "true"
    finally:
        await service.close()


@pytest.mark.scenario("framework", 90)
@pytest.mark.scenario("framework", 92)
async def test_aws_mode_uses_existing_queues_without_creating_or_subscribing(
    clean_estate: Estate,
    started: QueueService,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """In aws mode the SDK's standard credential chain and endpoint settings apply; the test points the
    SDK at moto through its documented AWS_ENDPOINT_URL variable (no service code is patched)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", clean_estate.moto.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "any")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "any")
    # A queue with a DLQ name but no redrive policy, made outside the service.
    await started.sqs.create_queue(QueueName=f"{PREFIX}bare_queue")
    await started.sqs.create_queue(QueueName=f"{PREFIX}bare_dlq")
    aws = settings(
        clean_estate,
        HMPPS_SQS_PROVIDER="aws",
        HMPPS_SQS_QUEUES_BARE_QUEUE_NAME=f"{PREFIX}bare_queue",
        HMPPS_SQS_QUEUES_BARE_DLQ_NAME=f"{PREFIX}bare_dlq",
        HMPPS_SQS_QUEUES_NODLQ_QUEUE_NAME=f"{PREFIX}bare_queue_2",
    )
    await started.sqs.create_queue(QueueName=f"{PREFIX}bare_queue_2")
    service = QueueService(aws, Telemetry([]))
    await service.start({"widget": ["widget.c"], "bare": ["bare.x"]})
    try:
        assert service.by_id("widget").url == started.by_id("widget").url
        assert service.by_id("widget").max_receive_count == 4
        assert service.by_id("bare").max_receive_count is None
        assert service.by_id("nodlq").max_receive_count is None
        # No new subscription: the topic still has only the localstack-mode one.
        assert len(await subscriptions(started)) == 1
        # Reading the policy of a vanished queue is logged and gives None.
        await started.sqs.delete_queue(QueueUrl=service.by_id("bare").url)
        with caplog.at_level(logging.ERROR, logger="prisoner_to_nomis_update.framework.queues"):
            assert await service.read_max_receive_count(service.by_id("bare")) is None
        assert any(
            "Could not read the redrive policy of queue bare" in r.getMessage() for r in caplog.records
        )
    finally:
        await service.close()

    # aws mode never creates queues: a missing one stops start-up.
    missing = QueueService(
        settings(clean_estate, HMPPS_SQS_PROVIDER="aws", HMPPS_SQS_QUEUES_GHOST_QUEUE_NAME="ghost"),
        Telemetry([]),
    )
    try:
        with pytest.raises(Exception, match=r"NonExistentQueue|does not exist"):
            await missing.start({})
    finally:
        await missing.close()


@pytest.mark.scenario("framework", 59)
async def test_send_gives_up_after_its_attempts(
    clean_estate: Estate, started: QueueService, caplog: pytest.LogCaptureFixture
) -> None:
    recorder = RecordingExporter()
    service = QueueService(
        settings(clean_estate), Telemetry([recorder]), send_max_attempts=3, send_first_backoff_seconds=0.01
    )
    await service.start({})
    try:
        # Sent with the eventType attribute.
        message_id = await service.send("widget", '{"Type":"X","Message":"{}"}', "widget.sent")
        received = await service.sqs.receive_message(
            QueueUrl=service.by_id("widget").url, MessageAttributeNames=["All"], WaitTimeSeconds=1
        )
        [message] = received["Messages"]
        assert message["MessageId"] == message_id
        assert message["MessageAttributes"]["eventType"]["StringValue"] == "widget.sent"

        await service.sqs.delete_queue(QueueUrl=service.by_id("widget").url)
        caplog.set_level(logging.WARNING, logger="prisoner_to_nomis_update.framework.queues")
        with pytest.raises(Exception, match=r"NonExistentQueue|does not exist"):
            await service.send("widget", '{"a": 1}', "widget.lost")
        warnings = [r.getMessage() for r in caplog.records if "Send of widget.lost" in r.getMessage()]
        assert len(warnings) == 2  # attempts 1 and 2 retried, attempt 3 gave up
        assert any(
            r.getMessage() == 'Unable to send message widget.lost with body "{"a": 1}"'
            for r in caplog.records
        )

        assert await service.send_track_on_failure("widget", '{"a": 2}', "courtsentencing.resync") is None
        [failed] = recorder.named("send-message-courtsentencing.resync-failed")
        assert list(failed) == ["message"]
        assert (
            "does not exist" in orjson.loads(failed["message"])["message"].lower()
            or "NonExistentQueue" in failed["message"]
        )
    finally:
        await service.close()
    # Production defaults are the original's: 10 attempts, 1 s doubling, capped at 30 s.
    defaults = QueueService(settings(clean_estate), Telemetry([]))
    assert (
        (defaults.send_max_attempts, defaults.send_first_backoff_seconds, defaults.send_max_backoff_seconds)
        == (
            SEND_MAX_ATTEMPTS,
            SEND_FIRST_BACKOFF_SECONDS,
            SEND_MAX_BACKOFF_SECONDS,
        )
        == (10, 1.0, 30.0)
    )
