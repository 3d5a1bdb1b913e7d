"""Non-association endpoints: the per-pair reconciliation check (B11) and a one-record repair."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Depends, Response

from prisoner_to_nomis_update.domains.nonassociations.reconciliation import NonAssociationsReconciliation
from prisoner_to_nomis_update.domains.nonassociations.service import NonAssociationsService
from prisoner_to_nomis_update.framework.auth import Principal, require_role
from prisoner_to_nomis_update.framework.params import PrisonNumber, RecordId
from prisoner_to_nomis_update.framework.responses import error_responses

UPDATE_ROLE = "ROLE_PRISONER_TO_NOMIS__UPDATE__RW"


def build_router(service: NonAssociationsService, reconciliation: NonAssociationsReconciliation) -> APIRouter:
    router = APIRouter(tags=["non-associations"])

    @router.get(
        "/non-associations/reconciliation/{prisonNumber1}/ns/{prisonNumber2}",
        operation_id="checkNonAssociationPair",
        summary="Compare the non-associations between two prisoners in NOMIS and DPS",
        description="The numbers are compared exactly as given (not re-ordered). No differences: an empty body.",
        responses=error_responses(404, described={404: "NOMIS does not know one of the prisoners"}),
    )
    async def check_pair(
        prisonNumber1: PrisonNumber,
        prisonNumber2: PrisonNumber,
        _: Principal = Depends(require_role(UPDATE_ROLE)),
    ) -> Response:
        mismatches, _count = await reconciliation.check_pair(prisonNumber1, prisonNumber2)
        if not mismatches:
            # The original answers an empty body, not `[]`; callers rely on that.
            return Response(status_code=200, media_type="application/json")
        return Response(
            content=orjson.dumps([m.json() for m in mismatches]),
            status_code=200,
            media_type="application/json",
        )

    @router.post(
        "/non-associations/{nonAssociationId}/repair",
        operation_id="repairNonAssociation",
        summary="Bring NOMIS in line with one DPS non-association",
        description=(
            "No mapping: creates the NOMIS non-association and its mapping (adopting an identical unmapped "
            "NOMIS record rather than adding a second). Mapping present: amends NOMIS from DPS, and closes "
            "it when DPS has closed it. Emits to-nomis-synch-non-association-repair."
        ),
        responses=error_responses(404, described={404: "DPS has no such non-association"}),
    )
    async def repair(
        nonAssociationId: RecordId, _: Principal = Depends(require_role(UPDATE_ROLE))
    ) -> dict[str, Any]:
        return await service.repair(nonAssociationId)

    return router
