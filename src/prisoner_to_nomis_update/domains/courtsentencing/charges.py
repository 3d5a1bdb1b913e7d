"""Charge events: inserted and updated (spec 2.8, 2.9). DPS does not publish charge deletions."""

from __future__ import annotations

from typing import Any

from prisoner_to_nomis_update.domains.courtsentencing.context import CourtSentencingContext
from prisoner_to_nomis_update.domains.courtsentencing.guards import RedeliveryGuards
from prisoner_to_nomis_update.domains.courtsentencing.models import (
    FROM_NOMIS,
    ChargeEvent,
    CourtChargeMappingDto,
)
from prisoner_to_nomis_update.domains.courtsentencing.requests import charge_request
from prisoner_to_nomis_update.domains.courtsentencing.saving import save_once
from prisoner_to_nomis_update.framework.delivery import may_repeat_earlier_work
from prisoner_to_nomis_update.framework.messages import MalformedMessage
from prisoner_to_nomis_update.framework.synchronise import AwaitParentEntityRetry, synchronise, track

CHARGE = "charge"
CHARGE_LINK = ("dpsCourtChargeId", "nomisCourtChargeId")


def charge_telemetry(event: ChargeEvent) -> dict[str, Any]:
    info = event.additionalInformation
    return {
        "dpsChargeId": info.courtChargeId,
        "dpsCourtCaseId": info.courtCaseId,
        "isOnFutureAppearance": info.isOnFutureAppearance is True,
        "dpsCourtAppearanceId": info.courtAppearanceId if info.courtAppearanceId is not None else "null",
        "offenderNo": event.offender_no,
    }


class ChargeHandlers:
    def __init__(self, context: CourtSentencingContext) -> None:
        self.context = context
        self.guards = RedeliveryGuards(context)

    async def inserted(self, event: ChargeEvent) -> None:
        context = self.context
        info = event.additionalInformation
        offender_no = event.offender_no
        charge_id = info.courtChargeId
        telemetry = charge_telemetry(event)
        if info.source == FROM_NOMIS:
            context.telemetry.track_event(
                f"{CHARGE}-create-ignored", {**telemetry, "reason": "Charge created in NOMIS"}
            )
            return

        async def transform() -> CourtChargeMappingDto:
            case_mapping = await context.mappings.find_case_by_dps_id(info.courtCaseId)
            if case_mapping is None:
                raise AwaitParentEntityRetry(f"Missing DPS Case: {info.courtCaseId}")
            case_id = case_mapping.nomisCourtCaseId
            if info.courtAppearanceId is not None:
                charge = await context.dps.get_appearance_charge(info.courtAppearanceId, charge_id)
            else:
                charge = await context.dps.get_charge(charge_id)
            telemetry["nomisOutcomeCode"] = (
                charge.nomisOutcomeCode if charge.nomisOutcomeCode is not None else "null"
            )
            telemetry["nomisOffenceCode"] = charge.offenceCode
            request = charge_request(charge, info.isOnFutureAppearance is True)
            nomis_charge_id = (
                await self.guards.charge(offender_no, case_id, request) if may_repeat_earlier_work() else None
            )
            if nomis_charge_id is not None:
                context.telemetry.track_event(
                    f"{CHARGE}-create-reused-nomis-record", {**telemetry, "nomisChargeId": nomis_charge_id}
                )
            else:
                nomis_charge_id = (
                    await context.nomis.create_charge(offender_no, case_id, request)
                ).offenderChargeId
            telemetry["nomisChargeId"] = nomis_charge_id
            telemetry["nomisCourtCaseId"] = case_id
            return CourtChargeMappingDto(
                nomisCourtChargeId=nomis_charge_id, dpsCourtChargeId=charge.lifetimeUuid
            )

        async def save(mapping: CourtChargeMappingDto) -> None:
            # NOMIS offers no charge delete, so a lost race leaves an unused NOMIS charge behind; the
            # duplicate telemetry names it (docs/operations.md).
            await save_once(
                name=CHARGE,
                save=lambda: context.mappings.create_charge(mapping),
                mapping=mapping,
                same_link=CHARGE_LINK,
                dps_key="dpsCourtChargeId",
                created=None,
                telemetry=context.telemetry,
                event_telemetry=telemetry,
            )

        async with context.writing_for(offender_no):
            await synchronise(
                name=CHARGE,
                telemetry=context.telemetry,
                event_telemetry=telemetry,
                check_mapping_exists=lambda: context.mappings.find_charge_by_dps_id(charge_id),
                transform=transform,
                save_mapping=save,
                retry_queue=context.retry_queue,
            )

    async def updated(self, event: ChargeEvent) -> None:
        context = self.context
        info = event.additionalInformation
        offender_no = event.offender_no
        charge_id = info.courtChargeId
        name = "charge-updated"
        telemetry = charge_telemetry(event)
        if info.source == FROM_NOMIS:
            context.telemetry.track_event(
                f"{name}-ignored", {**telemetry, "reason": "Charge updated in NOMIS"}
            )
            return
        appearance_id = info.courtAppearanceId
        if appearance_id is None:
            raise MalformedMessage("charge.updated event has no courtAppearanceId")

        async def update() -> None:
            charge = await context.dps.find_appearance_charge(appearance_id, charge_id)
            if charge is None:
                context.telemetry.track_event(
                    f"{name}-ignored",
                    {
                        **telemetry,
                        "reason": f"Charge with id {charge_id} and court appearance id {appearance_id} "
                        "does not exist in RaS",
                    },
                )
                return
            case_mapping = await context.mappings.find_case_by_dps_id(info.courtCaseId)
            if case_mapping is None:
                raise AwaitParentEntityRetry(f"Missing Dps case id: {info.courtCaseId}")
            telemetry["nomisCourtCaseId"] = case_mapping.nomisCourtCaseId
            appearance_mapping = await context.mappings.find_appearance_by_dps_id(appearance_id)
            if appearance_mapping is None:
                raise AwaitParentEntityRetry(f"Missing Dps appearance id: {appearance_id}")
            telemetry["nomisCourtAppearanceId"] = appearance_mapping.nomisCourtAppearanceId
            charge_mapping = await context.mappings.find_charge_by_dps_id(charge_id)
            if charge_mapping is None:
                raise AwaitParentEntityRetry(f"Missing Dps charge id: {charge_id}")
            telemetry["nomisChargeId"] = charge_mapping.nomisCourtChargeId
            request = charge_request(charge, info.isOnFutureAppearance is True)
            telemetry["nomisOutcomeCode"] = request.resultCode1 if request.resultCode1 is not None else "null"
            telemetry["nomisOffenceCode"] = request.offenceCode
            await context.nomis.update_charge(
                offender_no,
                case_mapping.nomisCourtCaseId,
                appearance_mapping.nomisCourtAppearanceId,
                charge_mapping.nomisCourtChargeId,
                request,
            )

        await track(name, context.telemetry, telemetry, update)
