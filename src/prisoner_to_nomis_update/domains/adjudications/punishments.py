"""Punishments as NOMIS awards: created (spec 4.9), updated (4.10), deleted (4.11), quashed (4.12) and
unquashed (4.13)."""

from __future__ import annotations

from datetime import date
from typing import Any

from prisoner_to_nomis_update.domains.adjudications.awards import (
    AwardPlan,
    AwardPlanner,
    PlannedAward,
    nomis_ids,
    paired,
)
from prisoner_to_nomis_update.domains.adjudications.mapping_saves import MappingSaves
from prisoner_to_nomis_update.domains.adjudications.models import (
    AdjudicationMappingDto,
    AdjudicationPunishmentBatchMappingDto,
    AdjudicationPunishmentBatchUpdateMappingDto,
    AwardsResponse,
    ChargeEvent,
    CreateHearingResultAwardRequest,
    PunishmentDto,
    UnquashHearingResultAwardRequest,
)
from prisoner_to_nomis_update.domains.adjudications.transform import finding_code_only
from prisoner_to_nomis_update.domains.adjudications.wiring import Apis
from prisoner_to_nomis_update.framework.delivery import may_repeat_earlier_work
from prisoner_to_nomis_update.framework.synchronise import create_mapping, reported, synchronise
from prisoner_to_nomis_update.framework.telemetry import as_text


class PunishmentsStillInDps(RuntimeError):
    def __init__(self, prisoner_number: str, charge_number: str) -> None:
        super().__init__(
            f"Punishments exist in DPS for offenderNo {prisoner_number} charge no {charge_number}. "
            "Ignoring delete punishments event."
        )


class NotQuashed(RuntimeError):
    """Quash arrived while DPS's last outcome is something else: surfaced on the DLQ on purpose."""

    def __init__(self, code: str | None) -> None:
        self.code = code
        super().__init__(f"Outcome is {as_text(code)}")


class NoOutcome(LookupError):
    pass


