"""Court case events: inserted, updated, deleted and legacy case references refreshed (spec 2.1-2.4)."""

from __future__ import annotations

import logging
from typing import Any

from prisoner_to_nomis_update.domains.courtsentencing.context import CourtSentencingContext
from prisoner_to_nomis_update.domains.courtsentencing.guards import RedeliveryGuards
from prisoner_to_nomis_update.domains.courtsentencing.models import (
    FROM_NOMIS,
    CaseIdentifierRequest,
    CaseReferencesEvent,
    CourtCaseAllMappingDto,
    CourtCaseEvent,
)
from prisoner_to_nomis_update.domains.courtsentencing.requests import (
    case_identifiers,
    court_case_request,
    court_case_update,
    render_case_identifiers,
)
from prisoner_to_nomis_update.domains.courtsentencing.saving import CreatedRecord, save_once
from prisoner_to_nomis_update.framework.delivery import may_repeat_earlier_work
from prisoner_to_nomis_update.framework.synchronise import AwaitParentEntityRetry, synchronise, track

log = logging.getLogger(__name__)

COURT_CASE = "court-case"
CASE_LINK = ("dpsCourtCaseId", "nomisCourtCaseId")


class CourtCaseHandlers:
    def __init__(self, context: CourtSentencingContext) -> None:
        self.context = context
        self.guards = RedeliveryGuards(context)

    async def inserted(self, event: CourtCaseEvent) -> None:
        context = self.context
        info = event.additionalInformation
        offender_no = event.offender_no
        case_id = info.courtCaseId
        telemetry: dict[str, Any] = {"dpsCourtCaseId": case_id, "offenderNo": offender_no}
        if info.source == FROM_NOMIS:
            context.telemetry.track_event(
                f"{COURT_CASE}-create-ignored", {**telemetry, "reason": "Court case created in NOMIS"}
            )
            return
        created: list[CreatedRecord] = []

        async def transform() -> CourtCaseAllMappingDto:
            case = await context.dps.get_court_case(case_id)
            request = court_case_request(case)
            nomis_case_id = (
                await self.guards.court_case(offender_no, request) if may_repeat_earlier_work() else None
            )
            if nomis_case_id is not None:
                context.telemetry.track_event(
                    f"{COURT_CASE}-create-reused-nomis-record",
                    {**telemetry, "nomisCourtCaseId": nomis_case_id},
                )
            else:
                nomis_case_id = (await context.nomis.create_court_case(offender_no, request)).id
                created.append(
                    CreatedRecord(
                        {"nomisCourtCaseId": nomis_case_id},
                        lambda: context.nomis.delete_court_case(offender_no, nomis_case_id),
                    )
                )
            await context.resync.case_created(offender_no, nomis_case_id, case_id)
            return CourtCaseAllMappingDto(nomisCourtCaseId=nomis_case_id, dpsCourtCaseId=case_id)

        async def save(mapping: CourtCaseAllMappingDto) -> None:
            await save_once(
                name=COURT_CASE,
                save=lambda: context.mappings.create_case(mapping),
                mapping=mapping,
                same_link=CASE_LINK,
                dps_key="dpsCourtCaseId",
                created=created[0] if created else None,
                telemetry=context.telemetry,
                event_telemetry=telemetry,
            )

        async with context.writing_for(offender_no):
            await synchronise(
                name=COURT_CASE,
                telemetry=context.telemetry,
                event_telemetry=telemetry,
                check_mapping_exists=lambda: context.mappings.find_case_by_dps_id(case_id),
                transform=transform,
                save_mapping=save,
                retry_queue=context.retry_queue,
            )

    async def updated(self, event: CourtCaseEvent) -> None:
        context = self.context
        info = event.additionalInformation
        offender_no = event.offender_no
        case_id = info.courtCaseId
        telemetry: dict[str, Any] = {"dpsCourtCaseId": case_id, "offenderNo": offender_no}
        name = "court-case-updated"
        if info.source == FROM_NOMIS:
            context.telemetry.track_event(
                f"{name}-ignored", {**telemetry, "reason": "Court case updated in NOMIS"}
            )
            return

        async def update() -> None:
            case = await context.dps.find_court_case(case_id)
            if case is None:
                context.telemetry.track_event(
                    f"{name}-ignored", {**telemetry, "reason": f"DPS case {case_id} does not exist in RaS"}
                )
                return
            mapping = await context.mappings.find_case_by_dps_id(case_id)
            if mapping is None:
                raise AwaitParentEntityRetry(f"Missing Dps case id: {case_id}")
            telemetry["nomisCourtCaseId"] = mapping.nomisCourtCaseId
            await context.nomis.update_court_case(
                offender_no, mapping.nomisCourtCaseId, court_case_update(case)
            )

        await track(name, context.telemetry, telemetry, update)

    async def deleted(self, event: CourtCaseEvent) -> None:
        context = self.context
        info = event.additionalInformation
        offender_no = event.offender_no
        case_id = info.courtCaseId
        telemetry: dict[str, Any] = {"dpsCourtCaseId": case_id, "offenderNo": offender_no}
        if info.source == FROM_NOMIS:
            context.telemetry.track_event("court-case-deleted-ignored", telemetry)
            return
        try:
            mapping = await context.mappings.find_case_by_dps_id(case_id)
            if mapping is None:
                context.telemetry.track_event("court-case-deleted-skipped", telemetry)
                return
            telemetry["nomisCourtCaseId"] = mapping.nomisCourtCaseId
            await context.nomis.delete_court_case(offender_no, mapping.nomisCourtCaseId)
        except Exception:
            context.telemetry.track_event("court-case-deleted-failed", telemetry)
            raise
        try:
            await context.mappings.delete_case_by_dps_id(case_id)
        except Exception as error:
            log.warning(
                "Unable to delete mapping for court case %s, please delete manually: %s", case_id, error
            )
            context.telemetry.track_event("court-case-mapping-deleted-failed", {"dpsCourtCaseId": case_id})
        context.telemetry.track_event("court-case-deleted-success", telemetry)

    async def references_updated(self, event: CaseReferencesEvent) -> None:
        """Refreshes the NOMIS case identifiers from DPS, whichever system changed them (no source check)."""
        context = self.context
        case_id = event.additionalInformation.courtCaseId
        offender_no = event.offender_no
        telemetry: dict[str, Any] = {"dpsCourtCaseId": case_id, "offenderNo": offender_no}
        case = await context.dps.find_court_case(case_id)
        if case is None:
            context.telemetry.track_event(
                "case-references-refreshed-ignored",
                {**telemetry, "reason": "DPS court case not found, possibly deleted"},
            )
            return
        mapping = await context.mappings.find_case_by_dps_id(case_id)
        if mapping is None:
            telemetry["reason"] = f"Missing DPS Case: {case_id}"
            context.telemetry.track_event("case-references-refreshed-awaiting-parent", telemetry)
            raise AwaitParentEntityRetry(f"Missing DPS Case: {case_id}")
        telemetry["nomisCourtCaseId"] = mapping.nomisCourtCaseId
        identifiers = case_identifiers(case)
        await context.nomis.refresh_case_references(
            offender_no, mapping.nomisCourtCaseId, CaseIdentifierRequest(caseIdentifiers=identifiers)
        )
        telemetry["caseReferences"] = render_case_identifiers(identifiers)
        context.telemetry.track_event("case-references-refreshed-success", telemetry)
