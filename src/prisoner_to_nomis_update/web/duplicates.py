"""Duplicate alerts this pod recorded, and resolving one: the runbook's hand-made NOMIS calls as one step.

Role: `ROLE_PRISONER_TO_NOMIS__UPDATE__RW`, the role of the repair endpoints, because resolving writes to
NOMIS exactly as a repair does (and as the sentencing clean-up endpoint it generalises already did).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from prisoner_to_nomis_update.framework.auth import Principal, require_role
from prisoner_to_nomis_update.framework.duplicate_resolution import DuplicateResolution, ResolutionFailed
from prisoner_to_nomis_update.framework.duplicates import DUPLICATE_ID, Duplicate
from prisoner_to_nomis_update.framework.responses import error_responses
from prisoner_to_nomis_update.web.errors import error_response

REPAIR_ROLE = "ROLE_PRISONER_TO_NOMIS__UPDATE__RW"
TAG = "duplicates"


class DuplicateView(BaseModel):
    id: str = Field(description="The record's id on this pod (derived from the alert's properties)")
    alert: str = Field(description="`visit` for a `to-nomis-synch-visit-duplicate` alert")
    domain: str | None = Field(description="The domain that owns the alert; null when none does")
    resolvable: bool = Field(description="False when the service only reports this kind of duplicate")
    status: str = Field(description="OPEN, RESOLVING, RESOLVED, REFUSED (not safe to remove) or FAILED")
    outcome: str | None = Field(description="What the last resolution did, or why it was refused or failed")
    recordedAt: datetime
    updatedAt: datetime | None
    resolvedBy: str | None = Field(
        description="Who asked for the last resolution (`automatic` for the switch)"
    )
    properties: dict[str, str] = Field(description="The alert's telemetry properties (existing*/duplicate*)")

    @classmethod
    def of(cls, duplicate: Duplicate) -> DuplicateView:
        return cls(
            id=duplicate.id,
            alert=duplicate.alert,
            domain=duplicate.domain,
            resolvable=duplicate.resolvable,
            status=duplicate.status.value,
            outcome=duplicate.outcome,
            recordedAt=duplicate.recorded_at,
            updatedAt=duplicate.updated_at,
            resolvedBy=duplicate.resolved_by,
            properties=duplicate.properties,
        )


MALFORMED_ID = "The duplicate id is not 16 lower-case hex digits"
UNKNOWN_ID = "This pod has no duplicate with that id"


def duplicate_id_parameter() -> Any:
    return Path(pattern=DUPLICATE_ID, description="A duplicate's id, as listed by GET /duplicates")


def build_router(resolution: DuplicateResolution) -> APIRouter:
    router = APIRouter(prefix="/duplicates", tags=[TAG])
    role = Depends(require_role(REPAIR_ROLE))

    @router.get(
        "",
        operation_id="listDuplicates",
        response_model=list[DuplicateView],
        summary="The duplicate alerts this pod recorded, newest first",
        description=(
            "Each `to-nomis-synch-<alert>-duplicate` alert this pod raised; the last "
            f"{resolution.log.kept_per_alert} of each alert are kept in memory."
        ),
    )
    async def list_duplicates(_: Principal = role) -> list[DuplicateView]:
        return [DuplicateView.of(duplicate) for duplicate in resolution.log.recent()]

    @router.get(
        "/{duplicateId}",
        operation_id="getDuplicate",
        response_model=DuplicateView,
        summary="One recorded duplicate alert",
        responses=error_responses(400, 404, described={400: MALFORMED_ID, 404: UNKNOWN_ID}),
    )
    async def get_duplicate(
        duplicateId: str = duplicate_id_parameter(), _: Principal = role
    ) -> DuplicateView:
        return DuplicateView.of(resolution.get(duplicateId))

    @router.post(
        "/{duplicateId}/resolve",
        operation_id="resolveDuplicate",
        response_model=DuplicateView,
        summary="Remove the duplicate NOMIS record one alert names",
        description=(
            "Visits: cancels the duplicate NOMIS visit (outcome ADMIN). Sentencing adjustments: deletes the "
            "duplicate sentence or key-date adjustment. Activities: deletes the duplicate course activity. "
            "Each only after checking that the mapped record still exists and that the duplicate is not a "
            "mapped record. Incentive and non-association duplicates are reported only (409). Emits "
            "`to-nomis-synch-<alert>-duplicate-resolved` or `…-duplicate-resolution-failed`."
        ),
        responses=error_responses(
            400,
            404,
            409,
            502,
            described={
                400: MALFORMED_ID,
                404: UNKNOWN_ID,
                409: "Not resolved: the duplicate is a mapped record, the mapped record is gone, the alert "
                "is of a kind that is reported only, or it is already resolved or being resolved",
                502: "NOMIS or the mapping API failed; the duplicate can be resolved again",
            },
        ),
    )
    async def resolve_duplicate(
        duplicateId: str = duplicate_id_parameter(), principal: Principal = role
    ) -> DuplicateView | JSONResponse:
        try:
            duplicate = await resolution.resolve(duplicateId, principal.name)
        except ResolutionFailed as error:
            return error_response(502, f"Bad Gateway: {error}", str(error))
        return DuplicateView.of(duplicate)

    return router
