"""Runs the real service in-process against the estate, and answers the questions tests ask of it.

The service's listeners talk to the moto server and the fakes over loopback exactly as in production;
the harness only adds a recording telemetry exporter and helpers to look at queues and wait for events.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import orjson
import uvicorn

from hmpps_sandbox.estate import Estate
from hmpps_sandbox.ports import free_port
from prisoner_to_nomis_update.app import Service
from prisoner_to_nomis_update.framework.domain import DomainFactory
from prisoner_to_nomis_update.framework.telemetry import RecordingExporter, Telemetry
from prisoner_to_nomis_update.settings import load_settings

# Defaults that keep tests quick: no back-off between retries, short long-polls.
TEST_ENV = {
    "HMPPS_SQS_DEFAULT_ERROR_VISIBILITY_TIMEOUT": "0",
    "HMPPS_SQS_WAIT_TIME_SECONDS": "1",
    "API_TIMEOUT": "5s",
}


class ServiceHarness:
    def __init__(
        self,
        estate: Estate,
        env: dict[str, str] | None = None,
        queues: list[str] | None = None,
        domains: list[DomainFactory] | None = None,
        shutdown_grace_seconds: float = 5.0,
        prefix: str | None = None,
    ) -> None:
        self.estate = estate
        # Reusing another harness's prefix puts a second service on the same queues (a restart).
        self.prefix = prefix if prefix is not None else f"t{uuid.uuid4().hex[:8]}_"
        self.env = estate.service_env(self.prefix, queues, **{**TEST_ENV, **(env or {})})
        self.settings = load_settings(self.env)
        self.recorder = RecordingExporter()
        kwargs: dict[str, Any] = {"shutdown_grace_seconds": shutdown_grace_seconds}
        if domains is not None:
            kwargs["domains"] = domains
        self.service = Service(self.settings, Telemetry([self.recorder]), **kwargs)
        self.server: uvicorn.Server | None = None
        self.server_task: asyncio.Task[None] | None = None
        self.port = 0
        self.client: aiohttp.ClientSession | None = None

    # ---- lifetime ------------------------------------------------------------------------------

    async def start(self, listen: bool = True, http: bool = True) -> ServiceHarness:
        self.client = aiohttp.ClientSession()
        if http:
            self.port = free_port()
            config = uvicorn.Config(
                self.service.app, host="127.0.0.1", port=self.port, log_config=None, access_log=False
            )
            self.server = uvicorn.Server(config)
            self.server.config.lifespan = "off"
            self.server_task = asyncio.create_task(self.server.serve())
            while not self.server.started:
                await asyncio.sleep(0.01)
        await self.service.start(listen=listen)
        return self

    async def stop(self) -> None:
        await self.service.stop()
        if self.server is not None and self.server_task is not None:
            self.server.should_exit = True
            await self.server_task
        if self.client is not None:
            await self.client.close()

    async def __aenter__(self) -> ServiceHarness:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---- telemetry -----------------------------------------------------------------------------

    def events(self, name: str) -> list[dict[str, str]]:
        return self.recorder.named(name)

    async def wait_for_event(self, name: str, count: int = 1, timeout: float = 15.0) -> list[dict[str, str]]:
        await wait_until(lambda: len(self.events(name)) >= count, timeout, f"{count} x {name}")
        return self.events(name)

    # ---- queues --------------------------------------------------------------------------------

    def queue_url(self, queue_id: str, dlq: bool = False) -> str:
        queue = self.service.queues.by_id(queue_id)
        return queue.dlq_url if dlq else queue.url

    async def depth(self, queue_id: str, dlq: bool = False) -> int:
        """Visible plus in-flight messages."""
        attributes = await self.service.queues.queue_attributes(
            self.queue_url(queue_id, dlq),
            ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )
        return int(attributes.get("ApproximateNumberOfMessages", 0)) + int(
            attributes.get("ApproximateNumberOfMessagesNotVisible", 0)
        )

    async def wait_for_depth(
        self, queue_id: str, expected: int, dlq: bool = False, timeout: float = 15.0
    ) -> None:
        async def check() -> bool:
            return await self.depth(queue_id, dlq) == expected

        await wait_until_async(check, timeout, f"{queue_id}{' dlq' if dlq else ''} depth {expected}")

    async def send_raw(
        self, queue_id: str, body: str, event_type: str | None = None, dlq: bool = False
    ) -> str:
        attributes = (
            {"eventType": {"DataType": "String", "StringValue": event_type}} if event_type is not None else {}
        )
        response = await self.service.queues.sqs.send_message(
            QueueUrl=self.queue_url(queue_id, dlq), MessageBody=body, MessageAttributes=attributes
        )
        return str(response["MessageId"])

    # ---- HTTP ----------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def token(self, *roles: str) -> str:
        return self.estate.auth.mint_token(list(roles))

    async def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json: Any = None,
        roles: list[str] | None = None,
    ) -> tuple[int, Any, dict[str, str]]:
        assert self.client is not None
        headers: dict[str, str] = {}
        if roles is not None:
            token = self.token(*roles)
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        data = orjson.dumps(json) if json is not None else None
        if data is not None:
            headers["Content-Type"] = "application/json"
        async with self.client.request(
            method, self.url + path, data=data, headers=headers, allow_redirects=False
        ) as response:
            raw = await response.read()
            try:
                body: Any = orjson.loads(raw) if raw else None
            except orjson.JSONDecodeError:
                body = raw.decode(errors="replace")
            return response.status, body, dict(response.headers)


async def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.02)


async def wait_until_async(predicate: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def running_service(estate: Estate, **kwargs: Any) -> Any:
    harness = ServiceHarness(estate, **kwargs)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()
