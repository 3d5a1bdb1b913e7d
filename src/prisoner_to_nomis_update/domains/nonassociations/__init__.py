"""Non-associations: DPS non-associations to NOMIS, merges, booking moves and reconciliation (spec part B)."""

from __future__ import annotations

from typing import Any

from prisoner_to_nomis_update.domains.nonassociations.clients import (
    NomisNonAssociationsApi,
    NonAssociationMappingApi,
    NonAssociationsApi,
)
from prisoner_to_nomis_update.domains.nonassociations.merge import MergeService
from prisoner_to_nomis_update.domains.nonassociations.models import (
    BookingMovedEvent,
    NonAssociationEvent,
    PrisonerMergedEvent,
)
from prisoner_to_nomis_update.domains.nonassociations.reconciliation import NonAssociationsReconciliation
from prisoner_to_nomis_update.domains.nonassociations.routes import build_router
from prisoner_to_nomis_update.domains.nonassociations.service import NonAssociationsService
from prisoner_to_nomis_update.framework.domain import Domain, DomainContext, parse_event
from prisoner_to_nomis_update.framework.duplicates import ReportOnly

QUEUE_ID = "nonassociation"
FEATURE_DOMAIN = "nonassociations"
PAGE_SIZE_SETTING = "reports.non-associations.reconciliation.page-size"
# A losing racer already removes the detail it added; any other clash needs a person to decide which
# prisoners must be kept apart, so it is never removed automatically.
DUPLICATES_REPORTED_ONLY = (
    "Non-association duplicates are reported only: an extra NOMIS non-association keeps prisoners apart, "
    "so check the pair with GET /non-associations/reconciliation/{prisonNumber1}/ns/{prisonNumber2} and "
    "repair it (see the runbook)"
)


def build(context: DomainContext) -> Domain:
    settings = context.settings
    dps = NonAssociationsApi(context.apis.get("non-associations"), settings)
    nomis = NomisNonAssociationsApi(context.apis.get("nomis"), settings)
    mappings = NonAssociationMappingApi(context.apis.get("mapping"))
    service = NonAssociationsService(dps, nomis, mappings, context.telemetry, context.retry_queue(QUEUE_ID))
    merges = MergeService(dps, nomis, mappings, context.telemetry)
    reconciliation = NonAssociationsReconciliation(
        dps, nomis, context.telemetry, settings.report_int(PAGE_SIZE_SETTING, 40)
    )

    async def created(event: dict[str, Any]) -> None:
        await service.created(parse_event(NonAssociationEvent, event))

    async def amended(event: dict[str, Any]) -> None:
        await service.amended(parse_event(NonAssociationEvent, event))

    async def closed(event: dict[str, Any]) -> None:
        await service.closed(parse_event(NonAssociationEvent, event))

    async def deleted(event: dict[str, Any]) -> None:
        await service.deleted(parse_event(NonAssociationEvent, event))

    async def merged(event: dict[str, Any]) -> None:
        await merges.merged(parse_event(PrisonerMergedEvent, event))

    async def booking_moved(event: dict[str, Any]) -> None:
        await merges.booking_moved(parse_event(BookingMovedEvent, event))

    async def reconciliation_report() -> None:
        await reconciliation.report()

    return Domain(
        name=FEATURE_DOMAIN,
        queue_id=QUEUE_ID,
        handlers={
            "non-associations.created": created,
            "non-associations.amended": amended,
            "non-associations.closed": closed,
            "non-associations.deleted": deleted,
            "prison-offender-events.prisoner.merged": merged,
            "prison-offender-events.prisoner.booking.moved": booking_moved,
        },
        retry_create_mapping=service.retry_create_mapping,
        router=build_router(service, reconciliation),
        batch_jobs={"NON_ASSOCIATIONS_RECON": reconciliation_report},
        apis=["non-associations"],
        duplicate_resolvers={"non-association": ReportOnly(DUPLICATES_REPORTED_ONLY)},
    )
