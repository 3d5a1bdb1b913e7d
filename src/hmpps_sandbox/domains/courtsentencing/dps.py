"""The DPS Remand and Sentencing API's legacy views over a stateful store of cases and their children.

Records are kept as JSON-shaped dicts (the API's camelCase names); a record marked `deleted` answers 404.
A charge may carry a different outcome on each appearance (`appearance["chargeOutcomes"]`), as in DPS.
"""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web

from hmpps_sandbox.fake import FakeApi, error_response, json_body, json_response

DEFAULT_PRISONER = "AB12345"


def new_id() -> str:
    return str(uuid.uuid4())


def default_case(case_id: str, prisoner_id: str = DEFAULT_PRISONER) -> dict[str, Any]:
    return {
        "courtCaseUuid": case_id,
        "prisonerId": prisoner_id,
        "active": True,
        "status": "ACTIVE",
        "startDate": "2024-01-01",
        "courtId": "DRBYYC",
        "caseReference": "ABC4999",
        "caseReferences": [
            {"offenderCaseReference": "ABC4999", "updatedDate": "2024-01-01T10:10:00", "source": "DPS"}
        ],
        "bookingId": None,
        "appearanceIds": [],
    }


def default_appearance(
    appearance_id: str, case_id: str, prisoner_id: str = DEFAULT_PRISONER
) -> dict[str, Any]:
    return {
        "lifetimeUuid": appearance_id,
        "courtCaseUuid": case_id,
        "prisonerId": prisoner_id,
        "nomisOutcomeCode": "4531",
        "courtCode": "DDOC",
        "appearanceDate": "2024-09-23",
        "appearanceTime": "10:00",
        "nomisAppearanceTypeCode": "CRT",
        "comments": "a comment",
        "nextCourtAppearance": None,
        "chargeIds": [],
        "chargeOutcomes": {},
    }


def default_charge(charge_id: str, case_id: str, prisoner_id: str = DEFAULT_PRISONER) -> dict[str, Any]:
    return {
        "lifetimeUuid": charge_id,
        "courtCaseUuid": case_id,
        "prisonerId": prisoner_id,
        "nomisOutcomeCode": "4531",
        "offenceCode": "PS90031",
        "offenceStartDate": "2024-01-11",
        "offenceEndDate": "2024-01-11",
    }


def default_sentence(
    sentence_id: str, charge_id: str, appearance_id: str, case_id: str, prisoner_id: str = DEFAULT_PRISONER
) -> dict[str, Any]:
    return {
        "lifetimeUuid": sentence_id,
        "chargeLifetimeUuid": charge_id,
        "appearanceUuid": appearance_id,
        "courtCaseId": case_id,
        "prisonerId": prisoner_id,
        "active": True,
        "sentenceCalcType": "CALC",
        "sentenceCategory": "CAT",
        "consecutiveToLifetimeUuid": None,
        "fineAmount": 1000.0,
        "sentenceStartDate": "2024-01-01",
        "returnToCustodyDate": None,
        "legacyData": None,
    }


def default_period_length(
    period_length_id: str, sentence: dict[str, Any], prisoner_id: str = DEFAULT_PRISONER
) -> dict[str, Any]:
    return {
        "periodLengthUuid": period_length_id,
        "sentenceUuid": sentence["lifetimeUuid"],
        "courtChargeId": sentence["chargeLifetimeUuid"],
        "courtAppearanceId": sentence["appearanceUuid"],
        "courtCaseId": sentence["courtCaseId"],
        "prisonerId": prisoner_id,
        "periodYears": 2,
        "periodMonths": 6,
        "periodWeeks": 4,
        "periodDays": 15,
        "isLifeSentence": False,
        "sentenceTermCode": "TERM",
    }


def default_recall(recall_id: str, prisoner_id: str = DEFAULT_PRISONER) -> dict[str, Any]:
    return {
        "recallUuid": recall_id,
        "prisonerId": prisoner_id,
        "returnToCustodyDate": "2025-04-23",
        "revocationDate": "2025-04-01",
        "sentenceIds": [],
        "recallType": "FTR_14",
        "recallBy": "T.SMITH",
    }


