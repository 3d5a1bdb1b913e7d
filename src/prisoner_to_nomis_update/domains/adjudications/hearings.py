"""Hearings created (spec 4.4), updated (4.5) and deleted (4.6)."""

from __future__ import annotations

from typing import Any

from prisoner_to_nomis_update.domains.adjudications.earlier_attempts import EarlierAttempts
from prisoner_to_nomis_update.domains.adjudications.mapping_saves import MappingSaves
from prisoner_to_nomis_update.domains.adjudications.models import (
    AdjudicationHearingMappingDto,
    HearingDto,
    HearingEvent,
    ReportedAdjudicationDto,
)
from prisoner_to_nomis_update.domains.adjudications.transform import (
    create_hearing_request,
    update_hearing_request,
)
from prisoner_to_nomis_update.domains.adjudications.wiring import Apis
from prisoner_to_nomis_update.framework.delivery import may_repeat_earlier_work
from prisoner_to_nomis_update.framework.http import HttpError
from prisoner_to_nomis_update.framework.synchronise import reported, synchronise


class HearingNotFound(LookupError):
    def __init__(self, hearing_id: str, charge_number: str) -> None:
        super().__init__(
            f"Hearing {hearing_id} not found for DPS adjudication with charge no {charge_number}"
        )


def dps_hearing(charge: ReportedAdjudicationDto, hearing_id: str) -> HearingDto:
    hearing = charge.hearing(hearing_id)
    if hearing is None:
        raise HearingNotFound(hearing_id, charge.chargeNumber)
    return hearing


def hearing_telemetry(event: HearingEvent) -> dict[str, Any]:
    return {
        "chargeNumber": event.charge_number,
        "prisonId": event.prison_id,
        "offenderNo": event.prisoner_number,
        "dpsHearingId": event.dps_hearing_id,
    }


class Hearings:
    def __init__(self, apis: Apis, saves: MappingSaves, earlier: EarlierAttempts) -> None:
        self.apis = apis
        self.saves = saves
        self.earlier = earlier

    async def create(self, event: HearingEvent) -> None:
        apis = self.apis
        hearing_id = event.dps_hearing_id
        telemetry_map = hearing_telemetry(event)

        async def transform() -> AdjudicationHearingMappingDto:
            # No awaiting-parent retry here: a missing adjudication mapping is an ordinary failure.
            mapping = await apis.mappings.get_adjudication(event.charge_number)
            telemetry_map["adjudicationNumber"] = mapping.adjudicationNumber
            charge = await apis.dps.get_charge(event.charge_number, event.prison_id)
            hearing = dps_hearing(charge, hearing_id)
            location = await apis.mappings.nomis_location_id(hearing.locationUuid)
            request = create_hearing_request(hearing, location)
            nomis_hearing_id: int | None = None
            if may_repeat_earlier_work():
                nomis_hearing_id = await self.earlier.hearing(mapping.adjudicationNumber, request)
                if nomis_hearing_id is not None:
                    apis.telemetry.track_event(
                        "hearing-create-reused-nomis-hearing",
                        {**telemetry_map, "nomisHearingId": nomis_hearing_id},
                    )
            if nomis_hearing_id is None:
                nomis_hearing_id = await apis.nomis.create_hearing(mapping.adjudicationNumber, request)
            telemetry_map["nomisHearingId"] = nomis_hearing_id
            return AdjudicationHearingMappingDto(dpsHearingId=hearing_id, nomisHearingId=nomis_hearing_id)

        await synchronise(
            name="hearing",
            telemetry=apis.telemetry,
            event_telemetry=telemetry_map,
            check_mapping_exists=lambda: apis.mappings.find_hearing(hearing_id),
            transform=transform,
            save_mapping=self.saves.hearing,
            retry_queue=apis.retry_queue,
        )

    async def update(self, event: HearingEvent) -> None:
        apis = self.apis
        telemetry_map = hearing_telemetry(event)
        with reported("hearing-updated", apis.telemetry, telemetry_map):
            mapping = await apis.mappings.get_adjudication(event.charge_number)
            telemetry_map["adjudicationNumber"] = mapping.adjudicationNumber
            hearing_mapping = await apis.mappings.get_hearing(event.dps_hearing_id)
            telemetry_map["nomisHearingId"] = hearing_mapping.nomisHearingId
            charge = await apis.dps.get_charge(event.charge_number, event.prison_id)
            hearing = dps_hearing(charge, event.dps_hearing_id)
            location = await apis.mappings.nomis_location_id(hearing.locationUuid)
            await apis.nomis.update_hearing(
                mapping.adjudicationNumber,
                hearing_mapping.nomisHearingId,
                update_hearing_request(hearing, location),
            )

    async def delete(self, event: HearingEvent) -> None:
        apis = self.apis
        telemetry_map = hearing_telemetry(event)
        with reported("hearing-deleted", apis.telemetry, telemetry_map):
            mapping = await apis.mappings.get_adjudication(event.charge_number)
            telemetry_map["adjudicationNumber"] = mapping.adjudicationNumber
            hearing_mapping = await apis.mappings.get_hearing(event.dps_hearing_id)
            telemetry_map["nomisHearingId"] = hearing_mapping.nomisHearingId
            try:
                await apis.nomis.delete_hearing(mapping.adjudicationNumber, hearing_mapping.nomisHearingId)
            except HttpError as error:
                # Already gone: an earlier attempt deleted it but not its mapping. Finish the job.
                if error.status != 404:
                    raise
            await apis.mappings.delete_hearing(event.dps_hearing_id)
