"""Non-associations in the sandbox: the DPS non-associations API, NOMIS non-associations and their mappings.

DPS keeps modern records (`NonAssociation`) and serves the legacy view from them. A control endpoint,
`POST /__non-associations/{id}/{create|amend|close|delete}` (body: fields to set, `?source=NOMIS` to mark
the event as NOMIS-made, `?publish=false` to skip the event), changes a record and publishes its
`non-associations.*` event in one step.

NOMIS keeps details per unordered prisoner pair, numbered by `typeSequence`, and answers from the
perspective of the prisoner named first in the URL. The mapping table is unique on `nonAssociationId`
and on (`firstOffenderNo`, `secondOffenderNo`, `nomisTypeSequence`), answering 409 with
`moreInfo.existing/duplicate` like the real mapping API.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from hmpps_sandbox.fake import FakeApi, error_response, json_body, json_response
from hmpps_sandbox.stores import MappingTable, Sequence

if TYPE_CHECKING:
    from hmpps_sandbox.estate import Estate

QUEUE_ID = "nonassociation"
EVENTS = (
    "non-associations.created",
    "non-associations.deleted",
    "non-associations.amended",
    "non-associations.closed",
    "prison-offender-events.prisoner.merged",
    "prison-offender-events.prisoner.booking.moved",
)
ACTIONS = {
    "create": "non-associations.created",
    "amend": "non-associations.amended",
    "close": "non-associations.closed",
    "delete": "non-associations.deleted",
}
ROLE_CODES = {"VICTIM": "VIC", "PERPETRATOR": "PER", "NOT_RELEVANT": "NOT_REL", "UNKNOWN": "UNKNOWN"}
TYPE_CODES = {"CELL": "CELL", "LANDING": "LAND", "WING": "WING"}
NOMIS_REQUIRED = ("offenderNo", "nsOffenderNo", "reason", "recipReason", "type", "effectiveDate")
AMEND_REQUIRED = ("reason", "recipReason", "type", "effectiveDate")


def default_non_association(nonassociation_id: int) -> dict[str, Any]:
    return {
        "id": nonassociation_id,
        "firstPrisonerNumber": "A1234AA",
        "firstPrisonerRole": "VICTIM",
        "secondPrisonerNumber": "B1234BB",
        "secondPrisonerRole": "PERPETRATOR",
        "reason": "BULLYING",
        "restrictionType": "WING",
        "comment": "John and Luke always end up fighting",
        "authorisedBy": "Officer Alice B.",
        "whenCreated": "2021-07-05T10:55:04",
        "whenUpdated": "2021-07-05T10:55:04",
        "updatedBy": "OFF3_GEN",
        "isClosed": False,
        "closedAt": None,
    }


def legacy_view(record: dict[str, Any]) -> dict[str, Any]:
    """DPS's NOMIS-shaped view of a record; `legacy` on the record overrides any of its fields."""
    first_code = ROLE_CODES.get(record.get("firstPrisonerRole") or "", "UNKNOWN")
    second_code = ROLE_CODES.get(record.get("secondPrisonerRole") or "", "UNKNOWN")
    view = {
        "id": record["id"],
        "offenderNo": record["firstPrisonerNumber"],
        "reasonCode": first_code,
        "reasonDescription": record.get("firstPrisonerRole"),
        "typeCode": TYPE_CODES.get(record["restrictionType"], record["restrictionType"]),
        "typeDescription": record["restrictionType"],
        "effectiveDate": record["whenCreated"],
        "expiryDate": record.get("closedAt") if record.get("isClosed") else None,
        "authorisedBy": record.get("authorisedBy"),
        "comments": record.get("comment"),
        "offenderNonAssociation": {
            "offenderNo": record["secondPrisonerNumber"],
            "reasonCode": second_code,
            "reasonDescription": record.get("secondPrisonerRole"),
        },
    }
    view.update(record.get("legacy") or {})
    return view


