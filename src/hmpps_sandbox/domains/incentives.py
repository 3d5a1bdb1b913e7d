"""Incentives in the sandbox: the DPS Incentives API, NOMIS IEPs and incentive levels, incentive mappings.

The DPS fake keeps reviews, global levels and prison levels. Its control endpoints (and the `sandbox
incentive` command) change DPS data and publish the matching `incentives.*` event in one step:

    POST /__incentives/reviews                       {prisonerNumber, iepCode, agencyId, bookingId?, ...}
    POST /__incentives/levels/{code}                 {name?, active?}          -> incentives.level.changed
    POST /__incentives/levels-order                  {codes: [...]}            -> incentives.levels.reordered
    POST /__incentives/prison-levels/{prisonId}/{levelCode} {visitOrders?, ...} -> incentives.prison-level.changed

`?publish=false` changes the data without publishing. NOMIS keeps IEP records per booking (the
current one is the latest by date/time, then sequence), reference codes and prison levels; the
prisoner population itself is the shared `prisoners` plugin.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from hmpps_sandbox.domains.prisoners import PrisonersFake
from hmpps_sandbox.fake import FakeApi, error_response, json_body, json_response
from hmpps_sandbox.stores import MappingTable, Sequence

if TYPE_CHECKING:
    from hmpps_sandbox.estate import Estate

QUEUE_ID = "incentive"
EVENTS = (
    "incentives.iep-review.inserted",
    "incentives.level.changed",
    "incentives.levels.reordered",
    "incentives.prison-level.changed",
)
LEVEL_NAMES = {
    "BAS": "Basic",
    "STD": "Standard",
    "ENH": "Enhanced",
    "EN2": "Enhanced 2",
    "EN3": "Enhanced 3",
    "ENT": "Entry",
}
MAPPING_TYPES = ("MIGRATED", "NOMIS_CREATED", "INCENTIVE_CREATED")
PRISON_LEVEL_NUMBERS = (
    "visitOrders",
    "privilegedVisitOrders",
    "remandTransferLimitInPence",
    "remandSpendLimitInPence",
    "convictedTransferLimitInPence",
    "convictedSpendLimitInPence",
)


def default_levels() -> list[dict[str, Any]]:
    return [
        {"code": code, "name": name, "active": code != "ENT", "required": code in ("BAS", "STD", "ENH")}
        for code, name in LEVEL_NAMES.items()
    ]


def default_prison_level(prison_id: str, level_code: str) -> dict[str, Any]:
    return {
        "prisonId": prison_id,
        "levelCode": level_code,
        "levelName": LEVEL_NAMES.get(level_code, level_code),
        "active": True,
        "defaultOnAdmission": level_code == "STD",
        "visitOrders": 2,
        "privilegedVisitOrders": 1,
        "remandTransferLimitInPence": 5500,
        "remandSpendLimitInPence": 55000,
        "convictedTransferLimitInPence": 1800,
        "convictedSpendLimitInPence": 18000,
    }


class IncentivesFakes:
    def __init__(self, estate: Estate) -> None:
        self.estate = estate
        self.prisoners: PrisonersFake = estate.plugins["prisoners"]
        self.dps = estate.add_dps("incentives", FakeApi("incentives"))
        # DPS
        self.reviews: dict[int, dict[str, Any]] = {}
        self.current_review: dict[str, int] = {}  # prisoner number -> review id of the current review
        self.review_ids = Sequence(start=1)
        self.levels: list[dict[str, Any]] = default_levels()
        self.prison_levels: dict[tuple[str, str], dict[str, Any]] = {}
        # NOMIS
        self.ieps: dict[int, list[dict[str, Any]]] = {}  # booking id -> IEP records
        self.reference_codes: dict[str, dict[str, Any]] = {}
        self.nomis_prison_levels: dict[tuple[str, str], dict[str, Any]] = {}
        # paths (on any of the three fakes) answered 200 with a body that is not JSON
        self.garbled_paths: set[str] = set()
        # mapping
        self.mappings = MappingTable("Incentive", ["incentiveId"])
        self._install_dps()
        self._install_nomis(estate.nomis)
        self._install_mapping(estate.mapping)
        self.dps.on_reset(self._reset_dps)
        estate.nomis.on_reset(self._reset_nomis)
        estate.mapping.on_reset(self.mappings.clear)

    def garble(self, path: str) -> None:
        """Answer `path` with 200 and a truncated, unparseable body (a proxy cutting a response)."""
        self.garbled_paths.add(path)

    def _garbled(self, request: web.Request) -> web.StreamResponse | None:
        if request.path in self.garbled_paths:
            return web.Response(status=200, body=b'{"iepCode": "ST', content_type="application/json")
        return None

    def _reset_dps(self) -> None:
        self.garbled_paths.clear()
        self.reviews.clear()
        self.current_review.clear()
        self.review_ids.reset()
        self.levels = default_levels()
        self.prison_levels.clear()

    def _reset_nomis(self) -> None:
        self.ieps.clear()
        self.reference_codes.clear()
        self.nomis_prison_levels.clear()

    # ==== DPS Incentives API ====================================================================

    def create_review(
        self,
        prisoner_number: str,
        iep_code: str = "STD",
        agency_id: str = "MDI",
        booking_id: int | None = None,
        when: datetime | None = None,
        comments: str | None = "A review took place",
        user_id: str | None = "SANDBOX_USER",
        review_id: int | None = None,
        in_nomis: bool = True,
    ) -> dict[str, Any]:
        """Store a DPS review and make it the prisoner's current one (no event; see `review`).

        DPS only knows prisoners NOMIS has, so by default the prisoner (and booking) is seeded in
        NOMIS too; `in_nomis=False` leaves NOMIS alone (to model a prisoner NOMIS does not know).
        """
        if in_nomis:
            booking_id = self.prisoners.ensure(prisoner_number, booking_id).bookingId
        elif booking_id is None:
            raise ValueError("a review for a prisoner unknown to NOMIS needs a booking id")
        when = (when or datetime.now()).replace(microsecond=0)
        identifier = review_id if review_id is not None else self.review_ids.next()
        review = {
            "id": identifier,
            "iepCode": iep_code,
            "iepLevel": LEVEL_NAMES.get(iep_code, iep_code),
            "comments": comments,
            "prisonerNumber": prisoner_number,
            "bookingId": booking_id,
            "iepDate": when.date().isoformat(),
            "iepTime": when.isoformat(),
            "agencyId": agency_id,
            "userId": user_id,
            "reviewType": "REVIEW",
            "auditModuleName": "INCENTIVES_API",
            "isRealReview": True,
        }
        self.reviews[identifier] = review
        self.current_review[prisoner_number] = identifier
        return review

    async def review(
        self, prisoner_number: str, publish: bool = True, reason: str = "USER_CREATED_DPS", **fields: Any
    ) -> dict[str, Any]:
        """Create a review in DPS and publish `incentives.iep-review.inserted` for it."""
        review = self.create_review(prisoner_number, **fields)
        event = {
            "eventType": "incentives.iep-review.inserted",
            "version": 1,
            "occurredAt": datetime.now().astimezone().isoformat(),
            "description": "An IEP review has been added",
            "additionalInformation": {
                "id": review["id"],
                "nomsNumber": prisoner_number,
                "reason": reason,
            },
        }
        if publish:
            await self.estate.publish(event)
        return {"review": review, "event": event}

    async def change_level(
        self, code: str, name: str | None = None, active: bool | None = None, publish: bool = True
    ) -> dict[str, Any]:
        level = self.level(code)
        if level is None:
            level = {"code": code, "name": name or code, "active": True, "required": False}
            self.levels.append(level)
        if name is not None:
            level["name"] = name
        if active is not None:
            level["active"] = active
        event = self._event("incentives.level.changed", {"incentiveLevel": code})
        if publish:
            await self.estate.publish(event)
        return {"level": level, "event": event}

    async def reorder_levels(self, codes: list[str], publish: bool = True) -> dict[str, Any]:
        known = {level["code"]: level for level in self.levels}
        unknown = [code for code in codes if code not in known]
        if unknown or len(set(codes)) != len(known):
            raise ValueError(f"the new order must list every level exactly once (unknown: {unknown})")
        self.levels = [known[code] for code in codes]
        event = self._event("incentives.levels.reordered", {})
        if publish:
            await self.estate.publish(event)
        return {"levels": self.levels, "event": event}

    async def change_prison_level(
        self, prison_id: str, level_code: str, publish: bool = True, **changes: Any
    ) -> dict[str, Any]:
        key = (prison_id, level_code)
        level = self.prison_levels.setdefault(key, default_prison_level(prison_id, level_code))
        level.update({k: v for k, v in changes.items() if k not in ("prisonId", "levelCode")})
        event = self._event(
            "incentives.prison-level.changed", {"incentiveLevel": level_code, "prisonId": prison_id}
        )
        if publish:
            await self.estate.publish(event)
        return {"prisonLevel": level, "event": event}

    def level(self, code: str) -> dict[str, Any] | None:
        return next((level for level in self.levels if level["code"] == code), None)

    @staticmethod
    def _event(event_type: str, additional: dict[str, Any]) -> dict[str, Any]:
        return {
            "eventType": event_type,
            "version": 1,
            "occurredAt": datetime.now().astimezone().isoformat(),
            "additionalInformation": additional,
        }

    def summary(self, review: dict[str, Any]) -> dict[str, Any]:
        iep_date = date.fromisoformat(review["iepDate"])
        return {
            "id": review["id"],
            "iepCode": review["iepCode"],
            "iepLevel": review["iepLevel"],
            "prisonerNumber": review["prisonerNumber"],
            "bookingId": review["bookingId"],
            "iepDate": review["iepDate"],
            "iepTime": review["iepTime"],
            "iepDetails": [],
            "nextReviewDate": iep_date.replace(year=iep_date.year + 1).isoformat()
            if not (iep_date.month == 2 and iep_date.day == 29)
            else iep_date.isoformat(),
            "daysSinceReview": (date.today() - iep_date).days,
        }

    def _install_dps(self) -> None:
        async def review_by_id(request: web.Request) -> web.StreamResponse:
            try:
                review = self.reviews.get(int(request.match_info["id"]))
            except ValueError:
                return error_response(400, "id must be a number")
            if review is None:
                return error_response(404, f"No incentive review found for id {request.match_info['id']}")
            return json_response(review)

        async def current_for_prisoner(request: web.Request) -> web.StreamResponse:
            garbled = self._garbled(request)
            if garbled is not None:
                return garbled
            prisoner_number = request.match_info["prisonerNumber"]
            review_id = self.current_review.get(prisoner_number)
            if review_id is None:
                return error_response(404, f"No incentive reviews found for {prisoner_number}")
            return json_response(self.summary(self.reviews[review_id]))

        async def current_for_booking(request: web.Request) -> web.StreamResponse:
            booking_id = request.match_info["bookingId"]
            found = [r for r in self.reviews.values() if str(r["bookingId"]) == booking_id]
            if not found:
                return error_response(404, f"No incentive reviews found for booking {booking_id}")
            latest = max(found, key=lambda r: (r["iepTime"], r["id"]))
            return json_response(self.summary(latest))

        async def levels(request: web.Request) -> web.StreamResponse:
            with_inactive = request.query.get("with-inactive", "false") == "true"
            return json_response([lv for lv in self.levels if with_inactive or lv["active"]])

        async def level(request: web.Request) -> web.StreamResponse:
            found = self.level(request.match_info["code"])
            if found is None:
                return error_response(404, f"No incentive level found for code {request.match_info['code']}")
            return json_response(found)

        async def prison_level(request: web.Request) -> web.StreamResponse:
            key = (request.match_info["prisonId"], request.match_info["levelCode"])
            found = self.prison_levels.get(key)
            if found is None:
                return error_response(404, f"No prison incentive level found for {key[0]}/{key[1]}")
            return json_response(found)

        # ---- control endpoints ----

        def publish_flag(request: web.Request) -> bool:
            return request.query.get("publish", "true") != "false"

        async def control_review(request: web.Request) -> web.StreamResponse:
            body = await json_body(request) or {}
            if not isinstance(body, dict) or not isinstance(body.get("prisonerNumber"), str):
                return error_response(400, "a review needs a prisonerNumber")
            fields: dict[str, Any] = {}
            for key, target in (
                ("iepCode", "iep_code"),
                ("agencyId", "agency_id"),
                ("comments", "comments"),
                ("userId", "user_id"),
            ):
                if key in body:
                    fields[target] = body[key]
            try:
                if body.get("bookingId") is not None:
                    fields["booking_id"] = int(body["bookingId"])
                if body.get("iepTime") is not None:
                    fields["when"] = datetime.fromisoformat(str(body["iepTime"]))
            except ValueError as error:
                return error_response(400, f"invalid review: {error}")
            result = await self.review(
                body["prisonerNumber"],
                publish=publish_flag(request),
                reason=str(body.get("reason", "USER_CREATED_DPS")),
                **fields,
            )
            return json_response(result, status=201)

        async def control_level(request: web.Request) -> web.StreamResponse:
            body = await json_body(request) or {}
            active = body.get("active")
            result = await self.change_level(
                request.match_info["code"],
                name=body.get("name"),
                active=None if active is None else bool(active),
                publish=publish_flag(request),
            )
            return json_response(result, status=201)

        async def control_reorder(request: web.Request) -> web.StreamResponse:
            body = await json_body(request) or {}
            codes = body.get("codes") if isinstance(body, dict) else None
            if not isinstance(codes, list) or not all(isinstance(code, str) for code in codes):
                return error_response(400, "codes must be a list of level codes")
            try:
                result = await self.reorder_levels(codes, publish=publish_flag(request))
            except ValueError as error:
                return error_response(400, str(error))
            return json_response(result, status=201)

        async def control_prison_level(request: web.Request) -> web.StreamResponse:
            body = await json_body(request) or {}
            if not isinstance(body, dict):
                return error_response(400, "prison level changes must be a JSON object")
            result = await self.change_prison_level(
                request.match_info["prisonId"],
                request.match_info["levelCode"],
                publish=publish_flag(request),
                **body,
            )
            return json_response(result, status=201)

        self.dps.route("GET", "/incentive-reviews/id/{id}", review_by_id)
        self.dps.route("GET", "/incentive-reviews/prisoner/{prisonerNumber}", current_for_prisoner)
        self.dps.route("GET", "/incentive-reviews/booking/{bookingId}", current_for_booking)
        self.dps.route("GET", "/incentive/levels", levels)
        self.dps.route("GET", "/incentive/levels/{code}", level)
        self.dps.route("GET", "/incentive/prison-levels/{prisonId}/level/{levelCode}", prison_level)
        self.dps.route("POST", "/__incentives/reviews", control_review)
        self.dps.route("POST", "/__incentives/levels-order", control_reorder)
        self.dps.route("POST", "/__incentives/levels/{code}", control_level)
        self.dps.route("POST", "/__incentives/prison-levels/{prisonId}/{levelCode}", control_prison_level)

    # ==== NOMIS prisoner API ====================================================================

    def add_iep(
        self,
        booking_id: int,
        offender_no: str,
        level_code: str,
        when: datetime | None = None,
        prison_id: str = "MDI",
        comment: str | None = None,
        user_id: str | None = None,
    ) -> dict[str, Any]:
        """Store a NOMIS IEP record (what NOMIS itself would hold); returns it."""
        records = self.ieps.setdefault(booking_id, [])
        record = {
            "bookingId": booking_id,
            "incentiveSequence": max((r["incentiveSequence"] for r in records), default=0) + 1,
            "offenderNo": offender_no,
            "commentText": comment,
            "iepDateTime": (when or datetime.now()).replace(microsecond=0).isoformat(),
            "prisonId": prison_id,
            "iepLevel": {"code": level_code, "description": LEVEL_NAMES.get(level_code, level_code)},
            "userId": user_id,
            "auditModule": "PRISON_API",
            "whenCreated": datetime.now().replace(microsecond=0).isoformat(),
        }
        records.append(record)
        return record

    def current_iep(self, booking_id: int) -> dict[str, Any] | None:
        records = self.ieps.get(booking_id)
        if not records:
            return None
        return max(records, key=lambda r: (r["iepDateTime"], r["incentiveSequence"]))

    def _install_nomis(self, nomis: FakeApi) -> None:
        def iep_response(record: dict[str, Any]) -> dict[str, Any]:
            current = self.current_iep(record["bookingId"])
            return {**record, "currentIep": current is record}

        async def create_iep(request: web.Request) -> web.StreamResponse:
            prison_number = request.match_info["prisonNumber"]
            body = await json_body(request) or {}
            missing = [f for f in ("iepDateTime", "iepLevel", "prisonId") if body.get(f) is None]
            if missing:
                return error_response(400, f"Missing fields: {', '.join(missing)}")
            try:
                when = datetime.fromisoformat(str(body["iepDateTime"]))
            except ValueError:
                return error_response(400, f"iepDateTime is not a date-time: {body['iepDateTime']}")
            prisoner = self.prisoners.by_offender.get(prison_number)
            if prisoner is None:
                return error_response(404, f"Prisoner with offender no {prison_number} not found")
            record = self.add_iep(
                prisoner.bookingId,
                prison_number,
                str(body["iepLevel"]),
                when=when,
                prison_id=str(body["prisonId"]),
                comment=body.get("comments"),
                user_id=body.get("userId"),
            )
            return json_response(
                {"bookingId": prisoner.bookingId, "sequence": record["incentiveSequence"]}, status=201
            )

        def booking_of(request: web.Request) -> int | None:
            try:
                return int(request.match_info["bookingId"])
            except ValueError:
                return None

        async def current(request: web.Request) -> web.StreamResponse:
            garbled = self._garbled(request)
            if garbled is not None:
                return garbled
            booking_id = booking_of(request)
            record = self.current_iep(booking_id) if booking_id is not None else None
            if record is None:
                return error_response(
                    404, f"No current incentive for booking {request.match_info['bookingId']}"
                )
            return json_response(iep_response(record))

        async def by_sequence(request: web.Request) -> web.StreamResponse:
            booking_id = booking_of(request)
            sequence = request.match_info["sequence"]
            record = next(
                (r for r in self.ieps.get(booking_id or -1, []) if str(r["incentiveSequence"]) == sequence),
                None,
            )
            if record is None:
                return error_response(404, "Incentive not found")
            return json_response(iep_response(record))

        async def get_code(request: web.Request) -> web.StreamResponse:
            found = self.reference_codes.get(request.match_info["code"])
            if found is None:
                return error_response(404, f"Incentive level: {request.match_info['code']} not found")
            return json_response(found)

        async def create_code(request: web.Request) -> web.StreamResponse:
            body = await json_body(request) or {}
            if not isinstance(body.get("code"), str) or body.get("description") is None:
                return error_response(400, "code, description and active are required")
            if body["code"] in self.reference_codes:
                return error_response(409, f"Incentive level {body['code']} already exists")
            code = {
                "code": body["code"],
                "domain": "IEP_LEVEL",
                "description": body["description"],
                "active": bool(body.get("active", True)),
                "sequence": len(self.reference_codes) + 1,
                "systemDataFlag": False,
            }
            self.reference_codes[body["code"]] = code
            return json_response(code, status=201)

        async def update_code(request: web.Request) -> web.StreamResponse:
            found = self.reference_codes.get(request.match_info["code"])
            if found is None:
                return error_response(404, f"Incentive level: {request.match_info['code']} not found")
            body = await json_body(request) or {}
            if body.get("description") is None or body.get("active") is None:
                return error_response(400, "description and active are required")
            found["description"] = body["description"]
            found["active"] = bool(body["active"])
            return json_response(found)

        async def reorder(request: web.Request) -> web.StreamResponse:
            body = await json_body(request) or {}
            codes = body.get("codeList")
            if not isinstance(codes, list):
                return error_response(400, "codeList is required")
            for sequence, code in enumerate(codes, start=1):
                if code in self.reference_codes:
                    self.reference_codes[code]["sequence"] = sequence
            self.reference_codes = dict(
                sorted(self.reference_codes.items(), key=lambda item: item[1]["sequence"])
            )
            return web.Response(status=200)

        def prison_level_response(level: dict[str, Any]) -> dict[str, Any]:
            return {
                "prisonId": level["prisonId"],
                "iepLevelCode": level["levelCode"],
                **{k: v for k, v in level.items() if k not in ("prisonId", "levelCode")},
            }

        async def get_prison_level(request: web.Request) -> web.StreamResponse:
            found = self.nomis_prison_levels.get((request.match_info["prison"], request.match_info["code"]))
            if found is None:
                return error_response(404, "Prison incentive level not found")
            return json_response(prison_level_response(found))

        prison_fields = (
            "active",
            "defaultOnAdmission",
            "visitOrderAllowance",
            "privilegedVisitOrderAllowance",
            "remandTransferLimitInPence",
            "remandSpendLimitInPence",
            "convictedTransferLimitInPence",
            "convictedSpendLimitInPence",
        )

        async def create_prison_level(request: web.Request) -> web.StreamResponse:
            prison = request.match_info["prison"]
            body = await json_body(request) or {}
            if not isinstance(body.get("levelCode"), str) or body.get("active") is None:
                return error_response(400, "levelCode, active and defaultOnAdmission are required")
            key = (prison, body["levelCode"])
            if key in self.nomis_prison_levels:
                return error_response(409, f"Prison incentive level {prison}/{body['levelCode']} exists")
            level = {"prisonId": prison, "levelCode": body["levelCode"]}
            level.update({f: body.get(f) for f in prison_fields})
            self.nomis_prison_levels[key] = level
            return json_response(prison_level_response(level), status=201)

        async def update_prison_level(request: web.Request) -> web.StreamResponse:
            key = (request.match_info["prison"], request.match_info["code"])
            found = self.nomis_prison_levels.get(key)
            if found is None:
                return error_response(404, "Prison incentive level not found")
            body = await json_body(request) or {}
            if body.get("active") is None or body.get("defaultOnAdmission") is None:
                return error_response(400, "active and defaultOnAdmission are required")
            found.update({f: body.get(f) for f in prison_fields})
            return json_response(prison_level_response(found))

        nomis.route("POST", "/prisoners/{prisonNumber}/incentives", create_iep)
        nomis.route("GET", "/incentives/booking-id/{bookingId}/current", current)
        nomis.route("GET", "/incentives/booking-id/{bookingId}/incentive-sequence/{sequence}", by_sequence)
        nomis.route("GET", "/incentives/reference-codes/{code}", get_code)
        nomis.route("PUT", "/incentives/reference-codes/{code}", update_code)
        nomis.route("POST", "/incentives/reference-codes", create_code)
        nomis.route("POST", "/incentives/reference-codes/reorder", reorder)
        nomis.route("GET", "/incentives/prison/{prison}/code/{code}", get_prison_level)
        nomis.route("PUT", "/incentives/prison/{prison}/code/{code}", update_prison_level)
        nomis.route("POST", "/incentives/prison/{prison}", create_prison_level)

    # ==== mapping API ===========================================================================

    def _install_mapping(self, mapping: FakeApi) -> None:
        def by_nomis(booking_id: Any, sequence: Any) -> dict[str, Any] | None:
            return next(
                (
                    row
                    for row in self.mappings.find_all("nomisBookingId", booking_id)
                    if str(row.get("nomisIncentiveSequence")) == str(sequence)
                ),
                None,
            )

        async def create(request: web.Request) -> web.StreamResponse:
            body = await json_body(request) or {}
            missing = [
                f
                for f in ("nomisBookingId", "nomisIncentiveSequence", "incentiveId", "mappingType")
                if body.get(f) is None
            ]
            if missing:
                return error_response(400, f"Validation failure: {', '.join(missing)} must not be null")
            if body["mappingType"] not in MAPPING_TYPES:
                return error_response(400, f"Validation failure: mappingType {body['mappingType']}")
            row = {
                "nomisBookingId": body["nomisBookingId"],
                "nomisIncentiveSequence": body["nomisIncentiveSequence"],
                "incentiveId": body["incentiveId"],
                "label": body.get("label"),
                "mappingType": body["mappingType"],
                "whenCreated": datetime.now().replace(microsecond=0).isoformat(),
            }
            # The real API's unique keys: the DPS id, and the NOMIS (booking, sequence) pair.
            existing = by_nomis(row["nomisBookingId"], row["nomisIncentiveSequence"])
            if existing is not None:
                return error_response(
                    409,
                    "Conflict: Incentive mapping already exist",
                    more_info={"existing": existing, "duplicate": row},
                    developer_message="Incentive mapping already exists",
                )
            conflict = self.mappings.add(row)
            return conflict if conflict is not None else web.Response(status=201)

        async def get_by_incentive(request: web.Request) -> web.StreamResponse:
            row = self.mappings.find("incentiveId", request.match_info["id"])
            if row is None:
                return error_response(404, f"Incentive mapping not found for {request.match_info['id']}")
            return json_response(row)

        async def get_by_nomis(request: web.Request) -> web.StreamResponse:
            row = by_nomis(request.match_info["bookingId"], request.match_info["sequence"])
            return json_response(row) if row else error_response(404, "Incentive mapping not found")

        async def delete(request: web.Request) -> web.StreamResponse:
            self.mappings.remove("incentiveId", request.match_info["id"])
            return web.Response(status=204)

        mapping.route("POST", "/mapping/incentives", create)
        mapping.route("GET", "/mapping/incentives/incentive-id/{id}", get_by_incentive)
        mapping.route("DELETE", "/mapping/incentives/incentive-id/{id}", delete)
        mapping.route(
            "GET",
            "/mapping/incentives/nomis-booking-id/{bookingId}/nomis-incentive-sequence/{sequence}",
            get_by_nomis,
        )

    # ==== seeding for reconciliation ============================================================

    def seed_levels(
        self, prisoners: list[Any], nomis_level: str = "STD", dps_levels: dict[str, str | None] | None = None
    ) -> None:
        """Give each prisoner a NOMIS IEP at `nomis_level` and a DPS review at the same level, except
        where `dps_levels` (offender no -> code, None meaning no DPS review) says otherwise."""
        overrides = dps_levels or {}
        when = datetime(2024, 1, 1, 9, 0)
        for prisoner in prisoners:
            self.add_iep(prisoner.bookingId, prisoner.offenderNo, nomis_level, when=when)
            dps_level = overrides.get(prisoner.offenderNo, nomis_level)
            if dps_level is not None:
                self.create_review(prisoner.offenderNo, dps_level, booking_id=prisoner.bookingId, when=when)


def install(estate: Estate) -> IncentivesFakes:
    estate.add_queue(QUEUE_ID, EVENTS)
    return IncentivesFakes(estate)
