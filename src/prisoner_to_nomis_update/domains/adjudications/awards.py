"""DPS punishments as NOMIS awards: building the award requests and deciding which to create or update."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from prisoner_to_nomis_update.domains.adjudications.clients import (
    AdjudicationMappingApi,
    NomisAdjudicationsApi,
)
from prisoner_to_nomis_update.domains.adjudications.earlier_attempts import same_award
from prisoner_to_nomis_update.domains.adjudications.models import (
    AdjudicationChargeId,
    AdjudicationPunishmentMappingDto,
    AdjudicationPunishmentNomisIdDto,
    ExistingHearingResultAwardRequest,
    HearingResultAwardRequest,
    HearingResultAwardResponse,
    PunishmentDto,
    UpdateHearingResultAwardRequest,
)
from prisoner_to_nomis_update.domains.adjudications.transform import award, dated_effective_date


@dataclass(frozen=True)
class PlannedAward:
    punishment: PunishmentDto
    request: HearingResultAwardRequest

    @property
    def dps_id(self) -> str:
        return str(self.punishment.id)


@dataclass(frozen=True)
class ExistingAward:
    planned: PlannedAward
    booking_id: int
    sanction_sequence: int


@dataclass
class AwardPlan:
    """Which DPS punishments update which NOMIS awards, and which need a new award."""

    to_update: list[ExistingAward] = field(default_factory=list)
    to_create: list[PlannedAward] = field(default_factory=list)
    # Awards an earlier attempt created but never mapped, now updated in place and mapped.
    adopted: list[ExistingAward] = field(default_factory=list)

    def update_request(self) -> UpdateHearingResultAwardRequest:
        return UpdateHearingResultAwardRequest(
            awardsToCreate=[planned.request for planned in self.to_create],
            awardsToUpdate=[
                ExistingHearingResultAwardRequest(
                    award=existing.planned.request, sanctionSequence=existing.sanction_sequence
                )
                for existing in [*self.to_update, *self.adopted]
            ],
        )

    def mappings_to_create(
        self, created: list[HearingResultAwardResponse]
    ) -> list[AdjudicationPunishmentMappingDto]:
        """The adopted awards, then the new ones paired by position with what NOMIS created."""
        adopted = [
            AdjudicationPunishmentMappingDto(
                dpsPunishmentId=existing.planned.dps_id,
                nomisBookingId=existing.booking_id,
                nomisSanctionSequence=existing.sanction_sequence,
            )
            for existing in self.adopted
        ]
        return adopted + paired(self.to_create, created)


def paired(
    planned: list[PlannedAward], created: list[HearingResultAwardResponse]
) -> list[AdjudicationPunishmentMappingDto]:
    """DPS punishments and NOMIS awards by position (NOMIS answers in request order; extras dropped)."""
    return [
        AdjudicationPunishmentMappingDto(
            dpsPunishmentId=item.dps_id,
            nomisBookingId=response.bookingId,
            nomisSanctionSequence=response.sanctionSequence,
        )
        for item, response in zip(planned, created, strict=False)
    ]


def nomis_ids(awards: list[HearingResultAwardResponse]) -> list[AdjudicationPunishmentNomisIdDto]:
    return [
        AdjudicationPunishmentNomisIdDto(
            nomisBookingId=item.bookingId, nomisSanctionSequence=item.sanctionSequence
        )
        for item in awards
    ]


class AwardPlanner:
    def __init__(self, nomis: NomisAdjudicationsApi, mappings: AdjudicationMappingApi) -> None:
        self.nomis = nomis
        self.mappings = mappings

    async def planned(
        self, punishments: list[PunishmentDto], hearing_date: date | None = None
    ) -> list[PlannedAward]:
        """One award request per punishment; consecutive punishments look up the other charge's mapping."""
        planned: list[PlannedAward] = []
        for punishment in punishments:
            consecutive: AdjudicationChargeId | None = None
            if punishment.consecutiveChargeNumber:
                other = await self.mappings.get_adjudication(punishment.consecutiveChargeNumber)
                consecutive = AdjudicationChargeId(
                    adjudicationNumber=other.adjudicationNumber, chargeSequence=other.chargeSequence
                )
            planned.append(PlannedAward(punishment, award(punishment, consecutive, hearing_date)))
        return planned

    async def partition(self, planned: list[PlannedAward]) -> AwardPlan:
        """Mapped punishments update their award; the rest are created (one mapping read each)."""
        plan = AwardPlan()
        for item in planned:
            mapping = await self.mappings.find_punishment(item.dps_id)
            if mapping is None:
                plan.to_create.append(item)
            else:
                plan.to_update.append(
                    ExistingAward(item, mapping.nomisBookingId, mapping.nomisSanctionSequence)
                )
        return plan

    async def adopt_earlier_awards(
        self, plan: AwardPlan, adjudication_number: int, charge_sequence: int
    ) -> None:
        """Move to `adopted` each punishment to create whose award an earlier attempt already wrote.

        An award counts when it is on this charge, no current DPS punishment's mapping names it, and it
        holds exactly what this punishment would write. One read of the NOMIS adjudication.
        """
        if not plan.to_create:
            return
        found = await self.nomis.get_adjudication(adjudication_number)
        claimed = {existing.sanction_sequence for existing in plan.to_update}
        unclaimed = [a for a in found.awards_for(charge_sequence) if a.sequence not in claimed]
        remaining: list[PlannedAward] = []
        for item in plan.to_create:
            dated = dated_effective_date(item.punishment) is not None
            match = next((a for a in unclaimed if same_award(a, item.request, dated)), None)
            if match is None:
                remaining.append(item)
                continue
            unclaimed.remove(match)
            plan.adopted.append(ExistingAward(item, found.bookingId, match.sequence))
        plan.to_create = remaining
