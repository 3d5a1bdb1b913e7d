"""The court-sentencing mappings under /mapping/court-sentencing, with the mapping service's uniqueness rules.

Each table is unique on its DPS id and on its NOMIS id (booking + sequence for sentences, plus the term
sequence for terms); a clash answers 409 with `moreInfo.existing/duplicate`. Batch writes (`update-create`,
the case POST with children, `court-charges` PUT) are checked whole before anything is applied, as the
service does in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from aiohttp import web

from hmpps_sandbox.fake import FakeApi, error_response, json_body, json_response
from hmpps_sandbox.stores import MappingTable

BASE = "/mapping/court-sentencing"
MAPPING_TYPES = ("MIGRATED", "DPS_CREATED", "NOMIS_CREATED")


class Invalid(Exception):
    pass


class NomisKeyedTable(MappingTable):
    """Unique on the DPS id and on the combination of NOMIS keys."""

    def __init__(self, entity: str, dps_key: str, nomis_keys: Sequence[str]) -> None:
        super().__init__(entity, [dps_key])
        self.dps_key = dps_key
        self.nomis_keys = list(nomis_keys)

    def find_nomis(self, *values: Any) -> dict[str, Any] | None:
        first, *rest = self.nomis_keys
        for row in self.find_all(first, values[0]):
            if all(str(row.get(key)) == str(value) for key, value in zip(rest, values[1:], strict=True)):
                return row
        return None

    def clash(self, candidate: dict[str, Any]) -> dict[str, Any] | None:
        by_dps = self.find(self.dps_key, candidate.get(self.dps_key))
        if by_dps is not None:
            return by_dps
        return self.find_nomis(*(candidate.get(key) for key in self.nomis_keys))


def _now() -> str:
    return datetime.now().replace(microsecond=0).isoformat()


def _row(body: Any, fields: dict[str, type], mapping_type: str | None = None) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise Invalid("mapping must be a JSON object")
    row: dict[str, Any] = {}
    for name, kind in fields.items():
        value = body.get(name)
        if value is None or not isinstance(value, kind) or isinstance(value, bool):
            raise Invalid(f"{name} is required and must be a {kind.__name__}")
        row[name] = value
    given_type = body.get("mappingType") or mapping_type or "DPS_CREATED"
    if given_type not in MAPPING_TYPES:
        raise Invalid(f"mappingType must be one of {', '.join(MAPPING_TYPES)}")
    row.update(mappingType=given_type, label=body.get("label"), whenCreated=_now())
    return row


CASE_FIELDS: dict[str, type] = {"nomisCourtCaseId": int, "dpsCourtCaseId": str}
APPEARANCE_FIELDS: dict[str, type] = {"nomisCourtAppearanceId": int, "dpsCourtAppearanceId": str}
CHARGE_FIELDS: dict[str, type] = {"nomisCourtChargeId": int, "dpsCourtChargeId": str}
SENTENCE_FIELDS: dict[str, type] = {"nomisBookingId": int, "nomisSentenceSequence": int, "dpsSentenceId": str}
TERM_FIELDS: dict[str, type] = {
    "nomisBookingId": int,
    "nomisSentenceSequence": int,
    "nomisTermSequence": int,
    "dpsTermId": str,
}


class MappingStore:
    def __init__(self) -> None:
        self.cases = NomisKeyedTable("Court case", "dpsCourtCaseId", ["nomisCourtCaseId"])
        self.appearances = NomisKeyedTable(
            "Court appearance", "dpsCourtAppearanceId", ["nomisCourtAppearanceId"]
        )
        self.charges = NomisKeyedTable("Court charge", "dpsCourtChargeId", ["nomisCourtChargeId"])
        self.sentences = NomisKeyedTable(
            "Sentence", "dpsSentenceId", ["nomisBookingId", "nomisSentenceSequence"]
        )
        self.terms = NomisKeyedTable(
            "Sentence term", "dpsTermId", ["nomisBookingId", "nomisSentenceSequence", "nomisTermSequence"]
        )
        # Breach appearances of a recall: many per recall, unique on the NOMIS appearance.
        self.recalls = NomisKeyedTable(
            "Court appearance recall", "nomisCourtAppearanceId", ["nomisCourtAppearanceId"]
        )

    def tables(self) -> list[NomisKeyedTable]:
        return [self.cases, self.appearances, self.charges, self.sentences, self.terms, self.recalls]

    def clear(self) -> None:
        for table in self.tables():
            table.clear()

    # ---- seeding -------------------------------------------------------------------------------

    def seed_case(self, dps_id: str, nomis_id: int, offender_no: str | None = None) -> dict[str, Any]:
        return self._seed(
            self.cases, {"dpsCourtCaseId": dps_id, "nomisCourtCaseId": nomis_id, "offenderNo": offender_no}
        )

    def seed_appearance(self, dps_id: str, nomis_id: int) -> dict[str, Any]:
        return self._seed(
            self.appearances, {"dpsCourtAppearanceId": dps_id, "nomisCourtAppearanceId": nomis_id}
        )

    def seed_charge(self, dps_id: str, nomis_id: int) -> dict[str, Any]:
        return self._seed(self.charges, {"dpsCourtChargeId": dps_id, "nomisCourtChargeId": nomis_id})

    def seed_sentence(self, dps_id: str, booking_id: int, sentence_seq: int) -> dict[str, Any]:
        return self._seed(
            self.sentences,
            {"dpsSentenceId": dps_id, "nomisBookingId": booking_id, "nomisSentenceSequence": sentence_seq},
        )

    def seed_term(self, dps_id: str, booking_id: int, sentence_seq: int, term_seq: int) -> dict[str, Any]:
        return self._seed(
            self.terms,
            {
                "dpsTermId": dps_id,
                "nomisBookingId": booking_id,
                "nomisSentenceSequence": sentence_seq,
                "nomisTermSequence": term_seq,
            },
        )

    def seed_recall(self, recall_id: str, appearance_ids: list[int]) -> list[dict[str, Any]]:
        return [
            self._seed(self.recalls, {"dpsRecallId": recall_id, "nomisCourtAppearanceId": a})
            for a in appearance_ids
        ]

    @staticmethod
    def _seed(table: NomisKeyedTable, row: dict[str, Any]) -> dict[str, Any]:
        stored = {**row, "mappingType": "DPS_CREATED", "label": None, "whenCreated": _now()}
        if table.add(stored) is not None:
            raise ValueError(f"{table.entity} mapping clashes with an existing one: {row}")
        return stored

    # ---- batch helpers -------------------------------------------------------------------------

    def _check(self, pending: list[tuple[NomisKeyedTable, dict[str, Any]]]) -> web.Response | None:
        """The 409 the first clashing row would cause (with the batch's own rows counted), or None."""
        seen: dict[int, list[dict[str, Any]]] = {}
        for table, row in pending:
            existing = table.clash(row)
            if existing is None:
                earlier = seen.setdefault(id(table), [])
                existing = next(
                    (
                        r
                        for r in earlier
                        if r.get(table.dps_key) == row.get(table.dps_key)
                        or all(r.get(k) == row.get(k) for k in table.nomis_keys)
                    ),
                    None,
                )
            if existing is not None:
                return error_response(
                    409,
                    f"Conflict: {table.entity} mapping already exist",
                    more_info={"existing": existing, "duplicate": row},
                    developer_message=f"{table.entity} mapping already exists",
                )
            seen.setdefault(id(table), []).append(row)
        return None

    def _batch_rows(
        self, body: dict[str, Any], mapping_type: str
    ) -> list[tuple[NomisKeyedTable, dict[str, Any]]]:
        rows: list[tuple[NomisKeyedTable, dict[str, Any]]] = []
        for key, table, fields in (
            ("courtCases", self.cases, CASE_FIELDS),
            ("courtAppearances", self.appearances, APPEARANCE_FIELDS),
            ("courtCharges", self.charges, CHARGE_FIELDS),
            ("sentences", self.sentences, SENTENCE_FIELDS),
            ("sentenceTerms", self.terms, TERM_FIELDS),
        ):
            items = body.get(key)
            if not isinstance(items, list):
                raise Invalid(f"{key} is required")
            for item in items:
                row = _row(item, fields, mapping_type)
                if key == "courtCases":
                    row["offenderNo"] = item.get("offenderNo")
                rows.append((table, row))
        return rows

    def _apply_updates(self, updates: dict[str, Any]) -> None:
        """Move mappings from source NOMIS ids to cloned ones (missing rows are left alone)."""
        for key, table, nomis_key in (
            ("courtCases", self.cases, "nomisCourtCaseId"),
            ("courtAppearances", self.appearances, "nomisCourtAppearanceId"),
            ("courtCharges", self.charges, "nomisCourtChargeId"),
        ):
            for pair in updates.get(key) or []:
                row = table.find(nomis_key, _int(pair.get("fromNomisId"), f"{key}.fromNomisId"))
                if row is not None:
                    row[nomis_key] = _int(pair.get("toNomisId"), f"{key}.toNomisId")
                    table.changed()
        for pair in updates.get("sentences") or []:
            source, target = _sentence_id(pair.get("fromNomisId")), _sentence_id(pair.get("toNomisId"))
            row = self.sentences.find_nomis(*source)
            if row is not None:
                row["nomisBookingId"], row["nomisSentenceSequence"] = target
                self.sentences.changed()
        for pair in updates.get("sentenceTerms") or []:
            term_source, term_target = _term_id(pair.get("fromNomisId")), _term_id(pair.get("toNomisId"))
            row = self.terms.find_nomis(*term_source)
            if row is not None:
                row["nomisBookingId"], row["nomisSentenceSequence"], row["nomisTermSequence"] = term_target
                self.terms.changed()

    # ---- routes --------------------------------------------------------------------------------

    def install(self, mapping: FakeApi) -> None:
        def route(method: str, path: str, work: Any, status: int = 200) -> None:
            async def handle(request: web.Request) -> web.StreamResponse:
                try:
                    body = await json_body(request)
                    result = work(request.match_info, body)
                except Invalid as error:
                    return error_response(400, str(error))
                if isinstance(result, web.StreamResponse):
                    return result
                if result is None:
                    return web.Response(status=status)
                return json_response(result, status=status)

            mapping.route(method, BASE + path, handle)

        def found(row: dict[str, Any] | None, what: str) -> Any:
            return row if row is not None else error_response(404, f"{what} mapping not found")

        def getter(table: NomisKeyedTable, key: str, what: str, as_int: bool = False) -> Any:
            def get(m: Any, _: Any) -> Any:
                value: Any = m["id"]
                if as_int:
                    try:
                        value = int(value)
                    except ValueError:
                        return error_response(400, f"{key} must be a number")
                return found(table.find(key, value), what)

            return get

        def remover(table: NomisKeyedTable, key: str) -> Any:
            def remove(m: Any, _: Any) -> None:
                table.remove(key, m["id"])

            return remove

        def creator(table: NomisKeyedTable, fields: dict[str, type]) -> Any:
            def create(_: Any, body: Any) -> Any:
                row = _row(body, fields)
                conflict = table.add(row)
                return conflict if conflict is not None else web.Response(status=201)

            return create

        def create_case(_: Any, body: Any) -> Any:
            if not isinstance(body, dict):
                raise Invalid("mapping must be a JSON object")
            case = _row(body, CASE_FIELDS)
            case["offenderNo"] = body.get("offenderNo")
            pending: list[tuple[NomisKeyedTable, dict[str, Any]]] = [(self.cases, case)]
            for key, table, fields in (
                ("courtAppearances", self.appearances, APPEARANCE_FIELDS),
                ("courtCharges", self.charges, CHARGE_FIELDS),
                ("sentences", self.sentences, SENTENCE_FIELDS),
            ):
                items = body.get(key)
                if not isinstance(items, list):
                    raise Invalid(f"{key} is required")
                pending.extend((table, _row(item, fields)) for item in items)
            conflict = self._check(pending)
            if conflict is not None:
                return conflict
            for table, row in pending:
                table.add(row)
            return web.Response(status=201)

        def update_create(_: Any, body: Any) -> Any:
            if not isinstance(body, dict) or not isinstance(body.get("mappingsToCreate"), dict):
                raise Invalid("mappingsToCreate is required")
            to_create = body["mappingsToCreate"]
            updates = body.get("mappingsToUpdate")
            if not isinstance(updates, dict):
                raise Invalid("mappingsToUpdate is required")
            pending = self._batch_rows(to_create, str(to_create.get("mappingType") or "DPS_CREATED"))
            conflict = self._check(pending)
            if conflict is not None:
                return conflict
            self._apply_updates(updates)
            for table, row in pending:
                table.add(row)
            return None

        def replace(_: Any, body: Any) -> Any:
            if not isinstance(body, dict):
                raise Invalid("mappings must be a JSON object")
            pending = self._batch_rows(body, str(body.get("mappingType") or "DPS_CREATED"))
            for table, row in pending:
                table.remove(table.dps_key, row[table.dps_key])
                clash = table.clash(row)
                if clash is not None:
                    table.rows.remove(clash)
                table.add(row)
            return None

        def delete_by_dps_ids(_: Any, body: Any) -> None:
            if not isinstance(body, dict):
                raise Invalid("ids must be a JSON object")
            for key, table in (
                ("courtCases", self.cases),
                ("courtAppearances", self.appearances),
                ("courtCharges", self.charges),
                ("sentences", self.sentences),
                ("sentenceTerms", self.terms),
            ):
                items = body.get(key)
                if not isinstance(items, list):
                    raise Invalid(f"{key} is required")
                for dps_id in items:
                    table.remove(table.dps_key, dps_id)

        def appearances_by_nomis_ids(_: Any, body: Any) -> Any:
            if not isinstance(body, list) or not all(isinstance(i, int) for i in body):
                raise Invalid("body must be a JSON array of NOMIS court appearance ids")
            rows = (self.appearances.find("nomisCourtAppearanceId", i) for i in body)
            return [row for row in rows if row is not None]

        def sentences_by_dps_ids(_: Any, body: Any) -> Any:
            if not isinstance(body, list) or not all(isinstance(i, str) for i in body):
                raise Invalid("body must be a JSON array of DPS sentence ids")
            rows = (self.sentences.find("dpsSentenceId", i) for i in body)
            return [row for row in rows if row is not None]

        def update_charges(_: Any, body: Any) -> Any:
            if not isinstance(body, dict):
                raise Invalid("mappings must be a JSON object")
            creates, deletes = body.get("courtChargesToCreate"), body.get("courtChargesToDelete")
            if not isinstance(creates, list) or not isinstance(deletes, list):
                raise Invalid("courtChargesToCreate and courtChargesToDelete are required")
            pending = [(self.charges, _row(item, CHARGE_FIELDS)) for item in creates]
            removals = [
                _int((item or {}).get("nomisCourtChargeId"), "nomisCourtChargeId") for item in deletes
            ]
            conflict = self._check(pending)
            if conflict is not None:
                return conflict
            for nomis_id in removals:
                self.charges.remove("nomisCourtChargeId", nomis_id)
            for table, row in pending:
                table.add(row)
            return web.Response(status=201)

        def create_recall(_: Any, body: Any) -> Any:
            if not isinstance(body, dict):
                raise Invalid("mappings must be a JSON object")
            recall_id = body.get("dpsRecallId")
            ids = body.get("nomisCourtAppearanceIds")
            if (
                not isinstance(recall_id, str)
                or not isinstance(ids, list)
                or not isinstance(body.get("mappingsToUpdate"), dict)
            ):
                raise Invalid("dpsRecallId, nomisCourtAppearanceIds and mappingsToUpdate are required")
            pending = [
                (
                    self.recalls,
                    _row(
                        {"nomisCourtAppearanceId": i, "dpsRecallId": recall_id},
                        {"nomisCourtAppearanceId": int, "dpsRecallId": str},
                    ),
                )
                for i in ids
            ]
            conflict = self._check(pending)
            if conflict is not None:
                return conflict
            self._apply_updates(body["mappingsToUpdate"])
            for table, row in pending:
                table.add(row)
            return web.Response(status=201)

        def update_recall(m: Any, body: Any) -> None:
            ids = body.get("nomisCourtAppearanceIds") if isinstance(body, dict) else None
            if not isinstance(ids, list):
                raise Invalid("nomisCourtAppearanceIds is required")
            recall_id = m["id"]
            self.recalls.remove("dpsRecallId", recall_id)
            for appearance_id in ids:
                self.recalls.remove("nomisCourtAppearanceId", appearance_id)
                self._seed(
                    self.recalls,
                    {"dpsRecallId": recall_id, "nomisCourtAppearanceId": _int(appearance_id, "id")},
                )

        def recall_appearances(m: Any, _: Any) -> Any:
            rows = self.recalls.find_all("dpsRecallId", m["id"])
            return rows if rows else error_response(404, f"No court appearance mappings for recall {m['id']}")

        def sentence_by_nomis(m: Any, _: Any) -> Any:
            return found(self.sentences.find_nomis(m["bookingId"], m["seq"]), "Sentence")

        def term_by_nomis(m: Any, _: Any) -> Any:
            return found(self.terms.find_nomis(m["bookingId"], m["seq"], m["termSeq"]), "Sentence term")

        route("POST", "/court-cases", create_case)
        route(
            "GET", "/court-cases/dps-court-case-id/{id}", getter(self.cases, "dpsCourtCaseId", "Court case")
        )
        route("DELETE", "/court-cases/dps-court-case-id/{id}", remover(self.cases, "dpsCourtCaseId"), 204)
        route(
            "GET",
            "/court-cases/nomis-court-case-id/{id}",
            getter(self.cases, "nomisCourtCaseId", "Court case", as_int=True),
        )
        route("PUT", "/court-cases/update-create", update_create)
        route("PUT", "/court-cases/replace", replace)
        route("POST", "/court-cases/delete-by-dps-ids", delete_by_dps_ids, 204)
        route(
            "GET",
            "/court-appearances/dps-court-appearance-id/{id}",
            getter(self.appearances, "dpsCourtAppearanceId", "Court appearance"),
        )
        route(
            "DELETE",
            "/court-appearances/dps-court-appearance-id/{id}",
            remover(self.appearances, "dpsCourtAppearanceId"),
            204,
        )
        route(
            "GET",
            "/court-appearances/nomis-court-appearance-id/{id}",
            getter(self.appearances, "nomisCourtAppearanceId", "Court appearance", as_int=True),
        )
        route("POST", "/court-appearances/nomis-court-appearance-ids/get-list", appearances_by_nomis_ids)
        route("POST", "/court-appearances/recall", create_recall)
        route("PUT", "/court-appearances/recall/{id}", update_recall)
        route("GET", "/court-appearances/dps-recall-id/{id}", recall_appearances)
        route("DELETE", "/court-appearances/dps-recall-id/{id}", remover(self.recalls, "dpsRecallId"), 204)
        route("POST", "/court-charges", creator(self.charges, CHARGE_FIELDS))
        route("PUT", "/court-charges", update_charges)
        route(
            "GET",
            "/court-charges/dps-court-charge-id/{id}",
            getter(self.charges, "dpsCourtChargeId", "Court charge"),
        )
        route(
            "GET",
            "/court-charges/nomis-court-charge-id/{id}",
            getter(self.charges, "nomisCourtChargeId", "Court charge", as_int=True),
        )
        route("POST", "/sentences", creator(self.sentences, SENTENCE_FIELDS))
        route("GET", "/sentences/dps-sentence-id/{id}", getter(self.sentences, "dpsSentenceId", "Sentence"))
        route("DELETE", "/sentences/dps-sentence-id/{id}", remover(self.sentences, "dpsSentenceId"), 204)
        route("POST", "/sentences/dps-sentence-ids/get-list", sentences_by_dps_ids)
        route(
            "GET",
            r"/sentences/nomis-booking-id/{bookingId:\d+}/nomis-sentence-sequence/{seq:\d+}",
            sentence_by_nomis,
        )
        route("POST", "/sentence-terms", creator(self.terms, TERM_FIELDS))
        route("GET", "/sentence-terms/dps-term-id/{id}", getter(self.terms, "dpsTermId", "Sentence term"))
        route("DELETE", "/sentence-terms/dps-term-id/{id}", remover(self.terms, "dpsTermId"), 204)
        route(
            "GET",
            r"/sentence-terms/nomis-booking-id/{bookingId:\d+}/nomis-sentence-sequence/{seq:\d+}"
            r"/nomis-term-sequence/{termSeq:\d+}",
            term_by_nomis,
        )


def _int(value: Any, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise Invalid(f"{name} must be a whole number")
    return value


def _sentence_id(value: Any) -> tuple[int, int]:
    if not isinstance(value, dict):
        raise Invalid("sentence id must be an object")
    return _int(value.get("nomisBookingId"), "nomisBookingId"), _int(
        value.get("nomisSequence"), "nomisSequence"
    )


def _term_id(value: Any) -> tuple[int, int, int]:
    if not isinstance(value, dict):
        raise Invalid("sentence term id must be an object")
    booking, seq = _sentence_id(value.get("nomisSentenceId"))
    return booking, seq, _int(value.get("nomisSequence"), "nomisSequence")
