"""Visit endpoints: the resynchronise repair, and the optional mock visit-scheduler resource."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Response

from prisoner_to_nomis_update.domains.visits.service import VisitsService
from prisoner_to_nomis_update.framework.auth import Principal, require_role
from prisoner_to_nomis_update.framework.params import PrisonNumber, Reference
from prisoner_to_nomis_update.framework.responses import error_responses
from prisoner_to_nomis_update.settings import Settings

UPDATE_ROLE = "ROLE_PRISONER_TO_NOMIS__UPDATE__RW"
VISIT_SCHEDULER_ROLE = "ROLE_VISIT_SCHEDULER"


def build_router(service: VisitsService, settings: Settings) -> APIRouter:
    router = APIRouter(tags=["visits"])

    @router.post(
        "/prisoners/{offenderNo}/visits/resynchronise/{visitId}",
        status_code=204,
        operation_id="resynchroniseVisit",
        summary="Re-run the booked-visit synchronisation for one DPS visit",
        response_class=Response,
        responses=error_responses(
            400,
            404,
            described={
                400: "A malformed prisoner number or visit id, or a DPS visit NOMIS cannot hold (its type)",
                404: "DPS has no such visit",
            },
        ),
    )
    async def resynchronise(
        offenderNo: PrisonNumber, visitId: Reference, _: Principal = Depends(require_role(UPDATE_ROLE))
    ) -> Response:
        await service.resynchronise(offenderNo, visitId)
        return Response(status_code=204)

    if settings.mock_visits_enabled:

        @router.get("/visits/{visitId}", include_in_schema=False)
        async def mock_visit(
            visitId: str, _: Principal = Depends(require_role(VISIT_SCHEDULER_ROLE))
        ) -> dict[str, Any]:
            """A canned, complete visit so the service can run before a visit-scheduler exists."""
            now = datetime.now().replace(microsecond=0)
            return {
                "reference": visitId,
                "prisonId": settings.mock_visits_prison_id,
                "prisonerId": settings.mock_visits_prisoner_id,
                "visitType": "SOCIAL",
                "visitRoom": "Visits Main Hall",
                "visitRestriction": "OPEN",
                "startTimestamp": now.isoformat(),
                "endTimestamp": (now + timedelta(hours=1)).isoformat(),
                "visitStatus": "BOOKED",
                "visitors": [{"nomisPersonId": int(v)} for v in settings.mock_visits_visitors if v.isdigit()],
                "lastRevisedTimestamp": now.astimezone().isoformat(),
            }

    return router
