"""The Manage Adjudications API (DPS) in the sandbox: charges with hearings, outcomes and punishments.

`GET /reported-adjudications/{chargeNumber}/v2` answers only with an `Active-Caseload` header, as the
real API does. Control endpoints change a charge and publish its `adjudication.*` event in one step:

* `POST /__adjudications/{chargeNumber}/publish/{eventType}` with `{"charge": {fields}, "hearingId": ...}`
  sets top-level fields of the charge (creating it from a default) and publishes any of the 26 events;
* `POST /__adjudications/{chargeNumber}/report|hearing|outcome|punishment` tell the usual story: report
  a charge, schedule a hearing, complete it with the charge proved, award a punishment.

`?publish=false` changes the charge without publishing.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from hmpps_sandbox.fake import FakeApi, error_response, json_body, json_response
from hmpps_sandbox.stores import Sequence

DPS_NAME = "adjudications"
EVENTS = (
    "adjudication.report.created",
    "adjudication.damages.updated",
    "adjudication.evidence.updated",
    "adjudication.hearing.created",
    "adjudication.hearing.updated",
    "adjudication.hearing.deleted",
    "adjudication.hearingCompleted.created",
    "adjudication.hearingAdjourn.created",
    "adjudication.hearingReferral.created",
    "adjudication.referral.outcome.prosecution",
    "adjudication.referral.outcome.notProceed",
    "adjudication.referral.outcome.referGov",
    "adjudication.outcome.referPolice",
    "adjudication.outcome.notProceed",
    "adjudication.hearingOutcome.updated",
    "adjudication.hearingCompleted.deleted",
    "adjudication.hearingAdjourn.deleted",
    "adjudication.hearingReferral.deleted",
    "adjudication.referral.outcome.deleted",
    "adjudication.referral.deleted",
    "adjudication.outcome.notProceed.deleted",
    "adjudication.punishments.created",
    "adjudication.punishments.updated",
    "adjudication.punishments.deleted",
    "adjudication.outcome.quashed",
    "adjudication.outcome.unquashed",
)
DEFAULT_LOCATION_UUID = "0191c4ab-7d5e-7a9c-9d44-1f2e3d4c5b6a"
DEFAULT_PRISONER = "A1234AA"
DEFAULT_PRISON = "MDI"

Publish = Callable[[dict[str, Any]], Awaitable[str]]


def default_charge(
    charge_number: str, prisoner_number: str = DEFAULT_PRISONER, prison_id: str = DEFAULT_PRISON
) -> dict[str, Any]:
    """A reported adjudication as DPS returns it: an assault, reported and not yet heard."""
    return {
        "chargeNumber": charge_number,
        "prisonerNumber": prisoner_number,
        "gender": "MALE",
        "incidentDetails": {
            "locationId": 197683,
            "locationUuid": DEFAULT_LOCATION_UUID,
            "dateTimeOfIncident": "2023-07-25T15:00:00",
            "dateTimeOfDiscovery": "2023-07-28T01:12:00",
            "handoverDeadline": "2023-07-30T15:00:00",
        },
        "isYouthOffender": False,
        "incidentRole": {"roleCode": None},
        "offenceDetails": {
            "offenceCode": 16001,
            "offenceRule": {
                "paragraphNumber": "1",
                "paragraphDescription": "Commits any assault",
                "nomisCode": "51:1B",
                "withOthersNomisCode": "51:25D",
            },
            "victimPrisonersNumber": None,
            "victimStaffUsername": None,
            "protectedCharacteristics": [],
        },
        "incidentStatement": {"statement": "Fought with another prisoner on the landing", "completed": True},
        "createdByUserId": "TWRIGHT",
        "createdDateTime": "2023-07-29T12:01:00",
        "status": "UNSCHEDULED",
        "damages": [],
        "evidence": [],
        "witnesses": [],
        "hearings": [],
        "disIssueHistory": [],
        "outcomes": [],
        "punishments": [],
        "punishmentComments": [],
        "outcomeEnteredInNomis": False,
        "originatingAgencyId": prison_id,
        "linkedChargeNumbers": [],
        "canActionFromHistory": False,
    }


def default_hearing(
    hearing_id: int, when: datetime | None = None, agency_id: str = DEFAULT_PRISON
) -> dict[str, Any]:
    moment = (when or datetime.now() + timedelta(days=1)).replace(second=0, microsecond=0)
    return {
        "id": hearing_id,
        "locationId": 197684,
        "locationUuid": DEFAULT_LOCATION_UUID,
        "dateTimeOfHearing": moment.isoformat(),
        "oicHearingType": "GOV_ADULT",
        "agencyId": agency_id,
        "outcome": None,
    }


def default_punishment(
    punishment_id: int, punishment_type: str = "CONFINEMENT", days: int = 3
) -> dict[str, Any]:
    return {
        "id": punishment_id,
        "type": punishment_type,
        "schedule": {
            "days": days,
            "duration": days,
            "measurement": "DAYS",
            "startDate": datetime.now().date().isoformat(),
        },
        "canRemove": True,
        "canEdit": True,
        "rehabilitativeActivities": [],
    }


class DpsAdjudications:
    def __init__(self, publish: Publish, booking_of: Callable[[str], int]) -> None:
        self.api = FakeApi(DPS_NAME)
        self.publish = publish
        # The prisoner's current NOMIS booking, for charges reported without one.
        self.booking_of = booking_of
        self.charges: dict[str, dict[str, Any]] = {}
        # charge number -> NOMIS booking id (DPS keeps it on the charge, not in the DTO we use)
        self.bookings: dict[str, int] = {}
        # booking id -> status: `all-by-booking` answers this error for that booking only (the
        # journal's path-only faults cannot single out one prisoner of a report).
        self.booking_faults: dict[int, int] = {}
        self.ids = Sequence(start=5000)
        self.api.on_reset(self.reset)
        self._install()

    def reset(self) -> None:
        self.charges.clear()
        self.bookings.clear()
        self.booking_faults.clear()
        self.ids.reset()

    # ---- state ---------------------------------------------------------------------------------

    def seed(self, charge: dict[str, Any], booking_id: int | None = None) -> dict[str, Any]:
        """Store a charge (fields over the default) without publishing."""
        number = str(charge["chargeNumber"])
        record = {**default_charge(number), **copy.deepcopy(charge)}
        self.charges[number] = record
        if booking_id is not None:
            self.bookings[number] = booking_id
        return record

    def charge(self, charge_number: str) -> dict[str, Any]:
        found = self.charges.get(charge_number)
        if found is None:
            raise KeyError(f"no DPS charge {charge_number}")
        return found

    def event(self, event_type: str, charge: dict[str, Any], hearing_id: str | None = None) -> dict[str, Any]:
        information: dict[str, Any] = {
            "chargeNumber": charge["chargeNumber"],
            "prisonId": charge["originatingAgencyId"],
            "prisonerNumber": charge["prisonerNumber"],
            "status": charge.get("status"),
        }
        if hearing_id is not None:
            information["hearingId"] = hearing_id
        return {
            "eventType": event_type,
            "version": 1,
            "description": f"Adjudication change: {event_type}",
            "occurredAt": datetime.now().astimezone().isoformat(),
            "additionalInformation": information,
        }

    async def change(
        self,
        charge_number: str,
        event_type: str,
        fields: dict[str, Any] | None = None,
        hearing_id: str | None = None,
        publish: bool = True,
    ) -> dict[str, Any]:
        """Set top-level fields of a charge (created from the default if new) and publish an event."""
        if event_type not in EVENTS:
            raise ValueError(f"{event_type} is not an adjudication event")
        charge = self.charges.get(charge_number) or self.seed({"chargeNumber": charge_number})
        charge.update(copy.deepcopy(fields or {}))
        event = self.event(event_type, charge, hearing_id)
        if publish:
            await self.publish(event)
        return event

    # ---- the usual story, one step at a time ---------------------------------------------------

    async def report(
        self, charge_number: str, fields: dict[str, Any], publish: bool = True
    ) -> dict[str, Any]:
        prisoner = str(fields.pop("prisonerNumber", DEFAULT_PRISONER))
        prison = str(fields.pop("prisonId", DEFAULT_PRISON))
        booking = fields.pop("bookingId", None)
        self.charges[charge_number] = {**default_charge(charge_number, prisoner, prison), **fields}
        self.bookings[charge_number] = int(booking) if booking is not None else self.booking_of(prisoner)
        return await self.change(charge_number, "adjudication.report.created", publish=publish)

    async def schedule_hearing(
        self, charge_number: str, fields: dict[str, Any], publish: bool = True
    ) -> dict[str, Any]:
        charge = self.charge(charge_number)
        hearing = {**default_hearing(self.ids.next(), agency_id=charge["originatingAgencyId"]), **fields}
        charge["hearings"].append(hearing)
        charge["status"] = "SCHEDULED"
        return await self.change(
            charge_number, "adjudication.hearing.created", hearing_id=str(hearing["id"]), publish=publish
        )

    async def prove_charge(
        self, charge_number: str, fields: dict[str, Any], publish: bool = True
    ) -> dict[str, Any]:
        """Complete the last hearing: the prisoner pleads guilty and the charge is proved."""
        charge = self.charge(charge_number)
        if not charge["hearings"]:
            raise ValueError(f"charge {charge_number} has no hearing to complete")
        hearing = charge["hearings"][-1]
        hearing["outcome"] = {
            "id": self.ids.next(),
            "adjudicator": fields.get("adjudicator", "SWATSON_GEN"),
            "code": "COMPLETE",
            "plea": fields.get("plea", "GUILTY"),
        }
        outcome = {"outcome": {"id": self.ids.next(), "code": fields.get("code", "CHARGE_PROVED")}}
        charge["outcomes"].append({"hearing": copy.deepcopy(hearing), "outcome": outcome})
        charge["status"] = "CHARGE_PROVED"
        return await self.change(
            charge_number,
            "adjudication.hearingCompleted.created",
            hearing_id=str(hearing["id"]),
            publish=publish,
        )

    async def award_punishment(
        self, charge_number: str, fields: dict[str, Any], publish: bool = True
    ) -> dict[str, Any]:
        charge = self.charge(charge_number)
        first = not charge["punishments"]
        punishment = default_punishment(
            self.ids.next(), str(fields.pop("type", "CONFINEMENT")), int(fields.pop("days", 3))
        )
        charge["punishments"].append({**punishment, **fields})
        event_type = "adjudication.punishments.created" if first else "adjudication.punishments.updated"
        return await self.change(charge_number, event_type, publish=publish)

    # ---- routes --------------------------------------------------------------------------------

    def _install(self) -> None:
        async def get_charge(request: web.Request) -> web.StreamResponse:
            if not request.headers.get("Active-Caseload"):
                return error_response(400, "Active-Caseload header is required")
            charge = self.charges.get(request.match_info["chargeNumber"])
            if charge is None:
                return error_response(
                    404, f"ReportedAdjudication not found for {request.match_info['chargeNumber']}"
                )
            return json_response({"reportedAdjudication": charge})

        async def by_booking(request: web.Request) -> web.StreamResponse:
            try:
                booking_id = int(request.match_info["bookingId"])
            except ValueError:
                return error_response(400, "bookingId must be a number")
            status = self.booking_faults.get(booking_id)
            if status is not None:
                return error_response(status, f"injected fault for booking {booking_id}")
            return json_response(
                [charge for number, charge in self.charges.items() if self.bookings.get(number) == booking_id]
            )

        async def publish(request: web.Request) -> web.StreamResponse:
            body = await json_body(request) or {}
            if not isinstance(body, dict) or not isinstance(body.get("charge", {}), dict):
                return error_response(400, 'body must be {"charge": {...}, "hearingId": ...}')
            try:
                event = await self.change(
                    request.match_info["chargeNumber"],
                    request.match_info["eventType"],
                    body.get("charge"),
                    None if body.get("hearingId") is None else str(body["hearingId"]),
                    publish=request.query.get("publish", "true") != "false",
                )
            except ValueError as error:
                return error_response(400, str(error))
            return json_response(
                {"charge": self.charges[request.match_info["chargeNumber"]], "event": event}, 201
            )

        def story(step: Callable[[str, dict[str, Any], bool], Awaitable[dict[str, Any]]]) -> Any:
            async def handler(request: web.Request) -> web.StreamResponse:
                fields = await json_body(request) or {}
                if not isinstance(fields, dict):
                    return error_response(400, "body must be a JSON object")
                number = request.match_info["chargeNumber"]
                try:
                    event = await step(number, fields, request.query.get("publish", "true") != "false")
                except (KeyError, ValueError) as error:
                    return error_response(404 if isinstance(error, KeyError) else 400, str(error))
                return json_response({"charge": self.charges[number], "event": event}, 201)

            return handler

        self.api.route("GET", "/reported-adjudications/{chargeNumber}/v2", get_charge)
        self.api.route("GET", "/reported-adjudications/all-by-booking/{bookingId}", by_booking)
        self.api.route("POST", "/__adjudications/{chargeNumber}/publish/{eventType}", publish)
        self.api.route("POST", "/__adjudications/{chargeNumber}/report", story(self.report))
        self.api.route("POST", "/__adjudications/{chargeNumber}/hearing", story(self.schedule_hearing))
        self.api.route("POST", "/__adjudications/{chargeNumber}/outcome", story(self.prove_charge))
        self.api.route("POST", "/__adjudications/{chargeNumber}/punishment", story(self.award_punishment))
