"""The visits domain: `prison-visit.*` events from the visit-scheduler to NOMIS visits."""

from __future__ import annotations

from typing import Any

from prisoner_to_nomis_update.domains.visits.clients import NomisVisitsApi, VisitMappingApi, VisitsApi
from prisoner_to_nomis_update.domains.visits.duplicates import ALERT, VisitDuplicateResolver
from prisoner_to_nomis_update.domains.visits.models import VisitEvent
from prisoner_to_nomis_update.domains.visits.routes import build_router
from prisoner_to_nomis_update.domains.visits.service import VisitsService
from prisoner_to_nomis_update.framework.domain import Domain, DomainContext, parse_event


def build(context: DomainContext) -> Domain:
    nomis = NomisVisitsApi(context.apis.get("nomis"))
    mappings = VisitMappingApi(context.apis.get("mapping"))
    service = VisitsService(
        visits=VisitsApi(context.apis.get("visits")),
        nomis=nomis,
        mappings=mappings,
        telemetry=context.telemetry,
        retry_queue=context.retry_queue("visit"),
    )

    async def booked(event: dict[str, Any]) -> None:
        await service.create_visit(parse_event(VisitEvent, event))

    async def changed(event: dict[str, Any]) -> None:
        await service.update_visit(parse_event(VisitEvent, event))

    async def cancelled(event: dict[str, Any]) -> None:
        await service.cancel_visit(parse_event(VisitEvent, event))

    return Domain(
        name="visits",
        queue_id="visit",
        handlers={
            "prison-visit.booked": booked,
            "prison-visit.changed": changed,
            "prison-visit.cancelled": cancelled,
        },
        retry_create_mapping=service.retry_create_mapping,
        router=build_router(service, context.settings),
        apis=["visits"],
        duplicate_resolvers={ALERT: VisitDuplicateResolver(nomis, mappings)},
    )
