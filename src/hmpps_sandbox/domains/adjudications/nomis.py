"""NOMIS adjudications in the sandbox: incidents with charges, hearings, results and awards.

Bodies are validated as the NOMIS prisoner API does (required fields, code lists, date and time
formats, a victim who is also the suspect) and answered 400 otherwise. Awards belong to a booking and
are numbered per booking; they hang off the charge's latest hearing result, so creating one needs a
result. Updating a charge's awards replaces them: awards not listed to update are deleted and reported,
which is what the service relies on to keep the punishment mappings in step.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from aiohttp import web

from hmpps_sandbox.fake import FakeApi, error_response, json_body, json_response
from hmpps_sandbox.stores import Sequence

REPAIR_TYPES = ("CLEA", "DECO", "ELEC", "FABR", "LOCK", "PLUM")
EVIDENCE_TYPES = ("BEHAV", "DRUGTEST", "EVI_BAG", "OTHER", "PHOTO", "VICTIM", "WEAP", "WITNESS")
HEARING_TYPES = ("GOV_ADULT", "GOV_YOI", "INAD_YOI", "GOV", "INAD_ADULT")
SANCTION_TYPES = (
    "ADA", "CAUTION", "CC", "EXTRA_WORK", "EXTW", "FORFEIT", "OTHER", "REMACT", "REMWIN", "STOP_EARN",
    "STOP_PCT", "PP", "LOSS_VISITS", "RESTR_VISITS",
)  # fmt: skip
SANCTION_STATUSES = (
    "AS_AWARDED", "AWARD_RED", "IMMEDIATE", "PROSPECTIVE", "QUASHED", "REDAPP", "SUSPENDED", "SUSPEN_EXT",
    "SUSPEN_RED", "SUSP_PROSP",
)  # fmt: skip
PLEAS = ("UNFIT", "REFUSED", "GUILTY", "NOT_GUILTY", "NOT_ASKED")
FINDINGS = (
    "ADJOURNED", "REF_POLICE", "NOT_PROCEED", "D", "PROSECUTED", "PROVED", "QUASHED", "DISMISSED", "GUILTY",
    "NOT_GUILTY", "UNFIT", "REFUSED", "NOT_PROVEN", "S",
)  # fmt: skip
_TIME = re.compile(r"^\d{2}:\d{2}(:\d{2})?$")


class Invalid(Exception):
    """A body NOMIS would refuse (400)."""


class Missing(Exception):
    """Something the path names does not exist (404)."""


def _date(value: Any, name: str) -> str:
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise Invalid(f"{name} must be a date yyyy-MM-dd, got {value!r}") from None


def _time(value: Any, name: str) -> str:
    if not isinstance(value, str) or not _TIME.match(value):
        raise Invalid(f"{name} must be a time HH:mm, got {value!r}")
    return value


def _required(body: Any, *names: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise Invalid("body must be a JSON object")
    missing = [name for name in names if body.get(name) is None]
    if missing:
        raise Invalid(f"Missing fields: {', '.join(missing)}")
    return body


def _one_of(value: Any, allowed: tuple[str, ...], name: str) -> str:
    if value not in allowed:
        raise Invalid(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return str(value)


def _int(value: Any, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise Invalid(f"{name} must be a whole number, got {value!r}")
    return value


def _code(code: str) -> dict[str, str]:
    return {"code": code, "description": code.replace("_", " ").title()}


class NomisAdjudications:
    def __init__(self, api: FakeApi, booking_of: Callable[[str], int]) -> None:
        self.api = api
        # The prisoner's latest booking, seeding one when NOMIS does not know the prisoner yet.
        self.booking_of = booking_of
        self.adjudications: dict[int, dict[str, Any]] = {}
        # booking id -> sanction sequence -> award
        self.awards: dict[int, dict[int, dict[str, Any]]] = {}
        # prisoner number -> merges (MergeDetail) into that prisoner
        self.merges: dict[str, list[dict[str, Any]]] = {}
        self.numbers = Sequence(start=100000)
        self.hearing_ids = Sequence(start=900000)
        self.api.on_reset(self.reset)
        self._install()

    def reset(self) -> None:
        self.adjudications.clear()
        self.awards.clear()
        self.merges.clear()
        self.numbers.reset()
        self.hearing_ids.reset()

    # ---- seeding (what NOMIS users or an earlier attempt left) -----------------------------------

    def seed_adjudication(
        self,
        offender_no: str,
        booking_id: int | None = None,
        adjudication_number: int | None = None,
        offence_codes: tuple[str, ...] = ("51:1B",),
        created: date | None = None,
        **incident: Any,
    ) -> dict[str, Any]:
        number = adjudication_number or self.numbers.next()
        record = {
            "adjudicationNumber": number,
            "offenderNo": offender_no,
            "bookingId": booking_id if booking_id is not None else self.booking_of(offender_no),
            "created": (created or date.today()).isoformat(),
            "incident": {
                "reportingStaffUsername": "TWRIGHT",
                "incidentDate": "2023-07-28",
                "incidentTime": "01:12",
                "reportedDate": "2023-07-29",
                "reportedTime": "12:01",
                "internalLocationId": 345,
                "details": "Fought with another prisoner on the landing",
                "prisonId": "MDI",
                "prisonerVictimsOffenderNumbers": [],
                "staffWitnessesUsernames": [],
                "staffVictimsUsernames": [],
                "repairs": [],
                **incident,
            },
            "charges": [
                {"chargeSequence": index + 1, "offenceCode": code} for index, code in enumerate(offence_codes)
            ],
            "evidence": [],
            "hearings": {},
            "referralResults": {},
        }
        self.adjudications[number] = record
        return record

    def seed_hearing(
        self, adjudication_number: int, hearing_id: int | None = None, **fields: Any
    ) -> dict[str, Any]:
        hearing = {
            "hearingId": hearing_id or self.hearing_ids.next(),
            "hearingType": "GOV_ADULT",
            "hearingDate": "2023-08-23",
            "hearingTime": "14:25",
            "agencyId": "MDI",
            "internalLocationId": 345,
            "results": {},
            **fields,
        }
        self.adjudications[adjudication_number]["hearings"][hearing["hearingId"]] = hearing
        return hearing

    def seed_result(
        self, adjudication_number: int, hearing_id: int, charge_sequence: int = 1, finding: str = "PROVED"
    ) -> None:
        hearing = self.adjudications[adjudication_number]["hearings"][hearing_id]
        hearing["results"][charge_sequence] = {"pleaFindingCode": "GUILTY", "findingCode": finding}

    def seed_award(self, adjudication_number: int, charge_sequence: int = 1, **fields: Any) -> dict[str, Any]:
        """An award on the charge (attached to its latest result when there is one)."""
        record = self.adjudications[adjudication_number]
        award = {
            "sanctionType": "CC",
            "sanctionStatus": "IMMEDIATE",
            "commentText": "Added by DPS",
            "effectiveDate": "2023-10-04",
            "sanctionDays": 3,
            **fields,
        }
        return self._store_award(
            record, charge_sequence, award, self._latest_result_hearing(record, charge_sequence)
        )

    def awards_of(self, adjudication_number: int, charge_sequence: int = 1) -> list[dict[str, Any]]:
        return [
            award
            for awards in self.awards.values()
            for award in awards.values()
            if award["adjudicationNumber"] == adjudication_number
            and award["chargeSequence"] == charge_sequence
        ]

    def for_offender(self, offender_no: str) -> list[dict[str, Any]]:
        return [record for record in self.adjudications.values() if record["offenderNo"] == offender_no]

    # ---- behaviour -----------------------------------------------------------------------------

    def _adjudication(self, request: web.Request) -> dict[str, Any]:
        try:
            number = int(request.match_info["adjudicationNumber"])
        except ValueError:
            raise Missing("adjudication number must be a number") from None
        record = self.adjudications.get(number)
        if record is None:
            raise Missing(f"Adjudication {number} not found")
        return record

    def _charge_sequence(self, record: dict[str, Any], request: web.Request) -> int:
        try:
            sequence = int(request.match_info["chargeSequence"])
        except ValueError:
            raise Missing("charge sequence must be a number") from None
        if all(charge["chargeSequence"] != sequence for charge in record["charges"]):
            raise Missing(f"Charge {sequence} of adjudication {record['adjudicationNumber']} not found")
        return sequence

    def _hearing(self, record: dict[str, Any], request: web.Request) -> dict[str, Any]:
        try:
            hearing_id = int(request.match_info["hearingId"])
        except ValueError:
            raise Missing("hearing id must be a number") from None
        hearing: dict[str, Any] | None = record["hearings"].get(hearing_id)
        if hearing is None:
            raise Missing(f"Hearing {hearing_id} not found")
        return hearing

    @staticmethod
    def _latest_result_hearing(record: dict[str, Any], charge_sequence: int) -> int | None:
        heard = [hearing for hearing in record["hearings"].values() if charge_sequence in hearing["results"]]
        if not heard:
            return None
        latest = max(heard, key=lambda h: (h["hearingDate"], h["hearingTime"], h["hearingId"]))
        return int(latest["hearingId"])

    def _store_award(
        self, record: dict[str, Any], charge_sequence: int, award: dict[str, Any], hearing_id: int | None
    ) -> dict[str, Any]:
        booking = self.awards.setdefault(record["bookingId"], {})
        sequence = max(booking, default=0) + 1
        stored = {
            **award,
            "sanctionSequence": sequence,
            "bookingId": record["bookingId"],
            "adjudicationNumber": record["adjudicationNumber"],
            "chargeSequence": charge_sequence,
            "hearingId": hearing_id,
        }
        booking[sequence] = stored
        return stored

    def _award(self, body: Any, name: str = "award") -> dict[str, Any]:
        award = _required(body, "sanctionType", "sanctionStatus", "effectiveDate")
        _one_of(award["sanctionType"], SANCTION_TYPES, f"{name}.sanctionType")
        _one_of(award["sanctionStatus"], SANCTION_STATUSES, f"{name}.sanctionStatus")
        _date(award["effectiveDate"], f"{name}.effectiveDate")
        if award.get("sanctionDays") is not None and _int(award["sanctionDays"], f"{name}.sanctionDays") < 0:
            raise Invalid(f"{name}.sanctionDays must not be negative")
        amount = award.get("compensationAmount")
        if amount is not None and (not isinstance(amount, int | float) or isinstance(amount, bool)):
            raise Invalid(f"{name}.compensationAmount must be a number")
        consecutive = award.get("consecutiveCharge")
        if consecutive is not None:
            _required(consecutive, "adjudicationNumber", "chargeSequence")
            other = self.adjudications.get(consecutive["adjudicationNumber"])
            if other is None or all(
                c["chargeSequence"] != consecutive["chargeSequence"] for c in other["charges"]
            ):
                raise Invalid(f"Consecutive charge {consecutive} not found")
        allowed = ("sanctionType", "sanctionStatus", "commentText", "effectiveDate", "compensationAmount", "sanctionDays", "consecutiveCharge")  # fmt: skip
        return {key: award.get(key) for key in allowed}

    def _replace_awards(
        self, record: dict[str, Any], charge_sequence: int, body: Any
    ) -> dict[str, list[dict[str, int]]]:
        """The UpdateHearingResultAwardRequest: update listed awards, delete the others, create new ones."""
        request = _required(body, "awardsToCreate", "awardsToUpdate")
        to_create = [self._award(award, "awardsToCreate") for award in request["awardsToCreate"]]
        existing = {
            award["sanctionSequence"]: award
            for award in self.awards_of(record["adjudicationNumber"], charge_sequence)
        }
        updates: list[tuple[int, dict[str, Any]]] = []
        for item in request["awardsToUpdate"]:
            _required(item, "award", "sanctionSequence")
            sequence = _int(item["sanctionSequence"], "sanctionSequence")
            if sequence not in existing:
                raise Missing(f"Award {sequence} of booking {record['bookingId']} not found on this charge")
            updates.append((sequence, self._award(item["award"], "awardsToUpdate.award")))
        hearing_id = self._latest_result_hearing(record, charge_sequence)
        if to_create and hearing_id is None:
            raise Invalid("No hearing result for this charge: awards need one")
        booking = self.awards.setdefault(record["bookingId"], {})
        kept = {sequence for sequence, _ in updates}
        deleted = [sequence for sequence in existing if sequence not in kept]
        for sequence in deleted:
            del booking[sequence]
        for sequence, award in updates:
            booking[sequence].update(award)
        created = [self._store_award(record, charge_sequence, award, hearing_id) for award in to_create]
        return {
            "awardsCreated": [_award_id(award) for award in created],
            "awardsDeleted": [{"bookingId": record["bookingId"], "sanctionSequence": s} for s in deleted],
        }

    def _delete_awards(
        self, record: dict[str, Any], charge_sequence: int, hearing_id: int | None = None
    ) -> list[dict[str, int]]:
        booking = self.awards.get(record["bookingId"], {})
        gone = [
            award
            for award in self.awards_of(record["adjudicationNumber"], charge_sequence)
            if hearing_id is None or award["hearingId"] in (hearing_id, None)
        ]
        for award in gone:
            booking.pop(award["sanctionSequence"], None)
        return [_award_id(award) for award in gone]

    # ---- rendering (AdjudicationResponse) ------------------------------------------------------

    def render(self, record: dict[str, Any]) -> dict[str, Any]:
        incident = record["incident"]
        charges = [
            {
                "chargeSequence": c["chargeSequence"],
                "offence": {"code": c["offenceCode"], "description": c["offenceCode"]},
                "offenceId": f"{record['adjudicationNumber']}/{c['chargeSequence']}",
            }
            for c in record["charges"]
        ]
        hearings = []
        for hearing in record["hearings"].values():
            results = []
            for sequence, result in sorted(hearing["results"].items()):
                awards = [
                    self._render_award(award)
                    for award in self.awards_of(record["adjudicationNumber"], sequence)
                    if award["hearingId"] == hearing["hearingId"]
                ]
                charge = next(c for c in charges if c["chargeSequence"] == sequence)
                results.append(
                    {
                        "pleaFindingType": _code(result["pleaFindingCode"]),
                        "findingType": _code(result["findingCode"]),
                        "charge": charge,
                        "offence": charge["offence"],
                        "resultAwards": awards,
                        "createdDateTime": datetime.now().replace(microsecond=0).isoformat(),
                        "createdByUsername": "PRISONER_TO_NOMIS",
                    }
                )
            hearings.append(
                {
                    "hearingId": hearing["hearingId"],
                    "type": _code(hearing["hearingType"]),
                    "hearingDate": hearing["hearingDate"],
                    "hearingTime": f"{hearing['hearingTime']}:00"[:8],
                    "internalLocation": {
                        "locationId": hearing["internalLocationId"],
                        "code": "ADJ",
                        "description": "Adjudication room",
                    },
                    "hearingResults": results,
                    "createdDateTime": datetime.now().replace(microsecond=0).isoformat(),
                    "createdByUsername": "PRISONER_TO_NOMIS",
                    "notifications": [],
                }
            )
        staff = incident["reportingStaffUsername"]
        return {
            "adjudicationSequence": 1,
            "offenderNo": record["offenderNo"],
            "bookingId": record["bookingId"],
            "adjudicationNumber": record["adjudicationNumber"],
            "gender": _code("M"),
            "partyAddedDate": record["created"],
            "incident": {
                "adjudicationIncidentId": record["adjudicationNumber"],
                "reportingStaff": {"username": staff, "staffId": 1, "firstName": staff, "lastName": staff},
                "incidentDate": incident["incidentDate"],
                "incidentTime": f"{incident['incidentTime']}:00"[:8],
                "reportedDate": incident["reportedDate"],
                "reportedTime": f"{incident['reportedTime']}:00"[:8],
                "createdByUsername": "PRISONER_TO_NOMIS",
                "createdDateTime": f"{record['created']}T00:00:00",
                "internalLocation": {
                    "locationId": incident["internalLocationId"],
                    "code": "LANDING",
                    "description": "Landing",
                },
                "incidentType": _code("GOV"),
                "details": incident["details"],
                "prison": _code(incident["prisonId"]),
                "prisonerWitnesses": [],
                "prisonerVictims": [
                    {
                        "offenderNo": n,
                        "lastName": n,
                        "createdByUsername": "PRISONER_TO_NOMIS",
                        "dateAddedToIncident": record["created"],
                    }
                    for n in incident["prisonerVictimsOffenderNumbers"]
                ],
                "otherPrisonersInvolved": [],
                "reportingOfficers": [],
                "staffWitnesses": [],
                "staffVictims": [
                    {"username": u, "staffId": 2, "firstName": u, "lastName": u}
                    for u in incident["staffVictimsUsernames"]
                ],
                "otherStaffInvolved": [],
                "repairs": [_render_repair(r) for r in incident["repairs"]],
            },
            "charges": charges,
            "investigations": [
                {
                    "investigator": {"username": staff, "staffId": 1, "firstName": staff, "lastName": staff},
                    "dateAssigned": record["created"],
                    "evidence": [_render_evidence(e, record["created"]) for e in record["evidence"]],
                }
            ],
            "hearings": hearings,
        }

    @staticmethod
    def _render_award(award: dict[str, Any]) -> dict[str, Any]:
        return {
            "sequence": award["sanctionSequence"],
            "sanctionType": _code(award["sanctionType"]),
            "sanctionStatus": _code(award["sanctionStatus"]),
            "comment": award.get("commentText"),
            "effectiveDate": award["effectiveDate"],
            "sanctionDays": award.get("sanctionDays"),
            "compensationAmount": award.get("compensationAmount"),
            "chargeSequence": award["chargeSequence"],
            "adjudicationNumber": award["adjudicationNumber"],
            "createdByUsername": "PRISONER_TO_NOMIS",
            "createdDateTime": datetime.now().replace(microsecond=0).isoformat(),
        }

    # ---- routes --------------------------------------------------------------------------------

    def _install(self) -> None:
        api = self.api
        adjudication = "/adjudications/adjudication-number/{adjudicationNumber}"
        charge = adjudication + "/charge/{chargeSequence}"
        hearing = adjudication + "/hearings/{hearingId}"

        def answer(handler: Callable[[web.Request, Any], tuple[int, Any]]) -> Any:
            async def route(request: web.Request) -> web.StreamResponse:
                try:
                    body = await json_body(request)
                    status, data = handler(request, body)
                except Invalid as error:
                    return error_response(400, str(error))
                except Missing as error:
                    return error_response(404, str(error))
                if data is None:
                    return web.Response(status=status)
                return json_response(data, status)

            return route

        def create_adjudication(request: web.Request, body: Any) -> tuple[int, Any]:
            offender = request.match_info["offenderNo"]
            request_body = _required(body, "incident", "charges", "evidence")
            incident = _required(
                request_body["incident"],
                "reportingStaffUsername", "incidentDate", "incidentTime", "reportedDate", "reportedTime",
                "internalLocationId", "details", "prisonId", "prisonerVictimsOffenderNumbers",
                "staffWitnessesUsernames", "staffVictimsUsernames", "repairs",
            )  # fmt: skip
            _date(incident["incidentDate"], "incident.incidentDate")
            _date(incident["reportedDate"], "incident.reportedDate")
            _time(incident["incidentTime"], "incident.incidentTime")
            _time(incident["reportedTime"], "incident.reportedTime")
            _int(incident["internalLocationId"], "incident.internalLocationId")
            if offender in incident["prisonerVictimsOffenderNumbers"]:
                raise Invalid(f"Prisoner {offender} cannot be both suspect and victim")
            for repair in incident["repairs"]:
                _one_of(_required(repair, "typeCode")["typeCode"], REPAIR_TYPES, "repairs.typeCode")
            charges = request_body["charges"]
            if not charges or any(
                not str(_required(c, "offenceCode")["offenceCode"]).strip() for c in charges
            ):
                raise Invalid("at least one charge with an offenceCode is required")
            for item in request_body["evidence"]:
                _one_of(
                    _required(item, "typeCode", "detail")["typeCode"], EVIDENCE_TYPES, "evidence.typeCode"
                )
            record = self.seed_adjudication(
                offender, offence_codes=tuple(str(c["offenceCode"]) for c in charges), **incident
            )
            record["evidence"] = [dict(item) for item in request_body["evidence"]]
            return 201, self.render(record)

        def get_adjudication(request: web.Request, _: Any) -> tuple[int, Any]:
            return 200, self.render(self._adjudication(request))

        def charge_ids(request: web.Request, _: Any) -> tuple[int, Any]:
            query = request.query
            try:
                page = int(query.get("page", "0"))
                size = int(query.get("size", "20"))
            except ValueError:
                raise Invalid("page and size must be whole numbers") from None
            from_date = _date(query["fromDate"], "fromDate") if "fromDate" in query else None
            to_date = _date(query["toDate"], "toDate") if "toDate" in query else None
            prisons = set(query.getall("prisonIds", []))
            rows = [
                {
                    "adjudicationNumber": record["adjudicationNumber"],
                    "chargeSequence": c["chargeSequence"],
                    "offenderNo": record["offenderNo"],
                }
                for record in sorted(self.adjudications.values(), key=lambda r: r["adjudicationNumber"])
                if (from_date is None or record["created"] >= from_date)
                and (to_date is None or record["created"] <= to_date)
                and (not prisons or record["incident"]["prisonId"] in prisons)
                for c in record["charges"]
            ]
            content = rows[page * size : (page + 1) * size]
            pages = (len(rows) + size - 1) // size
            return 200, {
                "content": content,
                "totalElements": len(rows),
                "totalPages": pages,
                "number": page,
                "size": size,
                "numberOfElements": len(content),
                "first": page == 0,
                "last": page >= pages - 1,
                "empty": not content,
            }

        def update_repairs(request: web.Request, body: Any) -> tuple[int, Any]:
            record = self._adjudication(request)
            repairs = _required(body, "repairs")["repairs"]
            for repair in repairs:
                _one_of(_required(repair, "typeCode")["typeCode"], REPAIR_TYPES, "repairs.typeCode")
            record["incident"]["repairs"] = [dict(repair) for repair in repairs]
            return 200, {"repairs": [_render_repair(r) for r in record["incident"]["repairs"]]}

        def update_evidence(request: web.Request, body: Any) -> tuple[int, Any]:
            record = self._adjudication(request)
            evidence = _required(body, "evidence")["evidence"]
            for item in evidence:
                _one_of(
                    _required(item, "typeCode", "detail")["typeCode"], EVIDENCE_TYPES, "evidence.typeCode"
                )
            record["evidence"] = [dict(item) for item in evidence]
            return 200, {"evidence": [_render_evidence(e, record["created"]) for e in record["evidence"]]}

        def hearing_fields(body: Any, creating: bool) -> dict[str, Any]:
            names = ["hearingType", "hearingDate", "hearingTime", "internalLocationId"]
            fields = _required(body, *names, *(["agencyId"] if creating else []))
            _one_of(fields["hearingType"], HEARING_TYPES, "hearingType")
            _date(fields["hearingDate"], "hearingDate")
            _time(fields["hearingTime"], "hearingTime")
            _int(fields["internalLocationId"], "internalLocationId")
            return {name: fields[name] for name in (*names, *(["agencyId"] if creating else []))}

        def create_hearing(request: web.Request, body: Any) -> tuple[int, Any]:
            record = self._adjudication(request)
            created = self.seed_hearing(record["adjudicationNumber"], **hearing_fields(body, creating=True))
            return 201, {"hearingId": created["hearingId"]}

        def update_hearing(request: web.Request, body: Any) -> tuple[int, Any]:
            found = self._hearing(self._adjudication(request), request)
            fields = hearing_fields(body, creating=False)
            found.update(fields)
            return 200, fields

        def delete_hearing(request: web.Request, _: Any) -> tuple[int, Any]:
            record = self._adjudication(request)
            try:
                hearing_id = int(request.match_info["hearingId"])
            except ValueError:
                raise Missing("hearing id must be a number") from None
            # Deleting a hearing that is not there changes nothing and is not an error.
            record["hearings"].pop(hearing_id, None)
            return 200, None

        def result_fields(body: Any) -> dict[str, Any]:
            fields = _required(body, "pleaFindingCode", "findingCode")
            _one_of(fields["pleaFindingCode"], PLEAS, "pleaFindingCode")
            _one_of(fields["findingCode"], FINDINGS, "findingCode")
            result = {"pleaFindingCode": fields["pleaFindingCode"], "findingCode": fields["findingCode"]}
            if "adjudicatorUsername" in fields:
                if not isinstance(fields["adjudicatorUsername"], str):
                    raise Invalid("adjudicatorUsername must be text when given")
                result["adjudicatorUsername"] = fields["adjudicatorUsername"]
            return result

        def upsert_result(request: web.Request, body: Any) -> tuple[int, Any]:
            record = self._adjudication(request)
            found = self._hearing(record, request)
            sequence = self._charge_sequence(record, request)
            found["results"][sequence] = result_fields(body)
            return 201, {"hearingId": found["hearingId"], "resultSequence": 1}

        def delete_result(request: web.Request, _: Any) -> tuple[int, Any]:
            record = self._adjudication(request)
            found = self._hearing(record, request)
            sequence = self._charge_sequence(record, request)
            deleted: list[dict[str, int]] = []
            if found["results"].pop(sequence, None) is not None:
                deleted = self._delete_awards(record, sequence, found["hearingId"])
            return 200, {"awardsDeleted": deleted}

        def upsert_referral(request: web.Request, body: Any) -> tuple[int, Any]:
            record = self._adjudication(request)
            fields = result_fields(body)
            if "adjudicatorUsername" in fields:
                raise Invalid("a referral without a hearing has no adjudicator")
            record["referralResults"][self._charge_sequence(record, request)] = fields
            return 201, None

        def delete_referral(request: web.Request, _: Any) -> tuple[int, Any]:
            record = self._adjudication(request)
            record["referralResults"].pop(self._charge_sequence(record, request), None)
            return 200, None

        def create_awards(request: web.Request, body: Any) -> tuple[int, Any]:
            record = self._adjudication(request)
            sequence = self._charge_sequence(record, request)
            awards = [self._award(award, "awards") for award in _required(body, "awards")["awards"]]
            hearing_id = self._latest_result_hearing(record, sequence)
            if awards and hearing_id is None:
                raise Invalid("No hearing result for this charge: awards need one")
            created = [self._store_award(record, sequence, award, hearing_id) for award in awards]
            return 201, {"awardsCreated": [_award_id(award) for award in created]}

        def update_awards(request: web.Request, body: Any) -> tuple[int, Any]:
            record = self._adjudication(request)
            return 200, self._replace_awards(record, self._charge_sequence(record, request), body)

        def delete_awards(request: web.Request, _: Any) -> tuple[int, Any]:
            record = self._adjudication(request)
            return 200, {"awardsDeleted": self._delete_awards(record, self._charge_sequence(record, request))}

        def quash(request: web.Request, _: Any) -> tuple[int, Any]:
            record = self._adjudication(request)
            sequence = self._charge_sequence(record, request)
            hearing_id = self._latest_result_hearing(record, sequence)
            if hearing_id is None:
                raise Missing("No hearing result to quash for this charge")
            record["hearings"][hearing_id]["results"][sequence]["findingCode"] = "QUASHED"
            for award in self.awards_of(record["adjudicationNumber"], sequence):
                award["sanctionStatus"] = "QUASHED"
            return 200, None

        def unquash(request: web.Request, body: Any) -> tuple[int, Any]:
            record = self._adjudication(request)
            sequence = self._charge_sequence(record, request)
            fields = _required(body, "findingCode", "awards")
            _one_of(fields["findingCode"], FINDINGS, "findingCode")
            hearing_id = self._latest_result_hearing(record, sequence)
            if hearing_id is None:
                raise Missing("No hearing result to unquash for this charge")
            changes = self._replace_awards(record, sequence, fields["awards"])
            record["hearings"][hearing_id]["results"][sequence]["findingCode"] = fields["findingCode"]
            return 200, changes

        def ada_summary(request: web.Request, _: Any) -> tuple[int, Any]:
            try:
                booking_id = int(request.match_info["bookingId"])
            except ValueError:
                raise Invalid("booking id must be a number") from None
            awards = [a for a in self.awards.get(booking_id, {}).values() if a["sanctionType"] == "ADA"]
            owner = next(
                (r["offenderNo"] for r in self.adjudications.values() if r["bookingId"] == booking_id), ""
            )
            return 200, {
                "bookingId": booking_id,
                "offenderNo": owner,
                "adaSummaries": [
                    {
                        "adjudicationNumber": a["adjudicationNumber"],
                        "sanctionSequence": a["sanctionSequence"],
                        "days": a.get("sanctionDays") or 0,
                        "effectiveDate": a["effectiveDate"],
                        "sanctionStatus": _code(a["sanctionStatus"]),
                    }
                    for a in sorted(awards, key=lambda a: a["sanctionSequence"])
                ],
            }

        def merges(request: web.Request, _: Any) -> tuple[int, Any]:
            since = _date(request.query["fromDate"], "fromDate") if "fromDate" in request.query else ""
            found = self.merges.get(request.match_info["offenderNo"], [])
            return 200, [merge for merge in found if merge["requestDateTime"][:10] >= since]

        api.route("POST", "/prisoners/{offenderNo}/adjudications", answer(create_adjudication))
        api.route("GET", adjudication, answer(get_adjudication))
        api.route("GET", "/adjudications/charges/ids", answer(charge_ids))
        api.route("PUT", adjudication + "/repairs", answer(update_repairs))
        api.route("PUT", adjudication + "/evidence", answer(update_evidence))
        api.route("POST", adjudication + "/hearings", answer(create_hearing))
        api.route("PUT", hearing, answer(update_hearing))
        api.route("DELETE", hearing, answer(delete_hearing))
        api.route("POST", hearing + "/charge/{chargeSequence}/result", answer(upsert_result))
        api.route("DELETE", hearing + "/charge/{chargeSequence}/result", answer(delete_result))
        api.route("POST", charge + "/result", answer(upsert_referral))
        api.route("DELETE", charge + "/result", answer(delete_referral))
        api.route("POST", charge + "/awards", answer(create_awards))
        api.route("PUT", charge + "/awards", answer(update_awards))
        api.route("DELETE", charge + "/awards", answer(delete_awards))
        api.route("PUT", charge + "/quash", answer(quash))
        api.route("PUT", charge + "/unquash", answer(unquash))
        api.route("GET", "/prisoners/booking-id/{bookingId}/awards/ada/summary", answer(ada_summary))
        if not any(
            route.method == "GET"
            and route.resource is not None
            and route.resource.canonical == "/prisoners/{offenderNo}/merges"
            for route in api.router.routes()
        ):
            api.route("GET", "/prisoners/{offenderNo}/merges", answer(merges))


def _award_id(award: dict[str, Any]) -> dict[str, int]:
    return {"bookingId": award["bookingId"], "sanctionSequence": award["sanctionSequence"]}


def _render_repair(repair: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": _code(repair["typeCode"]),
        "comment": repair.get("comment"),
        "createdByUsername": "PRISONER_TO_NOMIS",
    }


def _render_evidence(item: dict[str, Any], created: str) -> dict[str, Any]:
    return {
        "type": _code(item["typeCode"]),
        "date": created,
        "detail": item["detail"],
        "createdByUsername": "PRISONER_TO_NOMIS",
    }