def page_of(items: list[Any], request: web.Request, default_size: int = 20) -> web.Response:
    try:
        page = int(request.query.get("page", "0"))
        size = int(request.query.get("size", str(default_size)))
    except ValueError:
        return error_response(400, "page and size must be numbers")
    if page < 0 or size < 1:
        return error_response(400, "page must be >= 0 and size >= 1")
    content = items[page * size : (page + 1) * size]
    total = len(items)
    return json_response(
        {
            "content": content,
            "totalElements": total,
            "totalPages": (total + size - 1) // size,
            "number": page,
            "size": size,
            "numberOfElements": len(content),
            "first": page == 0,
            "last": (page + 1) * size >= total,
            "empty": not content,
        }
    )


class NonAssociationMappingTable(MappingTable):
    """Unique on the DPS id and on the NOMIS detail (first, second, sequence)."""

    NOMIS_KEY = ("firstOffenderNo", "secondOffenderNo", "nomisTypeSequence")

    def __init__(self) -> None:
        super().__init__("Non-association", ["nonAssociationId"])

    def clash(self, candidate: dict[str, Any]) -> dict[str, Any] | None:
        existing = super().clash(candidate)
        if existing is not None:
            return existing
        wanted = tuple(str(candidate.get(key)) for key in self.NOMIS_KEY)
        return next(
            (row for row in self.rows if tuple(str(row.get(k)) for k in self.NOMIS_KEY) == wanted), None
        )


