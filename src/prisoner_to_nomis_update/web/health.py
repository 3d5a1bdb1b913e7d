"""Health: `/health` with a component per downstream API and per queue; ping, liveness, readiness.

Every check runs concurrently under its own timeout, so `/health` answers promptly even when a
dependency hangs (that dependency is reported DOWN).
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from prisoner_to_nomis_update.framework.queues import HmppsQueue, QueueService

router = APIRouter(tags=["health"])


async def ping_api(session: aiohttp.ClientSession, url: str, timeout: float) -> dict[str, Any]:
    try:
        async with session.get(
            f"{url}/health/ping", timeout=aiohttp.ClientTimeout(total=timeout)
        ) as response:
            body = await response.text()
            phrase = response.reason or ""
            if response.status < 300:
                return {"status": "UP", "details": {"HttpStatus": phrase or str(response.status)}}
            return {
                "status": "DOWN",
                "details": {
                    "error": f"HttpError: {response.status} {phrase} from GET {url}/health/ping",
                    "body": body,
                    "HttpStatus": phrase or str(response.status),
                },
            }
    except Exception as error:
        return {"status": "DOWN", "details": {"error": f"{type(error).__name__}: {error}"}}


async def queue_health(queues: QueueService, queue: HmppsQueue) -> dict[str, Any]:
    details: dict[str, Any] = {"queueName": queue.name}
    status = "UP"
    try:
        attributes = await queues.queue_attributes(
            queue.url or (await queues.sqs.get_queue_url(QueueName=queue.name))["QueueUrl"],
            ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "RedrivePolicy"],
        )
        details["messagesOnQueue"] = attributes.get("ApproximateNumberOfMessages", "0")
        details["messagesInFlight"] = attributes.get("ApproximateNumberOfMessagesNotVisible", "0")
    except Exception as error:
        details["error"] = f"{type(error).__name__}: {error}"
        status = "DOWN"
        attributes = {}
    if queue.dlq_name:
        details["dlqName"] = queue.dlq_name
        dlq_status = "UP"
        if status == "UP" and "RedrivePolicy" not in attributes:
            dlq_status = "DOWN"
            details["error"] = f"The main queue for {queue.queue_id} is missing a RedrivePolicy"
        try:
            dlq_url = queue.dlq_url or (await queues.sqs.get_queue_url(QueueName=queue.dlq_name))["QueueUrl"]
            dlq_attributes = await queues.queue_attributes(dlq_url, ["ApproximateNumberOfMessages"])
            details["messagesOnDlq"] = dlq_attributes.get("ApproximateNumberOfMessages", "0")
        except Exception as error:
            dlq_status = "DOWN"
            details["error"] = f"{type(error).__name__}: {error}"
        details["dlqStatus"] = dlq_status
        if dlq_status == "DOWN":
            status = "DOWN"
    return {"status": status, "details": details}


async def topic_health(queues: QueueService) -> dict[str, Any]:
    try:
        response = await queues.sns.get_topic_attributes(TopicArn=queues.topic_arn)
        attributes = response.get("Attributes", {})
        return {
            "status": "UP",
            "details": {
                "topicArn": queues.topic_arn,
                "subscriptionsConfirmed": attributes.get("SubscriptionsConfirmed", "0"),
                "subscriptionsPending": attributes.get("SubscriptionsPending", "0"),
            },
        }
    except Exception as error:
        return {
            "status": "DOWN",
            "details": {"topicArn": queues.topic_arn, "error": f"{type(error).__name__}: {error}"},
        }


async def _bounded(name: str, check: Any, timeout: float) -> tuple[str, dict[str, Any]]:
    try:
        return name, await asyncio.wait_for(check, timeout)
    except TimeoutError:
        return name, {"status": "DOWN", "details": {"error": f"TimeoutError: no answer within {timeout}s"}}


@router.get("/health")
async def health(request: Request) -> JSONResponse:
    service = request.app.state.service
    timeout = service.settings.health_timeout
    checks = [
        _bounded(api.health_component, ping_api(service.session, api.base_url, timeout), timeout + 1)
        for api in service.health_apis()
    ]
    if service.settings.auth_base_url:
        checks.append(
            _bounded(
                "hmppsAuthApi",
                ping_api(service.session, service.settings.auth_base_url, timeout),
                timeout + 1,
            )
        )
    queue_timeout = max(timeout, 5.0)
    checks += [
        _bounded(f"{queue.queue_id}-health", queue_health(service.queues, queue), queue_timeout)
        for queue in service.queues.queues.values()
    ]
    if service.queues.topic_arn:
        checks.append(_bounded("domainevents-health", topic_health(service.queues), queue_timeout))
    components = dict(await asyncio.gather(*checks))
    components["ping"] = {"status": "UP"}
    status = "UP" if all(c["status"] == "UP" for c in components.values()) else "DOWN"
    return JSONResponse(
        {"status": status, "components": dict(sorted(components.items()))},
        status_code=200 if status == "UP" else 503,
    )


@router.get("/health/ping")
async def ping() -> dict[str, str]:
    return {"status": "UP"}


@router.get("/health/liveness")
async def liveness() -> dict[str, str]:
    return {"status": "UP"}


@router.get("/health/readiness")
async def readiness(request: Request) -> JSONResponse:
    ready = request.app.state.service.ready
    return JSONResponse({"status": "UP" if ready else "OUT_OF_SERVICE"}, status_code=200 if ready else 503)
