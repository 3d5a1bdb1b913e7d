"""The data-repair operations behind the endpoints of spec 6: each runs the normal handlers, then audits."""

from __future__ import annotations

from prisoner_to_nomis_update.domains.adjudications.charges import Charges
from prisoner_to_nomis_update.domains.adjudications.hearings import Hearings
from prisoner_to_nomis_update.domains.adjudications.models import (
    AdjudicationDeleteMappingDto,
    charge_event,
    hearing_event,
)
from prisoner_to_nomis_update.domains.adjudications.outcomes import Outcomes
from prisoner_to_nomis_update.domains.adjudications.punishments import Punishments
from prisoner_to_nomis_update.domains.adjudications.wiring import Apis
from prisoner_to_nomis_update.framework.errors import Conflict


class AdjudicationStillMapped(Conflict):
    """The full repair found the charge mapped again when it came to create it: someone else did (409)."""


class Repairs:
    def __init__(
        self, apis: Apis, charges: Charges, hearings: Hearings, outcomes: Outcomes, punishments: Punishments
    ) -> None:
        self.apis = apis
        self.charges = charges
        self.hearings = hearings
        self.outcomes = outcomes
        self.punishments = punishments

    async def full(self, prison_id: str, offender_no: str, charge_number: str) -> int:
        """Re-create the whole charge in NOMIS (6.1), e.g. after the NOMIS adjudication was deleted.

        Every step emits its own telemetry; a failure stops the repair (500) without undoing earlier
        steps. Because every create looks for what an earlier attempt left (no delivery context means
        "may repeat"), calling the repair twice re-maps the records the first call wrote.
        """
        apis = self.apis
        charge = await apis.dps.get_charge(charge_number, prison_id)
        await apis.mappings.delete_all_for_charge(
            AdjudicationDeleteMappingDto(
                dpsChargeNumber=charge.chargeNumber,
                dpsHearingIds=[str(hearing.id) for hearing in charge.hearings],
                dpsPunishmentIds=[str(punishment.id) for punishment in charge.punishments],
            )
        )
        adjudication_number = await self.charges.create(charge_event(charge_number, prison_id, offender_no))
        for hearing in charge.hearings:
            await self.hearings.create(hearing_event(charge_number, prison_id, offender_no, str(hearing.id)))
        for entry in charge.outcomes:
            # The original passes the text "null" for a referral without a hearing and then fails on
            # the hearing mapping; a hearing-less referral is written as one instead.
            hearing_id = str(entry.hearing.id) if entry.hearing is not None else None
            await self.outcomes.upsert(charge_event(charge_number, prison_id, offender_no, hearing_id))
        latest = max((hearing.dateTimeOfHearing for hearing in charge.hearings), default=None)
        await self.punishments.create(
            charge_event(charge_number, prison_id, offender_no),
            hearing_date=latest.date() if latest else None,
        )
        if adjudication_number is None:
            raise AdjudicationStillMapped(
                f"Adjudication for charge {charge_number} was mapped again while the repair ran"
            )
        apis.telemetry.track_event(
            "adjudication-adjudication-repair",
            {
                "prisonId": prison_id,
                "chargeNumber": charge_number,
                "offenderNo": offender_no,
                "adjudicationNumber": adjudication_number,
            },
        )
        return adjudication_number

    async def punishments_repair(self, prison_id: str, offender_no: str, charge_number: str) -> None:
        await self.punishments.update(charge_event(charge_number, prison_id, offender_no))
        self.apis.telemetry.track_event(
            "adjudication-punishment-repair",
            {"prisonId": prison_id, "chargeNumber": charge_number, "offenderNo": offender_no},
        )

    async def delete_hearing_result(
        self, prison_id: str, offender_no: str, charge_number: str, hearing_id: str
    ) -> None:
        await self.outcomes.delete_hearing_result(
            charge_event(charge_number, prison_id, offender_no, hearing_id), hearing_id
        )
        self.apis.telemetry.track_event(
            "adjudication-hearing-delete-result-repair",
            {
                "prisonId": prison_id,
                "chargeNumber": charge_number,
                "hearingId": hearing_id,
                "offenderNo": offender_no,
            },
        )

    async def outcome(self, prison_id: str, offender_no: str, charge_number: str, hearing_id: str) -> None:
        await self.outcomes.upsert_hearing_result(
            charge_event(charge_number, prison_id, offender_no, hearing_id), hearing_id
        )
        self.apis.telemetry.track_event(
            "adjudication-outcome-repair",
            {
                "prisonId": prison_id,
                "chargeNumber": charge_number,
                "offenderNo": offender_no,
                "hearingId": hearing_id,
            },
        )

    async def hearing(self, prison_id: str, offender_no: str, charge_number: str, hearing_id: str) -> None:
        await self.hearings.create(hearing_event(charge_number, prison_id, offender_no, hearing_id))
        self.apis.telemetry.track_event(
            "adjudication-hearing-repair",
            {
                "prisonId": prison_id,
                "chargeNumber": charge_number,
                "offenderNo": offender_no,
                "hearingId": hearing_id,
            },
        )
