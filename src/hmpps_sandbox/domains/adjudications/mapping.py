"""Adjudication, hearing and punishment mappings in the sandbox, with the mapping service's uniqueness rules.

A charge maps to one NOMIS (adjudication number, charge sequence) and back; a DPS hearing to one NOMIS
hearing and back; a DPS punishment to one NOMIS (booking, sanction sequence) and back. A clash answers
409 with `moreInfo.existing/duplicate`. The punishment batches are one transaction each: a clash stores
nothing. DPS location mappings are shared with the other domains that read them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiohttp import web

from hmpps_sandbox.fake import FakeApi, error_response, json_body, json_response
from hmpps_sandbox.stores import MappingTable

MAPPING_TYPES = ("MIGRATED", "ADJUDICATION_CREATED")


class Invalid(Exception):
    pass


class PairTable(MappingTable):
    """Unique on its DPS key and on a pair of NOMIS keys."""

    def __init__(self, entity: str, dps_key: str, nomis_keys: tuple[str, str]) -> None:
        super().__init__(entity, [dps_key])
        self.dps_key = dps_key
        self.nomis_keys = nomis_keys

    def clash(self, candidate: dict[str, Any]) -> dict[str, Any] | None:
        return self.find(self.dps_key, candidate.get(self.dps_key)) or self.find_nomis(
            candidate.get(self.nomis_keys[0]), candidate.get(self.nomis_keys[1])
        )

    def find_nomis(self, first: Any, second: Any) -> dict[str, Any] | None:
        return next(
            (
                row
                for row in self.find_all(self.nomis_keys[0], first)
                if str(row.get(self.nomis_keys[1])) == str(second)
            ),
            None,
        )

    def remove_nomis(self, first: Any, second: Any) -> None:
        row = self.find_nomis(first, second)
        if row is not None:
            self.rows = [r for r in self.rows if r is not row]


def _now() -> str:
    return datetime.now().replace(microsecond=0).isoformat()


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise Invalid("body must be a JSON object")
    return body


def _int(body: dict[str, Any], name: str) -> int:
    value = body.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise Invalid(f"{name} must be a whole number, got {value!r}")
    return value


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise Invalid(f"{name} must be text, got {value!r}")
    return value


def _common(body: dict[str, Any]) -> dict[str, Any]:
    mapping_type = body.get("mappingType") or "ADJUDICATION_CREATED"
    if mapping_type not in MAPPING_TYPES:
        raise Invalid(f"mappingType must be one of {', '.join(MAPPING_TYPES)}")
    label = body.get("label")
    if label is not None and (not isinstance(label, str) or len(label) > 20):
        raise Invalid("label must be text of at most 20 characters")
    return {"label": label, "mappingType": mapping_type, "whenCreated": _now()}


def _list(body: dict[str, Any], name: str) -> list[Any]:
    value = body.get(name)
    if not isinstance(value, list):
        raise Invalid(f"{name} must be a list")
    return value


class AdjudicationMappings:
    def __init__(self, api: FakeApi, locations: dict[str, int]) -> None:
        self.api = api
        self.charges = PairTable("Adjudication", "chargeNumber", ("adjudicationNumber", "chargeSequence"))
        self.hearings = MappingTable("Hearing", ["dpsHearingId", "nomisHearingId"])
        self.punishments = PairTable(
            "Punishment", "dpsPunishmentId", ("nomisBookingId", "nomisSanctionSequence")
        )
        # DPS location id -> NOMIS internal location id
        self.locations = locations
        api.on_reset(self.reset)
        self._install()

    def reset(self) -> None:
        for table in (self.charges, self.hearings, self.punishments):
            table.clear()

    # ---- seeding -------------------------------------------------------------------------------

    def map_charge(
        self, charge_number: str, adjudication_number: int, charge_sequence: int = 1
    ) -> dict[str, Any]:
        return self._seed(
            self.charges,
            {
                "chargeNumber": charge_number,
                "adjudicationNumber": adjudication_number,
                "chargeSequence": charge_sequence,
            },
        )

    def map_hearing(self, dps_hearing_id: str, nomis_hearing_id: int) -> dict[str, Any]:
        return self._seed(self.hearings, {"dpsHearingId": dps_hearing_id, "nomisHearingId": nomis_hearing_id})

    def map_punishment(
        self, dps_punishment_id: str, booking_id: int, sanction_sequence: int
    ) -> dict[str, Any]:
        return self._seed(
            self.punishments,
            {
                "dpsPunishmentId": dps_punishment_id,
                "nomisBookingId": booking_id,
                "nomisSanctionSequence": sanction_sequence,
            },
        )

    @staticmethod
    def _seed(table: MappingTable, row: dict[str, Any]) -> dict[str, Any]:
        stored = {**row, "label": None, "mappingType": "ADJUDICATION_CREATED", "whenCreated": _now()}
        if table.add(stored) is not None:
            raise ValueError(f"mapping clashes with an existing one: {row}")
        return stored

    # ---- bodies --------------------------------------------------------------------------------

    @staticmethod
    def _punishment(body: Any) -> dict[str, Any]:
        row = _object(body)
        return {
            "dpsPunishmentId": _text(row, "dpsPunishmentId"),
            "nomisBookingId": _int(row, "nomisBookingId"),
            "nomisSanctionSequence": _int(row, "nomisSanctionSequence"),
            **_common(row),
        }

    def _add_all(self, rows: list[dict[str, Any]]) -> web.Response | None:
        """Store every row or (on the first clash, with the batch itself) none of them."""
        added: list[dict[str, Any]] = []
        for row in rows:
            conflict = self.punishments.add(row)
            if conflict is not None:
                self.punishments.rows = [r for r in self.punishments.rows if all(r is not a for a in added)]
                return conflict
            added.append(row)
        return None

    # ---- routes --------------------------------------------------------------------------------

    def _install(self) -> None:
        api = self.api

        def answer(handler: Callable[[web.Request, Any], web.StreamResponse]) -> Any:
            async def route(request: web.Request) -> web.StreamResponse:
                try:
                    return handler(request, await json_body(request))
                except Invalid as error:
                    return error_response(400, str(error))

            return route

        def found(row: dict[str, Any] | None, what: str) -> web.StreamResponse:
            return json_response(row) if row is not None else error_response(404, f"{what} mapping not found")

        def create_charge(_: web.Request, body: Any) -> web.StreamResponse:
            row = _object(body)
            stored = {
                "adjudicationNumber": _int(row, "adjudicationNumber"),
                "chargeSequence": _int(row, "chargeSequence"),
                "chargeNumber": _text(row, "chargeNumber"),
                **_common(row),
            }
            return self.charges.add(stored) or web.Response(status=201)

        def delete_for_charge(_: web.Request, body: Any) -> web.StreamResponse:
            row = _object(body)
            charge_number = _text(row, "dpsChargeNumber")
            hearing_ids = _list(row, "dpsHearingIds")
            punishment_ids = _list(row, "dpsPunishmentIds")
            self.charges.remove("chargeNumber", charge_number)
            for hearing_id in hearing_ids:
                self.hearings.remove("dpsHearingId", hearing_id)
            for punishment_id in punishment_ids:
                self.punishments.remove("dpsPunishmentId", punishment_id)
            return web.Response(status=204)

        def create_hearing(_: web.Request, body: Any) -> web.StreamResponse:
            row = _object(body)
            stored = {
                "dpsHearingId": _text(row, "dpsHearingId"),
                "nomisHearingId": _int(row, "nomisHearingId"),
                **_common(row),
            }
            return self.hearings.add(stored) or web.Response(status=201)

        def create_punishments(_: web.Request, body: Any) -> web.StreamResponse:
            rows = [self._punishment(item) for item in _list(_object(body), "punishments")]
            return self._add_all(rows) or web.Response(status=201)

        def update_punishments(_: web.Request, body: Any) -> web.StreamResponse:
            request = _object(body)
            to_create = [self._punishment(item) for item in _list(request, "punishmentsToCreate")]
            to_delete = [_object(item) for item in _list(request, "punishmentsToDelete")]
            keys = [(_int(item, "nomisBookingId"), _int(item, "nomisSanctionSequence")) for item in to_delete]
            before = list(self.punishments.rows)
            for booking_id, sequence in keys:
                self.punishments.remove_nomis(booking_id, sequence)
            conflict = self._add_all(to_create)
            if conflict is not None:
                self.punishments.rows = before  # one transaction: the deletes are rolled back too
                return conflict
            return web.Response(status=201)

        def get(table: MappingTable, key: str, what: str) -> Callable[[web.Request, Any], web.StreamResponse]:
            return lambda request, _: found(table.find(key, request.match_info["id"]), what)

        def delete(table: MappingTable, key: str) -> Callable[[web.Request, Any], web.StreamResponse]:
            def handler(request: web.Request, _: Any) -> web.StreamResponse:
                table.remove(key, request.match_info["id"])
                return web.Response(status=204)

            return handler

        def charge_by_nomis(request: web.Request, _: Any) -> web.StreamResponse:
            info = request.match_info
            return found(self.charges.find_nomis(info["number"], info["sequence"]), "Adjudication")

        def punishment_by_nomis(request: web.Request, _: Any) -> web.StreamResponse:
            info = request.match_info
            return found(self.punishments.find_nomis(info["booking"], info["sequence"]), "Punishment")

        def location(request: web.Request, _: Any) -> web.StreamResponse:
            dps_id = request.match_info["id"]
            nomis_id = self.locations.get(dps_id)
            if nomis_id is None:
                return error_response(404, "Location mapping not found")
            return json_response(
                {"dpsLocationId": dps_id, "nomisLocationId": nomis_id, "mappingType": "LOCATION_CREATED"}
            )

        api.route("POST", "/mapping/adjudications", answer(create_charge))
        api.route(
            "GET",
            "/mapping/adjudications/charge-number/{id}",
            answer(get(self.charges, "chargeNumber", "Adjudication")),
        )
        api.route(
            "DELETE",
            "/mapping/adjudications/charge-number/{id}",
            answer(delete(self.charges, "chargeNumber")),
        )
        api.route(
            "GET",
            "/mapping/adjudications/adjudication-number/{number}/charge-sequence/{sequence}",
            answer(charge_by_nomis),
        )
        api.route("POST", "/mapping/adjudications/delete-mappings", answer(delete_for_charge))
        api.route("POST", "/mapping/hearings", answer(create_hearing))
        api.route("GET", "/mapping/hearings/dps/{id}", answer(get(self.hearings, "dpsHearingId", "Hearing")))
        api.route(
            "GET", "/mapping/hearings/nomis/{id}", answer(get(self.hearings, "nomisHearingId", "Hearing"))
        )
        api.route("DELETE", "/mapping/hearings/dps/{id}", answer(delete(self.hearings, "dpsHearingId")))
        api.route("POST", "/mapping/punishments", answer(create_punishments))
        api.route("PUT", "/mapping/punishments", answer(update_punishments))
        api.route(
            "GET", "/mapping/punishments/{id}", answer(get(self.punishments, "dpsPunishmentId", "Punishment"))
        )
        api.route("DELETE", "/mapping/punishments/{id}", answer(delete(self.punishments, "dpsPunishmentId")))
        api.route(
            "GET",
            "/mapping/punishments/nomis-booking-id/{booking}/nomis-sanction-sequence/{sequence}",
            answer(punishment_by_nomis),
        )
        if not any(
            route.method == "GET"
            and route.resource is not None
            and route.resource.canonical == "/mapping/locations/dps/{id}"
            for route in api.router.routes()
        ):
            api.route("GET", "/mapping/locations/dps/{id}", answer(location))
