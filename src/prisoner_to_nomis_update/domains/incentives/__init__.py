"""The incentives domain: DPS incentive reviews and incentive levels to NOMIS, and their reconciliation."""

from __future__ import annotations

from typing import Any

from prisoner_to_nomis_update.domains.incentives.clients import (
    IncentiveMappingApi,
    IncentivesApi,
    NomisIncentivesApi,
)
from prisoner_to_nomis_update.domains.incentives.models import (
    LevelChangedEvent,
    PrisonLevelChangedEvent,
    ReviewInsertedEvent,
)
from prisoner_to_nomis_update.domains.incentives.reconciliation import (
    IncentivesReconciliation,
    load_excluded_booking_ids,
)
from prisoner_to_nomis_update.domains.incentives.routes import build_router
from prisoner_to_nomis_update.domains.incentives.service import IncentivesService
from prisoner_to_nomis_update.framework.domain import Domain, DomainContext, parse_event
from prisoner_to_nomis_update.framework.duplicates import ReportOnly
from prisoner_to_nomis_update.framework.nomis import NomisApi

PAGE_SIZE_SETTING = "reports.incentives.reconciliation.page-size"
THREAD_COUNT_SETTING = "reports.incentives.reconciliation.thread-count"
REPORT = "incentives reconciliation"
DUPLICATES_REPORTED_ONLY = (
    "Incentive duplicates are reported only: the runbook says this service takes no action on them "
    "(if NOMIS holds a repeated IEP for the booking, the NOMIS team removes it)"
)


class ReconciliationFailed(RuntimeError):
    """The batch report could not complete: the process exits non-zero so the CronJob shows it."""


def build(context: DomainContext) -> Domain:
    incentives = IncentivesApi(context.apis.get("incentives"))
    nomis = NomisIncentivesApi(context.apis.get("nomis"))
    service = IncentivesService(
        incentives=incentives,
        nomis=nomis,
        mappings=IncentiveMappingApi(context.apis.get("mapping")),
        telemetry=context.telemetry,
        retry_queue=context.retry_queue("incentive"),
    )
    page_size = context.settings.report_int(PAGE_SIZE_SETTING, 20)
    reconciliation = IncentivesReconciliation(
        nomis=NomisApi(context.apis.get("nomis"), context.settings),
        nomis_incentives=nomis,
        incentives=incentives,
        telemetry=context.telemetry,
        page_size=page_size,
        thread_count=context.settings.report_int(THREAD_COUNT_SETTING, page_size),
        excluded_booking_ids=load_excluded_booking_ids(),
    )

    async def review_inserted(event: dict[str, Any]) -> None:
        await service.review_inserted(parse_event(ReviewInsertedEvent, event))

    async def level_changed(event: dict[str, Any]) -> None:
        await service.level_changed(parse_event(LevelChangedEvent, event))

    async def prison_level_changed(event: dict[str, Any]) -> None:
        await service.prison_level_changed(parse_event(PrisonLevelChangedEvent, event))

    async def levels_reordered(event: dict[str, Any]) -> None:
        await service.levels_reordered()

    async def start_reconciliation() -> None:
        """In the background: the active-prisoner count (and its telemetry) first, as the original."""
        context.reports.ensure_idle(REPORT)
        total = await reconciliation.requested()
        context.reports.start(REPORT, lambda: reconciliation.check_all(total))

    async def reconciliation_job() -> None:
        report = await reconciliation.run()
        if not report.success:
            raise ReconciliationFailed("the incentives reconciliation did not complete; see the log")

    return Domain(
        name="incentives",
        queue_id="incentive",
        handlers={
            "incentives.iep-review.inserted": review_inserted,
            "incentives.level.changed": level_changed,
            "incentives.prison-level.changed": prison_level_changed,
            "incentives.levels.reordered": levels_reordered,
        },
        retry_create_mapping=service.retry_create_mapping,
        router=build_router(service, start_reconciliation),
        batch_jobs={"INCENTIVES_RECON": reconciliation_job},
        apis=["incentives"],
        duplicate_resolvers={"incentive": ReportOnly(DUPLICATES_REPORTED_ONLY)},
        startable_reports={REPORT: start_reconciliation},
    )
