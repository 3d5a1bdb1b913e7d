"""Incentive endpoints: the repair (by prisoner number or booking id) and the reconciliation trigger."""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Depends, Response

from prisoner_to_nomis_update.domains.incentives.reconciliation import IncentivesReconciliation
from prisoner_to_nomis_update.domains.incentives.service import IncentivesService
from prisoner_to_nomis_update.framework.auth import Principal, require_role
from prisoner_to_nomis_update.framework.errors import Conflict

log = logging.getLogger(__name__)

UPDATE_ROLE = "ROLE_PRISONER_TO_NOMIS__UPDATE__RW"


class BackgroundReport:
    """At most one reconciliation started over HTTP at a time; the task is kept so it is not collected."""

    def __init__(self, reconciliation: IncentivesReconciliation) -> None:
        self.reconciliation = reconciliation
        self.task: asyncio.Task[object] | None = None

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    async def start(self) -> None:
        if self.running:
            raise Conflict("An incentives reconciliation report is already running")
        total = await self.reconciliation.requested()
        self.task = asyncio.create_task(self.reconciliation.check_all(total), name="incentives-recon")
        self.task.add_done_callback(self._finished)

    @staticmethod
    def _finished(task: asyncio.Task[object]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("Incentives reconciliation failed", exc_info=task.exception())


def build_router(service: IncentivesService, report: BackgroundReport) -> APIRouter:
    router = APIRouter(tags=["incentives"])

    @router.post(
        "/incentives/prisoner/{prisonNumber}/repair",
        status_code=200,
        operation_id="repairIncentive",
        summary="Re-send the prisoner's current DPS incentive to NOMIS as a new IEP (no mapping)",
    )
    async def repair(prisonNumber: str, _: Principal = Depends(require_role(UPDATE_ROLE))) -> Response:
        await service.repair(prisonNumber)
        return Response(status_code=200)

    @router.put(
        "/incentives/prisoner/booking-id/{bookingId}/repair",
        status_code=200,
        operation_id="repairIncentiveByBooking",
        summary="The same repair, addressed by NOMIS booking id (the booking must hold the current review)",
    )
    async def repair_booking(bookingId: int, _: Principal = Depends(require_role(UPDATE_ROLE))) -> Response:
        await service.repair_booking(bookingId)
        return Response(status_code=200)

    @router.put(
        "/incentives/reports/reconciliation",
        status_code=202,
        operation_id="incentivesReconciliation",
        summary="Start the incentives reconciliation report in the background (as batch INCENTIVES_RECON)",
    )
    async def reconciliation(_: Principal = Depends(require_role(UPDATE_ROLE))) -> Response:
        await report.start()
        return Response(status_code=202)

    return router
