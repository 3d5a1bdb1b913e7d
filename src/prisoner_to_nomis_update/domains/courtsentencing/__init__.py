"""Court sentencing: DPS Remand and Sentencing cases, appearances, charges, sentences, terms and recalls to NOMIS.

Spec: court-sentencing.md. Handlers per entity live in their own modules; `build` wires them to the
framework: the `courtsentencing` queue, its RETRY_CREATE_MAPPING messages, the repair endpoints and
(reconciliation) the batch jobs and read endpoints.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import APIRouter
from pydantic import BaseModel

from prisoner_to_nomis_update.domains.courtsentencing.appearances import AppearanceHandlers
from prisoner_to_nomis_update.domains.courtsentencing.cases import CourtCaseHandlers
from prisoner_to_nomis_update.domains.courtsentencing.charges import ChargeHandlers
from prisoner_to_nomis_update.domains.courtsentencing.clients import (
    CourtSentencingApi,
    CourtSentencingMappingApi,
    NomisCourtSentencingApi,
)
from prisoner_to_nomis_update.domains.courtsentencing.context import CourtSentencingContext
from prisoner_to_nomis_update.domains.courtsentencing.models import (
    AppearanceEvent,
    CaseReferencesEvent,
    ChargeEvent,
    CourtCaseEvent,
    PeriodLengthEvent,
    RecallEvent,
    SentenceEvent,
)
from prisoner_to_nomis_update.domains.courtsentencing.recalls import RecallHandlers
from prisoner_to_nomis_update.domains.courtsentencing.reconciliation import (
    build_reconciliation,
    reconciliation_batch_jobs,
)
from prisoner_to_nomis_update.domains.courtsentencing.reconciliation_routes import build_reconciliation_router
from prisoner_to_nomis_update.domains.courtsentencing.repairs import CourtSentencingRepairs
from prisoner_to_nomis_update.domains.courtsentencing.resync import ResyncQueue
from prisoner_to_nomis_update.domains.courtsentencing.retry import CourtSentencingRetries
from prisoner_to_nomis_update.domains.courtsentencing.routes import build_router
from prisoner_to_nomis_update.domains.courtsentencing.sentences import SentenceHandlers
from prisoner_to_nomis_update.domains.courtsentencing.terms import TermHandlers
from prisoner_to_nomis_update.framework.domain import (
    BatchJob,
    Domain,
    DomainContext,
    EventHandler,
    parse_event,
)
from prisoner_to_nomis_update.framework.duplicates import ReportOnly

QUEUE_ID = "courtsentencing"
DPS_API = "court-sentencing"
# Every mapping 409 the handlers can raise. A delivery that loses a race already removes the NOMIS case,
# sentence or term it wrote (`<name>-duplicate-removed`); what is left needs a person (runbook).
DUPLICATE_ALERTS = (
    "court-case",
    "court-appearance",
    "court-appearance-recall",
    "charge",
    "sentence",
    "sentence-term",
)
DUPLICATES_REPORTED_ONLY = (
    "Court sentencing duplicates are reported only: a racing delivery already removed the NOMIS record it "
    "wrote (see <name>-duplicate-removed); otherwise the two DPS records share a NOMIS record, or NOMIS has "
    "no delete for it (charges), so follow the runbook's court sentencing duplicates steps"
)

E = TypeVar("E", bound=BaseModel)


def handler(model: type[E], handle: Callable[[E], Awaitable[None]]) -> EventHandler:
    async def run(event: dict[str, Any]) -> None:
        await handle(parse_event(model, event))

    return run


def build(context: DomainContext) -> Domain:
    domain = CourtSentencingContext(
        dps=CourtSentencingApi(context.apis.get(DPS_API)),
        nomis=NomisCourtSentencingApi(context.apis.get("nomis")),
        mappings=CourtSentencingMappingApi(context.apis.get("mapping")),
        telemetry=context.telemetry,
        retry_queue=context.retry_queue(QUEUE_ID),
        resync=ResyncQueue(context.queues),
    )
    cases = CourtCaseHandlers(domain)
    appearances = AppearanceHandlers(domain)
    charges = ChargeHandlers(domain)
    sentences = SentenceHandlers(domain)
    terms = TermHandlers(domain)
    recalls = RecallHandlers(domain)
    retries = CourtSentencingRetries(domain, appearances, recalls)
    router = APIRouter()
    router.include_router(
        build_router(CourtSentencingRepairs(domain, appearances, charges, sentences, terms))
    )
    batch_jobs: dict[str, BatchJob] = {}
    # RECONCILIATION wiring
    reconciliation = build_reconciliation(context, domain.dps, domain.nomis, domain.mappings)
    router.include_router(build_reconciliation_router(reconciliation))
    batch_jobs.update(reconciliation_batch_jobs(reconciliation))

    return Domain(
        name="courtsentencing",
        queue_id=QUEUE_ID,
        handlers={
            "court-case.inserted": handler(CourtCaseEvent, cases.inserted),
            "court-case.updated": handler(CourtCaseEvent, cases.updated),
            "court-case.deleted": handler(CourtCaseEvent, cases.deleted),
            "legacy.court-case-references.updated": handler(CaseReferencesEvent, cases.references_updated),
            "court-appearance.inserted": handler(AppearanceEvent, appearances.inserted),
            "court-appearance.updated": handler(AppearanceEvent, appearances.updated),
            "court-appearance.deleted": handler(AppearanceEvent, appearances.deleted),
            "charge.inserted": handler(ChargeEvent, charges.inserted),
            "charge.updated": handler(ChargeEvent, charges.updated),
            "sentence.inserted": handler(SentenceEvent, sentences.inserted),
            "sentence.fix-single-charge.inserted": handler(SentenceEvent, sentences.inserted),
            "sentence.updated": handler(SentenceEvent, sentences.updated),
            "sentence.deleted": handler(SentenceEvent, sentences.deleted),
            "sentence.period-length.inserted": handler(PeriodLengthEvent, terms.inserted),
            "sentence.period-length.updated": handler(PeriodLengthEvent, terms.updated),
            "sentence.period-length.deleted": handler(PeriodLengthEvent, terms.deleted),
            "recall.inserted": handler(RecallEvent, recalls.inserted),
            "recall.updated": handler(RecallEvent, recalls.updated),
            "recall.deleted": handler(RecallEvent, recalls.deleted),
        },
        retry_create_mapping=retries.retry_create_mapping,
        router=router,
        batch_jobs=batch_jobs,
        apis=[DPS_API],
        duplicate_resolvers={alert: ReportOnly(DUPLICATES_REPORTED_ONLY) for alert in DUPLICATE_ALERTS},
    )
