"""The spec's standard charge, events and seeding helpers for the adjudications tests.

Everything is seeded into the real sandbox fakes (Manage Adjudications, NOMIS, mapping) that the
service talks to over HTTP; nothing in the service is replaced. The fixture values are the spec's
(section 10): prison MDI, prisoner A1234AA, charge 12345-1 mapped to NOMIS adjudication 12345 charge 1,
DPS hearing 345 mapped to NOMIS hearing 2345, awards on booking 12345.
"""

from __future__ import annotations

import copy
from typing import Any

from hmpps_sandbox.domains.adjudications import AdjudicationsFakes, default_charge
from hmpps_sandbox.estate import Estate
from hmpps_sandbox.fake import FakeApi, JournalEntry
from hmpps_sandbox.harness import ServiceHarness
from prisoner_to_nomis_update.domains import adjudications
from prisoner_to_nomis_update.framework.domain import DomainFactory

SPEC = "adjudications"
DOMAINS: list[DomainFactory] = [adjudications.build]
QUEUE = "adjudication"
DLQ_AFTER_3 = {"HMPPS_SQS_QUEUES_ADJUDICATION_DLQ_MAX_RECEIVE_COUNT": "3"}
UPDATE_ROLE = "ROLE_PRISONER_TO_NOMIS__UPDATE__RW"

PRISON = "MDI"
OFFENDER = "A1234AA"
BOOKING = 12345
CHARGE = "12345-1"
ADJUDICATION = 12345
DPS_HEARING = 345
NOMIS_HEARING = 2345
INCIDENT_LOCATION = "9d306768-26a3-4bce-8b5d-3ec0f8a57b2a"
HEARING_LOCATION = "0871d8a3-4d58-4a6b-b8d0-02f5f6a1e1b2"
NOMIS_INCIDENT_LOCATION = 1234
NOMIS_HEARING_LOCATION = 345

ADJUDICATION_PATH = f"/adjudications/adjudication-number/{ADJUDICATION}"
CHARGE_PATH = f"{ADJUDICATION_PATH}/charge/1"
HEARING_PATH = f"{ADJUDICATION_PATH}/hearings/{NOMIS_HEARING}"


def dps_get(charge_number: str = CHARGE) -> str:
    return f"/reported-adjudications/{charge_number}/v2"


def charge(charge_number: str = CHARGE, **fields: Any) -> dict[str, Any]:
    """The spec's reported adjudication (fields override)."""
    base = default_charge(charge_number, OFFENDER, PRISON)
    base["incidentDetails"] = {
        **base["incidentDetails"],
        "locationUuid": INCIDENT_LOCATION,
        "dateTimeOfDiscovery": "2023-07-28T01:12:32",
    }
    base["createdDateTime"] = "2023-07-29T12:01:55.123"
    base["incidentStatement"] = {"statement": "Prisoner assaulted another prisoner", "completed": True}
    return {**base, **copy.deepcopy(fields)}


def hearing(
    hearing_id: int = DPS_HEARING,
    hearing_type: str = "GOV_ADULT",
    when: str = "2023-08-23T14:25:00",
    outcome: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "id": hearing_id,
        "locationId": 27187,
        "locationUuid": HEARING_LOCATION,
        "dateTimeOfHearing": when,
        "oicHearingType": hearing_type,
        "agencyId": PRISON,
        "outcome": outcome,
    }


def hearing_outcome(code: str, plea: str | None = None, adjudicator: str = "JBULLENGEN") -> dict[str, Any]:
    found: dict[str, Any] = {"id": 1, "adjudicator": adjudicator, "code": code}
    if plea is not None:
        found["plea"] = plea
    return found


def outcome_entry(
    hearing_dto: dict[str, Any] | None, code: str | None = None, referral: str | None = None
) -> dict[str, Any]:
    entry: dict[str, Any] = {"hearing": hearing_dto}
    if code is not None:
        entry["outcome"] = {"outcome": {"id": 1, "code": code}}
        if referral is not None:
            entry["outcome"]["referralOutcome"] = {"id": 2, "code": referral}
    return entry


