"""Adjudication repair endpoints (spec 6): emergency use only, each runs the normal handlers and audits."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from prisoner_to_nomis_update.domains.adjudications.repairs import Repairs
from prisoner_to_nomis_update.framework.auth import Principal, require_role

UPDATE_ROLE = "ROLE_PRISONER_TO_NOMIS__UPDATE__RW"
CHARGE = "/prisons/{prisonId}/prisoners/{offenderNo}/adjudication/dps-charge-number/{chargeNumber}"
HEARING = CHARGE + "/hearing/dps-hearing-id/{hearingId}"


def build_router(repairs: Repairs) -> APIRouter:
    router = APIRouter(tags=["adjudications"])
    allowed = Depends(require_role(UPDATE_ROLE))

    @router.post(
        CHARGE + "/repair",
        status_code=200,
        operation_id="repairAdjudication",
        summary="Re-create a DPS charge in NOMIS: adjudication, hearings, results and punishments",
        description=(
            "For when the NOMIS adjudication was deleted. Removes the charge's mappings, then creates the "
            "adjudication, each hearing, each outcome and the punishments as their events would. Audited "
            "as adjudication-adjudication-repair."
        ),
    )
    async def repair(prisonId: str, offenderNo: str, chargeNumber: str, _: Principal = allowed) -> Response:
        await repairs.full(prisonId, offenderNo, chargeNumber)
        return Response(status_code=200)

    @router.post(
        CHARGE + "/punishments/repair",
        status_code=200,
        operation_id="repairPunishments",
        summary="Bring the NOMIS awards of a charge in line with its DPS punishments",
        description="For a lost adjudication.punishments.updated event. Audited as adjudication-punishment-repair.",
    )
    async def repair_punishments(
        prisonId: str, offenderNo: str, chargeNumber: str, _: Principal = allowed
    ) -> Response:
        await repairs.punishments_repair(prisonId, offenderNo, chargeNumber)
        return Response(status_code=200)

    @router.delete(
        HEARING + "/result",
        status_code=204,
        operation_id="deleteHearingResult",
        summary="Remove a hearing's result (and its awards) from NOMIS, or roll it back to DPS's outcome",
        description=(
            "For a lost adjudication.hearingCompleted.deleted event. Audited as "
            "adjudication-hearing-delete-result-repair."
        ),
    )
    async def delete_result(
        prisonId: str, offenderNo: str, chargeNumber: str, hearingId: str, _: Principal = allowed
    ) -> Response:
        await repairs.delete_hearing_result(prisonId, offenderNo, chargeNumber, hearingId)
        return Response(status_code=204)

    @router.post(
        HEARING + "/outcome",
        status_code=200,
        operation_id="repairOutcome",
        summary="Write a hearing's DPS outcome to NOMIS as its result",
        description="For a lost outcome event. Audited as adjudication-outcome-repair.",
    )
    async def repair_outcome(
        prisonId: str, offenderNo: str, chargeNumber: str, hearingId: str, _: Principal = allowed
    ) -> Response:
        await repairs.outcome(prisonId, offenderNo, chargeNumber, hearingId)
        return Response(status_code=200)

    @router.post(
        HEARING,
        status_code=200,
        operation_id="repairHearing",
        summary="Create a DPS hearing in NOMIS again (when its mapping is gone)",
        description=(
            "For a NOMIS hearing deleted with linked charges: delete its mapping first. Audited as "
            "adjudication-hearing-repair."
        ),
    )
    async def repair_hearing(
        prisonId: str, offenderNo: str, chargeNumber: str, hearingId: str, _: Principal = allowed
    ) -> Response:
        await repairs.hearing(prisonId, offenderNo, chargeNumber, hearingId)
        return Response(status_code=200)

    return router
