"""Court sentencing repair endpoints E6-E15 (spec 4.2-4.4); the reconciliation reads E1-E5 are in
`reconciliation_routes.py`. Every endpoint needs ROLE_PRISONER_TO_NOMIS__UPDATE__RW."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel

from prisoner_to_nomis_update.domains.courtsentencing.repairs import CourtSentencingRepairs
from prisoner_to_nomis_update.framework.auth import Principal, require_role
from prisoner_to_nomis_update.framework.params import PrisonNumber, Reference
from prisoner_to_nomis_update.framework.responses import error_responses

UPDATE_ROLE = "ROLE_PRISONER_TO_NOMIS__UPDATE__RW"
PREFIX = "/prisoners/{offenderNo}/court-sentencing"
DPS_APPEARANCE = PREFIX + "/dps-court-case/{courtCaseId}/dps-appearance/{appearanceId}"
MISSING = "DPS has no such record, or its court case (or appearance, charge, sentence) is not yet mapped"
NOT_YET = "NOMIS is not yet in the state the change depends on (it answered 424): try again later"
REPAIR_ERRORS = error_responses(404, 409, described={404: MISSING, 409: NOT_YET})


class CourtCaseRepairResult(BaseModel):
    nomisCaseId: int


def build_router(repairs: CourtSentencingRepairs) -> APIRouter:
    router = APIRouter(tags=["court-sentencing"])
    authorised = Depends(require_role(UPDATE_ROLE))

    @router.post(
        PREFIX + "/court-case/{dpsCourtCaseId}/booking-repair",
        status_code=200,
        responses=REPAIR_ERRORS,
        response_class=Response,
        operation_id="repairCourtCaseBooking",
        summary="Clone a court case to the prisoner's latest booking and move its mappings",
        description=(
            "NOMIS copies the case with its appearances, charges, sentences, terms and adjustments to the latest "
            "booking. A failed mapping update is retried from the queue (`court-case-cloned-repair-failed`)."
        ),
    )
    async def booking_repair(
        offenderNo: PrisonNumber, dpsCourtCaseId: Reference, _: Principal = authorised
    ) -> Response:
        await repairs.booking_repair(offenderNo, dpsCourtCaseId)
        return Response(status_code=200)

    @router.post(
        PREFIX + "/court-case/{courtCaseId}/repair",
        status_code=200,
        operation_id="repairCourtCase",
        responses=error_responses(
            400,
            404,
            409,
            described={
                400: "A malformed id, or the court case has no mapping",
                404: MISSING,
                409: "The DPS court case has a sentence, or no appearance: it cannot be rebuilt",
            },
        ),
        summary="Rebuild an unsentenced court case in NOMIS from DPS",
        description=(
            "`courtCaseId` is a NOMIS case id when all digits, otherwise a DPS case id. Refused with 409 when "
            "the DPS case has a sentence or no appearance, 400 when the case has no mapping."
        ),
    )
    async def court_case_repair(
        offenderNo: PrisonNumber, courtCaseId: Reference, _: Principal = authorised
    ) -> CourtCaseRepairResult:
        return CourtCaseRepairResult(nomisCaseId=await repairs.court_case_repair(offenderNo, courtCaseId))

    @router.post(
        DPS_APPEARANCE + "/dps-sentence/{sentenceId}/repair",
        status_code=200,
        responses=REPAIR_ERRORS,
        response_class=Response,
        operation_id="repairSentenceInserted",
        summary="Create the NOMIS sentence of a DPS sentence as its inserted event would",
    )
    async def sentence_inserted(
        offenderNo: PrisonNumber,
        courtCaseId: Reference,
        appearanceId: Reference,
        sentenceId: Reference,
        _: Principal = authorised,
    ) -> Response:
        await repairs.sentence_inserted(offenderNo, courtCaseId, appearanceId, sentenceId)
        return Response(status_code=200)

    @router.post(
        DPS_APPEARANCE + "/dps-charge/{chargeId}/repair",
        status_code=200,
        responses=REPAIR_ERRORS,
        response_class=Response,
        operation_id="repairChargeInserted",
        summary="Create the NOMIS charge of a DPS charge as its inserted event would",
    )
    async def charge_inserted(
        offenderNo: PrisonNumber,
        courtCaseId: Reference,
        appearanceId: Reference,
        chargeId: Reference,
        _: Principal = authorised,
    ) -> Response:
        await repairs.charge_inserted(offenderNo, courtCaseId, appearanceId, chargeId)
        return Response(status_code=200)

    @router.post(
        DPS_APPEARANCE + "/dps-sentence/{sentenceId}/dps-period-length/{periodLengthId}/repair",
        status_code=200,
        responses=REPAIR_ERRORS,
        response_class=Response,
        operation_id="repairSentenceTermInserted",
        summary="Create the NOMIS sentence term of a DPS period length as its inserted event would",
    )
    async def term_inserted(
        offenderNo: PrisonNumber,
        courtCaseId: Reference,
        appearanceId: Reference,
        sentenceId: Reference,
        periodLengthId: Reference,
        _: Principal = authorised,
    ) -> Response:
        await repairs.term_inserted(offenderNo, courtCaseId, appearanceId, sentenceId, periodLengthId)
        return Response(status_code=200)

    @router.put(
        DPS_APPEARANCE + "/dps-sentence/{sentenceId}/repair",
        status_code=200,
        responses=REPAIR_ERRORS,
        response_class=Response,
        operation_id="repairSentenceUpdated",
        summary="Update the NOMIS sentence from its DPS sentence as its updated event would",
    )
    async def sentence_updated(
        offenderNo: PrisonNumber,
        courtCaseId: Reference,
        appearanceId: Reference,
        sentenceId: Reference,
        _: Principal = authorised,
    ) -> Response:
        await repairs.sentence_updated(offenderNo, courtCaseId, appearanceId, sentenceId)
        return Response(status_code=200)

    @router.put(
        DPS_APPEARANCE + "/dps-sentence/{sentenceId}/dps-period-length/{periodLengthId}/repair",
        status_code=200,
        responses=REPAIR_ERRORS,
        response_class=Response,
        operation_id="repairSentenceTermUpdated",
        summary="Update the NOMIS sentence term from its DPS period length as its updated event would",
    )
    async def term_updated(
        offenderNo: PrisonNumber,
        courtCaseId: Reference,
        appearanceId: Reference,
        sentenceId: Reference,
        periodLengthId: Reference,
        _: Principal = authorised,
    ) -> Response:
        await repairs.term_updated(offenderNo, courtCaseId, appearanceId, sentenceId, periodLengthId)
        return Response(status_code=200)

    @router.put(
        DPS_APPEARANCE + "/dps-charge/{chargeId}/repair",
        status_code=200,
        responses=REPAIR_ERRORS,
        response_class=Response,
        operation_id="repairChargeUpdated",
        summary="Update the NOMIS charge from its DPS charge as its updated event would",
    )
    async def charge_updated(
        offenderNo: PrisonNumber,
        courtCaseId: Reference,
        appearanceId: Reference,
        chargeId: Reference,
        _: Principal = authorised,
    ) -> Response:
        await repairs.charge_updated(offenderNo, courtCaseId, appearanceId, chargeId)
        return Response(status_code=200)

    @router.put(
        DPS_APPEARANCE + "/repair",
        status_code=200,
        responses=REPAIR_ERRORS,
        response_class=Response,
        operation_id="repairAppearanceUpdated",
        summary="Update the NOMIS court appearance (and its charges) from DPS as its updated event would",
    )
    async def appearance_updated(
        offenderNo: PrisonNumber, courtCaseId: Reference, appearanceId: Reference, _: Principal = authorised
    ) -> Response:
        await repairs.appearance_updated(offenderNo, courtCaseId, appearanceId)
        return Response(status_code=200)

    @router.post(
        DPS_APPEARANCE + "/repair",
        status_code=201,
        responses=REPAIR_ERRORS,
        response_class=Response,
        operation_id="repairAppearanceInserted",
        summary="Create the NOMIS court appearance of a DPS appearance as its inserted event would",
        description=(
            "`force-clone` sends the appearance as a future one and makes NOMIS clone an old-booking case first; "
            "`force-prevent-clone` asks NOMIS not to clone."
        ),
    )
    async def appearance_inserted(
        offenderNo: PrisonNumber,
        courtCaseId: Reference,
        appearanceId: Reference,
        force_clone: bool = Query(False, alias="force-clone"),
        force_prevent_clone: bool = Query(False, alias="force-prevent-clone"),
        _: Principal = authorised,
    ) -> Response:
        await repairs.appearance_inserted(
            offenderNo, courtCaseId, appearanceId, force_clone, force_prevent_clone
        )
        return Response(status_code=201)

    return router
