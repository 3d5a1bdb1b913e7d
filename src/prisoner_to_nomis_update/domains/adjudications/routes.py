"""Adjudication repair endpoints (spec 6): emergency use only, each runs the normal handlers and audits."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from prisoner_to_nomis_update.domains.adjudications.repairs import Repairs
from prisoner_to_nomis_update.framework.auth import Principal, require_role
from prisoner_to_nomis_update.framework.params import PrisonId, PrisonNumber, Reference
from prisoner_to_nomis_update.framework.responses import error_responses

UPDATE_ROLE = "ROLE_PRISONER_TO_NOMIS__UPDATE__RW"
CHARGE = "/prisons/{prisonId}/prisoners/{offenderNo}/adjudication/dps-charge-number/{chargeNumber}"
HEARING = CHARGE + "/hearing/dps-hearing-id/{hearingId}"
MISSING = "DPS has no such charge or hearing, or a record it needs is not in NOMIS or not mapped"
REPAIR_ERRORS = error_responses(404, described={404: MISSING})


def build_router(repairs: Repairs) -> APIRouter:
    router = APIRouter(tags=["adjudications"])
    allowed = Depends(require_role(UPDATE_ROLE))

    @router.post(
        CHARGE + "/repair",
        status_code=200,
        response_class=Response,
        responses=error_responses(
            404, 409, described={404: MISSING, 409: "The charge was mapped again while the repair ran"}
        ),
        operation_id="repairAdjudication",
        summary="Re-create a DPS charge in NOMIS: adjudication, hearings, results and punishments",
        description=(
            "For when the NOMIS adjudication was deleted. Removes the charge's mappings, then creates the "
            "adjudication, each hearing, each outcome and the punishments as their events would. Audited "
            "as adjudication-adjudication-repair."
        ),
    )
    async def repair(
        prisonId: PrisonId, offenderNo: PrisonNumber, chargeNumber: Reference, _: Principal = allowed
    ) -> Response:
        await repairs.full(prisonId, offenderNo, chargeNumber)
        return Response(status_code=200)

    @router.post(
        CHARGE + "/punishments/repair",
        status_code=200,
        response_class=Response,
        responses=REPAIR_ERRORS,
        operation_id="repairPunishments",
        summary="Bring the NOMIS awards of a charge in line with its DPS punishments",
        description="For a lost adjudication.punishments.updated event. Audited as adjudication-punishment-repair.",
    )
    async def repair_punishments(
        prisonId: PrisonId, offenderNo: PrisonNumber, chargeNumber: Reference, _: Principal = allowed
    ) -> Response:
        await repairs.punishments_repair(prisonId, offenderNo, chargeNumber)
        return Response(status_code=200)

    @router.delete(
        HEARING + "/result",
        status_code=204,
        response_class=Response,
        responses=REPAIR_ERRORS,
        operation_id="deleteHearingResult",
        summary="Remove a hearing's result (and its awards) from NOMIS, or roll it back to DPS's outcome",
        description=(
            "For a lost adjudication.hearingCompleted.deleted event. Audited as "
            "adjudication-hearing-delete-result-repair."
        ),
    )
    async def delete_result(
        prisonId: PrisonId,
        offenderNo: PrisonNumber,
        chargeNumber: Reference,
        hearingId: Reference,
        _: Principal = allowed,
    ) -> Response:
        await repairs.delete_hearing_result(prisonId, offenderNo, chargeNumber, hearingId)
        return Response(status_code=204)

    @router.post(
        HEARING + "/outcome",
        status_code=200,
        response_class=Response,
        responses=REPAIR_ERRORS,
        operation_id="repairOutcome",
        summary="Write a hearing's DPS outcome to NOMIS as its result",
        description="For a lost outcome event. Audited as adjudication-outcome-repair.",
    )
    async def repair_outcome(
        prisonId: PrisonId,
        offenderNo: PrisonNumber,
        chargeNumber: Reference,
        hearingId: Reference,
        _: Principal = allowed,
    ) -> Response:
        await repairs.outcome(prisonId, offenderNo, chargeNumber, hearingId)
        return Response(status_code=200)

    @router.post(
        HEARING,
        status_code=200,
        response_class=Response,
        responses=REPAIR_ERRORS,
        operation_id="repairHearing",
        summary="Create a DPS hearing in NOMIS again (when its mapping is gone)",
        description=(
            "For a NOMIS hearing deleted with linked charges: delete its mapping first. Audited as "
            "adjudication-hearing-repair."
        ),
    )
    async def repair_hearing(
        prisonId: PrisonId,
        offenderNo: PrisonNumber,
        chargeNumber: Reference,
        hearingId: Reference,
        _: Principal = allowed,
    ) -> Response:
        await repairs.hearing(prisonId, offenderNo, chargeNumber, hearingId)
        return Response(status_code=200)

    return router
