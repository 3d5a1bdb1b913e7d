"""Court appearance events with their charge lists: inserted, updated, deleted (spec 2.5-2.7).

An appearance added to a case on an old booking makes NOMIS clone the case to the latest booking; the
mappings of everything cloned move with the new appearance's mapping in one batch (clone_mappings.py).
"""

from __future__ import annotations

import logging
from typing import Any

from prisoner_to_nomis_update.domains.courtsentencing.clone_mappings import update_mappings_and_notify
from prisoner_to_nomis_update.domains.courtsentencing.clones import (
    clone_details,
    cloned_case_ids,
    mappings_to_update,
)
from prisoner_to_nomis_update.domains.courtsentencing.context import CourtSentencingContext
from prisoner_to_nomis_update.domains.courtsentencing.guards import RedeliveryGuards
from prisoner_to_nomis_update.domains.courtsentencing.models import (
    FROM_NOMIS,
    AppearanceEvent,
    BookingCourtCaseCloneResponse,
    CourtAppearanceMappingDto,
    CourtCaseBatchMappingDto,
    CourtCaseBatchUpdateAndCreateMappingDto,
    CourtCaseMappingsAndClones,
    CourtChargeBatchUpdateMappingDto,
    CourtChargeNomisIdDto,
    CourtEventChargeRequest,
    LegacyCourtAppearance,
)
from prisoner_to_nomis_update.domains.courtsentencing.requests import appearance_request, render_list
from prisoner_to_nomis_update.framework.delivery import may_repeat_earlier_work
from prisoner_to_nomis_update.framework.synchronise import (
    AwaitParentEntityRetry,
    create_mapping,
    synchronise,
    track,
    try_update,
)

log = logging.getLogger(__name__)

COURT_APPEARANCE = "court-appearance"
CASES_CLONED = "court-appearance-create-cases-cloned"


def outcome_text(code: str | None) -> str:
    return code if code is not None else "null"