class NonAssociationsFakes:
    def __init__(self, estate: Estate) -> None:
        self.estate = estate
        self.dps = estate.add_dps("non-associations", FakeApi("non-associations"))
        self.dps_records: dict[int, dict[str, Any]] = {}
        self.nomis_details: list[dict[str, Any]] = []
        """Each detail in the orientation it was created: offenderNo, nsOffenderNo, typeSequence, ..."""
        self.bookings: dict[int, str] = {}
        """NOMIS booking id -> prisoner number (falls back to the shared prisoners fake)."""
        self.mappings = NonAssociationMappingTable()
        self.dps_ids = Sequence(start=1)
        # Failures the generic fault injection cannot aim at (same path, different body or query):
        # DPS `between` for these pairs, and these page numbers of the NOMIS id and DPS list pages.
        self.failing_between: set[frozenset[str]] = set()
        self.failing_nomis_id_pages: set[int] = set()
        self.failing_dps_pages: set[int] = set()
        self._install_dps()
        self._install_nomis(estate.nomis)
        self._install_mapping(estate.mapping)
        self.dps.on_reset(self._reset_dps)
        estate.nomis.on_reset(self._reset_nomis)
        estate.mapping.on_reset(self.mappings.clear)

    def _reset_dps(self) -> None:
        self.dps_records.clear()
        self.dps_ids.reset()
        self.failing_between.clear()
        self.failing_dps_pages.clear()

    def _reset_nomis(self) -> None:
        self.nomis_details.clear()
        self.bookings.clear()
        self.failing_nomis_id_pages.clear()

    # ---- seeding helpers used by tests ---------------------------------------------------------

    def put_dps(self, nonassociation_id: int, **fields: Any) -> dict[str, Any]:
        record = {**default_non_association(nonassociation_id), **fields}
        self.dps_records[nonassociation_id] = record
        return record

    def put_nomis(
        self, offender_no: str, ns_offender_no: str, type_sequence: int, **fields: Any
    ) -> dict[str, Any]:
        detail = {
            "offenderNo": offender_no,
            "nsOffenderNo": ns_offender_no,
            "typeSequence": type_sequence,
            "reason": "VIC",
            "recipReason": "PER",
            "type": "WING",
            "authorisedBy": None,
            "updatedBy": "SANDBOX",
            "effectiveDate": "2021-07-05",
            "expiryDate": None,
            "comment": None,
            **fields,
        }
        self.nomis_details.append(detail)
        return detail

    def put_mapping(
        self, nonassociation_id: int, first: str, second: str, sequence: int, mapping_type: str = "MIGRATED"
    ) -> None:
        conflict = self.mappings.add(
            {
                "nonAssociationId": nonassociation_id,
                "firstOffenderNo": first,
                "secondOffenderNo": second,
                "nomisTypeSequence": sequence,
                "mappingType": mapping_type,
            }
        )
        if conflict is not None:
            raise ValueError(f"mapping {nonassociation_id} clashes with an existing one")

    def nomis_pair(self, offender_no: str, ns_offender_no: str) -> list[dict[str, Any]]:
        """The pair's details seen from `offender_no`, by sequence."""
        found = [
            self._oriented(detail, offender_no)
            for detail in self.nomis_details
            if {detail["offenderNo"], detail["nsOffenderNo"]} == {offender_no, ns_offender_no}
        ]
        return sorted(found, key=lambda d: d["typeSequence"])

    @staticmethod
    def _oriented(detail: dict[str, Any], offender_no: str) -> dict[str, Any]:
        if detail["offenderNo"] == offender_no:
            return dict(detail)
        return {
            **detail,
            "offenderNo": detail["nsOffenderNo"],
            "nsOffenderNo": detail["offenderNo"],
            "reason": detail["recipReason"],
            "recipReason": detail["reason"],
        }

    def _find_detail(self, offender_no: str, ns_offender_no: str, sequence: str) -> dict[str, Any] | None:
        return next(
            (
                detail
                for detail in self.nomis_details
                if {detail["offenderNo"], detail["nsOffenderNo"]} == {offender_no, ns_offender_no}
                and str(detail["typeSequence"]) == sequence
            ),
            None,
        )

    # ---- DPS non-associations API --------------------------------------------------------------

    def _install_dps(self) -> None:
        async def get_legacy(request: web.Request) -> web.StreamResponse:
            record = self.dps_records.get(_int(request.match_info["id"]))
            if record is None:
                return error_response(404, "Non-association not found")
            return json_response(legacy_view(record))

        async def get_one(request: web.Request) -> web.StreamResponse:
            record = self.dps_records.get(_int(request.match_info["id"]))
            return (
                json_response(_modern(record)) if record else error_response(404, "Non-association not found")
            )

        def wanted(request: web.Request) -> tuple[bool, bool]:
            include_open = request.query.get("includeOpen", "true") == "true"
            include_closed = request.query.get("includeClosed", "false") == "true"
            return include_open, include_closed

        async def between(request: web.Request) -> web.StreamResponse:
            numbers = await json_body(request)
            if not isinstance(numbers, list) or len(set(numbers)) < 2:
                return error_response(400, "Two or more distinct prisoner numbers are required")
            if frozenset(numbers) in self.failing_between:
                return error_response(500, "injected failure for this pair")
            include_open, include_closed = wanted(request)
            found = [
                _modern(record)
                for record in self._sorted_records()
                if record["firstPrisonerNumber"] in numbers
                and record["secondPrisonerNumber"] in numbers
                and (include_closed if record["isClosed"] else include_open)
            ]
            return json_response(found)

        async def list_all(request: web.Request) -> web.StreamResponse:
            if _page_number(request) in self.failing_dps_pages:
                return error_response(500, "injected failure for this page")
            include_open, include_closed = wanted(request)
            records = [
                _modern(record)
                for record in self._sorted_records()
                if (include_closed if record["isClosed"] else include_open)
            ]
            return page_of(records, request)

        async def act(request: web.Request) -> web.StreamResponse:
            action = request.match_info["action"]
            if action not in ACTIONS:
                return error_response(400, f"action must be one of {', '.join(ACTIONS)}")
            changes = await json_body(request) or {}
            event = await self.act(
                _int(request.match_info["id"]),
                action,
                changes,
                source=request.query.get("source"),
                publish=request.query.get("publish", "true") != "false",
            )
            return json_response(
                {"nonAssociation": self.dps_records.get(event["id"]), "event": event["event"]}, 201
            )

        self.dps.route("GET", "/legacy/api/non-associations/{id}", get_legacy)
        self.dps.route("GET", "/non-associations/{id}", get_one)
        self.dps.route("POST", "/non-associations/between", between)
        self.dps.route("GET", "/non-associations", list_all)
        self.dps.route("POST", "/__non-associations/{id}/{action}", act)

    def _sorted_records(self) -> list[dict[str, Any]]:
        return [self.dps_records[key] for key in sorted(self.dps_records)]

    async def act(
        self,
        nonassociation_id: int,
        action: str,
        changes: dict[str, Any] | None = None,
        source: str | None = None,
        publish: bool = True,
    ) -> dict[str, Any]:
        """Create, amend, close or delete a DPS non-association and (by default) publish its event."""
        changes = changes or {}
        now = datetime.now().replace(microsecond=0).isoformat()
        if action == "create" or nonassociation_id not in self.dps_records:
            self.put_dps(nonassociation_id, **changes)
        else:
            self.dps_records[nonassociation_id].update(changes)
        record = self.dps_records[nonassociation_id]
        if action == "close":
            record["isClosed"] = True
            record["closedAt"] = changes.get("closedAt", now)
        if action == "delete":
            del self.dps_records[nonassociation_id]
        additional: dict[str, Any] = {"id": nonassociation_id}
        if source is not None:
            additional["source"] = source
        event = {
            "eventType": ACTIONS[action],
            "version": "1",
            "description": f"A non-association was {ACTIONS[action].rsplit('.', 1)[-1]}",
            "occurredAt": datetime.now().astimezone().isoformat(),
            "additionalInformation": additional,
        }
        if publish:
            await self.estate.publish(event)
        return {"id": nonassociation_id, "event": event}

    # ---- NOMIS prisoner API --------------------------------------------------------------------

    def _install_nomis(self, nomis: FakeApi) -> None:
        async def create(request: web.Request) -> web.StreamResponse:
            body = await json_body(request) or {}
            missing = [name for name in NOMIS_REQUIRED if not body.get(name)]
            if missing:
                return error_response(400, f"Missing fields: {', '.join(missing)}")
            if body["offenderNo"] == body["nsOffenderNo"]:
                return error_response(400, "Offender and ns offender must differ")
            existing = self.nomis_pair(body["offenderNo"], body["nsOffenderNo"])
            sequence = max((d["typeSequence"] for d in existing), default=0) + 1
            self.put_nomis(
                body["offenderNo"],
                body["nsOffenderNo"],
                sequence,
                **{
                    k: body.get(k)
                    for k in ("reason", "recipReason", "type", "authorisedBy", "effectiveDate", "comment")
                },
            )
            return json_response({"typeSequence": sequence}, status=201)

        def located(request: web.Request) -> tuple[dict[str, Any] | None, str]:
            info = request.match_info
            detail = self._find_detail(info["offenderNo"], info["nsOffenderNo"], info["typeSequence"])
            return detail, info["offenderNo"]

        async def amend(request: web.Request) -> web.StreamResponse:
            detail, offender_no = located(request)
            if detail is None:
                return error_response(404, "Non-association does not exist")
            body = await json_body(request) or {}
            missing = [name for name in AMEND_REQUIRED if not body.get(name)]
            if missing:
                return error_response(400, f"Missing fields: {', '.join(missing)}")
            reason, recip = body["reason"], body["recipReason"]
            if detail["offenderNo"] != offender_no:
                reason, recip = recip, reason
            detail.update(
                reason=reason,
                recipReason=recip,
                type=body["type"],
                effectiveDate=body["effectiveDate"],
                authorisedBy=body.get("authorisedBy"),
                comment=body.get("comment"),
                expiryDate=body.get("expiryDate"),
            )
            return web.Response(status=200)

        async def close(request: web.Request) -> web.StreamResponse:
            detail, _ = located(request)
            if detail is None:
                return error_response(404, "Non-association does not exist")
            if detail.get("expiryDate"):
                return error_response(400, "Non-association is already closed")
            detail["expiryDate"] = date.today().isoformat()
            return web.Response(status=200)

        async def delete(request: web.Request) -> web.StreamResponse:
            detail, _ = located(request)
            if detail is None:
                return error_response(404, "Non-association does not exist")
            self.nomis_details.remove(detail)
            return web.Response(status=200)

        async def all_for_pair(request: web.Request) -> web.StreamResponse:
            found = self.nomis_pair(request.match_info["offenderNo"], request.match_info["nsOffenderNo"])
            return json_response(found) if found else error_response(404, "Non-association does not exist")

        async def ids(request: web.Request) -> web.StreamResponse:
            if _page_number(request) in self.failing_nomis_id_pages:
                return error_response(500, "injected failure for this page")
            return page_of(self.nomis_ids(), request)

        async def for_booking(request: web.Request) -> web.StreamResponse:
            offender_no = self._booking_owner(_int(request.match_info["bookingId"]))
            pairs = [p for p in self.nomis_ids() if offender_no in (p["offenderNo1"], p["offenderNo2"])]
            return json_response(pairs if offender_no else [])

        base = "/non-associations/offender/{offenderNo}/ns-offender/{nsOffenderNo}"
        nomis.route("POST", "/non-associations", create)
        nomis.route("PUT", base + "/sequence/{typeSequence}", amend)
        nomis.route("PUT", base + "/sequence/{typeSequence}/close", close)
        nomis.route("DELETE", base + "/sequence/{typeSequence}", delete)
        nomis.route("GET", base + "/all", all_for_pair)
        nomis.route("GET", "/non-associations/ids", ids)
        nomis.route("GET", "/non-associations/booking/{bookingId}", for_booking)

    def nomis_ids(self) -> list[dict[str, str]]:
        """One id per pair NOMIS holds, in the orientation of its first detail."""
        seen: dict[frozenset[str], dict[str, str]] = {}
        for detail in self.nomis_details:
            key = frozenset((detail["offenderNo"], detail["nsOffenderNo"]))
            seen.setdefault(key, {"offenderNo1": detail["offenderNo"], "offenderNo2": detail["nsOffenderNo"]})
        return list(seen.values())

    def _booking_owner(self, booking_id: int) -> str:
        if booking_id in self.bookings:
            return self.bookings[booking_id]
        prisoners = self.estate.plugins.get("prisoners")
        owner = getattr(prisoners, "by_booking", {}).get(booking_id) if prisoners is not None else None
        return str(owner.offenderNo) if owner is not None else ""

    # ---- mapping API ---------------------------------------------------------------------------

    def _install_mapping(self, mapping: FakeApi) -> None:
        base = "/mapping/non-associations"

        async def create(request: web.Request) -> web.StreamResponse:
            body = await json_body(request) or {}
            missing = [
                name
                for name in (
                    "nonAssociationId",
                    "firstOffenderNo",
                    "secondOffenderNo",
                    "nomisTypeSequence",
                    "mappingType",
                )
                if body.get(name) is None
            ]
            if missing:
                return error_response(400, f"Missing fields: {', '.join(missing)}")
            row = {
                "nonAssociationId": body["nonAssociationId"],
                "firstOffenderNo": body["firstOffenderNo"],
                "secondOffenderNo": body["secondOffenderNo"],
                "nomisTypeSequence": body["nomisTypeSequence"],
                "label": body.get("label"),
                "mappingType": body["mappingType"],
                "whenCreated": datetime.now().replace(microsecond=0).isoformat(),
            }
            conflict = self.mappings.add(row)
            return conflict if conflict is not None else web.Response(status=201)

        async def get(request: web.Request) -> web.StreamResponse:
            row = self.mappings.find("nonAssociationId", request.match_info["id"])
            return json_response(row) if row else error_response(404, "Non-association mapping not found")

        async def delete(request: web.Request) -> web.StreamResponse:
            self.mappings.remove("nonAssociationId", request.match_info["id"])
            return web.Response(status=204)

        async def by_nomis(request: web.Request) -> web.StreamResponse:
            info = request.match_info
            row = next(
                (
                    r
                    for r in self.mappings.rows
                    if r["firstOffenderNo"] == info["first"]
                    and r["secondOffenderNo"] == info["second"]
                    and str(r["nomisTypeSequence"]) == info["sequence"]
                ),
                None,
            )
            return json_response(row) if row else error_response(404, "Non-association mapping not found")

        async def common_between(request: web.Request) -> web.StreamResponse:
            old, new = request.match_info["old"], request.match_info["new"]

            def other(row: dict[str, Any], number: str) -> str | None:
                if row["firstOffenderNo"] == number:
                    return str(row["secondOffenderNo"])
                if row["secondOffenderNo"] == number:
                    return str(row["firstOffenderNo"])
                return None

            with_old = {other(r, old) for r in self.mappings.rows} - {None}
            with_new = {other(r, new) for r in self.mappings.rows} - {None}
            common = with_old & with_new
            found = [r for r in self.mappings.rows if (other(r, old) in common) or (other(r, new) in common)]
            return json_response(found)

        async def merge(request: web.Request) -> web.StreamResponse:
            old, new = request.match_info["old"], request.match_info["new"]
            return self._replace(old, new, lambda row: True)

        async def update_list(request: web.Request) -> web.StreamResponse:
            old, new = request.match_info["old"], request.match_info["new"]
            others = await json_body(request)
            if not isinstance(others, list):
                return error_response(400, "body must be a list of prisoner numbers")

            def listed(row: dict[str, Any]) -> bool:
                return bool({row["firstOffenderNo"], row["secondOffenderNo"]} & set(others))

            return self._replace(old, new, listed)

        async def reset_sequence(request: web.Request) -> web.StreamResponse:
            row = self.mappings.find("nonAssociationId", request.match_info["id"])
            if row is None:
                return error_response(404, "Non-association mapping not found")
            row["nomisTypeSequence"] = _int(request.match_info["sequence"])
            self.mappings.changed()
            return web.Response(status=200)

        mapping.route("POST", base, create)
        mapping.route("GET", base + "/non-association-id/{id}", get)
        mapping.route("DELETE", base + "/non-association-id/{id}", delete)
        mapping.route(
            "GET",
            base + "/first-offender-no/{first}/second-offender-no/{second}/type-sequence/{sequence}",
            by_nomis,
        )
        mapping.route("GET", base + "/find/common-between/{old}/and/{new}", common_between)
        mapping.route("PUT", base + "/merge/from/{old}/to/{new}", merge)
        mapping.route("PUT", base + "/update-list/from/{old}/to/{new}", update_list)
        mapping.route("PUT", base + "/non-association-id/{id}/sequence/{sequence}", reset_sequence)

    def _replace(self, old: str, new: str, selected: Any) -> web.Response:
        """Swap `old` for `new` in the selected rows, refusing (as the unique keys would) any clash."""
        changed: list[tuple[dict[str, Any], dict[str, Any]]] = []
        for row in self.mappings.rows:
            if old not in (row["firstOffenderNo"], row["secondOffenderNo"]) or not selected(row):
                continue
            updated = {
                **row,
                "firstOffenderNo": new if row["firstOffenderNo"] == old else row["firstOffenderNo"],
                "secondOffenderNo": new if row["secondOffenderNo"] == old else row["secondOffenderNo"],
            }
            if updated["firstOffenderNo"] == updated["secondOffenderNo"]:
                return error_response(
                    400, "Replacement would result in an NA with both prisoner numbers the same"
                )
            changed.append((row, updated))
        keys = NonAssociationMappingTable.NOMIS_KEY
        result = [dict(row) for row in self.mappings.rows]
        for row, updated in changed:
            result[self.mappings.rows.index(row)] = updated
        seen: set[tuple[str, ...]] = set()
        for row in result:
            key = tuple(str(row[k]) for k in keys)
            if key in seen:
                return error_response(409, f"Conflict: non-association mapping {key} would be duplicated")
            seen.add(key)
        for row, updated in changed:
            row.update(updated)
        self.mappings.changed()
        return web.Response(status=200)


def _modern(record: dict[str, Any] | None) -> dict[str, Any]:
    data = {k: v for k, v in (record or {}).items() if k not in ("legacy", "authorisedBy")}
    data["isOpen"] = not data.get("isClosed", False)
    return data


def _page_number(request: web.Request) -> int | None:
    page = request.query.get("page", "0")
    return int(page) if page.isdigit() else None


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise web.HTTPBadRequest(text="id must be a number") from None


def install(estate: Estate) -> NonAssociationsFakes:
    estate.add_queue(QUEUE_ID, EVENTS)
    return NonAssociationsFakes(estate)
