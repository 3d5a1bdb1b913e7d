"""Repairs an operator starts over HTTP (spec 4.2-4.4): re-running one handler for a DPS record, cloning a
case to the latest booking, and rebuilding an unsentenced case in NOMIS.

A re-run handler behaves exactly as for an event from DPS (its own telemetry, duplicates, failures); only
when it returns is the repair's own telemetry event emitted. Repairs always run the redelivery guards,
since an operator typically repairs precisely what an interrupted delivery left behind.
"""

from __future__ import annotations

from typing import Any

from prisoner_to_nomis_update.domains.courtsentencing.appearances import AppearanceHandlers
from prisoner_to_nomis_update.domains.courtsentencing.charges import ChargeHandlers
from prisoner_to_nomis_update.domains.courtsentencing.clone_mappings import update_mappings_and_notify
from prisoner_to_nomis_update.domains.courtsentencing.clones import (
    clone_details,
    cloned_case_ids,
    mappings_to_update,
)
from prisoner_to_nomis_update.domains.courtsentencing.context import CourtSentencingContext
from prisoner_to_nomis_update.domains.courtsentencing.guards import RedeliveryGuards
from prisoner_to_nomis_update.domains.courtsentencing.models import (
    AppearanceEvent,
    ChargeEvent,
    CourtAppearanceMappingDto,
    CourtCaseBatchMappingDto,
    CourtCaseBatchUpdateAndCreateMappingDto,
    CourtCaseMappingDto,
    CourtCaseMappingsAndClones,
    CourtChargeMappingDto,
    DpsCourtCaseBatchMappingDto,
    PeriodLengthEvent,
    SentenceEvent,
)
from prisoner_to_nomis_update.domains.courtsentencing.repair_request import has_sentence, repair_request
from prisoner_to_nomis_update.domains.courtsentencing.sentences import SentenceHandlers
from prisoner_to_nomis_update.domains.courtsentencing.terms import TermHandlers
from prisoner_to_nomis_update.framework.errors import BadRequest, Conflict
from prisoner_to_nomis_update.framework.synchronise import reason_of

REPAIR_SOURCE = "DPS"


def repair_event(event_type: str, offender_no: str, information: dict[str, Any]) -> dict[str, Any]:
    return {
        "eventType": event_type,
        "personReference": {"identifiers": [{"type": "NOMS", "value": offender_no}]},
        "additionalInformation": {**information, "source": REPAIR_SOURCE},
    }


