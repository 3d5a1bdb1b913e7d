"""Queue admin endpoints (framework.md 14.4), all behind the queue-admin role."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from prisoner_to_nomis_update.framework.auth import Principal, require_role
from prisoner_to_nomis_update.framework.errors import NotFound
from prisoner_to_nomis_update.framework.queues import QueueService

TAG = "hmpps-reactive-queue-resource"


class RetryDlqResult(BaseModel):
    messagesFoundCount: int


class PurgeQueueResult(BaseModel):
    messagesFoundCount: int


class DlqMessage(BaseModel):
    body: Any
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

    @router.put("/retry-dlq/{dlqName}", operation_id="retryDlq", response_model=RetryDlqResult)
    async def retry_dlq(dlqName: str, request: Request, _: Principal = admin) -> RetryDlqResult:
        queues = queues_of(request)
        queue = queues.find_by_dlq_name(dlqName)
        if queue is None:
            raise NotFound(f"{dlqName} not found")
        return RetryDlqResult(messagesFoundCount=await queues.retry_dlq(queue))

    @router.put("/retry-all-dlqs", operation_id="retryAllDlqs", response_model=list[RetryDlqResult])
    async def retry_all_dlqs(request: Request, _: Principal = admin) -> list[RetryDlqResult]:
        return [RetryDlqResult(messagesFoundCount=n) for n in await queues_of(request).retry_all_dlqs()]

    @router.put("/purge-queue/{queueName}", operation_id="purgeQueue", response_model=PurgeQueueResult)
    async def purge_queue(queueName: str, request: Request, _: Principal = admin) -> PurgeQueueResult:
        queues = queues_of(request)
        found = queues.find_queue_to_purge(queueName)
        if found is None:
            raise NotFound(f"{queueName} not found")
        _queue, url = found
        return PurgeQueueResult(messagesFoundCount=await queues.purge(queueName, url))

    @router.get("/get-dlq-messages/{dlqName}", operation_id="getDlqMessages", response_model=GetDlqResult)
    async def get_dlq_messages(
        dlqName: str,
        request: Request,
        maxMessages: int = Query(100, ge=1, le=10000),
        _: Principal = admin,
    ) -> GetDlqResult:
        queues = queues_of(request)
        queue = queues.find_by_dlq_name(dlqName)
        if queue is None:
            raise NotFound(f"{dlqName} not found")
        found, returned, messages = await queues.peek_dlq(queue, maxMessages)
        return GetDlqResult(
            messagesFoundCount=found,
            messagesReturnedCount=returned,
            messages=[DlqMessage(**message) for message in messages],
        )

    return router
