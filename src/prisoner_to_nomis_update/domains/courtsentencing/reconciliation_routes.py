"""Manual court-case reconciliation endpoints E1-E5 (spec 4.1): read-only, role PRISONER_TO_NOMIS__UPDATE__RW.

A case the operator names (E1-E3) that has no mapping, or that NOMIS or DPS does not have, answers 404
naming the record; the original answered 500 (or 200 with no mismatch when a system lacked the case),
which reads as "no difference" or "our fault" rather than "no such case".
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Body, Depends, Response

from prisoner_to_nomis_update.domains.courtsentencing.reconciliation import CourtSentencingReconciliation
from prisoner_to_nomis_update.framework.auth import Principal, require_role
from prisoner_to_nomis_update.framework.params import PrisonNumber, PrisonNumbers, RecordId, Reference
from prisoner_to_nomis_update.framework.responses import error_responses

UPDATE_ROLE = "ROLE_PRISONER_TO_NOMIS__UPDATE__RW"
CASES = "/prisoners/{offenderNo}/court-sentencing/court-cases"
MISMATCH_SHAPE = (
    "MismatchCaseResponse: {offenderNo, dpsCaseId, nomisCaseId, nomisBookingId, caseCountMismatch, mismatch}; "
    "mismatch (null when the case matches): {differences: [{property, dps, nomis, id}], nomisCase, dpsCase, "
    "nomisBookingId}."
)


UNKNOWN_CASE = error_responses(
    404, described={404: "No mapping for the case, or NOMIS or DPS does not have it (the message says which)"}
)


def _json(content: Any) -> Response:
    return Response(content=orjson.dumps(content), media_type="application/json")


def build_reconciliation_router(reconciliation: CourtSentencingReconciliation) -> APIRouter:
    router = APIRouter(tags=["court-sentencing-reconciliation"])
    role = Depends(require_role(UPDATE_ROLE))

    @router.get(
        CASES + "/dps-case-id/{dpsCaseId}/reconciliation",
        operation_id="checkCourtCaseByDpsId",
        responses=UNKNOWN_CASE,
        summary="Compare the DPS court case with the NOMIS case it is mapped to",
        description=MISMATCH_SHAPE + " 404 when there is no mapping or either system lacks the case.",
    )
    async def by_dps_id(offenderNo: PrisonNumber, dpsCaseId: Reference, _: Principal = role) -> Response:
        return _json((await reconciliation.check_case_by_dps_id(offenderNo, dpsCaseId)).json())

    @router.get(
        CASES + "/nomis-case-id/{nomisCaseId}/reconciliation",
        operation_id="checkCourtCaseByNomisId",
        responses=UNKNOWN_CASE,
        summary="Compare the NOMIS court case with the DPS case it is mapped to",
        description=MISMATCH_SHAPE + " 404 when there is no mapping or either system lacks the case.",
    )
    async def by_nomis_id(offenderNo: PrisonNumber, nomisCaseId: RecordId, _: Principal = role) -> Response:
        return _json((await reconciliation.check_case_by_nomis_id(offenderNo, nomisCaseId)).json())

    @router.get(
        CASES + "/nomis-case-id/{nomisCaseId}/dps-case-id/{dpsCaseId}/reconciliation",
        operation_id="checkCourtCasePair",
        responses=UNKNOWN_CASE,
        summary="Compare a given NOMIS court case with a given DPS case, whether or not they are mapped",
        description=MISMATCH_SHAPE
        + " nomisBookingId is always null here. 404 when either system lacks the case.",
    )
    async def pair(
        offenderNo: PrisonNumber, nomisCaseId: RecordId, dpsCaseId: Reference, _: Principal = role
    ) -> Response:
        return _json((await reconciliation.check_case_pair(offenderNo, nomisCaseId, dpsCaseId)).json())

    @router.get(
        CASES + "/reconciliation",
        operation_id="checkPrisonerCourtCases",
        responses=error_responses(404, described={404: "NOMIS or DPS does not know the prisoner"}),
        summary="Compare every court case of a prisoner, showing the counterpart id of every item",
        description=(
            "A list of " + MISMATCH_SHAPE + " Every mapped case is listed, matched or not; each item shows "
            "the other system's id as mappedId and every unmapped item is a difference. When the two "
            "systems hold a different number of cases the list has one entry with caseCountMismatch true "
            "and the DPS and NOMIS counts in dpsCaseId and nomisCaseId."
        ),
    )
    async def prisoner(offenderNo: PrisonNumber, _: Principal = role) -> Response:
        cases = await reconciliation.check_prisoner(offenderNo, extra_info=True)
        return _json([case.json() for case in cases])

    @router.post(
        "/prisoners/court-sentencing/court-cases/reconciliation",
        operation_id="checkPrisonersCourtCases",
        responses=error_responses(404, described={404: "NOMIS or DPS does not know one of the prisoners"}),
        summary="Compare the court cases of several prisoners, listing only the mismatches",
        description=(
            "Body: a JSON array of prisoner numbers. Answers one list per prisoner, in the same order, "
            "holding only mismatched cases (and a case-count mismatch entry when the counts differ)."
        ),
    )
    async def prisoners(offenderNos: PrisonNumbers = Body(...), _: Principal = role) -> Response:
        found = await reconciliation.check_prisoners(offenderNos)
        return _json([[case.json() for case in cases] for cases in found])

    return router
