"""Incentive endpoints: the repair (by prisoner number or booking id) and the reconciliation trigger."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Depends, Response

from prisoner_to_nomis_update.domains.incentives.service import IncentivesService
from prisoner_to_nomis_update.framework.auth import Principal, require_role

UPDATE_ROLE = "ROLE_PRISONER_TO_NOMIS__UPDATE__RW"


def build_router(
    service: IncentivesService, start_reconciliation: Callable[[], Awaitable[None]]
) -> APIRouter:
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
        await start_reconciliation()
        return Response(status_code=202)

    return router