class Punishments:
    def __init__(self, apis: Apis, saves: MappingSaves, planner: AwardPlanner) -> None:
        self.apis = apis
        self.saves = saves
        self.planner = planner

    async def create(self, event: ChargeEvent, hearing_date: date | None = None) -> None:
        """`hearing_date`: only the full repair gives it, as the effective date of undated punishments."""
        apis = self.apis
        telemetry_map = _telemetry(event)
        repeat = may_repeat_earlier_work()

        async def transform() -> AdjudicationPunishmentBatchMappingDto:
            mapping = await apis.mappings.get_adjudication(event.charge_number)
            _add_mapping(telemetry_map, mapping)
            charge = await apis.dps.get_charge(event.charge_number, event.prison_id)
            planned = await self.planner.planned(charge.punishments, hearing_date)
            if not repeat and not await self._created_before(planned):
                created = await self._create_awards(mapping, planned)
                telemetry_map["punishmentsCount"] = len(created.awardsCreated)
                return AdjudicationPunishmentBatchMappingDto(
                    punishments=paired(planned, created.awardsCreated)
                )
            # A repeat creates only what no earlier attempt did: mapped punishments are left alone and
            # awards written but not mapped are taken over, so NOMIS never holds an award twice.
            plan = await self.planner.partition(planned)
            await self.planner.adopt_earlier_awards(plan, mapping.adjudicationNumber, mapping.chargeSequence)
            created = (
                await self._create_awards(mapping, plan.to_create) if plan.to_create else AwardsResponse()
            )
            telemetry_map["punishmentsCount"] = len(created.awardsCreated)
            if plan.to_update or plan.adopted:
                apis.telemetry.track_event(
                    "punishment-create-reused-nomis-awards",
                    {
                        **telemetry_map,
                        "punishmentsAlreadyMappedCount": len(plan.to_update),
                        "punishmentsReusedCount": len(plan.adopted),
                    },
                )
            return AdjudicationPunishmentBatchMappingDto(
                punishments=plan.mappings_to_create(created.awardsCreated)
            )

        async def nothing_to_check() -> None:
            # Punishments have no "already created" check of their own (spec 4.9); see `transform`.
            return None

        await synchronise(
            name="punishment",
            telemetry=apis.telemetry,
            event_telemetry=telemetry_map,
            check_mapping_exists=nothing_to_check,
            transform=transform,
            save_mapping=self.saves.punishments,
            retry_queue=apis.retry_queue,
        )

    async def _created_before(self, planned: list[PlannedAward]) -> bool:
        """One read: is the first punishment mapped? Then an earlier delivery of this event (an SNS
        duplicate, or a redelivery after the work was saved) created the awards already."""
        return bool(planned) and await self.apis.mappings.find_punishment(planned[0].dps_id) is not None

    async def _create_awards(
        self, mapping: AdjudicationMappingDto, planned: list[PlannedAward]
    ) -> AwardsResponse:
        return await self.apis.nomis.create_awards(
            mapping.adjudicationNumber,
            mapping.chargeSequence,
            CreateHearingResultAwardRequest(awards=[item.request for item in planned]),
        )

    async def update(self, event: ChargeEvent) -> None:
        apis = self.apis
        telemetry_map = _telemetry(event)
        with reported("punishment-update", apis.telemetry, telemetry_map):
            mapping = await apis.mappings.get_adjudication(event.charge_number)
            _add_mapping(telemetry_map, mapping)
            charge = await apis.dps.get_charge(event.charge_number, event.prison_id)
            plan = await self._plan(charge.punishments, mapping)
            response = await apis.nomis.update_awards(
                mapping.adjudicationNumber, mapping.chargeSequence, plan.update_request()
            )
            _add_counts(telemetry_map, plan, response)
            # Always, even with nothing to create or delete, as the original does.
            await self._update_mappings("punishment-update", plan, response, telemetry_map)

    async def delete(self, event: ChargeEvent) -> None:
        apis = self.apis
        telemetry_map = _telemetry(event)
        with reported("punishment-delete", apis.telemetry, telemetry_map):
            mapping = await apis.mappings.get_adjudication(event.charge_number)
            _add_mapping(telemetry_map, mapping)
            charge = await apis.dps.get_charge(event.charge_number, event.prison_id)
            if charge.punishments:
                raise PunishmentsStillInDps(charge.prisonerNumber, event.charge_number)
            response = await apis.nomis.delete_awards(mapping.adjudicationNumber, mapping.chargeSequence)
            telemetry_map["punishmentsDeletedCount"] = len(response.awardsDeleted)
            if response.awardsDeleted:
                await self._update_mappings("punishment-delete", AwardPlan(), response, telemetry_map)

    async def quash(self, event: ChargeEvent) -> None:
        apis = self.apis
        telemetry_map = _telemetry(event)
        with reported("punishment-quash", apis.telemetry, telemetry_map):
            mapping = await apis.mappings.get_adjudication(event.charge_number)
            _add_mapping(telemetry_map, mapping)
            charge = await apis.dps.get_charge(event.charge_number, event.prison_id)
            last = charge.last_outcome()
            code = last.outcome.outcome.code if last is not None and last.outcome is not None else None
            if code != "QUASHED":
                refused = NotQuashed(code)
                # Only this refusal carries its reason (spec scenario 77).
                telemetry_map["reason"] = str(refused)
                raise refused
            await apis.nomis.quash(mapping.adjudicationNumber, mapping.chargeSequence)

    async def unquash(self, event: ChargeEvent) -> None:
        apis = self.apis
        telemetry_map = _telemetry(event)
        with reported("punishment-unquash", apis.telemetry, telemetry_map):
            mapping = await apis.mappings.get_adjudication(event.charge_number)
            _add_mapping(telemetry_map, mapping)
            charge = await apis.dps.get_charge(event.charge_number, event.prison_id)
            last = charge.last_outcome()
            if last is None:
                raise NoOutcome(
                    f"No outcome in DPS adjudication with charge no {event.charge_number} to unquash"
                )
            plan = await self._plan(charge.punishments, mapping)
            request = UnquashHearingResultAwardRequest(
                findingCode=finding_code_only(last), awards=plan.update_request()
            )
            response = await apis.nomis.unquash(mapping.adjudicationNumber, mapping.chargeSequence, request)
            _add_counts(telemetry_map, plan, response)
            if plan.adopted or plan.to_create or response.awardsDeleted:
                await self._update_mappings("punishment-unquash", plan, response, telemetry_map)

    async def _plan(self, punishments: list[PunishmentDto], mapping: AdjudicationMappingDto) -> AwardPlan:
        plan = await self.planner.partition(await self.planner.planned(punishments))
        if may_repeat_earlier_work():
            # NOMIS replaces the charge's awards, so a repeat would only churn (delete and re-create)
            # the awards an earlier attempt created; updating them in place creates nothing new.
            await self.planner.adopt_earlier_awards(plan, mapping.adjudicationNumber, mapping.chargeSequence)
        return plan

    async def _update_mappings(
        self, name: str, plan: AwardPlan, response: AwardsResponse, telemetry_map: dict[str, Any]
    ) -> None:
        await create_mapping(
            name=name,
            mapping=AdjudicationPunishmentBatchUpdateMappingDto(
                punishmentsToCreate=plan.mappings_to_create(response.awardsCreated),
                punishmentsToDelete=nomis_ids(response.awardsDeleted),
            ),
            save=self.saves.punishments_update,
            telemetry=self.apis.telemetry,
            event_telemetry=telemetry_map,
            retry_queue=self.apis.retry_queue,
        )


def _telemetry(event: ChargeEvent) -> dict[str, Any]:
    return {
        "chargeNumber": event.charge_number,
        "prisonId": event.prison_id,
        "offenderNo": event.prisoner_number,
    }


def _add_mapping(telemetry_map: dict[str, Any], mapping: AdjudicationMappingDto) -> None:
    telemetry_map["adjudicationNumber"] = mapping.adjudicationNumber
    telemetry_map["chargeSequence"] = mapping.chargeSequence


def _add_counts(telemetry_map: dict[str, Any], plan: AwardPlan, response: AwardsResponse) -> None:
    telemetry_map["punishmentsCreatedCount"] = len(plan.to_create)
    telemetry_map["punishmentsUpdatedCount"] = len(plan.to_update) + len(plan.adopted)
    telemetry_map["punishmentsDeletedCount"] = len(response.awardsDeleted)
