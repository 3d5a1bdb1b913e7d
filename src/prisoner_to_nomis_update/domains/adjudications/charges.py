"""The charge itself: report created (spec 4.1), damages (4.2) and evidence (4.3) updated."""

from __future__ import annotations

from typing import Any

from prisoner_to_nomis_update.domains.adjudications.earlier_attempts import EarlierAttempts
from prisoner_to_nomis_update.domains.adjudications.mapping_saves import MappingSaves
from prisoner_to_nomis_update.domains.adjudications.models import (
    AdjudicationMappingDto,
    ChargeEvent,
    UpdateEvidenceRequest,
    UpdateRepairsRequest,
)
from prisoner_to_nomis_update.domains.adjudications.transform import (
    create_adjudication_request,
    evidence,
    repairs,
)
from prisoner_to_nomis_update.domains.adjudications.wiring import Apis
from prisoner_to_nomis_update.framework.delivery import may_repeat_earlier_work
from prisoner_to_nomis_update.framework.synchronise import reported, synchronise


class Charges:
    def __init__(self, apis: Apis, saves: MappingSaves, earlier: EarlierAttempts) -> None:
        self.apis = apis
        self.saves = saves
        self.earlier = earlier

    async def create(self, event: ChargeEvent) -> int | None:
        """Create the NOMIS adjudication; its number, or None when the charge was already mapped."""
        apis = self.apis
        charge_number = event.charge_number
        # The event's prisoner number is not reported: the prisoner comes from DPS (spec 11.2).
        telemetry_map: dict[str, Any] = {"chargeNumber": charge_number, "prisonId": event.prison_id}
        numbers: list[int] = []

        async def transform() -> AdjudicationMappingDto:
            charge = await apis.dps.get_charge(charge_number, event.prison_id)
            telemetry_map["offenderNo"] = charge.prisonerNumber
            location = await apis.mappings.nomis_location_id(charge.incidentDetails.locationUuid)
            request = create_adjudication_request(charge, location)
            if may_repeat_earlier_work():
                found = await self.earlier.adjudication(charge, request)
                if found is not None:
                    numbers.append(found.adjudication_number)
                    apis.telemetry.track_event(
                        "adjudication-create-reused-nomis-adjudication",
                        {**telemetry_map, "adjudicationNumber": found.adjudication_number},
                    )
                    return AdjudicationMappingDto(
                        adjudicationNumber=found.adjudication_number,
                        chargeSequence=found.charge_sequence,
                        chargeNumber=charge_number,
                    )
            created = await apis.nomis.create_adjudication(charge.prisonerNumber, request)
            numbers.append(created.adjudicationNumber)
            return AdjudicationMappingDto(
                adjudicationNumber=created.adjudicationNumber,
                chargeSequence=created.charges[0].chargeSequence,
                chargeNumber=charge_number,
            )

        await synchronise(
            name="adjudication",
            telemetry=apis.telemetry,
            event_telemetry=telemetry_map,
            check_mapping_exists=lambda: apis.mappings.find_adjudication(charge_number),
            transform=transform,
            save_mapping=self.saves.adjudication,
            retry_queue=apis.retry_queue,
        )
        return numbers[0] if numbers else None

    async def update_damages(self, event: ChargeEvent) -> None:
        apis = self.apis
        telemetry_map = _charge_telemetry(event)
        with reported("adjudication-damages-updated", apis.telemetry, telemetry_map):
            mapping = await apis.mappings.get_adjudication(event.charge_number)
            _add_mapping(telemetry_map, mapping)
            charge = await apis.dps.get_charge(event.charge_number, event.prison_id)
            # An empty list is sent too: NOMIS then removes every repair.
            count = await apis.nomis.update_repairs(
                mapping.adjudicationNumber, UpdateRepairsRequest(repairs=repairs(charge))
            )
            telemetry_map["repairCount"] = count

    async def update_evidence(self, event: ChargeEvent) -> None:
        apis = self.apis
        telemetry_map = _charge_telemetry(event)
        with reported("adjudication-evidence-updated", apis.telemetry, telemetry_map):
            mapping = await apis.mappings.get_adjudication(event.charge_number)
            _add_mapping(telemetry_map, mapping)
            charge = await apis.dps.get_charge(event.charge_number, event.prison_id)
            count = await apis.nomis.update_evidence(
                mapping.adjudicationNumber, UpdateEvidenceRequest(evidence=evidence(charge))
            )
            telemetry_map["evidenceCount"] = count


def _charge_telemetry(event: ChargeEvent) -> dict[str, Any]:
    return {
        "chargeNumber": event.charge_number,
        "prisonId": event.prison_id,
        "offenderNo": event.prisoner_number,
    }


def _add_mapping(telemetry_map: dict[str, Any], mapping: AdjudicationMappingDto) -> None:
    telemetry_map["adjudicationNumber"] = mapping.adjudicationNumber
    telemetry_map["chargeSequence"] = mapping.chargeSequence
