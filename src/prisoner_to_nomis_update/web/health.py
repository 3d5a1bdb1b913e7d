"""Health: `/health` with a component per downstream API, queue and topic; ping, liveness, readiness.

Every check runs concurrently under its own deadline, so `/health` answers promptly even when a
dependency hangs: that dependency is reported DOWN with a timeout error. The deadline matters for the
queue checks most, because the SQS client retries a refused connection with back-off and a stopped
SQS endpoint would otherwise hold the whole page for many seconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

import aiohttp
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from prisoner_to_nomis_update.framework.http import reason_phrase
from prisoner_to_nomis_update.framework.queues import HmppsQueue, QueueService

router = APIRouter(tags=["health"])


class HealthStatus(BaseModel):
    status: str = Field(description="UP, DOWN or OUT_OF_SERVICE", examples=["UP"])
    components: dict[str, Any] | None = Field(
        default=None, description="/health only: each downstream API, queue and topic with its details"
    )


def down(description: str) -> dict[int | str, Any]:
    """The 503 a health route answers, with the same body as its 200."""
    return {503: {"model": HealthStatus, "description": description}}


Component = dict[str, Any]

TOPIC_ID = "domainevents"
# Queue checks make up to three SQS calls; moto on a busy test machine can take a second or two.
MIN_QUEUE_CHECK_SECONDS = 3.0


def describe(error: BaseException) -> str:
    """`<exception class>: <message>`, the shape of the original's `error` detail."""
    return f"{type(error).__name__}: {error}"


async def ping_api(session: aiohttp.ClientSession, url: str, timeout: float) -> Component:
    """GET `<url>/health/ping`: 2xx is UP, anything else (or no answer) DOWN (framework.md 8.1)."""
    ping_url = f"{url}/health/ping"
    try:
        async with session.get(ping_url, timeout=aiohttp.ClientTimeout(total=timeout)) as response:
            body = await response.text()
            status = reason_phrase(response.status).upper().replace(" ", "_")
            if response.status < 300:
                return {"status": "UP", "details": {"HttpStatus": status}}
            return {
                "status": "DOWN",
                "details": {
                    "error": f"HttpError: {response.status} {reason_phrase(response.status)} "
                    f"from GET {ping_url}",
                    "body": body,
                    "HttpStatus": status,
                },
            }
    except TimeoutError:
        # aiohttp's timeout carries no message; say what did not answer.
        return {
            "status": "DOWN",
            "details": {"error": f"TimeoutError: no answer from GET {ping_url} within {timeout:g}s"},
        }
    except Exception as error:
        return {"status": "DOWN", "details": {"error": describe(error)}}


async def queue_health(queues: QueueService, queue: HmppsQueue) -> Component:
    """The `<queueId>-health` component with the DOWN rules of framework.md 14.6."""
    details: dict[str, Any] = {"queueName": queue.name}
    status = "UP"
    attributes: dict[str, str] | None = None
    try:
        url = queue.url or (await queues.sqs.get_queue_url(QueueName=queue.name))["QueueUrl"]
        attributes = await queues.queue_attributes(
            url, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "RedrivePolicy"]
        )
        details["messagesOnQueue"] = attributes.get("ApproximateNumberOfMessages", "0")
        details["messagesInFlight"] = attributes.get("ApproximateNumberOfMessagesNotVisible", "0")
    except Exception as error:
        details["error"] = describe(error)
        status = "DOWN"
    if not queue.dlq_name:
        return {"status": status, "details": details}
    details["dlqName"] = queue.dlq_name
    if attributes is None:
        # The main queue could not be read, so whether a DLQ is attached is unknown: DOWN as well.
        details["dlqStatus"] = "DOWN"
        return {"status": "DOWN", "details": details}
    if not attributes.get("RedrivePolicy"):
        details["dlqStatus"] = "DOWN"
        details["error"] = f"The main queue for {queue.queue_id} is missing a RedrivePolicy"
        return {"status": "DOWN", "details": details}
    try:
        dlq_url = queue.dlq_url or (await queues.sqs.get_queue_url(QueueName=queue.dlq_name))["QueueUrl"]
        dlq_attributes = await queues.queue_attributes(dlq_url, ["ApproximateNumberOfMessages"])
    except Exception as error:
        details["dlqStatus"] = "DOWN"
        details["error"] = describe(error)
        return {"status": "DOWN", "details": details}
    details["dlqStatus"] = "UP"
    details["messagesOnDlq"] = dlq_attributes.get("ApproximateNumberOfMessages", "0")
    return {"status": status, "details": details}


