"""Sentencing adjustments in the sandbox: the Adjustments API (DPS), NOMIS adjustments and their mappings.

The DPS fake keeps adjustments and, through `POST /__adjustments/{id}/{action}` (action `insert`,
`update` or `delete`; JSON body = the fields to change, `source` too), changes an adjustment and
publishes its `release-date-adjustments.adjustment.*` event in one step. NOMIS keeps sentence and
key-date adjustments per booking, validating bodies as the NOMIS prisoner API does; the mapping table is
unique on `adjustmentId` and on (`nomisAdjustmentCategory`, `nomisAdjustmentId`), answering 409 with
`moreInfo.existing/duplicate` like the real mapping service.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from hmpps_sandbox.fake import FakeApi, error_response, json_body, json_response
from hmpps_sandbox.stores import MappingTable, Sequence

if TYPE_CHECKING:
    from hmpps_sandbox.estate import Estate

QUEUE_ID = "sentencing"
DPS_NAME = "sentence-adjustments"
EVENTS = (
    "release-date-adjustments.adjustment.inserted",
    "release-date-adjustments.adjustment.updated",
    "release-date-adjustments.adjustment.deleted",
)
ACTIONS = {"insert": EVENTS[0], "update": EVENTS[1], "delete": EVENTS[2]}

SENTENCE_TYPES = ("RSR", "UR", "S240A", "RST", "RX", "TCA", "TSA")
KEY_DATE_TYPES = ("LAL", "UAL", "RADA", "ADA", "SREM")
CATEGORIES = ("SENTENCE", "KEY-DATE")
MAPPING_TYPES = ("MIGRATED", "NOMIS_CREATED", "SENTENCING_CREATED")
TYPE_DESCRIPTIONS = {
    "RSR": "Recall Sentence Remand",
    "UR": "Unused Remand",
    "S240A": "Tagged Bail",
    "RST": "Recall Sentence Tagged Bail",
    "RX": "Remand",
    "TCA": "Time Spent in Custody Abroad",
    "TSA": "Time Spent as an Appeal Applicant",
    "LAL": "Lawfully at Large",
    "UAL": "Unlawfully at Large",
    "RADA": "Restoration of Additional Days Awarded",
    "ADA": "Additional Days Awarded",
    "SREM": "Special Remission",
}
# The DPS (non-legacy) type of each NOMIS code, as the Adjustments API lists a person's adjustments.
DPS_TYPES = {
    "RSR": "REMAND",
    "RX": "REMAND",
    "S240A": "TAGGED_BAIL",
    "RST": "TAGGED_BAIL",
    "UR": "UNUSED_DEDUCTIONS",
    "TCA": "CUSTODY_ABROAD",
    "TSA": "APPEAL_APPLICANT",
    "LAL": "LAWFULLY_AT_LARGE",
    "UAL": "UNLAWFULLY_AT_LARGE",
    "RADA": "RESTORATION_OF_ADDITIONAL_DAYS_AWARDED",
    "ADA": "ADDITIONAL_DAYS_AWARDED",
    "SREM": "SPECIAL_REMISSION",
}


def default_adjustment(
    adjustment_id: str, offender_no: str = "A1234AA", booking_id: int = 12345
) -> dict[str, Any]:
    """A DPS legacy adjustment: remand on sentence 1 unless changed."""
    return {
        "id": adjustment_id,
        "bookingId": booking_id,
        "offenderNo": offender_no,
        "sentenceSequence": 1,
        "adjustmentType": "RX",
        "adjustmentDate": "2022-01-01",
        "adjustmentFromDate": "2020-07-19",
        "adjustmentDays": 99,
        "comment": "Adjusted for remand",
        "active": True,
        "bookingReleased": False,
        "currentTerm": True,
        "agencyId": "MDI",
    }


class AdjustmentMappingTable(MappingTable):
    """Unique on adjustmentId and on the NOMIS (category, id) pair, as the mapping service is."""

    def clash(self, candidate: dict[str, Any]) -> dict[str, Any] | None:
        by_dps = self.find("adjustmentId", candidate.get("adjustmentId"))
        if by_dps is not None:
            return by_dps
        return self.find_nomis(
            str(candidate.get("nomisAdjustmentCategory")), candidate.get("nomisAdjustmentId")
        )

    def find_nomis(self, category: str, nomis_id: Any) -> dict[str, Any] | None:
        return next(
            (
                row
                for row in self.rows
                if row["nomisAdjustmentCategory"] == category
                and str(row["nomisAdjustmentId"]) == str(nomis_id)
            ),
            None,
        )


def _valid_date(value: Any) -> bool:
    if value is None:
        return True
    try:
        date.fromisoformat(str(value))
    except ValueError:
        return False
    return True


def _has_route(fake: FakeApi, method: str, path: str) -> bool:
    return any(
        route.method == method and route.resource is not None and route.resource.canonical == path
        for route in fake.router.routes()
    )


class SentencingFakes:
    def __init__(self, estate: Estate) -> None:
        self.estate = estate
        self.dps = estate.add_dps(DPS_NAME, FakeApi(DPS_NAME))
        self.dps_adjustments: dict[str, dict[str, Any]] = {}
        # person -> status: `GET /adjustments?person=` answers this error for that prisoner only (the
        # journal's path-only faults cannot single out one prisoner of a report).
        self.person_faults: dict[str, int] = {}
        # NOMIS: category -> id -> record (the two kinds live in different NOMIS tables).
        self.nomis_adjustments: dict[str, dict[int, dict[str, Any]]] = {c: {} for c in CATEGORIES}
        self.nomis_ids = {c: Sequence(start=10000) for c in CATEGORIES}
        self.mappings = AdjustmentMappingTable("Sentencing adjustment", ["adjustmentId"])
        self._install_dps()
        self._install_nomis(estate.nomis)
        self._install_mapping(estate.mapping)
        self.dps.on_reset(self.dps_adjustments.clear)
        self.dps.on_reset(self.person_faults.clear)
        estate.nomis.on_reset(self._reset_nomis)
        estate.mapping.on_reset(self.mappings.clear)

    def _reset_nomis(self) -> None:
        for category in CATEGORIES:
            self.nomis_adjustments[category].clear()
            self.nomis_ids[category].reset()

    # ---- DPS Adjustments API -------------------------------------------------------------------

    def seed_dps(self, adjustment: dict[str, Any]) -> dict[str, Any]:
        """Store a DPS adjustment without publishing (fields as default_adjustment, plus optional
        `effectiveDays` and `dpsType` for the person listing)."""
        adjustment_id = str(adjustment.get("id") or uuid.uuid4())
        record = {**default_adjustment(adjustment_id), **adjustment, "id": adjustment_id}
        self.dps_adjustments[adjustment_id] = record
        return record

    def _legacy(self, record: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in record.items() if k not in ("id", "effectiveDays", "dpsType", "deleted")}

    def _dto(self, record: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": record["id"],
            "bookingId": record["bookingId"],
            "person": record["offenderNo"],
            "adjustmentType": record.get("dpsType") or DPS_TYPES[record["adjustmentType"]],
            "fromDate": record.get("adjustmentFromDate"),
            "days": record["adjustmentDays"],
            "effectiveDays": record.get("effectiveDays", record["adjustmentDays"]),
            "sentenceSequence": record.get("sentenceSequence"),
            "status": "ACTIVE" if record.get("active", True) else "INACTIVE",
            "source": "DPS",
        }

    def _install_dps(self) -> None:
        async def get_legacy(request: web.Request) -> web.StreamResponse:
            record = self.dps_adjustments.get(request.match_info["id"])
            if record is None or record.get("deleted"):
                return error_response(404, "Adjustment not found")
            return json_response(self._legacy(record))

        async def by_person(request: web.Request) -> web.StreamResponse:
            person = request.query.get("person")
            if not person:
                return error_response(400, "Required request parameter 'person' is not present")
            status = self.person_faults.get(person)
            if status is not None:
                return error_response(status, f"injected fault for {person}")
            listed = [
                self._dto(r)
                for r in self.dps_adjustments.values()
                if r["offenderNo"] == person and not r.get("deleted") and r.get("active", True)
            ]
            return json_response(listed)

        async def act(request: web.Request) -> web.StreamResponse:
            action = request.match_info["action"]
            if action not in ACTIONS:
                return error_response(400, f"action must be one of {', '.join(ACTIONS)}")
            changes = await json_body(request) or {}
            if not isinstance(changes, dict):
                return error_response(400, "body must be a JSON object")
            event = await self.act(
                request.match_info["id"],
                action,
                changes,
                publish=request.query.get("publish", "true") != "false",
            )
            return json_response(
                {"adjustment": self.dps_adjustments.get(request.match_info["id"]), "event": event}, status=201
            )

        self.dps.route("GET", "/legacy/adjustments/{id}", get_legacy)
        self.dps.route("GET", "/adjustments", by_person)
        self.dps.route("POST", "/__adjustments/{id}/{action}", act)

    def event(
        self, action: str, adjustment_id: str, offender_no: str, source: str | None = "DPS"
    ) -> dict[str, Any]:
        information: dict[str, Any] = {"id": adjustment_id, "offenderNo": offender_no}
        if source is not None:
            information["source"] = source
        return {
            "eventType": ACTIONS[action],
            "version": 1,
            "description": f"An adjustment has been {ACTIONS[action].rsplit('.', 1)[-1]}",
            "occurredAt": datetime.now().astimezone().isoformat(),
            "additionalInformation": information,
        }

    async def act(
        self,
        adjustment_id: str,
        action: str,
        changes: dict[str, Any] | None = None,
        publish: bool = True,
    ) -> dict[str, Any]:
        """Insert, update or delete a DPS adjustment and (by default) publish its event.

        `changes` may hold `source` (default DPS) for the event; the rest are adjustment fields.
        """
        changes = dict(changes or {})
        source = changes.pop("source", "DPS")
        record = self.dps_adjustments.get(adjustment_id) or default_adjustment(
            adjustment_id, changes.get("offenderNo", "A1234AA")
        )
        record.update(changes)
        record["id"] = adjustment_id
        if action == "delete":
            record["deleted"] = True
        self.dps_adjustments[adjustment_id] = record
        event = self.event(action, adjustment_id, record["offenderNo"], source)
        if publish:
            await self.estate.publish(event)
        return event

    # ---- NOMIS prisoner API --------------------------------------------------------------------

    def seed_nomis(self, category: str, record: dict[str, Any]) -> dict[str, Any]:
        """Store a NOMIS adjustment directly (as NOMIS users or an earlier attempt would have)."""
        nomis_id = int(record.get("id") or self.nomis_ids[category].next())
        stored = {
            "active": True,
            "comment": None,
            "adjustmentDate": None,
            "adjustmentFromDate": None,
            **record,
            "id": nomis_id,
        }
        self.nomis_adjustments[category][nomis_id] = stored
        return stored

    def nomis_for_booking(self, booking_id: int, category: str | None = None) -> list[dict[str, Any]]:
        return [
            r
            for c in (CATEGORIES if category is None else (category,))
            for r in self.nomis_adjustments[c].values()
            if r["bookingId"] == booking_id
        ]

    def _response(self, record: dict[str, Any], category: str) -> dict[str, Any]:
        code = record["adjustmentTypeCode"]
        response = {
            "id": record["id"],
            "bookingId": record["bookingId"],
            "bookingSequence": 1,
            "hasBeenReleased": False,
            "prisonId": "MDI",
            "offenderNo": record.get("offenderNo", "A1234AA"),
            "adjustmentType": {"code": code, "description": TYPE_DESCRIPTIONS.get(code, code)},
            "adjustmentDate": record.get("adjustmentDate"),
            "adjustmentFromDate": record.get("adjustmentFromDate"),
            "adjustmentDays": record["adjustmentDays"],
            "comment": record.get("comment"),
            "active": record.get("active", True),
        }
        if category == "SENTENCE":
            response["sentenceSequence"] = record["sentenceSequence"]
            response["hiddenFromUsers"] = False
        return response

    @staticmethod
    def _problem(body: Any, category: str, creating: bool) -> str | None:
        """What the NOMIS API would refuse in a create/update body (400), or None."""
        if not isinstance(body, dict):
            return "body must be a JSON object"
        allowed = KEY_DATE_TYPES if category == "KEY-DATE" else SENTENCE_TYPES
        required = ["adjustmentTypeCode", "adjustmentDays"]
        if category == "KEY-DATE":
            required.append("adjustmentFromDate")
        elif not creating:
            required.append("sentenceSequence")
        missing = [name for name in required if body.get(name) is None]
        if missing:
            return f"Missing fields: {', '.join(missing)}"
        if body["adjustmentTypeCode"] not in allowed:
            return f"adjustmentTypeCode must be one of {', '.join(allowed)}"
        if not isinstance(body["adjustmentDays"], int) or body["adjustmentDays"] < 0:
            return "adjustmentDays must be a whole number >= 0"
        if not all(_valid_date(body.get(name)) for name in ("adjustmentDate", "adjustmentFromDate")):
            return "dates must be yyyy-MM-dd"
        return None

    def _install_nomis(self, nomis: FakeApi) -> None:
        def creator(category: str) -> Any:
            async def create(request: web.Request) -> web.StreamResponse:
                body = await json_body(request)
                problem = self._problem(body, category, creating=True)
                if problem is not None:
                    return error_response(400, problem)
                try:
                    booking_id = int(request.match_info["bookingId"])
                    sequence = int(request.match_info["sequence"]) if category == "SENTENCE" else None
                except ValueError:
                    return error_response(400, "booking id and sentence sequence must be numbers")
                record = {**body, "bookingId": booking_id, "active": body.get("active", True)}
                if sequence is not None:
                    record["sentenceSequence"] = sequence
                stored = self.seed_nomis(category, record)
                return json_response({"id": stored["id"]}, status=201)

            return create

        def find(request: web.Request, category: str) -> dict[str, Any] | None:
            try:
                return self.nomis_adjustments[category].get(int(request.match_info["id"]))
            except ValueError:
                return None

        def updater(category: str) -> Any:
            async def update(request: web.Request) -> web.StreamResponse:
                record = find(request, category)
                if record is None:
                    return error_response(404, "Adjustment not found")
                body = await json_body(request)
                problem = self._problem(body, category, creating=False)
                if problem is not None:
                    return error_response(400, problem)
                record.update({k: v for k, v in body.items()})
                for optional in ("adjustmentDate", "adjustmentFromDate", "comment"):
                    record.setdefault(optional, None)
                    if optional not in body:
                        record[optional] = None
                return web.Response(status=200)

            return update

        def deleter(category: str) -> Any:
            async def delete(request: web.Request) -> web.StreamResponse:
                # NOMIS answers 204 whether or not the adjustment exists.
                try:
                    self.nomis_adjustments[category].pop(int(request.match_info["id"]), None)
                except ValueError:
                    return error_response(400, "id must be a number")
                return web.Response(status=204)

            return delete

        def getter(category: str) -> Any:
            async def get(request: web.Request) -> web.StreamResponse:
                record = find(request, category)
                if record is None:
                    return error_response(404, "Adjustment not found")
                return json_response(self._response(record, category))

            return get

        async def for_booking(request: web.Request) -> web.StreamResponse:
            active_only = request.query.get("active-only")
            if active_only is None:
                return error_response(400, "Required request parameter 'active-only' is not present")
            try:
                booking_id = int(request.match_info["bookingId"])
            except ValueError:
                return error_response(400, "booking id must be a number")
            lists: dict[str, list[dict[str, Any]]] = {}
            for category, key in (("KEY-DATE", "keyDateAdjustments"), ("SENTENCE", "sentenceAdjustments")):
                lists[key] = [
                    self._response(r, category)
                    for r in self.nomis_for_booking(booking_id, category)
                    if r.get("active", True) or active_only.lower() != "true"
                ]
            return json_response(lists)

        async def latest_from_id(request: web.Request) -> web.StreamResponse:
            prisoners = self.estate.plugins["prisoners"]
            try:
                after = int(request.query.get("bookingId", "0"))
                size = int(request.query.get("pageSize", "10"))
            except ValueError:
                return error_response(400, "bookingId and pageSize must be whole numbers")
            active_only = request.query.get("activeOnly", "false").lower() == "true"
            latest = sorted(prisoners.by_offender.values(), key=lambda p: p.bookingId)
            chosen = [p for p in latest if p.bookingId > after and (p.active or not active_only)][:size]
            return json_response(
                {
                    "prisonerIds": [{"bookingId": p.bookingId, "offenderNo": p.offenderNo} for p in chosen],
                    "lastBookingId": chosen[-1].bookingId if chosen else after,
                }
            )

        nomis.route(
            "POST", "/prisoners/booking-id/{bookingId}/sentences/{sequence}/adjustments", creator("SENTENCE")
        )
        nomis.route("POST", "/prisoners/booking-id/{bookingId}/adjustments", creator("KEY-DATE"))
        nomis.route("GET", "/prisoners/booking-id/{bookingId}/sentencing-adjustments", for_booking)
        for category, prefix in (
            ("SENTENCE", "/sentence-adjustments"),
            ("KEY-DATE", "/key-date-adjustments"),
        ):
            nomis.route("GET", prefix + "/{id}", getter(category))
            nomis.route("PUT", prefix + "/{id}", updater(category))
            nomis.route("DELETE", prefix + "/{id}", deleter(category))
        # Booking paging belongs to the shared NOMIS population; another plugin may already serve it.
        if not _has_route(nomis, "GET", "/bookings/ids/latest-from-id"):
            nomis.route("GET", "/bookings/ids/latest-from-id", latest_from_id)

    # ---- mapping API ---------------------------------------------------------------------------

    def seed_mapping(
        self,
        adjustment_id: str,
        nomis_id: int,
        category: str = "SENTENCE",
        mapping_type: str = "SENTENCING_CREATED",
    ) -> dict[str, Any]:
        row = {
            "adjustmentId": adjustment_id,
            "nomisAdjustmentId": nomis_id,
            "nomisAdjustmentCategory": category,
            "mappingType": mapping_type,
            "label": None,
            "whenCreated": datetime.now().replace(microsecond=0).isoformat(),
        }
        if self.mappings.add(row) is not None:
            raise ValueError(f"mapping clashes with an existing one: {row}")
        return row

    def _install_mapping(self, mapping: FakeApi) -> None:
        async def create(request: web.Request) -> web.StreamResponse:
            body = await json_body(request)
            if not isinstance(body, dict):
                return error_response(400, "body must be a JSON object")
            missing = [
                name
                for name in ("adjustmentId", "nomisAdjustmentId", "nomisAdjustmentCategory", "mappingType")
                if body.get(name) is None
            ]
            if missing:
                return error_response(400, f"Missing fields: {', '.join(missing)}")
            if body["nomisAdjustmentCategory"] not in CATEGORIES or body["mappingType"] not in MAPPING_TYPES:
                return error_response(400, "nomisAdjustmentCategory or mappingType is not valid")
            if not isinstance(body["nomisAdjustmentId"], int):
                return error_response(400, "nomisAdjustmentId must be a number")
            row = {
                "adjustmentId": str(body["adjustmentId"]),
                "nomisAdjustmentId": body["nomisAdjustmentId"],
                "nomisAdjustmentCategory": body["nomisAdjustmentCategory"],
                "mappingType": body["mappingType"],
                "label": body.get("label"),
                "whenCreated": datetime.now().replace(microsecond=0).isoformat(),
            }
            conflict = self.mappings.add(row)
            return conflict if conflict is not None else web.Response(status=201)

        async def by_adjustment(request: web.Request) -> web.StreamResponse:
            row = self.mappings.find("adjustmentId", request.match_info["id"])
            return json_response(row) if row else error_response(404, "Sentence adjustment mapping not found")

        async def by_nomis(request: web.Request) -> web.StreamResponse:
            row = self.mappings.find_nomis(request.match_info["category"], request.match_info["id"])
            return json_response(row) if row else error_response(404, "Sentence adjustment mapping not found")

        async def delete(request: web.Request) -> web.StreamResponse:
            self.mappings.remove("adjustmentId", request.match_info["id"])
            return web.Response(status=204)

        base = "/mapping/sentencing/adjustments"
        mapping.route("POST", base, create)
        mapping.route("GET", base + "/adjustment-id/{id}", by_adjustment)
        mapping.route("DELETE", base + "/adjustment-id/{id}", delete)
        mapping.route(
            "GET", base + "/nomis-adjustment-category/{category}/nomis-adjustment-id/{id}", by_nomis
        )


def install(estate: Estate) -> SentencingFakes:
    estate.add_queue(QUEUE_ID, EVENTS)
    return SentencingFakes(estate)
