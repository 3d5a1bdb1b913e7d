"""`/info`: build name and version and the active event feature switches."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from prisoner_to_nomis_update import APP_NAME, __version__

router = APIRouter(tags=["info"])


@router.get("/info", operation_id="info")
async def info(request: Request) -> dict[str, Any]:
    settings = request.app.state.service.settings
    return {
        "build": {"name": APP_NAME, "version": __version__},
        "app": {"name": "Hmpps Prisoner To Nomis Update", "version": __version__},
        "event-feature-switches": settings.feature_switches.as_info(),
    }