class AppearanceHandlers:
    def __init__(self, context: CourtSentencingContext) -> None:
        self.context = context
        self.guards = RedeliveryGuards(context)

    # ---- inserted ------------------------------------------------------------------------------

    async def inserted(
        self, event: AppearanceEvent, force_clone: bool = False, force_prevent_clone: bool = False
    ) -> None:
        context = self.context
        info = event.additionalInformation
        offender_no = event.offender_no
        appearance_id = info.courtAppearanceId
        telemetry: dict[str, Any] = {
            "dpsCourtCaseId": info.courtCaseId,
            "dpsCourtAppearanceId": appearance_id,
            "offenderNo": offender_no,
        }
        if info.source == FROM_NOMIS:
            context.telemetry.track_event(
                f"{COURT_APPEARANCE}-create-ignored",
                {**telemetry, "reason": "Court appearance created in NOMIS"},
            )
            return

        async def transform() -> CourtCaseMappingsAndClones:
            case_mapping = await context.mappings.find_case_by_dps_id(info.courtCaseId)
            if case_mapping is None:
                raise AwaitParentEntityRetry(f"Missing DPS Case: {info.courtCaseId}")
            case_id = case_mapping.nomisCourtCaseId
            telemetry["nomisCourtCaseId"] = case_id
            appearance = await context.dps.get_appearance(appearance_id)
            telemetry["nomisOutcomeCode"] = outcome_text(appearance.nomisOutcomeCode)
            following = appearance.nextCourtAppearance
            telemetry["nextAppearanceDate"] = following.appearanceDate.isoformat() if following else ""
            charges = await self._charges_with_outcomes(appearance, "Missing DPS charge: ")
            telemetry["courtEventCharges"] = render_list([c.offenderChargeId for c in charges])
            telemetry["courtEventChargesWithOutcomes"] = render_list(list(charges))
            request = appearance_request(
                appearance, charges, info.isOnFutureCourtAppearance, force_clone, force_prevent_clone
            )
            nomis_id, clone = await self._write(offender_no, case_id, request, telemetry)
            telemetry["nomisCourtAppearanceId"] = nomis_id
            return CourtCaseMappingsAndClones(
                mappings=CourtCaseBatchUpdateAndCreateMappingDto(
                    mappingsToCreate=CourtCaseBatchMappingDto(
                        courtAppearances=[
                            CourtAppearanceMappingDto(
                                nomisCourtAppearanceId=nomis_id, dpsCourtAppearanceId=appearance_id
                            )
                        ]
                    ),
                    mappingsToUpdate=mappings_to_update(clone),
                ),
                offenderNo=offender_no,
                clonedClonedCourtCaseDetails=clone_details(clone),
            )

        async def save(wrapper: CourtCaseMappingsAndClones) -> None:
            await self.save_mappings(wrapper, telemetry)

        async with context.writing_for(offender_no):
            await synchronise(
                name=COURT_APPEARANCE,
                telemetry=context.telemetry,
                event_telemetry=telemetry,
                check_mapping_exists=lambda: context.mappings.find_appearance_by_dps_id(appearance_id),
                transform=transform,
                save_mapping=save,
                retry_queue=context.retry_queue,
            )

    async def _write(
        self, offender_no: str, case_id: int, request: Any, telemetry: dict[str, Any]
    ) -> tuple[int, BookingCourtCaseCloneResponse | None]:
        """Create the appearance, or on a redelivery adopt what an interrupted earlier delivery created."""
        context = self.context
        if may_repeat_earlier_work():
            twin = await self.guards.appearance(offender_no, case_id, request)
            if twin is not None:
                context.telemetry.track_event(
                    f"{COURT_APPEARANCE}-create-reused-nomis-record",
                    {**telemetry, "nomisCourtAppearanceId": twin},
                )
                return twin, None
            earlier = await self.guards.earlier_clone(offender_no, case_id, request)
            clone, new_appearance = earlier if earlier is not None else (None, None)
            if clone is not None and new_appearance is not None:
                context.telemetry.track_event(
                    f"{COURT_APPEARANCE}-create-reused-nomis-record",
                    {
                        **telemetry,
                        "nomisCourtAppearanceId": new_appearance,
                        "nomisClonedCourtCaseId": clone.courtCases[0].courtCase.id,
                    },
                )
                return new_appearance, clone
        response = await try_update(lambda: context.nomis.create_appearance(offender_no, case_id, request))
        return response.id, response.clonedCourtCases

    async def save_mappings(self, wrapper: CourtCaseMappingsAndClones, telemetry: dict[str, Any]) -> None:
        """Save, notify, and report a clone (before the caller's success event, as the original does)."""
        await update_mappings_and_notify(self.context, wrapper)
        details = wrapper.clonedClonedCourtCaseDetails
        if details is not None:
            self.context.telemetry.track_event(
                CASES_CLONED, {**telemetry, "nomisCourtCaseIds": cloned_case_ids(details)}
            )

    async def _charges_with_outcomes(
        self, appearance: LegacyCourtAppearance, missing: str
    ) -> list[CourtEventChargeRequest]:
        charges: list[CourtEventChargeRequest] = []
        for charge in appearance.charges:
            mapping = await self.context.mappings.find_charge_by_dps_id(charge.lifetimeUuid)
            if mapping is None:
                raise AwaitParentEntityRetry(f"{missing}{charge.lifetimeUuid}")
            charges.append(
                CourtEventChargeRequest(
                    offenderChargeId=mapping.nomisCourtChargeId, resultCode1=charge.nomisOutcomeCode
                )
            )
        return charges

    # ---- updated -------------------------------------------------------------------------------

    async def updated(self, event: AppearanceEvent) -> None:
        context = self.context
        info = event.additionalInformation
        offender_no = event.offender_no
        appearance_id = info.courtAppearanceId
        name = "court-appearance-updated"
        telemetry: dict[str, Any] = {
            "dpsCourtCaseId": info.courtCaseId,
            "dpsCourtAppearanceId": appearance_id,
            "offenderNo": offender_no,
        }
        if info.source == FROM_NOMIS:
            context.telemetry.track_event(
                f"{name}-ignored", {**telemetry, "reason": "Court appearance updated in NOMIS"}
            )
            return

        async def update() -> None:
            appearance = await context.dps.find_appearance(appearance_id)
            if appearance is None:
                context.telemetry.track_event(
                    f"{name}-ignored",
                    {**telemetry, "reason": f"DPS court appearance {appearance_id} does not exist in RaS"},
                )
                return
            appearance_mapping = await context.mappings.find_appearance_by_dps_id(appearance_id)
            if appearance_mapping is None:
                raise AwaitParentEntityRetry(f"Missing Dps appearance id: {appearance_id}")
            case_mapping = await context.mappings.find_case_by_dps_id(info.courtCaseId)
            if case_mapping is None:
                raise AwaitParentEntityRetry(f"Missing Dps case id: {info.courtCaseId}")
            case_id = case_mapping.nomisCourtCaseId
            nomis_appearance_id = appearance_mapping.nomisCourtAppearanceId
            telemetry["nomisCourtCaseId"] = case_id
            telemetry["nomisCourtAppearanceId"] = nomis_appearance_id
            telemetry["nomisOutcomeCode"] = outcome_text(appearance.nomisOutcomeCode)
            telemetry["dpsAppearanceDate"] = appearance.appearanceDate.isoformat()
            charges = await self._charges_with_outcomes(appearance, "Missing Dps charge id: ")
            telemetry["courtEventChargesWithOutcomes"] = render_list(list(charges))
            request = appearance_request(appearance, charges, info.isOnFutureCourtAppearance)
            response = await context.nomis.update_appearance(
                offender_no, case_id, nomis_appearance_id, request
            )
            telemetry["courtEventChargesResponse"] = str(response)
            deleted = [charge.offenderChargeId for charge in response.deletedOffenderChargesIds]
            if deleted:
                telemetry["deletedCourtChargeMappings"] = (
                    "[" + ", ".join(f"nomisCourtChargeId: {charge_id}" for charge_id in deleted) + "]"
                )
                await create_mapping(
                    name="charge",
                    mapping=CourtChargeBatchUpdateMappingDto(
                        courtChargesToDelete=[CourtChargeNomisIdDto(nomisCourtChargeId=c) for c in deleted]
                    ),
                    save=context.mappings.update_charges,
                    telemetry=context.telemetry,
                    event_telemetry=telemetry,
                    retry_queue=context.retry_queue,
                )

        await track(name, context.telemetry, telemetry, update)

    # ---- deleted -------------------------------------------------------------------------------

    async def deleted(self, event: AppearanceEvent) -> None:
        context = self.context
        info = event.additionalInformation
        offender_no = event.offender_no
        appearance_id = info.courtAppearanceId
        telemetry: dict[str, Any] = {
            "dpsCourtCaseId": info.courtCaseId,
            "dpsCourtAppearanceId": appearance_id,
            "offenderNo": offender_no,
        }
        if info.source == FROM_NOMIS:
            context.telemetry.track_event("court-appearance-deleted-ignored", telemetry)
            return
        try:
            case_mapping = await context.mappings.find_case_by_dps_id(info.courtCaseId)
            if case_mapping is None:
                context.telemetry.track_event("court-appearance-deleted-skipped", telemetry)
                return
            telemetry["nomisCourtCaseId"] = case_mapping.nomisCourtCaseId
            appearance_mapping = await context.mappings.find_appearance_by_dps_id(appearance_id)
            if appearance_mapping is None:
                context.telemetry.track_event("court-appearance-deleted-skipped", telemetry)
                return
            telemetry["nomisCourtAppearanceId"] = appearance_mapping.nomisCourtAppearanceId
            await context.nomis.delete_appearance(
                offender_no, case_mapping.nomisCourtCaseId, appearance_mapping.nomisCourtAppearanceId
            )
        except Exception:
            context.telemetry.track_event("court-appearance-deleted-failed", telemetry)
            raise
        try:
            await context.mappings.delete_appearance_by_dps_id(appearance_id)
        except Exception as error:
            log.warning(
                "Unable to delete mapping for appearance %s, please delete manually: %s", appearance_id, error
            )
            context.telemetry.track_event(
                "court-appearance-mapping-deleted-failed", {"dpsCourtAppearanceId": appearance_id}
            )
        context.telemetry.track_event("court-appearance-deleted-success", telemetry)
