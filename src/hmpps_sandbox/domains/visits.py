"""Visits in the sandbox: the visit-scheduler (DPS), NOMIS visits and visit mappings.

The DPS fake keeps visits and, through `POST /__visits/{reference}/{action}` (or the `sandbox visit`
command), changes a visit and publishes its `prison-visit.*` event in one step.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web

from hmpps_sandbox.fake import FakeApi, error_response, json_body, json_response
from hmpps_sandbox.stores import MappingTable, Sequence

if TYPE_CHECKING:
    from hmpps_sandbox.estate import Estate

QUEUE_ID = "visit"
EVENTS = ("prison-visit.booked", "prison-visit.changed", "prison-visit.cancelled")
ACTIONS = {
    "book": "prison-visit.booked",
    "change": "prison-visit.changed",
    "cancel": "prison-visit.cancelled",
}


def default_visit(reference: str, prisoner_id: str = "A1234BC") -> dict[str, Any]:
    start = (datetime.now() + timedelta(days=7)).replace(hour=9, minute=0, second=0, microsecond=0)
    return {
        "reference": reference,
        "prisonerId": prisoner_id,
        "prisonId": "MDI",
        "visitType": "SOCIAL",
        "visitRoom": "Main visits room",
        "visitRestriction": "OPEN",
        "visitStatus": "BOOKED",
        "outcomeStatus": None,
        "startTimestamp": start.isoformat(),
        "endTimestamp": (start + timedelta(hours=1)).isoformat(),
        "visitors": [{"nomisPersonId": 4729570}],
    }


class VersionedDict(dict[int, dict[str, Any]]):
    """A dict that counts its writes, so an index over it knows when a test stored a visit directly."""

    version = 0

    def __setitem__(self, key: int, value: dict[str, Any]) -> None:
        self.version += 1
        super().__setitem__(key, value)

    def __delitem__(self, key: int) -> None:
        self.version += 1
        super().__delitem__(key)

    def clear(self) -> None:
        self.version += 1
        super().clear()

    def update(self, *args: Any, **kwargs: Any) -> None:
        self.version += 1
        super().update(*args, **kwargs)

    def pop(self, *args: Any) -> Any:
        self.version += 1
        return super().pop(*args)


def _booking(offender_no: Any, comment: Any) -> tuple[str, str]:
    # repr keeps None, "None" and a (malformed) list comment apart, and is always hashable.
    return str(offender_no), repr(comment)


class VisitsFakes:
    def __init__(self, estate: Estate) -> None:
        self.estate = estate
        self.dps = estate.add_dps("visits", FakeApi("visits"))
        self.dps_visits: dict[str, dict[str, Any]] = {}
        self.nomis_visits = VersionedDict()
        self.nomis_ids = Sequence(start=10000)
        self.mappings = MappingTable("Visit", ["vsipId", "nomisId"])
        # (offenderNo, visitOrderComment) -> NOMIS visit id, so the duplicate check costs the same with
        # ten thousand visits as with one; rebuilt whenever a visit was stored other than by `create`.
        self._bookings: dict[tuple[str, str], int] = {}
        self._bookings_version = -1
        self._install_dps()
        self._install_nomis(estate.nomis)
        self._install_mapping(estate.mapping)
        self.dps.on_reset(self.dps_visits.clear)
        estate.nomis.on_reset(self._reset_nomis)
        estate.mapping.on_reset(self.mappings.clear)

    def _reset_nomis(self) -> None:
        self.nomis_visits.clear()
        self.nomis_ids.reset()

    def _booked(self, offender_no: str, comment: Any) -> int | None:
        """The NOMIS visit already booked for this prisoner with this comment (the VSIP reference)."""
        if self._bookings_version != self.nomis_visits.version:
            self._bookings = {}
            for visit_id, booked in self.nomis_visits.items():
                self._bookings.setdefault(
                    _booking(booked["offenderNo"], booked.get("visitOrderComment")), visit_id
                )
            self._bookings_version = self.nomis_visits.version
        found = self._bookings.get(_booking(offender_no, comment))
        visit = self.nomis_visits.get(found) if found is not None else None
        if visit is not None and _booking(visit["offenderNo"], visit.get("visitOrderComment")) != _booking(
            offender_no, comment
        ):
            # Edited in place since indexed: look again from scratch.
            self._bookings_version = -1
            return self._booked(offender_no, comment)
        return found if visit is not None else None

    # ---- DPS visit-scheduler -------------------------------------------------------------------

    def _install_dps(self) -> None:
        async def get_visit(request: web.Request) -> web.StreamResponse:
            visit = self.dps_visits.get(request.match_info["reference"])
            if visit is None:
                return error_response(404, "Visit not found")
            return json_response(visit)

        async def act(request: web.Request) -> web.StreamResponse:
            reference = request.match_info["reference"]
            action = request.match_info["action"]
            if action not in ACTIONS:
                return error_response(400, f"action must be one of {', '.join(ACTIONS)}")
            changes = await json_body(request) or {}
            event = await self.act(
                reference, action, changes, publish=request.query.get("publish", "true") != "false"
            )
            return json_response({"visit": self.dps_visits[reference], "event": event}, status=201)

        self.dps.route("GET", "/visits/{reference}", get_visit)
        self.dps.route("POST", "/__visits/{reference}/{action}", act)

    async def act(
        self, reference: str, action: str, changes: dict[str, Any] | None = None, publish: bool = True
    ) -> dict[str, Any]:
        """Book, change or cancel a DPS visit and (by default) publish its domain event."""
        changes = changes or {}
        visit = self.dps_visits.get(reference) or default_visit(
            reference, changes.get("prisonerId", "A1234BC")
        )
        visit.update(changes)
        if action == "cancel":
            visit["visitStatus"] = "CANCELLED"
            visit.setdefault("outcomeStatus", None)
            visit["outcomeStatus"] = changes.get(
                "outcomeStatus", visit["outcomeStatus"] or "VISITOR_CANCELLED"
            )
        self.dps_visits[reference] = visit
        event = {
            "eventType": ACTIONS[action],
            "version": 1,
            "prisonerId": visit["prisonerId"],
            "occurredAt": datetime.now().astimezone().isoformat(),
            "additionalInformation": {"reference": reference, "visitType": "STANDARD_SOCIAL"},
        }
        if publish:
            await self.estate.publish(event)
        return event

    # ---- NOMIS prisoner API --------------------------------------------------------------------

    def _install_nomis(self, nomis: FakeApi) -> None:
        async def create(request: web.Request) -> web.StreamResponse:
            offender_no = request.match_info["offenderNo"]
            body = await json_body(request) or {}
            missing = [
                field
                for field in ("prisonId", "startDateTime", "endTime", "visitType", "issueDate", "room")
                if field not in body
            ]
            if missing:
                return error_response(400, f"Missing fields: {', '.join(missing)}")
            existing = self._booked(offender_no, body.get("visitOrderComment"))
            if existing is not None:
                return error_response(409, "Visit already exists", more_info=str(existing))
            visit_id = self.nomis_ids.next()
            visit = {**body, "offenderNo": offender_no, "status": "SCH", "visitId": visit_id}
            current = self._bookings_version == self.nomis_visits.version
            self.nomis_visits[visit_id] = visit
            if current:
                self._bookings[_booking(offender_no, body.get("visitOrderComment"))] = visit_id
                self._bookings_version = self.nomis_visits.version
            return json_response({"visitId": visit_id}, status=201)

        def find(request: web.Request) -> dict[str, Any] | None:
            try:
                visit_id = int(request.match_info["visitId"])
            except ValueError:
                return None
            visit = self.nomis_visits.get(visit_id)
            if visit is None or visit["offenderNo"] != request.match_info["offenderNo"]:
                return None
            return visit

        async def update(request: web.Request) -> web.StreamResponse:
            visit = find(request)
            if visit is None:
                return error_response(404, "Visit not found")
            visit.update(await json_body(request) or {})
            self._bookings_version = -1
            return web.Response(status=200)

        async def cancel(request: web.Request) -> web.StreamResponse:
            visit = find(request)
            if visit is None:
                return error_response(404, "Visit not found")
            if visit["status"] == "CANC":
                return error_response(409, "Visit already cancelled")
            body = await json_body(request) or {}
            visit["status"] = "CANC"
            visit["outcome"] = body.get("outcome")
            return web.Response(status=200)

        async def get(request: web.Request) -> web.StreamResponse:
            visit = self.nomis_visits.get(int(request.match_info["visitId"]))
            return json_response(visit) if visit else error_response(404, "Visit not found")

        nomis.route("POST", "/prisoners/{offenderNo}/visits", create)
        nomis.route("PUT", "/prisoners/{offenderNo}/visits/{visitId}", update)
        nomis.route("PUT", "/prisoners/{offenderNo}/visits/{visitId}/cancel", cancel)
        nomis.route("GET", "/visits/{visitId}", get)

    # ---- mapping API ---------------------------------------------------------------------------

    def _install_mapping(self, mapping: FakeApi) -> None:
        async def create(request: web.Request) -> web.StreamResponse:
            body = await json_body(request) or {}
            if "nomisId" not in body or "vsipId" not in body:
                return error_response(400, "nomisId and vsipId are required")
            row = {
                "nomisId": body["nomisId"],
                "vsipId": body["vsipId"],
                "label": body.get("label"),
                "mappingType": body.get("mappingType", "ONLINE"),
            }
            conflict = self.mappings.add(row)
            return conflict if conflict is not None else web.Response(status=201)

        def getter(key: str) -> Any:
            async def get(request: web.Request) -> web.StreamResponse:
                row = self.mappings.find(key, request.match_info["id"])
                return (
                    json_response(row) if row else error_response(404, f"Visit mapping not found for {key}")
                )

            return get

        mapping.route("POST", "/mapping/visits", create)
        mapping.route("GET", "/mapping/visits/vsipId/{id}", getter("vsipId"))
        mapping.route("GET", "/mapping/visits/nomisId/{id}", getter("nomisId"))


def install(estate: Estate) -> VisitsFakes:
    estate.add_queue(QUEUE_ID, EVENTS)
    return VisitsFakes(estate)
