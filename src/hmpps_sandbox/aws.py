"""Publish HMPPS domain events to an SNS topic on the moto server."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import orjson
from aiobotocore.session import get_session

if TYPE_CHECKING:
    from types_aiobotocore_sns import SNSClient
    from types_aiobotocore_sns.type_defs import PublishBatchRequestEntryTypeDef

DUMMY_ACCESS_KEY = "any"
DUMMY_SECRET_KEY = "any"


class EventPublisher:
    """One SNS client, reused, publishing domain events with the ``eventType`` message attribute."""

    def __init__(self, endpoint_url: str, region: str, topic_arn: str) -> None:
        self.endpoint_url = endpoint_url
        self.region = region
        self.topic_arn = topic_arn
        self._stack: contextlib.AsyncExitStack | None = None
        self._client: SNSClient | None = None

    async def start(self) -> None:
        if self._client is not None:
            return
        stack = contextlib.AsyncExitStack()
        try:
            self._client = await stack.enter_async_context(
                get_session().create_client(
                    "sns",
                    region_name=self.region,
                    endpoint_url=self.endpoint_url,
                    aws_access_key_id=DUMMY_ACCESS_KEY,
                    aws_secret_access_key=DUMMY_SECRET_KEY,
                )
            )
        except BaseException:
            await stack.aclose()
            raise
        self._stack = stack

    async def publish(self, event: dict[str, Any]) -> str:
        """Publish ``event`` as the message body; returns the SNS message id."""
        if self._client is None:
            await self.start()
        assert self._client is not None
        event_type = event.get("eventType")
        if not isinstance(event_type, str) or not event_type:
            raise ValueError("a domain event needs a non-empty string eventType")
        response = await self._client.publish(
            TopicArn=self.topic_arn,
            Message=orjson.dumps(event).decode(),
            MessageAttributes={"eventType": {"DataType": "String", "StringValue": event_type}},
        )
        return response["MessageId"]

    async def publish_batch(self, events: list[dict[str, Any]]) -> list[str]:
        """Publish up to 10 events in one SNS PublishBatch call; returns their message ids in order.

        The benchmark uses it because moto answers single publishes at only ~50/s on this machine.
        """
        if self._client is None:
            await self.start()
        assert self._client is not None
        entries: list[PublishBatchRequestEntryTypeDef] = []
        for index, event in enumerate(events):
            event_type = event.get("eventType")
            if not isinstance(event_type, str) or not event_type:
                raise ValueError("a domain event needs a non-empty string eventType")
            entries.append(
                {
                    "Id": str(index),
                    "Message": orjson.dumps(event).decode(),
                    "MessageAttributes": {"eventType": {"DataType": "String", "StringValue": event_type}},
                }
            )
        response = await self._client.publish_batch(
            TopicArn=self.topic_arn, PublishBatchRequestEntries=entries
        )
        if response.get("Failed"):
            raise RuntimeError(
                f"SNS refused {len(response['Failed'])} of {len(events)} events: {response['Failed']}"
            )
        by_id = {entry["Id"]: entry["MessageId"] for entry in response.get("Successful", [])}
        return [by_id[str(index)] for index in range(len(events))]

    async def close(self) -> None:
        stack = self._stack
        self._stack = None
        self._client = None
        if stack is not None:
            await stack.aclose()

    async def __aenter__(self) -> EventPublisher:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


async def publish_event(sns_client_url: str, region: str, topic_arn: str, event: dict[str, Any]) -> str:
    """Publish one domain event with a short-lived client; returns the SNS message id."""
    async with EventPublisher(sns_client_url, region, topic_arn) as publisher:
        return await publisher.publish(event)
