"""Queue admin endpoints (framework.md 14.4), every one behind the queue-admin role.

Unknown queue names answer 404 with the standard error body: the library's intent (the original
service's catch-all handler most probably turned it into a 500).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from prisoner_to_nomis_update.framework.auth import Principal, require_role
from prisoner_to_nomis_update.framework.errors import NotFound
from prisoner_to_nomis_update.framework.params import QueueName
from prisoner_to_nomis_update.framework.queues import HmppsQueue, QueueService
from prisoner_to_nomis_update.framework.responses import error_responses

TAG = "hmpps-reactive-queue-resource"
DEFAULT_MAX_MESSAGES = 100
# One ReceiveMessage per message, so a bound keeps a single request from running for minutes.
MAX_MAX_MESSAGES = 10_000
UNKNOWN_DLQ = "No configured queue has a DLQ of that name"
UNKNOWN_QUEUE = "No configured queue or DLQ has that name (the audit queue is never purged)"


class RetryDlqResult(BaseModel):
    messagesFoundCount: int = Field(description="Messages found on the DLQ and moved to the main queue")


class PurgeQueueResult(BaseModel):
    messagesFoundCount: int = Field(description="Messages found on the queue and purged")


class DlqMessage(BaseModel):
    body: Any = Field(description="The message body, parsed as JSON (the raw text if it is not JSON)")
    messageId: str


class GetDlqResult(BaseModel):
    messagesFoundCount: int
    messagesReturnedCount: int
    messages: list[DlqMessage]


def build_router(queue_admin_role: str) -> APIRouter:
    router = APIRouter(prefix="/queue-admin", tags=[TAG])
    admin = Depends(require_role(queue_admin_role))

    def queues_of(request: Request) -> QueueService:
        service: QueueService = request.app.state.service.queues
        return service

    def dlq_named(queues: QueueService, dlq_name: str) -> HmppsQueue:
        queue = queues.find_by_dlq_name(dlq_name)
        if queue is None:
            raise NotFound(f"{dlq_name} not found")
        return queue

    @router.put(
        "/retry-dlq/{dlqName}",
        operation_id="retryDlq",
        response_model=RetryDlqResult,
        summary="Move every message on a DLQ back to its main queue",
        responses=error_responses(404, described={404: UNKNOWN_DLQ}),
    )
    async def retry_dlq(
        request: Request,
        dlqName: QueueName,
        _: Principal = admin,
    ) -> RetryDlqResult:
        queues = queues_of(request)
        return RetryDlqResult(messagesFoundCount=await queues.retry_dlq(dlq_named(queues, dlqName)))

    @router.put(
        "/retry-all-dlqs",
        operation_id="retryAllDlqs",
        response_model=list[RetryDlqResult],
        summary="Retry the DLQ of every configured queue, in configuration order",
    )
    async def retry_all_dlqs(request: Request, _: Principal = admin) -> list[RetryDlqResult]:
        return [RetryDlqResult(messagesFoundCount=n) for n in await queues_of(request).retry_all_dlqs()]

    @router.put(
        "/purge-queue/{queueName}",
        operation_id="purgeQueue",
        response_model=PurgeQueueResult,
        summary="Delete every message on a queue or DLQ (never the audit queue)",
        responses=error_responses(404, described={404: UNKNOWN_QUEUE}),
    )
    async def purge_queue(
        request: Request,
        queueName: QueueName,
        _: Principal = admin,
    ) -> PurgeQueueResult:
        queues = queues_of(request)
        found = queues.find_queue_to_purge(queueName)
        if found is None:
            raise NotFound(f"{queueName} not found")
        _queue, url = found
        return PurgeQueueResult(messagesFoundCount=await queues.purge(queueName, url))

    @router.get(
        "/get-dlq-messages/{dlqName}",
        operation_id="getDlqMessages",
        response_model=GetDlqResult,
        summary="Show DLQ messages without removing them (each is hidden for 1 s while read)",
        responses=error_responses(404, described={404: UNKNOWN_DLQ}),
    )
    async def get_dlq_messages(
        request: Request,
        dlqName: QueueName,
        maxMessages: int = Query(
            DEFAULT_MAX_MESSAGES,
            ge=0,
            le=MAX_MAX_MESSAGES,
            description="The most messages to return",
        ),
        _: Principal = admin,
    ) -> GetDlqResult:
        queues = queues_of(request)
        found, returned, messages = await queues.peek_dlq(dlq_named(queues, dlqName), maxMessages)
        return GetDlqResult(
            messagesFoundCount=found,
            messagesReturnedCount=returned,
            messages=[DlqMessage(**message) for message in messages],
        )

    return router
