"""Incentive endpoints: the repair (by prisoner number or booking id) and the reconciliation trigger."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Depends, Response

from prisoner_to_nomis_update.domains.incentives.service import IncentivesService
from prisoner_to_nomis_update.framework.auth import Principal, require_role
from prisoner_to_nomis_update.framework.params import PrisonNumber, RecordId
from prisoner_to_nomis_update.framework.responses import error_responses

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
        response_class=Response,
        responses=error_responses(
            404, described={404: "DPS has no current incentive review for the prisoner"}
        ),
    )
    async def repair(
        prisonNumber: PrisonNumber, _: Principal = Depends(require_role(UPDATE_ROLE))
    ) -> Response:
        await service.repair(prisonNumber)
        return Response(status_code=200)

    @router.put(
        "/incentives/prisoner/booking-id/{bookingId}/repair",
        status_code=200,
        operation_id="repairIncentiveByBooking",
        summary="The same repair, addressed by NOMIS booking id (the booking must hold the current review)",
        response_class=Response,
        responses=error_responses(
            400,
            404,
            described={
                400: "A malformed booking id, or the prisoner's current DPS review is for another booking",
                404: "NOMIS has no incentive for the booking, or DPS no current review for its prisoner",
            },
        ),
    )
    async def repair_booking(
        bookingId: RecordId, _: Principal = Depends(require_role(UPDATE_ROLE))
    ) -> Response:
        await service.repair_booking(bookingId)
        return Response(status_code=200)

    @router.put(
        "/incentives/reports/reconciliation",
        status_code=202,
        operation_id="incentivesReconciliation",
        summary="Start the incentives reconciliation report in the background (as batch INCENTIVES_RECON)",
        response_class=Response,
        responses=error_responses(409, described={409: "The reconciliation is already running on this pod"}),
    )
    async def reconciliation(_: Principal = Depends(require_role(UPDATE_ROLE))) -> Response:
        await start_reconciliation()
        return Response(status_code=202)

    return router