class CourtSentencingRepairs:
    def __init__(
        self,
        context: CourtSentencingContext,
        appearances: AppearanceHandlers,
        charges: ChargeHandlers,
        sentences: SentenceHandlers,
        terms: TermHandlers,
    ) -> None:
        self.context = context
        self.appearances = appearances
        self.charges = charges
        self.sentences = sentences
        self.terms = terms
        self.guards = RedeliveryGuards(context)

    def _track(self, name: str, properties: dict[str, Any]) -> None:
        self.context.telemetry.track_event(name, properties)

    # ---- E8-E15: one handler re-run for a DPS record -------------------------------------------

    async def sentence_inserted(
        self, offender_no: str, case_id: str, appearance_id: str, sentence_id: str
    ) -> None:
        event = SentenceEvent.model_validate(
            repair_event(
                "sentence.inserted",
                offender_no,
                {"courtCaseId": case_id, "courtAppearanceId": appearance_id, "sentenceId": sentence_id},
            )
        )
        await self.sentences.inserted(event)
        self._track(
            "court-sentencing-repair-sentence-inserted",
            {
                "offenderNo": offender_no,
                "dpsCourtCaseId": case_id,
                "dpsCourtAppearanceId": appearance_id,
                "dpsSentenceId": sentence_id,
            },
        )

    async def charge_inserted(
        self, offender_no: str, case_id: str, appearance_id: str, charge_id: str
    ) -> None:
        event = ChargeEvent.model_validate(
            repair_event(
                "charge.inserted",
                offender_no,
                {
                    "courtChargeId": charge_id,
                    "courtCaseId": case_id,
                    "courtAppearanceId": appearance_id,
                    "isOnFutureAppearance": False,
                },
            )
        )
        await self.charges.inserted(event)
        self._track(
            "court-sentencing-repair-charge-inserted",
            {
                "offenderNo": offender_no,
                "dpsCourtCaseId": case_id,
                "dpsCourtAppearanceId": appearance_id,
                "dpsChargeId": charge_id,
            },
        )

    async def term_inserted(
        self, offender_no: str, case_id: str, appearance_id: str, sentence_id: str, period_length_id: str
    ) -> None:
        event = PeriodLengthEvent.model_validate(
            repair_event(
                "sentence.period-length.inserted",
                offender_no,
                {
                    "courtCaseId": case_id,
                    "courtAppearanceId": appearance_id,
                    "sentenceId": sentence_id,
                    "periodLengthId": period_length_id,
                },
            )
        )
        await self.terms.inserted(event)
        self._track(
            "court-sentencing-repair-sentence-term-inserted",
            {
                "offenderNo": offender_no,
                "dpsCourtCaseId": case_id,
                "dpsCourtAppearanceId": appearance_id,
                "dpsSentenceId": sentence_id,
            },
        )

    async def sentence_updated(
        self, offender_no: str, case_id: str, appearance_id: str, sentence_id: str
    ) -> None:
        event = SentenceEvent.model_validate(
            repair_event(
                "sentence.updated",
                offender_no,
                {"courtCaseId": case_id, "courtAppearanceId": appearance_id, "sentenceId": sentence_id},
            )
        )
        await self.sentences.updated(event)
        self._track(
            "court-sentencing-repair-sentence-updated",
            {
                "offenderNo": offender_no,
                "dpsCourtCaseId": case_id,
                "dpsSentenceId": sentence_id,
                "dpsCourtAppearanceId": appearance_id,
            },
        )

    async def term_updated(
        self, offender_no: str, case_id: str, appearance_id: str, sentence_id: str, period_length_id: str
    ) -> None:
        event = PeriodLengthEvent.model_validate(
            repair_event(
                "sentence.period-length.updated",
                offender_no,
                {
                    "courtCaseId": case_id,
                    "courtAppearanceId": appearance_id,
                    "sentenceId": sentence_id,
                    "periodLengthId": period_length_id,
                },
            )
        )
        await self.terms.updated(event)
        self._track(
            "court-sentencing-repair-sentence-term-updated",
            {
                "offenderNo": offender_no,
                "dpsCourtCaseId": case_id,
                "dpsSentenceId": sentence_id,
                "dpsTermId": period_length_id,
                "dpsCourtAppearanceId": appearance_id,
            },
        )

    async def charge_updated(
        self, offender_no: str, case_id: str, appearance_id: str, charge_id: str
    ) -> None:
        event = ChargeEvent.model_validate(
            repair_event(
                "charge.updated",
                offender_no,
                {
                    "courtChargeId": charge_id,
                    "courtCaseId": case_id,
                    "courtAppearanceId": appearance_id,
                    "isOnFutureAppearance": False,
                },
            )
        )
        await self.charges.updated(event)
        self._track(
            "court-sentencing-repair-charge-updated",
            {
                "offenderNo": offender_no,
                "dpsCourtCaseId": case_id,
                "dpsChargeId": charge_id,
                "dpsCourtAppearanceId": appearance_id,
            },
        )

    async def appearance_updated(self, offender_no: str, case_id: str, appearance_id: str) -> None:
        event = AppearanceEvent.model_validate(
            repair_event(
                "court-appearance.updated",
                offender_no,
                {
                    "courtCaseId": case_id,
                    "courtAppearanceId": appearance_id,
                    "isOnFutureCourtAppearance": False,
                },
            )
        )
        await self.appearances.updated(event)
        self._track(
            "court-sentencing-repair-appearance-updated",
            {"offenderNo": offender_no, "dpsCourtCaseId": case_id, "dpsCourtAppearanceId": appearance_id},
        )

    async def appearance_inserted(
        self, offender_no: str, case_id: str, appearance_id: str, force_clone: bool, force_prevent_clone: bool
    ) -> None:
        event = AppearanceEvent.model_validate(
            repair_event(
                "court-appearance.inserted",
                offender_no,
                {
                    "courtCaseId": case_id,
                    "courtAppearanceId": appearance_id,
                    "isOnFutureCourtAppearance": force_clone,
                },
            )
        )
        await self.appearances.inserted(
            event, force_clone=force_clone, force_prevent_clone=force_prevent_clone
        )
        self._track(
            "court-sentencing-repair-appearance-created",
            {"offenderNo": offender_no, "dpsCourtCaseId": case_id, "dpsCourtAppearanceId": appearance_id},
        )

    # ---- E6: clone a case to the latest booking ------------------------------------------------

    async def booking_repair(self, offender_no: str, dps_case_id: str) -> None:
        context = self.context
        telemetry: dict[str, Any] = {"dpsCourtCaseId": dps_case_id, "offenderNo": offender_no}
        mapping = await context.mappings.get_case_by_dps_id(dps_case_id)
        case_id = mapping.nomisCourtCaseId
        telemetry["nomisCourtCaseId"] = case_id
        async with context.writing_for(offender_no):
            # A clone an interrupted earlier repair (or appearance) made but never mapped is reused:
            # cloning again would leave two copies of the case on the latest booking.
            earlier = await self.guards.earlier_clone(offender_no, case_id)
            clone = (
                earlier[0] if earlier else await context.nomis.clone_to_latest_booking(offender_no, case_id)
            )
        details = clone_details(clone)
        wrapper = CourtCaseMappingsAndClones(
            mappings=CourtCaseBatchUpdateAndCreateMappingDto(
                mappingsToCreate=CourtCaseBatchMappingDto(), mappingsToUpdate=mappings_to_update(clone)
            ),
            offenderNo=offender_no,
            clonedClonedCourtCaseDetails=details,
        )
        telemetry["nomisCourtCaseIds"] = cloned_case_ids(details) if details else ""
        try:
            await update_mappings_and_notify(context, wrapper)
        except Exception as error:
            self._track("court-case-cloned-repair-failed", {**telemetry, "reason": reason_of(error)})
            await context.retry_queue.send_retry(
                wrapper, {k: str(v) for k, v in telemetry.items()}, "court-case-clone"
            )
            return
        self._track("court-case-cloned-repair", telemetry)

    # ---- E7: rebuild an unsentenced case -------------------------------------------------------

    async def court_case_repair(self, offender_no: str, court_case_id: str) -> int:
        """Returns the new NOMIS case id. An all-digit id is a NOMIS id (spec Q20), anything else a DPS id."""
        context = self.context
        if court_case_id.isdigit():
            mapping = await context.mappings.find_case_by_nomis_id(int(court_case_id))
        else:
            mapping = await context.mappings.find_case_by_dps_id(court_case_id)
        if mapping is None:
            raise BadRequest(f"No mapping found for {court_case_id}")
        dps_case_id = mapping.dpsCourtCaseId
        case = await context.dps.court_case_reconciliation(dps_case_id)
        if has_sentence(case):
            raise Conflict(
                f"Court case {case.courtCaseUuid} has a sentence, only case without a sentence can be repaired in NOMIS"
            )
        request = repair_request(case)
        appearance_ids = [appearance.appearanceUuid for appearance in case.appearances]
        await context.mappings.delete_by_dps_ids(
            DpsCourtCaseBatchMappingDto(
                courtCases=[dps_case_id],
                courtAppearances=appearance_ids,
                courtCharges=[charge.id for charge in request.offenderCharges],
            )
        )
        response = await context.nomis.repair_court_case(offender_no, mapping.nomisCourtCaseId, request)
        await context.mappings.replace(
            CourtCaseBatchMappingDto(
                courtCases=[
                    CourtCaseMappingDto(
                        nomisCourtCaseId=response.caseId, dpsCourtCaseId=dps_case_id, offenderNo=offender_no
                    )
                ],
                courtAppearances=[
                    CourtAppearanceMappingDto(nomisCourtAppearanceId=nomis_id, dpsCourtAppearanceId=dps_id)
                    for dps_id, nomis_id in zip(appearance_ids, response.courtAppearanceIds, strict=False)
                ],
                courtCharges=[
                    CourtChargeMappingDto(nomisCourtChargeId=nomis_id, dpsCourtChargeId=charge.id)
                    for charge, nomis_id in zip(
                        request.offenderCharges, response.offenderChargeIds, strict=False
                    )
                ],
            )
        )
        self._track(
            "court-sentencing-repair-court-case",
            {
                "offenderNo": offender_no,
                "nomisCourtCaseId": mapping.nomisCourtCaseId,
                "newNomisCourtCaseId": response.caseId,
                "dpsCourtCaseId": dps_case_id,
            },
        )
        return response.caseId
