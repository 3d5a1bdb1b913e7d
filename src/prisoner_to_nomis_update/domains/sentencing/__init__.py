"""Sentencing adjustments: `release-date-adjustments.adjustment.*` events from DPS Adjustments to NOMIS."""

from __future__ import annotations

from typing import Any

from prisoner_to_nomis_update.domains.sentencing.clients import (
    AdjustmentMappingApi,
    AdjustmentsApi,
    NomisAdjustmentsApi,
)
from prisoner_to_nomis_update.domains.sentencing.duplicates import ALERT, AdjustmentDuplicateResolver
from prisoner_to_nomis_update.domains.sentencing.models import AdjustmentEvent
from prisoner_to_nomis_update.domains.sentencing.reconciliation import SentencingReconciliation
from prisoner_to_nomis_update.domains.sentencing.routes import build_router
from prisoner_to_nomis_update.domains.sentencing.service import SentencingService
from prisoner_to_nomis_update.framework.domain import Domain, DomainContext, parse_event
from prisoner_to_nomis_update.framework.nomis import NomisApi

QUEUE_ID = "sentencing"
DPS_API = "sentence-adjustments"


def build(context: DomainContext) -> Domain:
    adjustments = AdjustmentsApi(context.apis.get(DPS_API))
    nomis = NomisAdjustmentsApi(context.apis.get("nomis"))
    mappings = AdjustmentMappingApi(context.apis.get("mapping"))
    service = SentencingService(
        adjustments=adjustments,
        nomis=nomis,
        mappings=mappings,
        telemetry=context.telemetry,
        retry_queue=context.retry_queue(QUEUE_ID),
    )

    async def inserted(event: dict[str, Any]) -> None:
        await service.create_adjustment(parse_event(AdjustmentEvent, event))

    async def updated(event: dict[str, Any]) -> None:
        await service.update_adjustment(parse_event(AdjustmentEvent, event))

    async def deleted(event: dict[str, Any]) -> None:
        await service.delete_adjustment(parse_event(AdjustmentEvent, event))

    async def reconciliation() -> None:
        settings = context.settings
        await SentencingReconciliation(
            nomis=NomisApi(context.apis.get("nomis"), settings),
            nomis_adjustments=nomis,
            adjustments=adjustments,
            telemetry=context.telemetry,
            page_size=settings.report_int("reports.sentencing.reconciliation.page-size", 20),
            all_prisoners=settings.report_setting("reports.sentencing.reconciliation.all-prisoners", "false")
            .strip()
            .lower()
            == "true",
        ).run()

    return Domain(
        name="sentencing",
        queue_id=QUEUE_ID,
        handlers={
            "release-date-adjustments.adjustment.inserted": inserted,
            "release-date-adjustments.adjustment.updated": updated,
            "release-date-adjustments.adjustment.deleted": deleted,
        },
        retry_create_mapping=service.retry_create_mapping,
        router=build_router(service),
        batch_jobs={"SENTENCING_RECON": reconciliation},
        apis=[DPS_API],
        duplicate_resolvers={ALERT: AdjustmentDuplicateResolver(service, nomis, mappings)},
    )