def queue_timed_out(queue: HmppsQueue, timeout: float) -> Component:
    """What a queue check that did not finish in time reports: the names, so operators can find it."""
    details: dict[str, Any] = {"queueName": queue.name}
    if queue.dlq_name:
        details["dlqName"] = queue.dlq_name
        details["dlqStatus"] = "DOWN"
    details["error"] = f"TimeoutError: no answer from SQS within {timeout:g}s"
    return {"status": "DOWN", "details": details}


async def topic_health(queues: QueueService) -> Component:
    try:
        response = await queues.sns.get_topic_attributes(TopicArn=queues.topic_arn)
    except Exception as error:
        return {"status": "DOWN", "details": {"topicArn": queues.topic_arn, "error": describe(error)}}
    attributes = response.get("Attributes", {})
    return {
        "status": "UP",
        "details": {
            "topicArn": queues.topic_arn,
            "subscriptionsConfirmed": attributes.get("SubscriptionsConfirmed", "0"),
            "subscriptionsPending": attributes.get("SubscriptionsPending", "0"),
        },
    }


async def bounded(
    name: str, check: Awaitable[Component], timeout: float, on_timeout: Component
) -> tuple[str, Component]:
    try:
        return name, await asyncio.wait_for(check, timeout)
    except TimeoutError:
        return name, on_timeout


def timed_out(timeout: float) -> Component:
    return {"status": "DOWN", "details": {"error": f"TimeoutError: no answer within {timeout:g}s"}}


async def components_of(service: Any) -> dict[str, Component]:
    """Every component, checked concurrently; none takes longer than its deadline."""
    settings = service.settings
    ping_timeout = settings.health_timeout
    # Whole-page bound: below the API timeout callers use, so the page itself never times out.
    ceiling = max(1.0, settings.api_timeout - 0.5)
    ping_deadline = min(ping_timeout + 0.5, ceiling)
    queue_deadline = min(max(ping_timeout, MIN_QUEUE_CHECK_SECONDS), ceiling)
    checks: list[Awaitable[tuple[str, Component]]] = []
    for api in service.health_apis():
        checks.append(
            bounded(
                api.health_component,
                ping_api(service.session, api.base_url, ping_timeout),
                ping_deadline,
                timed_out(ping_deadline),
            )
        )
    if settings.auth_base_url:
        checks.append(
            bounded(
                "hmppsAuthApi",
                ping_api(service.session, settings.auth_base_url, ping_timeout),
                ping_deadline,
                timed_out(ping_deadline),
            )
        )
    queues: QueueService = service.queues
    for queue in queues.queues.values():
        checks.append(
            bounded(
                f"{queue.queue_id}-health",
                queue_health(queues, queue),
                queue_deadline,
                queue_timed_out(queue, queue_deadline),
            )
        )
    if queues.topic_arn:
        checks.append(
            bounded(
                f"{TOPIC_ID}-health",
                topic_health(queues),
                queue_deadline,
                {
                    "status": "DOWN",
                    "details": {
                        "topicArn": queues.topic_arn,
                        "error": f"TimeoutError: no answer from SNS within {queue_deadline:g}s",
                    },
                },
            )
        )
    components = dict(await asyncio.gather(*checks))
    components["ping"] = {"status": "UP"}
    return dict(sorted(components.items()))


@router.get(
    "/health",
    operation_id="health",
    summary="UP when every downstream API, queue and topic is",
    response_model=HealthStatus,
    responses=down("DOWN: a component is DOWN (each says why)"),
)
async def health(request: Request) -> JSONResponse:
    """UP (200) only when every component is UP; otherwise DOWN (503)."""
    components = await components_of(request.app.state.service)
    status = "UP" if all(component["status"] == "UP" for component in components.values()) else "DOWN"
    return JSONResponse(
        {"status": status, "components": components}, status_code=200 if status == "UP" else 503
    )


@router.get(
    "/health/ping", operation_id="healthPing", response_model=HealthStatus, response_model_exclude_none=True
)
async def ping() -> dict[str, str]:
    return {"status": "UP"}


@router.get(
    "/health/liveness",
    operation_id="healthLiveness",
    response_model=HealthStatus,
    response_model_exclude_none=True,
)
async def liveness() -> dict[str, str]:
    return {"status": "UP"}


@router.get(
    "/health/readiness",
    operation_id="healthReadiness",
    response_model=HealthStatus,
    responses=down("OUT_OF_SERVICE: the listeners are not running (starting or stopping)"),
)
async def readiness(request: Request) -> JSONResponse:
    """Ready only once the listeners run (and no longer once shutdown has begun)."""
    ready = bool(request.app.state.service.ready)
    return JSONResponse({"status": "UP" if ready else "OUT_OF_SERVICE"}, status_code=200 if ready else 503)