def punishment(
    punishment_id: int,
    punishment_type: str,
    duration: int | None = None,
    measurement: str = "DAYS",
    start: str | None = None,
    suspended_until: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    schedule: dict[str, Any] = {"days": duration or 0, "duration": duration, "measurement": measurement}
    if start is not None:
        schedule["startDate"] = start
    if suspended_until is not None:
        schedule["suspendedUntil"] = suspended_until
    return {
        "id": punishment_id,
        "type": punishment_type,
        "schedule": schedule,
        "canRemove": True,
        "canEdit": True,
        "rehabilitativeActivities": [],
        **fields,
    }


def event(
    event_type: str,
    charge_number: str = CHARGE,
    hearing_id: str | int | None = None,
    prison: str = PRISON,
    prisoner: str = OFFENDER,
) -> dict[str, Any]:
    information: dict[str, Any] = {
        "chargeNumber": charge_number,
        "prisonId": prison,
        "prisonerNumber": prisoner,
    }
    if hearing_id is not None:
        information["hearingId"] = str(hearing_id)
    return {
        "eventType": event_type,
        "version": 1,
        "description": "An adjudication changed",
        "occurredAt": "2023-08-23T15:00:00+01:00",
        "additionalInformation": information,
    }


class AdjudicationsWorld:
    """Seeds the adjudication fakes directly (the tests' 'given') and reads their state."""

    def __init__(self, estate: Estate) -> None:
        self.estate = estate
        self.fakes: AdjudicationsFakes = estate.plugins["adjudications"]
        self.prisoners = estate.plugins["prisoners"]
        self.prisoners.seed([{"bookingId": BOOKING, "offenderNo": OFFENDER}])
        self.fakes.locations[INCIDENT_LOCATION] = NOMIS_INCIDENT_LOCATION
        self.fakes.locations[HEARING_LOCATION] = NOMIS_HEARING_LOCATION

    @property
    def dps_api(self) -> FakeApi:
        return self.fakes.dps.api

    def dps(self, charge_dto: dict[str, Any] | None = None, booking_id: int = BOOKING) -> dict[str, Any]:
        return self.fakes.dps.seed(charge_dto or charge(), booking_id)

    def nomis_adjudication(
        self,
        number: int = ADJUDICATION,
        offender_no: str = OFFENDER,
        booking_id: int = BOOKING,
        **incident: Any,
    ) -> dict[str, Any]:
        return self.fakes.nomis.seed_adjudication(offender_no, booking_id, number, **incident)

    def mapped_charge(
        self, charge_number: str = CHARGE, number: int = ADJUDICATION, booking_id: int = BOOKING
    ) -> dict[str, Any]:
        """A NOMIS adjudication and the charge's mapping to it."""
        record = self.nomis_adjudication(number, booking_id=booking_id)
        self.fakes.mappings.map_charge(charge_number, number)
        return record

    def nomis_hearing(
        self, number: int = ADJUDICATION, hearing_id: int = NOMIS_HEARING, result: bool = False
    ) -> None:
        self.fakes.nomis.seed_hearing(number, hearing_id)
        if result:
            self.fakes.nomis.seed_result(number, hearing_id)

    def mapped_hearing(
        self, dps_id: int = DPS_HEARING, nomis_id: int = NOMIS_HEARING, result: bool = False
    ) -> None:
        self.nomis_hearing(hearing_id=nomis_id, result=result)
        self.fakes.mappings.map_hearing(str(dps_id), nomis_id)

    def heard_charge(self, charge_number: str = CHARGE, number: int = ADJUDICATION) -> dict[str, Any]:
        """A mapped charge whose NOMIS hearing has a result, so NOMIS accepts awards for it."""
        record = self.mapped_charge(charge_number, number)
        self.nomis_hearing(number, result=True)
        return record

    def nomis_award(self, number: int = ADJUDICATION, **fields: Any) -> dict[str, Any]:
        return self.fakes.nomis.seed_award(number, **fields)

    def mapped_punishment(self, dps_id: int, sanction_sequence: int, booking_id: int = BOOKING) -> None:
        self.fakes.mappings.map_punishment(str(dps_id), booking_id, sanction_sequence)

    def awards(self, number: int = ADJUDICATION) -> list[dict[str, Any]]:
        return self.fakes.nomis.awards_of(number)

    def punishment_mappings(self) -> list[dict[str, Any]]:
        return list(self.fakes.mappings.punishments.rows)

    def nomis_adjudications(self, offender_no: str = OFFENDER) -> list[dict[str, Any]]:
        return self.fakes.nomis.for_offender(offender_no)


def requests(fake: FakeApi, method: str, pattern: str) -> list[JournalEntry]:
    return fake.requests(method, pattern)


async def publish_and_wait(
    harness: ServiceHarness, message: dict[str, Any], telemetry: str
) -> dict[str, str]:
    await harness.estate.publish(message)
    return (await harness.wait_for_event(telemetry))[-1]


async def publish_until_dlq(harness: ServiceHarness, message: dict[str, Any]) -> None:
    """Publish and wait until the message has failed three times and sits on the DLQ."""
    await harness.estate.publish(message)
    await harness.wait_for_depth(QUEUE, 1, dlq=True)
