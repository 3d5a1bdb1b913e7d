"""Publish HMPPS domain events to an SNS topic on the moto server."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import orjson
from aiobotocore.session import get_session

if TYPE_CHECKING:
    from types_aiobotocore_sns import SNSClient

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
