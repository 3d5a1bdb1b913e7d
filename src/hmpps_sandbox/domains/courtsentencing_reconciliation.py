"""The reads court-sentencing reconciliation makes, over the court-sentencing fakes' stores.

NOMIS `GET /court-cases/{id}` and `GET /prisoners/{offenderNo}/sentencing/court-cases/ids`, DPS
`GET /legacy/court-case/{id}/reconciliation` and `GET /legacy/prisoner/{id}/court-case-uuids`, and the
mapping `POST .../court-cases/nomis-case-ids/get-list` answer from what the court-sentencing fake holds,
so a case made by events can be reconciled. A test may also seed a whole case document
(`seed_nomis_case`, `seed_dps_case`): shapes the event-built stores never produce (a DPS sentence on
three charges, a NOMIS sentence whose court order names no appearance, year-9 dates) are answered
exactly as seeded, which is what the comparison scenarios need.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from hmpps_sandbox.fake import FakeApi, error_response, json_body, json_response

if TYPE_CHECKING:
    from hmpps_sandbox.domains.courtsentencing import CourtSentencingFakes
    from hmpps_sandbox.estate import Estate

MAPPING_BASE = "/mapping/court-sentencing"


def _has_route(fake: FakeApi, method: str, path: str) -> bool:
    return any(
        route.method == method and route.resource is not None and route.resource.canonical == path
        for route in fake.router.routes()
    )


class CourtSentencingReconciliationFakes:
    def __init__(self, estate: Estate) -> None:
        self.events: CourtSentencingFakes = estate.plugins["courtsentencing"]
        self.dps: FakeApi = estate.dps["court-sentencing"]
        # Seeded documents, answered as they are: NOMIS case id -> CourtCaseResponse JSON, DPS case
        # uuid -> ReconciliationCourtCase JSON.
        self.nomis_documents: dict[int, dict[str, Any]] = {}
        self.dps_documents: dict[str, dict[str, Any]] = {}
        # prisoner -> their seeded case ids: a prisoner's cases cost the same however many are seeded.
        self.nomis_by_prisoner: dict[str, dict[int, None]] = {}
        self.dps_by_prisoner: dict[str, dict[str, None]] = {}
        self._install_nomis(estate.nomis)
        self._install_dps(self.dps)
        self._install_mapping(estate.mapping)
        estate.nomis.on_reset(self.nomis_documents.clear)
        estate.nomis.on_reset(self.nomis_by_prisoner.clear)
        self.dps.on_reset(self.dps_documents.clear)
        self.dps.on_reset(self.dps_by_prisoner.clear)

    # ---- seeding -------------------------------------------------------------------------------

    def seed_nomis_case(self, document: dict[str, Any]) -> dict[str, Any]:
        """A NOMIS CourtCaseResponse; it counts among `offenderNo`'s cases."""
        case_id = int(document["id"])
        replaced = self.nomis_documents.get(case_id)
        if replaced is not None:
            self.nomis_by_prisoner.get(str(replaced.get("offenderNo")), {}).pop(case_id, None)
        self.nomis_documents[case_id] = document
        self.nomis_by_prisoner.setdefault(str(document.get("offenderNo")), {})[case_id] = None
        return document

    def seed_dps_case(self, document: dict[str, Any]) -> dict[str, Any]:
        """A DPS ReconciliationCourtCase; it counts among `prisonerId`'s cases."""
        case_id = str(document["courtCaseUuid"])
        replaced = self.dps_documents.get(case_id)
        if replaced is not None:
            self.dps_by_prisoner.get(str(replaced.get("prisonerId")), {}).pop(case_id, None)
        self.dps_documents[case_id] = document
        self.dps_by_prisoner.setdefault(str(document.get("prisonerId")), {})[case_id] = None
        return document

    # ---- reads ---------------------------------------------------------------------------------

    def nomis_case(self, case_id: int) -> dict[str, Any] | None:
        seeded = self.nomis_documents.get(case_id)
        return seeded if seeded is not None else self.events.nomis.court_case_response(case_id)

    def nomis_case_ids(self, offender_no: str) -> list[int]:
        seeded = self.nomis_by_prisoner.get(offender_no, {})
        stored = [case_id for case_id in self.events.nomis.case_ids_of(offender_no) if case_id not in seeded]
        return sorted([*seeded, *stored])

    def dps_case(self, case_id: str) -> dict[str, Any] | None:
        seeded = self.dps_documents.get(case_id)
        return seeded if seeded is not None else self.events.dps.court_case_reconciliation(case_id)

    def dps_case_uuids(self, prisoner_id: str) -> list[str]:
        seeded = self.dps_by_prisoner.get(prisoner_id, {})
        stored = [
            case["courtCaseUuid"]
            for case in self.events.dps.cases_of(prisoner_id)
            if case["courtCaseUuid"] not in seeded
        ]
        return [*seeded, *stored]

    # ---- routes --------------------------------------------------------------------------------

    def _install_nomis(self, nomis: FakeApi) -> None:
        async def court_case(request: web.Request) -> web.StreamResponse:
            try:
                case_id = int(request.match_info["id"])
            except ValueError:
                return error_response(400, "Court case id must be a number")
            found = self.nomis_case(case_id)
            if found is None:
                return error_response(404, f"Court case {case_id} not found")
            return json_response(found)

        async def case_ids(request: web.Request) -> web.StreamResponse:
            return json_response(self.nomis_case_ids(request.match_info["offenderNo"]))

        nomis.route("GET", "/court-cases/{id}", court_case)
        nomis.route("GET", "/prisoners/{offenderNo}/sentencing/court-cases/ids", case_ids)

    def _install_dps(self, dps: FakeApi) -> None:
        async def reconciliation(request: web.Request) -> web.StreamResponse:
            found = self.dps_case(request.match_info["id"])
            if found is None:
                return error_response(404, f"Court case {request.match_info['id']} not found")
            return json_response(found)

        async def case_uuids(request: web.Request) -> web.StreamResponse:
            return json_response({"courtCaseUuids": self.dps_case_uuids(request.match_info["prisonerId"])})

        dps.route("GET", "/legacy/court-case/{id}/reconciliation", reconciliation)
        dps.route("GET", "/legacy/prisoner/{prisonerId}/court-case-uuids", case_uuids)

    def _install_mapping(self, mapping: FakeApi) -> None:
        async def cases_by_nomis_ids(request: web.Request) -> web.StreamResponse:
            ids = await json_body(request)
            if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
                return error_response(400, "body must be a JSON array of NOMIS court case ids")
            rows = (self.events.mappings.cases.find("nomisCourtCaseId", case_id) for case_id in ids)
            return json_response([row for row in rows if row is not None])

        path = MAPPING_BASE + "/court-cases/nomis-case-ids/get-list"
        if not _has_route(mapping, "POST", path):
            mapping.route("POST", path, cases_by_nomis_ids)


def install(estate: Estate) -> CourtSentencingReconciliationFakes:
    return CourtSentencingReconciliationFakes(estate)
