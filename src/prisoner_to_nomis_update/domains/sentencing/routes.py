"""Sentencing endpoints: repair one adjustment (spec A8)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, Response

from prisoner_to_nomis_update.domains.sentencing.service import RepairFlags, SentencingService
from prisoner_to_nomis_update.framework.auth import Principal, require_role
from prisoner_to_nomis_update.framework.params import PrisonNumber, RecordId, Reference
from prisoner_to_nomis_update.framework.responses import error_responses

UPDATE_ROLE = "ROLE_PRISONER_TO_NOMIS__UPDATE__RW"


def build_router(service: SentencingService) -> APIRouter:
    router = APIRouter(tags=["sentencing"])

    @router.post(
        "/prisoners/{offenderNo}/sentencing-adjustments/{adjustmentId}/repair",
        status_code=200,
        operation_id="repairAdjustment",
        summary="Create or update the NOMIS adjustment of one DPS adjustment from its current DPS state",
        description=(
            "Without a mapping the adjustment is created in NOMIS (with the usual duplicate checks); with "
            "one it is updated. `force-status` also copies DPS's active flag; `set-active` forces active."
        ),
        response_class=Response,
        responses=error_responses(
            404, described={404: "DPS has no such adjustment (or it is mapped but gone from DPS)"}
        ),
    )
    async def repair(
        offenderNo: PrisonNumber,
        adjustmentId: Reference,
        force_status: bool = Query(False, alias="force-status"),
        set_active: bool = Query(False, alias="set-active"),
        _: Principal = Depends(require_role(UPDATE_ROLE)),
    ) -> Response:
        await service.repair(offenderNo, adjustmentId, RepairFlags(force_status, set_active))
        return Response(status_code=200)

    @router.delete(
        "/sentencing-adjustments/nomis-adjustment-category/{nomisAdjustmentCategory}"
        "/nomis-adjustment-id/{nomisAdjustmentId}",
        status_code=204,
        operation_id="deleteUnmappedNomisAdjustment",
        summary="Delete a NOMIS adjustment no DPS adjustment is mapped to (a duplicate)",
        description=(
            "For the duplicate a `to-nomis-synch-sentencing-adjustment-duplicate` alert names "
            "(`duplicateNomisAdjustmentId`). Refused with 409 while any mapping claims the NOMIS adjustment."
        ),
        response_class=Response,
        responses=error_responses(
            404,
            409,
            described={
                404: "NOMIS has no such adjustment",
                409: "A mapping claims the NOMIS adjustment: it is not a duplicate",
            },
        ),
    )
    async def delete_unmapped(
        nomisAdjustmentCategory: Literal["SENTENCE", "KEY-DATE"],
        nomisAdjustmentId: RecordId,
        _: Principal = Depends(require_role(UPDATE_ROLE)),
    ) -> Response:
        await service.delete_unmapped_nomis_adjustment(nomisAdjustmentCategory, nomisAdjustmentId)
        return Response(status_code=204)

    return router
