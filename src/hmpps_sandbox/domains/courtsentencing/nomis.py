"""NOMIS court cases in the sandbox: cases, court events (appearances), offender charges, sentences, terms,
recalls and the clone of a case to the prisoner's latest booking.

Bodies are validated as the NOMIS prisoner API does (required fields, codes, that referenced charges,
events and sentences exist), so a wrong request fails a test rather than passing silently.

Cloning: an appearance added to a case on an old booking (unless `forcePreventClone`), a recall of a
sentence on an old booking, or `POST .../clone/{caseId}` copies the case with its events, charges,
sentences, terms and sentence adjustments to the latest booking and answers what was copied. The
source case stays on its booking. NOMIS's 424 "dependent state" answer depends on booking state the
fake does not model; tests inject it as a fault.

`lose_response(kind)` makes the next write of that kind succeed but answer 500, as a response lost on
the way back would: what redelivery guards exist for.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from hmpps_sandbox.fake import FakeApi, error_response, json_body, json_response
from hmpps_sandbox.stores import Sequence

if TYPE_CHECKING:
    from hmpps_sandbox.domains.prisoners import PrisonersFake

CREATED_BY = "PRISONER_TO_NOMIS"
LOSABLE = frozenset(
    {
        "create-court-case",
        "create-appearance",
        "create-charge",
        "create-sentence",
        "create-term",
        "create-recall",
        "clone",
    }
)
CASE_STATUSES = {"A": "Active", "I": "Inactive", "C": "Closed"}
SentenceKey = tuple[int, int]


class Invalid(Exception):
    """Answered 400 with the message."""


class Missing(Exception):
    """Answered 404 with the message."""


def _date(value: Any, name: str, required: bool = False) -> str | None:
    if value is None:
        if required:
            raise Invalid(f"{name} is required")
        return None
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise Invalid(f"{name} must be a date yyyy-MM-dd, got {value!r}") from None


def _date_time(value: Any, name: str, required: bool = False) -> str | None:
    if value is None:
        if required:
            raise Invalid(f"{name} is required")
        return None
    try:
        return datetime.fromisoformat(str(value)).isoformat(timespec="seconds")
    except ValueError:
        raise Invalid(f"{name} must be a date-time yyyy-MM-ddTHH:mm:ss, got {value!r}") from None


def _text(body: dict[str, Any], name: str, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise Invalid(f"{name} is required")
        return None
    if not isinstance(value, str) or not value:
        raise Invalid(f"{name} must be a non-empty string")
    return value


def _int(value: Any, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise Invalid(f"{name} must be a whole number, got {value!r}")
    return value


def _optional_int(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    return None if value is None else _int(value, name)


def _bool(body: dict[str, Any], name: str, required: bool = False) -> bool:
    value = body.get(name)
    if value is None:
        if required:
            raise Invalid(f"{name} is required")
        return False
    if not isinstance(value, bool):
        raise Invalid(f"{name} must be true or false")
    return value


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise Invalid("body must be a JSON object")
    return body


def _code(code: str | None, description: str | None = None) -> dict[str, Any] | None:
    return None if code is None else {"code": code, "description": description or code}


class NomisStore:
    def __init__(self, prisoners: PrisonersFake) -> None:
        self.prisoners = prisoners
        self.cases: dict[int, dict[str, Any]] = {}
        self.events: dict[int, dict[str, Any]] = {}
        self.charges: dict[int, dict[str, Any]] = {}
        self.sentences: dict[SentenceKey, dict[str, Any]] = {}
        # Sentence adjustment ids per sentence: what clones copy and recalls activate.
        self.adjustments: dict[SentenceKey, list[int]] = {}
        self.case_ids = Sequence(start=1)
        self.event_ids = Sequence(start=1)
        self.charge_ids = Sequence(start=1)
        self.adjustment_ids = Sequence(start=20001)
        self.lost: dict[str, int] = {}

    def clear(self) -> None:
        for table in (self.cases, self.events, self.charges, self.sentences, self.adjustments, self.lost):
            table.clear()
        for sequence in (self.case_ids, self.event_ids, self.charge_ids, self.adjustment_ids):
            sequence.reset()

    def lose_response(self, kind: str, count: int = 1) -> None:
        if kind not in LOSABLE:
            raise ValueError(f"kind must be one of {sorted(LOSABLE)}")
        self.lost[kind] = count

    def _answer(self, kind: str, body: Any, status: int) -> web.Response:
        remaining = self.lost.get(kind, 0)
        if remaining > 0:
            self.lost[kind] = remaining - 1
            return error_response(500, f"{kind} was applied but its answer was lost")
        return json_response(body, status=status)

    # ---- seeding and writes (routes and tests share these) -------------------------------------

    def latest_booking(self, offender_no: str) -> int:
        return self.prisoners.ensure(offender_no).bookingId

    def add_case(self, offender_no: str, booking_id: int | None = None, **fields: Any) -> dict[str, Any]:
        booking = booking_id if booking_id is not None else self.latest_booking(offender_no)
        case_id = int(fields.pop("id", None) or self.case_ids.next())
        case = {
            "id": case_id,
            "offenderNo": offender_no,
            "bookingId": booking,
            "caseSequence": 1 + sum(1 for c in self.cases.values() if c["bookingId"] == booking),
            "caseStatus": "A",
            "legalCaseType": "NE",
            "beginDate": "2024-01-01",
            "courtId": "DRBYYC",
            "primaryCaseInfoNumber": None,
            "caseInfoNumbers": [],
            "eventIds": [],
            "chargeIds": [],
            "sentenceKeys": [],
            **fields,
        }
        self.cases[case_id] = case
        return case

    def add_charge(self, case_id: int, **fields: Any) -> dict[str, Any]:
        case = self.case(case_id)
        charge_id = int(fields.pop("id", None) or self.charge_ids.next())
        charge = {
            "id": charge_id,
            "caseId": case_id,
            "bookingId": case["bookingId"],
            "offenceCode": "PS90031",
            "offenceDate": None,
            "offenceEndDate": None,
            "resultCode1": None,
            **fields,
        }
        self.charges[charge_id] = charge
        case["chargeIds"].append(charge_id)
        return charge

    def add_event(
        self, case_id: int, charges: list[dict[str, Any]] | None = None, **fields: Any
    ) -> dict[str, Any]:
        """A court event; `charges` are `{offenderChargeId, resultCode1}` links to the case's charges."""
        case = self.case(case_id)
        event_id = int(fields.pop("id", None) or self.event_ids.next())
        event = {
            "id": event_id,
            "caseId": case_id,
            "offenderNo": case["offenderNo"],
            "eventDateTime": "2024-09-23T10:00:00",
            "courtEventType": "CRT",
            "courtId": case["courtId"],
            "outcomeReasonCode": None,
            "nextEventDateTime": None,
            "nextCourtId": None,
            "comment": None,
            "isClone": False,
            "breachFor": None,
            **fields,
            "charges": [dict(link) for link in charges or []],
        }
        for link in event["charges"]:
            if link["offenderChargeId"] not in case["chargeIds"]:
                raise Missing(f"Offender charge {link['offenderChargeId']} is not on court case {case_id}")
        self.events[event_id] = event
        case["eventIds"].append(event_id)
        return event

    def add_sentence(self, case_id: int, **fields: Any) -> dict[str, Any]:
        case = self.case(case_id)
        booking = case["bookingId"]
        seq = int(fields.pop("sentenceSeq", None) or self.next_sentence_seq(booking))
        sentence = {
            "bookingId": booking,
            "sentenceSeq": seq,
            "caseId": case_id,
            "status": "A",
            "category": "2020",
            "calcType": "ADIMP_ORA",
            "originalCalcType": None,
            "startDate": "2024-01-01",
            "fine": None,
            "level": "IND",
            "chargeIds": [],
            "eventId": None,
            "consecutiveToSeq": None,
            "terms": {},
            **fields,
        }
        self.sentences[(booking, seq)] = sentence
        case["sentenceKeys"].append((booking, seq))
        return sentence

    def add_term(self, booking_id: int, sentence_seq: int, **fields: Any) -> dict[str, Any]:
        sentence = self.sentence(booking_id, sentence_seq)
        seq = int(fields.pop("termSequence", None) or max(sentence["terms"], default=0) + 1)
        term = {
            "termSequence": seq,
            "sentenceTermType": "IMP",
            "years": None,
            "months": None,
            "weeks": None,
            "days": None,
            "lifeSentenceFlag": False,
            **fields,
        }
        sentence["terms"][seq] = term
        return term

    def next_sentence_seq(self, booking_id: int) -> int:
        return 1 + max((seq for booking, seq in self.sentences if booking == booking_id), default=0)

    def case(self, case_id: int, offender_no: str | None = None) -> dict[str, Any]:
        case = self.cases.get(case_id)
        if case is None or (offender_no is not None and case["offenderNo"] != offender_no):
            raise Missing(f"Court case {case_id} not found")
        return case

    def sentence(self, booking_id: int, sentence_seq: int) -> dict[str, Any]:
        sentence = self.sentences.get((booking_id, sentence_seq))
        if sentence is None:
            raise Missing(f"Sentence for booking {booking_id} and sentence sequence {sentence_seq} not found")
        return sentence

    def case_sentence(self, case: dict[str, Any], sentence_seq: int) -> dict[str, Any]:
        key = (case["bookingId"], sentence_seq)
        if key not in case["sentenceKeys"]:
            raise Missing(f"Sentence {sentence_seq} not found on court case {case['id']}")
        return self.sentences[key]

    def remove_event(self, event_id: int) -> None:
        event = self.events.pop(event_id, None)
        if event is not None:
            case = self.cases.get(event["caseId"])
            if case is not None and event_id in case["eventIds"]:
                case["eventIds"].remove(event_id)

    def remove_case(self, case_id: int) -> None:
        case = self.cases.pop(case_id, None)
        if case is None:
            return
        for event_id in case["eventIds"]:
            self.events.pop(event_id, None)
        for charge_id in case["chargeIds"]:
            self.charges.pop(charge_id, None)
        for key in case["sentenceKeys"]:
            self.sentences.pop(key, None)
            self.adjustments.pop(key, None)

    def case_ids_of(self, offender_no: str) -> list[int]:
        return sorted(case_id for case_id, case in self.cases.items() if case["offenderNo"] == offender_no)

    # ---- clone to the latest booking -----------------------------------------------------------

    def clone_case(
        self, case_id: int
    ) -> tuple[dict[str, Any], dict[int, int], dict[SentenceKey, SentenceKey]]:
        """Copy a case to its prisoner's latest booking: (clone response, old->new charge ids, sentence keys)."""
        source = self.case(case_id)
        booking = self.latest_booking(source["offenderNo"])
        if booking == source["bookingId"]:
            raise Invalid(f"Court case {case_id} is already on the latest booking")
        copy = self.add_case(
            source["offenderNo"],
            booking,
            **{
                key: source[key]
                for key in ("caseStatus", "legalCaseType", "beginDate", "courtId", "primaryCaseInfoNumber")
            },
            caseInfoNumbers=[dict(number) for number in source["caseInfoNumbers"]],
        )
        charge_ids: dict[int, int] = {}
        for old_id in source["chargeIds"]:
            old = self.charges[old_id]
            fields = {k: v for k, v in old.items() if k not in ("id", "caseId", "bookingId")}
            charge_ids[old_id] = self.add_charge(copy["id"], **fields)["id"]
        event_ids: dict[int, int] = {}
        for old_id in source["eventIds"]:
            old = self.events[old_id]
            fields = {
                k: v for k, v in old.items() if k not in ("id", "caseId", "offenderNo", "charges", "isClone")
            }
            links = [
                {**link, "offenderChargeId": charge_ids[link["offenderChargeId"]]} for link in old["charges"]
            ]
            event_ids[old_id] = self.add_event(copy["id"], links, isClone=True, **fields)["id"]
        sentence_keys: dict[SentenceKey, SentenceKey] = {}
        adjustments: list[dict[str, Any]] = []
        for key in source["sentenceKeys"]:
            old = self.sentences[key]
            fields = {
                k: v
                for k, v in old.items()
                if k not in ("bookingId", "sentenceSeq", "caseId", "terms", "chargeIds", "eventId")
            }
            sentence = self.add_sentence(
                copy["id"],
                **fields,
                chargeIds=[charge_ids[c] for c in old["chargeIds"]],
                eventId=event_ids.get(old["eventId"], old["eventId"]),
            )
            sentence["terms"] = {seq: dict(term) for seq, term in old["terms"].items()}
            new_key = (booking, sentence["sentenceSeq"])
            sentence_keys[key] = new_key
            if self.adjustments.get(key):
                new_ids = [self.adjustment_ids.next() for _ in self.adjustments[key]]
                self.adjustments[new_key] = new_ids
                adjustments.append(
                    {
                        "sentenceId": {"offenderBookingId": booking, "sentenceSequence": new_key[1]},
                        "adjustmentIds": new_ids,
                    }
                )
        response: dict[str, Any] = {
            "courtCases": [
                {
                    "sourceCourtCase": self.court_case_response(case_id),
                    "courtCase": self.court_case_response(copy["id"]),
                }
            ],
            "sentenceAdjustments": adjustments,
        }
        return response, charge_ids, sentence_keys

    # ---- rendering: CourtCaseResponse ---------------------------------------------------------

    def _charge_response(self, charge: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": charge["id"],
            "offence": {
                "offenceCode": charge["offenceCode"],
                "statuteCode": charge["offenceCode"][:4],
                "description": charge["offenceCode"],
            },
            "offencesCount": 1,
            "offenceDate": charge.get("offenceDate"),
            "offenceEndDate": charge.get("offenceEndDate"),
            "chargeStatus": _code("A", "Active"),
            "resultCode1": _code(charge.get("resultCode1")),
            "mostSeriousFlag": False,
            "createdByUsername": CREATED_BY,
        }

    def _event_response(self, event: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": event["id"],
            "caseId": event["caseId"],
            "offenderNo": event["offenderNo"],
            "eventDateTime": event["eventDateTime"],
            "courtEventType": _code(event["courtEventType"]),
            "eventStatus": _code("SCH", "Scheduled"),
            "courtId": event["courtId"],
            "outcomeReasonCode": _code(event.get("outcomeReasonCode")),
            "commentText": event.get("comment"),
            "nextEventDateTime": event.get("nextEventDateTime"),
            "createdDateTime": "2024-01-01T10:00:00",
            "createdByUsername": CREATED_BY,
            "courtEventCharges": [
                {
                    "eventId": event["id"],
                    "offenderCharge": self._charge_response(self.charges[link["offenderChargeId"]]),
                    "offenceDate": self.charges[link["offenderChargeId"]].get("offenceDate"),
                    "offenceEndDate": self.charges[link["offenderChargeId"]].get("offenceEndDate"),
                    "resultCode1": _code(link.get("resultCode1")),
                    "mostSeriousFlag": False,
                    "createdByUsername": CREATED_BY,
                }
                for link in event["charges"]
                if link["offenderChargeId"] in self.charges
            ],
            "courtOrders": [],
            "isClone": event.get("isClone", False),
        }

    def _sentence_response(self, sentence: dict[str, Any]) -> dict[str, Any]:
        event = self.events.get(sentence["eventId"]) if sentence.get("eventId") is not None else None
        return {
            "bookingId": sentence["bookingId"],
            "sentenceSeq": sentence["sentenceSeq"],
            "caseId": sentence["caseId"],
            "status": sentence["status"],
            "calculationType": _code(sentence["calcType"]),
            "category": _code(sentence["category"]),
            "startDate": sentence["startDate"],
            "courtOrder": None
            if sentence.get("eventId") is None
            else {
                "id": sentence["eventId"],
                "eventId": sentence["eventId"],
                "courtDate": (event or {}).get("eventDateTime", "2024-01-01T00:00:00")[:10],
                "issuingCourt": (event or {}).get("courtId", "DRBYYC"),
                "orderType": "AUTO",
                "orderStatus": "A",
                "sentencePurposes": [],
            },
            "consecSequence": sentence.get("consecutiveToSeq"),
            "fineAmount": sentence.get("fine"),
            "sentenceLevel": sentence.get("level"),
            "createdDateTime": "2024-01-01T10:00:00",
            "createdByUsername": CREATED_BY,
            "sentenceTerms": [
                {
                    **{k: term.get(k) for k in ("termSequence", "years", "months", "weeks", "days")},
                    "sentenceTermType": _code(term.get("sentenceTermType")),
                    "lifeSentenceFlag": bool(term.get("lifeSentenceFlag")),
                    "startDate": sentence["startDate"],
                    "prisonId": "MDI",
                    "createdByUsername": CREATED_BY,
                }
                for _, term in sorted(sentence["terms"].items())
            ],
            "offenderCharges": [
                self._charge_response(self.charges[c]) for c in sentence["chargeIds"] if c in self.charges
            ],
            "missingCourtOffenderChargeIds": [],
            "prisonId": "MDI",
        }

    def court_case_response(self, case_id: int) -> dict[str, Any] | None:
        case = self.cases.get(case_id)
        if case is None:
            return None
        return {
            "id": case["id"],
            "offenderNo": case["offenderNo"],
            "bookingId": case["bookingId"],
            "primaryCaseInfoNumber": case.get("primaryCaseInfoNumber"),
            "caseSequence": case["caseSequence"],
            "caseStatus": _code(case["caseStatus"], CASE_STATUSES.get(case["caseStatus"])),
            "legalCaseType": _code(case["legalCaseType"], "Not Entered"),
            "beginDate": case.get("beginDate"),
            "courtId": case["courtId"],
            "sourceCombinedCaseIds": [],
            "createdDateTime": "2024-01-01T10:00:00",
            "createdByUsername": CREATED_BY,
            "courtEvents": [
                self._event_response(self.events[e]) for e in case["eventIds"] if e in self.events
            ],
            "offenderCharges": [
                self._charge_response(self.charges[c]) for c in case["chargeIds"] if c in self.charges
            ],
            "caseInfoNumbers": [
                {
                    "type": number.get("type", "CASE/INFO#"),
                    "reference": number["reference"],
                    "createDateTime": number.get("createDateTime", "2024-01-01T10:00:00"),
                }
                for number in case["caseInfoNumbers"]
            ],
            "sentences": [
                self._sentence_response(self.sentences[k])
                for k in case["sentenceKeys"]
                if k in self.sentences
            ],
        }

    # ---- request handling ----------------------------------------------------------------------

    def _event_charges(self, case: dict[str, Any], links: Any, name: str) -> list[dict[str, Any]]:
        if not isinstance(links, list):
            raise Invalid(f"{name} is required")
        checked = []
        for link in links:
            link = _object(link)
            charge_id = _int(link.get("offenderChargeId"), f"{name}.offenderChargeId")
            if charge_id not in case["chargeIds"]:
                raise Missing(f"Offender charge {charge_id} not found on court case {case['id']}")
            checked.append({"offenderChargeId": charge_id, "resultCode1": link.get("resultCode1")})
        return checked

    def _appearance_fields(self, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "eventDateTime": _date_time(body.get("eventDateTime"), "eventDateTime", required=True),
            "courtEventType": _text(body, "courtEventType"),
            "courtId": _text(body, "courtId"),
            "outcomeReasonCode": body.get("outcomeReasonCode"),
            "nextEventDateTime": _date_time(body.get("nextEventDateTime"), "nextEventDateTime"),
            "nextCourtId": body.get("nextCourtId"),
            "comment": body.get("comment"),
        }

    def create_appearance(self, offender_no: str, case_id: int, body: dict[str, Any]) -> dict[str, Any]:
        case = self.case(case_id, offender_no)
        fields = self._appearance_fields(body)
        links = self._event_charges(
            case, body.get("courtEventChargesWithOutcomes"), "courtEventChargesWithOutcomes"
        )
        for flag in ("futureAppearance", "forceClone", "forcePreventClone"):
            _bool(body, flag)
        cloned = None
        old_booking = case["bookingId"] != self.latest_booking(offender_no)
        if old_booking and not body.get("forcePreventClone"):
            cloned, charge_ids, _ = self.clone_case(case_id)
            case = self.cases[cloned["courtCases"][0]["courtCase"]["id"]]
            links = [{**link, "offenderChargeId": charge_ids[link["offenderChargeId"]]} for link in links]
        event = self.add_event(case["id"], links, **fields)
        return {
            "id": event["id"],
            "courtEventChargesIds": [{"offenderChargeId": link["offenderChargeId"]} for link in links],
            "clonedCourtCases": cloned,
        }

    def update_appearance(
        self, offender_no: str, case_id: int, event_id: int, body: dict[str, Any]
    ) -> dict[str, Any]:
        case = self.case(case_id, offender_no)
        event = self.events.get(event_id)
        if event is None or event["caseId"] != case_id:
            raise Missing(f"Court appearance {event_id} not found")
        fields = self._appearance_fields(body)
        links = self._event_charges(
            case, body.get("courtEventChargesWithOutcomes"), "courtEventChargesWithOutcomes"
        )
        before = {link["offenderChargeId"] for link in event["charges"]}
        after = {link["offenderChargeId"] for link in links}
        event.update(fields)
        event["charges"] = links
        # A charge no event of the case refers to any more is deleted with it.
        still_used = {
            link["offenderChargeId"] for e in case["eventIds"] for link in self.events[e]["charges"]
        }
        deleted = sorted(charge_id for charge_id in before - after if charge_id not in still_used)
        for charge_id in deleted:
            self.charges.pop(charge_id, None)
            case["chargeIds"].remove(charge_id)
        return {
            "createdCourtEventChargesIds": [{"offenderChargeId": c} for c in sorted(after - before)],
            "deletedOffenderChargesIds": [{"offenderChargeId": c} for c in deleted],
        }

    def _charge_fields(self, body: dict[str, Any]) -> dict[str, Any]:
        _bool(body, "futureAppearance")
        return {
            "offenceCode": _text(body, "offenceCode"),
            "offenceDate": _date(body.get("offenceDate"), "offenceDate"),
            "offenceEndDate": _date(body.get("offenceEndDate"), "offenceEndDate"),
            "resultCode1": body.get("resultCode1"),
        }

    def _sentence_fields(self, case: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        status = _text(body, "status")
        if status not in ("A", "I"):
            raise Invalid("status must be A or I")
        charge_ids = body.get("offenderChargeIds")
        if not isinstance(charge_ids, list) or not charge_ids:
            raise Invalid("offenderChargeIds is required")
        for charge_id in charge_ids:
            if _int(charge_id, "offenderChargeIds") not in case["chargeIds"]:
                raise Missing(f"Offender charge {charge_id} not found on court case {case['id']}")
        event_id = _int(body.get("eventId"), "eventId")
        if event_id not in case["eventIds"]:
            raise Missing(f"Court appearance {event_id} not found on court case {case['id']}")
        consecutive = _optional_int(body, "consecutiveToSentenceSeq")
        if consecutive is not None and (case["bookingId"], consecutive) not in self.sentences:
            raise Missing(f"Consecutive sentence {consecutive} not found")
        fine = body.get("fine")
        if fine is not None and not isinstance(fine, int | float):
            raise Invalid("fine must be a number")
        return {
            "status": status,
            "category": _text(body, "sentenceCategory"),
            "calcType": _text(body, "sentenceCalcType"),
            "level": _text(body, "sentenceLevel"),
            "startDate": _date(body.get("startDate"), "startDate", required=True),
            "fine": fine,
            "chargeIds": list(charge_ids),
            "eventId": event_id,
            "consecutiveToSeq": consecutive,
        }

    @staticmethod
    def _term_fields(body: dict[str, Any]) -> dict[str, Any]:
        return {
            "sentenceTermType": _text(body, "sentenceTermType"),
            "lifeSentenceFlag": _bool(body, "lifeSentenceFlag", required=True),
            **{unit: _optional_int(body, unit) for unit in ("years", "months", "weeks", "days", "hours")},
        }

    def _recall_sentences(
        self, offender_no: str, items: Any, name: str
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        if not isinstance(items, list):
            raise Invalid(f"{name} is required")
        found = []
        for item in items:
            item = _object(item)
            sentence_id = _object(item.get("sentenceId"))
            booking = _int(sentence_id.get("offenderBookingId"), "sentenceId.offenderBookingId")
            seq = _int(sentence_id.get("sentenceSequence"), "sentenceId.sentenceSequence")
            sentence = self.sentence(booking, seq)
            if self.cases[sentence["caseId"]]["offenderNo"] != offender_no:
                raise Missing(f"Sentence {booking}/{seq} is not {offender_no}'s")
            _text(item, "sentenceCategory")
            _text(item, "sentenceCalcType")
            _bool(item, "active", required=True)
            found.append((sentence, item))
        return found

    def _breach(self, sentence: dict[str, Any], revocation: str | None) -> int:
        event = self.add_event(
            sentence["caseId"],
            eventDateTime=f"{revocation or date.today().isoformat()}T00:00:00",
            courtEventType="CRT",
            outcomeReasonCode="1501",
            breachFor=[sentence["bookingId"], sentence["sentenceSeq"]],
        )
        return int(event["id"])

    @staticmethod
    def _apply(sentence: dict[str, Any], item: dict[str, Any]) -> None:
        if sentence.get("originalCalcType") is None:
            sentence["originalCalcType"] = sentence["calcType"]
        sentence["calcType"] = item["sentenceCalcType"]
        sentence["category"] = item["sentenceCategory"]
        sentence["status"] = "A" if item["active"] else "I"

    @staticmethod
    def _restore(sentence: dict[str, Any]) -> None:
        if sentence.get("originalCalcType") is not None:
            sentence["calcType"] = sentence.pop("originalCalcType")
            sentence["originalCalcType"] = None

    def create_recall(self, offender_no: str, body: dict[str, Any]) -> dict[str, Any]:
        revocation = _date(body.get("recallRevocationDate"), "recallRevocationDate", required=True)
        found = self._recall_sentences(offender_no, body.get("sentences"), "sentences")
        self._return_to_custody(body)
        latest = self.latest_booking(offender_no)
        clones: list[dict[str, Any]] = []
        adjustments: list[dict[str, Any]] = []
        moved: dict[SentenceKey, SentenceKey] = {}
        for sentence, _ in found:
            key = (sentence["bookingId"], sentence["sentenceSeq"])
            if sentence["bookingId"] != latest and key not in moved:
                response, _, keys = self.clone_case(sentence["caseId"])
                clones.extend(response["courtCases"])
                adjustments.extend(response["sentenceAdjustments"])
                moved.update(keys)
        event_ids = []
        activated = []
        for sentence, item in found:
            key = moved.get(
                (sentence["bookingId"], sentence["sentenceSeq"]),
                (sentence["bookingId"], sentence["sentenceSeq"]),
            )
            target = self.sentences[key]
            self._apply(target, item)
            event_ids.append(self._breach(target, revocation))
            if self.adjustments.get(key):
                activated.append(
                    {
                        "sentenceId": {"offenderBookingId": key[0], "sentenceSequence": key[1]},
                        "adjustmentIds": list(self.adjustments[key]),
                    }
                )
        return {
            "courtEventIds": event_ids,
            "sentenceAdjustmentsActivated": activated,
            "clonedCourtCases": {"courtCases": clones, "sentenceAdjustments": adjustments}
            if clones
            else None,
        }

    @staticmethod
    def _return_to_custody(body: dict[str, Any]) -> None:
        returned = body.get("returnToCustody")
        if returned is None:
            return
        returned = _object(returned)
        _date(returned.get("returnToCustodyDate"), "returnToCustody.returnToCustodyDate", required=True)
        _text(returned, "enteredByStaffUsername")
        _int(returned.get("recallLength"), "returnToCustody.recallLength")

    def _breach_events(self, ids: Any) -> list[dict[str, Any]]:
        if not isinstance(ids, list):
            raise Invalid("beachCourtEventIds is required")
        events = []
        for event_id in ids:
            event = self.events.get(_int(event_id, "beachCourtEventIds"))
            if event is None:
                raise Missing(f"Court appearance {event_id} not found")
            events.append(event)
        return events

    def update_recall(self, offender_no: str, body: dict[str, Any]) -> dict[str, Any]:
        revocation = _date(body.get("recallRevocationDate"), "recallRevocationDate", required=True)
        found = self._recall_sentences(offender_no, body.get("sentences"), "sentences")
        removed = self._recall_sentences(offender_no, body.get("sentencesRemoved"), "sentencesRemoved")
        self._return_to_custody(body)
        breaches = self._breach_events(body.get("beachCourtEventIds"))
        by_sentence = {tuple(e["breachFor"]): e["id"] for e in breaches if e.get("breachFor")}
        created, updated = [], []
        for sentence, item in found:
            self._apply(sentence, item)
            existing = by_sentence.pop((sentence["bookingId"], sentence["sentenceSeq"]), None)
            if existing is None:
                created.append(self._breach(sentence, revocation))
            else:
                updated.append(existing)
        for sentence, _ in removed:
            self._restore(sentence)
        deleted = sorted(by_sentence.values())
        for event_id in deleted:
            self.remove_event(event_id)
        return {
            "createdCourtEventIds": created,
            "updatedCourtEventIds": updated,
            "deletedCourtEventIds": deleted,
        }

    def restore(self, offender_no: str, body: dict[str, Any], previous: bool) -> None:
        found = self._recall_sentences(offender_no, body.get("sentences"), "sentences")
        if previous:
            self._return_to_custody(body)
        breaches = self._breach_events(body.get("beachCourtEventIds"))
        for sentence, item in found:
            if previous:
                self._apply(sentence, item)
            else:
                self._restore(sentence)
        for event in breaches:
            self.remove_event(event["id"])

    def repair(self, offender_no: str, case_id: int, body: dict[str, Any]) -> dict[str, Any]:
        old = self.case(case_id, offender_no)
        status = _text(body, "status")
        _text(body, "legalCaseType")
        appearances = body.get("courtAppearances")
        charges = body.get("offenderCharges")
        if not isinstance(appearances, list) or not isinstance(charges, list):
            raise Invalid("courtAppearances and offenderCharges are required")
        references = (
            _object(body.get("caseReferences") or {"caseIdentifiers": []}).get("caseIdentifiers") or []
        )
        booking = old["bookingId"]
        self.remove_case(case_id)
        case = self.add_case(
            offender_no,
            booking,
            caseStatus=status,
            legalCaseType=body["legalCaseType"],
            beginDate=_date(body.get("startDate"), "startDate", required=True),
            courtId=_text(body, "courtId"),
            primaryCaseInfoNumber=references[0]["reference"] if references else None,
            caseInfoNumbers=[
                {
                    "reference": r["reference"],
                    "type": "CASE/INFO#",
                    "createDateTime": _date_time(r.get("createdDate"), "createdDate", True),
                }
                for r in references
            ],
        )
        charge_ids: dict[str, int] = {}
        for charge in charges:
            charge = _object(charge)
            charge_ids[_text(charge, "id") or ""] = self.add_charge(
                case["id"],
                offenceCode=_text(charge, "offenceCode"),
                offenceDate=_date(charge.get("offenceDate"), "offenceDate"),
                offenceEndDate=_date(charge.get("offenceEndDate"), "offenceEndDate"),
                resultCode1=charge.get("resultCode1"),
            )["id"]
        event_ids = []
        for appearance in appearances:
            appearance = _object(appearance)
            fields = self._appearance_fields(appearance)
            links = []
            for link in appearance.get("courtEventCharges") or []:
                link = _object(link)
                dps_id = _text(link, "id") or ""
                if dps_id not in charge_ids:
                    raise Invalid(f"court event charge {dps_id} is not one of the offender charges")
                links.append({"offenderChargeId": charge_ids[dps_id], "resultCode1": link.get("resultCode1")})
            event_ids.append(self.add_event(case["id"], links, **fields)["id"])
        return {
            "caseId": case["id"],
            "bookingId": booking,
            "courtAppearanceIds": event_ids,
            "offenderChargeIds": list(charge_ids.values()),
        }

    # ---- routes --------------------------------------------------------------------------------

    def install(self, nomis: FakeApi) -> None:
        def route(method: str, path: str, kind: str | None, status: int, work: Any) -> None:
            async def handle(request: web.Request) -> web.StreamResponse:
                try:
                    body = await json_body(request)
                    result = work(request.match_info, body)
                except Invalid as error:
                    return error_response(400, str(error))
                except Missing as error:
                    return error_response(404, str(error))
                if kind is not None:
                    return self._answer(kind, result, status)
                if result is None:
                    return web.Response(status=status)
                return json_response(result, status=status)

            nomis.route(method, path, handle)

        def ids(match: Any, *names: str) -> list[int]:
            return [int(match[name]) for name in names]

        cases = "/prisoners/{offenderNo}/sentencing/court-cases"
        case = cases + r"/{caseId:\d+}"
        sentences = r"/prisoners/{offenderNo}/court-cases/{caseId:\d+}/sentences"
        recall = "/prisoners/{offenderNo}/sentences/recall"

        def create_case(m: Any, body: Any) -> dict[str, Any]:
            body = _object(body)
            status = _text(body, "status")
            if status not in CASE_STATUSES:
                raise Invalid("status must be A, I or C")
            reference = body.get("caseReference")
            created = self.add_case(
                m["offenderNo"],
                caseStatus=status,
                legalCaseType=_text(body, "legalCaseType"),
                beginDate=_date(body.get("startDate"), "startDate", required=True),
                courtId=_text(body, "courtId"),
                primaryCaseInfoNumber=reference,
                caseInfoNumbers=[{"reference": reference, "type": "CASE/INFO#"}] if reference else [],
            )
            return {"id": created["id"], "courtAppearanceIds": []}

        def list_cases(m: Any, _: Any) -> list[dict[str, Any]]:
            return [self.court_case_response(case_id) or {} for case_id in self.case_ids_of(m["offenderNo"])]

        def get_case(m: Any, _: Any) -> dict[str, Any] | None:
            [case_id] = ids(m, "caseId")
            self.case(case_id, m["offenderNo"])
            return self.court_case_response(case_id)

        def update_case(m: Any, body: Any) -> None:
            body = _object(body)
            status = _text(body, "status")
            if status not in CASE_STATUSES:
                raise Invalid("status must be A, I or C")
            self.case(int(m["caseId"]), m["offenderNo"])["caseStatus"] = status

        def delete_case(m: Any, _: Any) -> None:
            self.remove_case(int(m["caseId"]))

        def create_appearance(m: Any, body: Any) -> dict[str, Any]:
            return self.create_appearance(m["offenderNo"], int(m["caseId"]), _object(body))

        def update_appearance(m: Any, body: Any) -> dict[str, Any]:
            return self.update_appearance(m["offenderNo"], int(m["caseId"]), int(m["eventId"]), _object(body))

        def delete_appearance(m: Any, _: Any) -> None:
            self.case(int(m["caseId"]), m["offenderNo"])
            self.remove_event(int(m["eventId"]))

        def create_charge(m: Any, body: Any) -> dict[str, Any]:
            case_id = int(m["caseId"])
            self.case(case_id, m["offenderNo"])
            return {"offenderChargeId": self.add_charge(case_id, **self._charge_fields(_object(body)))["id"]}

        def update_charge(m: Any, body: Any) -> None:
            case_id, event_id, charge_id = ids(m, "caseId", "eventId", "chargeId")
            self.case(case_id, m["offenderNo"])
            event = self.events.get(event_id)
            charge = self.charges.get(charge_id)
            if event is None or charge is None or event["caseId"] != case_id:
                raise Missing(f"Court event charge {event_id}/{charge_id} not found")
            fields = self._charge_fields(_object(body))
            charge.update(fields)
            for link in event["charges"]:
                if link["offenderChargeId"] == charge_id:
                    link["resultCode1"] = fields["resultCode1"]

        def case_identifiers(m: Any, body: Any) -> None:
            found = self.case(int(m["caseId"]), m["offenderNo"])
            items = _object(body).get("caseIdentifiers")
            if not isinstance(items, list):
                raise Invalid("caseIdentifiers is required")
            found["caseInfoNumbers"] = [
                {
                    "reference": _text(_object(item), "reference"),
                    "type": "CASE/INFO#",
                    "createDateTime": _date_time(item.get("createdDate"), "createdDate", required=True),
                }
                for item in items
            ]

        def create_sentence(m: Any, body: Any) -> dict[str, Any]:
            found = self.case(int(m["caseId"]), m["offenderNo"])
            sentence = self.add_sentence(found["id"], **self._sentence_fields(found, _object(body)))
            return {"sentenceSeq": sentence["sentenceSeq"], "bookingId": sentence["bookingId"]}

        def update_sentence(m: Any, body: Any) -> None:
            found = self.case(int(m["caseId"]), m["offenderNo"])
            sentence = self.case_sentence(found, int(m["seq"]))
            sentence.update(self._sentence_fields(found, _object(body)))

        def delete_sentence(m: Any, _: Any) -> None:
            found = self.case(int(m["caseId"]), m["offenderNo"])
            key = (found["bookingId"], int(m["seq"]))
            if key in found["sentenceKeys"]:
                found["sentenceKeys"].remove(key)
                self.sentences.pop(key, None)

        def create_term(m: Any, body: Any) -> dict[str, Any]:
            found = self.case(int(m["caseId"]), m["offenderNo"])
            sentence = self.case_sentence(found, int(m["seq"]))
            term = self.add_term(
                sentence["bookingId"], sentence["sentenceSeq"], **self._term_fields(_object(body))
            )
            return {
                "sentenceSeq": sentence["sentenceSeq"],
                "termSeq": term["termSequence"],
                "bookingId": sentence["bookingId"],
            }

        def update_term(m: Any, body: Any) -> None:
            found = self.case(int(m["caseId"]), m["offenderNo"])
            sentence = self.case_sentence(found, int(m["seq"]))
            term = sentence["terms"].get(int(m["termSeq"]))
            if term is None:
                raise Missing(f"Sentence term {m['termSeq']} not found")
            term.update(self._term_fields(_object(body)))

        def delete_term(m: Any, _: Any) -> None:
            found = self.case(int(m["caseId"]), m["offenderNo"])
            self.case_sentence(found, int(m["seq"]))["terms"].pop(int(m["termSeq"]), None)

        def clone(m: Any, _: Any) -> dict[str, Any]:
            self.case(int(m["caseId"]), m["offenderNo"])
            response, _, _ = self.clone_case(int(m["caseId"]))
            return response

        def repair(m: Any, body: Any) -> dict[str, Any]:
            return self.repair(m["offenderNo"], int(m["caseId"]), _object(body))

        route("POST", cases, "create-court-case", 201, create_case)
        route("GET", cases, None, 200, list_cases)
        route("GET", case, None, 200, get_case)
        route("PUT", case, None, 200, update_case)
        route("DELETE", case, None, 200, delete_case)
        route("POST", case + "/court-appearances", "create-appearance", 201, create_appearance)
        route("PUT", case + r"/court-appearances/{eventId:\d+}", None, 200, update_appearance)
        route("DELETE", case + r"/court-appearances/{eventId:\d+}", None, 200, delete_appearance)
        route("POST", case + "/charges", "create-charge", 201, create_charge)
        route(
            "PUT", case + r"/court-appearances/{eventId:\d+}/charges/{chargeId:\d+}", None, 200, update_charge
        )
        route("POST", case + "/case-identifiers", None, 200, case_identifiers)
        route(
            "POST", r"/prisoners/{offenderNo}/sentencing/court-cases/clone/{caseId:\d+}", "clone", 200, clone
        )
        route("POST", case + "/repair", None, 200, repair)
        route("POST", sentences, "create-sentence", 201, create_sentence)
        route("PUT", sentences + r"/{seq:\d+}", None, 200, update_sentence)
        route("DELETE", sentences + r"/{seq:\d+}", None, 204, delete_sentence)
        route("POST", sentences + r"/{seq:\d+}/sentence-terms", "create-term", 201, create_term)
        route("PUT", sentences + r"/{seq:\d+}/sentence-terms/{termSeq:\d+}", None, 200, update_term)
        route("DELETE", sentences + r"/{seq:\d+}/sentence-terms/{termSeq:\d+}", None, 204, delete_term)
        route(
            "POST",
            recall,
            "create-recall",
            200,
            lambda m, body: self.create_recall(m["offenderNo"], _object(body)),
        )
        route("PUT", recall, None, 200, lambda m, body: self.update_recall(m["offenderNo"], _object(body)))
        route(
            "PUT",
            recall + "/restore-original",
            None,
            200,
            lambda m, body: self.restore(m["offenderNo"], _object(body), False),
        )
        route(
            "PUT",
            recall + "/restore-previous",
            None,
            200,
            lambda m, body: self.restore(m["offenderNo"], _object(body), True),
        )