def _visible(record: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if record is None or record.get("deleted") else record


def _without(record: dict[str, Any], *names: str) -> dict[str, Any]:
    return {key: value for key, value in record.items() if key not in {"deleted", *names}}


class DpsStore:
    def __init__(self) -> None:
        self.cases: dict[str, dict[str, Any]] = {}
        self.appearances: dict[str, dict[str, Any]] = {}
        self.charges: dict[str, dict[str, Any]] = {}
        self.sentences: dict[str, dict[str, Any]] = {}
        self.period_lengths: dict[str, dict[str, Any]] = {}
        self.recalls: dict[str, dict[str, Any]] = {}

    def clear(self) -> None:
        for table in (
            self.cases,
            self.appearances,
            self.charges,
            self.sentences,
            self.period_lengths,
            self.recalls,
        ):
            table.clear()

    # ---- reads, as the API renders them -------------------------------------------------------

    def cases_of(self, prisoner_id: str) -> list[dict[str, Any]]:
        return [c for c in self.cases.values() if c["prisonerId"] == prisoner_id and not c.get("deleted")]

    def appearances_of(self, case_id: str) -> list[dict[str, Any]]:
        case = self.cases.get(case_id)
        ids = case["appearanceIds"] if case else []
        return [a for a in (self.appearances.get(i) for i in ids) if _visible(a) is not None]  # type: ignore[misc]

    def legacy_case(self, case_id: str) -> dict[str, Any] | None:
        case = _visible(self.cases.get(case_id))
        return None if case is None else _without(case, "status", "bookingId", "appearanceIds")

    def legacy_charge(self, charge_id: str, appearance_id: str | None = None) -> dict[str, Any] | None:
        charge = _visible(self.charges.get(charge_id))
        if charge is None:
            return None
        rendered = _without(charge)
        if appearance_id is not None:
            appearance = _visible(self.appearances.get(appearance_id))
            if appearance is None or charge_id not in appearance["chargeIds"]:
                return None
            outcomes = appearance.get("chargeOutcomes") or {}
            if charge_id in outcomes:
                rendered["nomisOutcomeCode"] = outcomes[charge_id]
        return rendered

    def legacy_appearance(self, appearance_id: str) -> dict[str, Any] | None:
        appearance = _visible(self.appearances.get(appearance_id))
        if appearance is None:
            return None
        charges = [self.legacy_charge(charge_id, appearance_id) for charge_id in appearance["chargeIds"]]
        return {
            **_without(appearance, "chargeIds", "chargeOutcomes"),
            "charges": [charge for charge in charges if charge is not None],
        }

    def legacy_sentence(self, sentence_id: str) -> dict[str, Any] | None:
        sentence = _visible(self.sentences.get(sentence_id))
        return None if sentence is None else _without(sentence, "legacyData")

    def legacy_period_length(self, period_length_id: str) -> dict[str, Any] | None:
        period = _visible(self.period_lengths.get(period_length_id))
        return None if period is None else _without(period)

    def legacy_recall(self, recall_id: str) -> dict[str, Any] | None:
        recall = _visible(self.recalls.get(recall_id))
        return None if recall is None else _without(recall)

    def court_case_reconciliation(self, case_id: str) -> dict[str, Any] | None:
        """ReconciliationCourtCase JSON: the case with each appearance's charges and their sentences."""
        case = _visible(self.cases.get(case_id))
        if case is None:
            return None
        appearances = []
        for appearance in self.appearances_of(case_id):
            charges = []
            for charge_id in appearance["chargeIds"]:
                charge = self.legacy_charge(charge_id, appearance["lifetimeUuid"])
                if charge is None:
                    continue
                charges.append(
                    {
                        "chargeUuid": charge_id,
                        "offenceCode": charge["offenceCode"],
                        "offenceStartDate": charge.get("offenceStartDate"),
                        "offenceEndDate": charge.get("offenceEndDate"),
                        "nomisOutcomeCode": charge.get("nomisOutcomeCode"),
                        "legacyData": None,
                        "sentence": self._reconciliation_sentence(charge_id, appearance["lifetimeUuid"]),
                    }
                )
            appearances.append(
                {
                    "appearanceUuid": appearance["lifetimeUuid"],
                    "courtCode": appearance["courtCode"],
                    "appearanceDate": appearance["appearanceDate"],
                    "appearanceTime": appearance.get("appearanceTime"),
                    "nomisOutcomeCode": appearance.get("nomisOutcomeCode"),
                    "nextCourtAppearance": appearance.get("nextCourtAppearance"),
                    "appearanceTypeUuid": None,
                    "nomisAppearanceTypeCode": appearance.get("nomisAppearanceTypeCode"),
                    "charges": charges,
                }
            )
        return {
            "courtCaseUuid": case_id,
            "prisonerId": case["prisonerId"],
            "active": case["active"],
            "merged": False,
            "status": case.get("status") or "ACTIVE",
            "courtCaseLegacyData": {
                "caseReferences": case.get("caseReferences") or [],
                "bookingId": case.get("bookingId"),
            },
            "appearances": appearances,
        }

    def _reconciliation_sentence(self, charge_id: str, appearance_id: str) -> dict[str, Any] | None:
        sentence = next(
            (
                s
                for s in self.sentences.values()
                if not s.get("deleted")
                and s["chargeLifetimeUuid"] == charge_id
                and s["appearanceUuid"] == appearance_id
            ),
            None,
        )
        if sentence is None:
            return None
        return {
            "sentenceUuid": sentence["lifetimeUuid"],
            "fineAmount": sentence.get("fineAmount"),
            "sentenceCalcType": sentence.get("sentenceCalcType"),
            "sentenceCategory": sentence.get("sentenceCategory"),
            "active": sentence["active"],
            "sentenceStartDate": sentence["sentenceStartDate"],
            "legacyData": sentence.get("legacyData"),
            "consecutiveToSentenceUuid": sentence.get("consecutiveToLifetimeUuid"),
            "periodLengths": [
                {
                    "periodLengthUuid": p["periodLengthUuid"],
                    "periodYears": p.get("periodYears"),
                    "periodMonths": p.get("periodMonths"),
                    "periodWeeks": p.get("periodWeeks"),
                    "periodDays": p.get("periodDays"),
                    "lifeSentence": p.get("isLifeSentence"),
                    "sentenceTermCode": p["sentenceTermCode"],
                    "legacyData": None,
                }
                for p in self.period_lengths.values()
                if not p.get("deleted") and p["sentenceUuid"] == sentence["lifetimeUuid"]
            ],
        }

    # ---- routes --------------------------------------------------------------------------------

    def install(self, dps: FakeApi) -> None:
        def getter(read: Any, what: str) -> Any:
            async def get(request: web.Request) -> web.StreamResponse:
                found = read(request.match_info["id"])
                return json_response(found) if found is not None else error_response(404, f"{what} not found")

            return get

        async def appearance_charge(request: web.Request) -> web.StreamResponse:
            found = self.legacy_charge(request.match_info["chargeId"], request.match_info["id"])
            return json_response(found) if found is not None else error_response(404, "Charge not found")

        async def search(request: web.Request) -> web.StreamResponse:
            body = await json_body(request)
            ids = body.get("lifetimeUuids") if isinstance(body, dict) else None
            if not isinstance(ids, list):
                return error_response(400, "lifetimeUuids must be a list of sentence uuids")
            found = [self.legacy_sentence(str(i)) for i in ids]
            return json_response([sentence for sentence in found if sentence is not None])

        dps.route("GET", "/legacy/court-case/{id}", getter(self.legacy_case, "Court case"))
        dps.route("GET", "/legacy/court-appearance/{id}", getter(self.legacy_appearance, "Court appearance"))
        dps.route("GET", "/legacy/court-appearance/{id}/charge/{chargeId}", appearance_charge)
        dps.route("GET", "/legacy/charge/{id}", getter(self.legacy_charge, "Charge"))
        dps.route("GET", "/legacy/sentence/{id}", getter(self.legacy_sentence, "Sentence"))
        dps.route("POST", "/legacy/sentence/search", search)
        dps.route("GET", "/legacy/period-length/{id}", getter(self.legacy_period_length, "Period length"))
        dps.route("GET", "/legacy/recall/{id}", getter(self.legacy_recall, "Recall"))
