"""Adjudications: DPS Manage Adjudications charges, hearings, outcomes and punishments to NOMIS.

Spec: adjudications.md. Queue `adjudication`, feature-switch domain `adjudications`, DPS API
`adjudications` (its own client credentials), repair endpoints and the ADJUDICATION_RECON batch report.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from prisoner_to_nomis_update.domains.adjudications.awards import AwardPlanner
from prisoner_to_nomis_update.domains.adjudications.charges import Charges
from prisoner_to_nomis_update.domains.adjudications.clients import (
    AdjudicationMappingApi,
    AdjudicationsApi,
    NomisAdjudicationsApi,
)
from prisoner_to_nomis_update.domains.adjudications.earlier_attempts import EarlierAttempts
from prisoner_to_nomis_update.domains.adjudications.hearings import Hearings
from prisoner_to_nomis_update.domains.adjudications.mapping_saves import MappingSaves
from prisoner_to_nomis_update.domains.adjudications.models import ChargeEvent, HearingEvent
from prisoner_to_nomis_update.domains.adjudications.outcomes import Outcomes
from prisoner_to_nomis_update.domains.adjudications.punishments import Punishments
from prisoner_to_nomis_update.domains.adjudications.reconciliation import AdjudicationsReconciliation
from prisoner_to_nomis_update.domains.adjudications.repairs import Repairs
from prisoner_to_nomis_update.domains.adjudications.retries import MappingRetries
from prisoner_to_nomis_update.domains.adjudications.routes import build_router
from prisoner_to_nomis_update.domains.adjudications.wiring import QUEUE_ID, Apis
from prisoner_to_nomis_update.framework.domain import Domain, DomainContext, EventHandler, parse_event
from prisoner_to_nomis_update.framework.duplicates import ReportOnly
from prisoner_to_nomis_update.framework.nomis import NomisApi
from prisoner_to_nomis_update.settings import ConfigError

DPS_API = "adjudications"
PAGE_SIZE_SETTING = "reports.adjudications.reconciliation.page-size"
MIGRATION_DATE_SETTING = "reports.adjudications.reconciliation.migration-date"

# The entities whose mapping 409 raises `to-nomis-synch-<entity>-duplicate` (spec 1.5).
DUPLICATE_ALERTS = (
    "adjudication",
    "hearing",
    "punishment",
    "punishment-update",
    "punishment-delete",
    "punishment-unquash",
)
DUPLICATES_REPORTED_ONLY = (
    "Adjudication duplicates are reported only: a second NOMIS adjudication, hearing or award is removed by "
    "the NOMIS team, and a stale mapping corrected in the mapping service (docs/operations.md, Adjudications)"
)

OUTCOME_UPSERTS = (
    "adjudication.hearingCompleted.created",
    "adjudication.hearingAdjourn.created",
    "adjudication.hearingReferral.created",
    "adjudication.referral.outcome.prosecution",
    "adjudication.referral.outcome.notProceed",
    "adjudication.referral.outcome.referGov",
    "adjudication.outcome.referPolice",
    "adjudication.outcome.notProceed",
    "adjudication.hearingOutcome.updated",
)
OUTCOME_DELETES = (
    "adjudication.hearingCompleted.deleted",
    "adjudication.hearingAdjourn.deleted",
    "adjudication.hearingReferral.deleted",
    "adjudication.referral.outcome.deleted",
    "adjudication.referral.deleted",
    "adjudication.outcome.notProceed.deleted",
)


def _charge_handler(handle: Callable[[ChargeEvent], Awaitable[None]]) -> EventHandler:
    async def handler(event: dict[str, Any]) -> None:
        await handle(parse_event(ChargeEvent, event))

    return handler


def _hearing_handler(handle: Callable[[HearingEvent], Awaitable[None]]) -> EventHandler:
    async def handler(event: dict[str, Any]) -> None:
        await handle(parse_event(HearingEvent, event))

    return handler


def _migration_date(context: DomainContext) -> date:
    value = context.settings.report_setting(MIGRATION_DATE_SETTING, "2024-01-28")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ConfigError(f"{MIGRATION_DATE_SETTING} must be a date (yyyy-MM-dd), got {value!r}") from None


def build(context: DomainContext) -> Domain:
    nomis = NomisAdjudicationsApi(context.apis.get("nomis"))
    mappings = AdjudicationMappingApi(context.apis.get("mapping"))
    dps = AdjudicationsApi(context.apis.get(DPS_API))
    apis = Apis(dps, nomis, mappings, context.telemetry, context.retry_queue(QUEUE_ID))
    saves = MappingSaves(mappings)
    earlier = EarlierAttempts(nomis, mappings)
    charges = Charges(apis, saves, earlier)
    hearings = Hearings(apis, saves, earlier)
    outcomes = Outcomes(apis, saves)
    punishments = Punishments(apis, saves, AwardPlanner(nomis, mappings))
    repairs = Repairs(apis, charges, hearings, outcomes, punishments)

    async def create_adjudication(event: ChargeEvent) -> None:
        await charges.create(event)

    async def create_punishments(event: ChargeEvent) -> None:
        await punishments.create(event)

    async def reconciliation() -> None:
        await AdjudicationsReconciliation(
            nomis=NomisApi(context.apis.get("nomis"), context.settings),
            nomis_adjudications=nomis,
            dps=dps,
            mappings=mappings,
            telemetry=context.telemetry,
            page_size=context.settings.report_int(PAGE_SIZE_SETTING, 20),
            migration_date=_migration_date(context),
        ).run()

    handlers: dict[str, EventHandler] = {
        "adjudication.report.created": _charge_handler(create_adjudication),
        "adjudication.damages.updated": _charge_handler(charges.update_damages),
        "adjudication.evidence.updated": _charge_handler(charges.update_evidence),
        "adjudication.hearing.created": _hearing_handler(hearings.create),
        "adjudication.hearing.updated": _hearing_handler(hearings.update),
        "adjudication.hearing.deleted": _hearing_handler(hearings.delete),
        **{event_type: _charge_handler(outcomes.upsert) for event_type in OUTCOME_UPSERTS},
        **{event_type: _charge_handler(outcomes.delete) for event_type in OUTCOME_DELETES},
        "adjudication.punishments.created": _charge_handler(create_punishments),
        "adjudication.punishments.updated": _charge_handler(punishments.update),
        "adjudication.punishments.deleted": _charge_handler(punishments.delete),
        "adjudication.outcome.quashed": _charge_handler(punishments.quash),
        "adjudication.outcome.unquashed": _charge_handler(punishments.unquash),
    }
    return Domain(
        name="adjudications",
        queue_id=QUEUE_ID,
        handlers=handlers,
        retry_create_mapping=MappingRetries(saves, context.telemetry).retry,
        router=build_router(repairs),
        batch_jobs={"ADJUDICATION_RECON": reconciliation},
        apis=[DPS_API],
        duplicate_resolvers={alert: ReportOnly(DUPLICATES_REPORTED_ONLY) for alert in DUPLICATE_ALERTS},
    )
