"""Hearing outcomes and referrals: upserts (spec 4.7) and deletes (4.8), with or without a hearing."""

from __future__ import annotations

from typing import Any

from prisoner_to_nomis_update.domains.adjudications.awards import nomis_ids
from prisoner_to_nomis_update.domains.adjudications.mapping_saves import MappingSaves
from prisoner_to_nomis_update.domains.adjudications.models import (
    AdjudicationPunishmentBatchUpdateMappingDto,
    ChargeEvent,
    OutcomeHistoryDto,
)
from prisoner_to_nomis_update.domains.adjudications.transform import (
    hearing_result,
    outcome_only_result,
    referral_result,
    standard_result,
)
from prisoner_to_nomis_update.domains.adjudications.wiring import Apis
from prisoner_to_nomis_update.framework.synchronise import create_mapping, reported


class OutcomeNotFound(LookupError):
    pass


class Outcomes:
    def __init__(self, apis: Apis, saves: MappingSaves) -> None:
        self.apis = apis
        self.saves = saves

    # ---- upserts (4.7) -------------------------------------------------------------------------

    async def upsert(self, event: ChargeEvent) -> None:
        if event.hearing_id is not None:
            await self.upsert_hearing_result(event, event.hearing_id)
        else:
            await self.upsert_referral_result(event)

    async def upsert_hearing_result(self, event: ChargeEvent, hearing_id: str) -> None:
        apis = self.apis
        charge_number = event.charge_number
        telemetry_map = _telemetry(event, hearing_id)
        # Read before the failure telemetry scope, as the original does: a DPS failure only raises.
        charge = await apis.dps.get_charge(charge_number, event.prison_id)
        with reported("hearing-result-upserted", apis.telemetry, telemetry_map):
            entry = _last(
                e for e in charge.outcomes if e.hearing is not None and str(e.hearing.id) == hearing_id
            )
            if entry is None:
                raise OutcomeNotFound(
                    f"Outcome not found for Hearing {hearing_id} in DPS adjudication with charge no {charge_number}"
                )
            mapping = await apis.mappings.get_adjudication(charge_number)
            telemetry_map["adjudicationNumber"] = mapping.adjudicationNumber
            telemetry_map["chargeSequence"] = mapping.chargeSequence
            hearing_mapping = await apis.mappings.find_hearing(hearing_id)
            if hearing_mapping is None:
                raise OutcomeNotFound(
                    f"Hearing mapping for dps hearing id: {hearing_id} not found for DPS adjudication "
                    f"with charge no {charge_number}"
                )
            telemetry_map["nomisHearingId"] = hearing_mapping.nomisHearingId
            request = hearing_result(entry)
            await apis.nomis.upsert_hearing_result(
                mapping.adjudicationNumber, hearing_mapping.nomisHearingId, mapping.chargeSequence, request
            )
            telemetry_map["findingCode"] = request.findingCode
            telemetry_map["plea"] = request.pleaFindingCode

    async def upsert_referral_result(self, event: ChargeEvent) -> None:
        apis = self.apis
        charge_number = event.charge_number
        telemetry_map = _telemetry(event)
        with reported("adjudication-referral-upserted", apis.telemetry, telemetry_map):
            charge = await apis.dps.get_charge(charge_number, event.prison_id)
            entry = charge.last_outcome()
            if entry is None:
                raise OutcomeNotFound(
                    f"Referral not found in DPS adjudication with charge no {charge_number}"
                )
            mapping = await apis.mappings.get_adjudication(charge_number)
            telemetry_map["adjudicationNumber"] = mapping.adjudicationNumber
            telemetry_map["chargeSequence"] = mapping.chargeSequence
            request = referral_result(entry)
            await apis.nomis.upsert_referral_result(
                mapping.adjudicationNumber, mapping.chargeSequence, request
            )
            telemetry_map["findingCode"] = request.findingCode
            telemetry_map["plea"] = request.pleaFindingCode

    # ---- deletes (4.8): NOMIS is brought to DPS's current state ----------------------------------

    async def delete(self, event: ChargeEvent) -> None:
        if event.hearing_id is not None:
            await self.delete_hearing_result(event, event.hearing_id)
        else:
            await self.delete_referral_result(event)

    async def delete_hearing_result(self, event: ChargeEvent, hearing_id: str) -> None:
        apis = self.apis
        telemetry_map = _telemetry(event, hearing_id)
        try:
            mapping = await apis.mappings.get_adjudication(event.charge_number)
            telemetry_map["adjudicationNumber"] = mapping.adjudicationNumber
            hearing_mapping = await apis.mappings.find_hearing(hearing_id)
            if hearing_mapping is None:
                # Unlike hearing updates and deletes, a missing hearing here is not an error (spec 11.9).
                apis.telemetry.track_event("hearing-result-deleted-skipped", telemetry_map)
                return
            telemetry_map["nomisHearingId"] = hearing_mapping.nomisHearingId
            charge = await apis.dps.get_charge(event.charge_number, event.prison_id)
            # The last outcome overall, whichever hearing it belongs to (spec 11.6).
            last = charge.last_outcome()
            if last is not None and last.outcome is not None:
                await apis.nomis.upsert_hearing_result(
                    mapping.adjudicationNumber,
                    hearing_mapping.nomisHearingId,
                    mapping.chargeSequence,
                    standard_result(last),
                )
            else:
                deleted = await apis.nomis.delete_hearing_result(
                    mapping.adjudicationNumber, hearing_mapping.nomisHearingId, mapping.chargeSequence
                )
                telemetry_map["punishmentsDeletedCount"] = len(deleted.awardsDeleted)
                if deleted.awardsDeleted:
                    await create_mapping(
                        name="punishment-delete",
                        mapping=AdjudicationPunishmentBatchUpdateMappingDto(
                            punishmentsToCreate=[], punishmentsToDelete=nomis_ids(deleted.awardsDeleted)
                        ),
                        save=self.saves.punishments_update,
                        telemetry=apis.telemetry,
                        event_telemetry=telemetry_map,
                        retry_queue=apis.retry_queue,
                    )
        except Exception:
            apis.telemetry.track_event("hearing-result-deleted-failed", telemetry_map)
            raise
        apis.telemetry.track_event("hearing-result-deleted-success", telemetry_map)

    async def delete_referral_result(self, event: ChargeEvent) -> None:
        apis = self.apis
        telemetry_map = _telemetry(event)
        # The same event names as the hearing path (spec 11.8).
        with reported("hearing-result-deleted", apis.telemetry, telemetry_map):
            mapping = await apis.mappings.get_adjudication(event.charge_number)
            telemetry_map["adjudicationNumber"] = mapping.adjudicationNumber
            charge = await apis.dps.get_charge(event.charge_number, event.prison_id)
            last = charge.last_outcome()
            if last is not None and last.outcome is not None:
                await apis.nomis.upsert_referral_result(
                    mapping.adjudicationNumber, mapping.chargeSequence, outcome_only_result(last)
                )
            else:
                await apis.nomis.delete_referral_result(mapping.adjudicationNumber, mapping.chargeSequence)


def _telemetry(event: ChargeEvent, hearing_id: str | None = None) -> dict[str, Any]:
    telemetry_map: dict[str, Any] = {
        "chargeNumber": event.charge_number,
        "prisonId": event.prison_id,
        "offenderNo": event.prisoner_number,
    }
    if hearing_id is not None:
        telemetry_map["dpsHearingId"] = hearing_id
    return telemetry_map


def _last(entries: Any) -> OutcomeHistoryDto | None:
    found: OutcomeHistoryDto | None = None
    for entry in entries:
        found = entry
    return found
