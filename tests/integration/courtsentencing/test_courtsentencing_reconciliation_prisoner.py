"""Checking all of a prisoner's court cases (spec 5.4) through E4 and E5, and the role check of E1-E5.

Scenarios 105 (E1-E5), 121, 122 and 142, plus the case-count mismatch of 5.4.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from recon_support import (
    BOOKING_ID,
    OFFENDER_NO,
    PRISONER_PREFIX,
    SPEC,
    UPDATE_ROLE,
    ReconciliationWorld,
    distinct_pair,
    reconciliation_service,
)

from hmpps_sandbox.estate import Estate
from hmpps_sandbox.harness import ServiceHarness

E4 = "/prisoners/{offender}/court-sentencing/court-cases/reconciliation"
E5 = "/prisoners/court-sentencing/court-cases/reconciliation"
OTHER_PRISONER = "A7701TZ"
MISSING_NOMIS = "missing nomis mapping"
MISSING_DPS = "missing dps mapping"


@pytest.fixture(scope="module")
async def shared_service(estate: Estate) -> AsyncIterator[ServiceHarness]:
    async with reconciliation_service(estate) as harness:
        yield harness


@pytest.fixture
async def service(estate: Estate, shared_service: ServiceHarness) -> ServiceHarness:
    await estate.reset(reset_moto=False)
    shared_service.recorder.clear()
    return shared_service


@pytest.fixture
def world(estate: Estate) -> ReconciliationWorld:
    return ReconciliationWorld(estate)


def ids(document: dict[str, Any], kind: str) -> str:
    """A DPS item id of a `distinct_pair` document: kind a(ppearance), c(harge), 5 (sentence), 7 (term)."""
    appearance = document["appearances"][0]
    charge = appearance["charges"][0]
    return {
        "a": appearance["appearanceUuid"],
        "c": charge["chargeUuid"],
        "5": charge["sentence"]["sentenceUuid"],
        "7": charge["sentence"]["periodLengths"][0]["periodLengthUuid"],
    }[kind]


def ids_of(index: int) -> str:
    """The DPS case id of `distinct_pair(index)`."""
    return f"d0000000-0000-0000-0000-{index:012d}"


@pytest.mark.scenario(SPEC, 105)
async def test_every_reconciliation_endpoint_needs_the_update_role(service: ServiceHarness) -> None:
    endpoints = [
        ("GET", f"/prisoners/{OFFENDER_NO}/court-sentencing/court-cases/dps-case-id/x/reconciliation"),
        ("GET", f"/prisoners/{OFFENDER_NO}/court-sentencing/court-cases/nomis-case-id/1/reconciliation"),
        (
            "GET",
            f"/prisoners/{OFFENDER_NO}/court-sentencing/court-cases/nomis-case-id/1/dps-case-id/x/reconciliation",
        ),
        ("GET", E4.format(offender=OFFENDER_NO)),
        ("POST", E5),
    ]
    for method, path in endpoints:
        body = [OFFENDER_NO] if method == "POST" else None
        assert (await service.request(method, path, json=body))[0] == 401, path
        assert (await service.request(method, path, json=body, roles=[]))[0] == 403, path
        assert (await service.request(method, path, json=body, roles=["ROLE_BANANAS"]))[0] == 403, path
    # Nothing downstream was asked.
    assert service.estate.nomis.requests() == []
    assert service.estate.mapping.requests() == []


@pytest.mark.scenario(SPEC, 121)
async def test_e4_lists_every_case_with_counterpart_ids_and_missing_mappings(
    service: ServiceHarness, world: ReconciliationWorld
) -> None:
    first_dps, first_nomis = world.case_pair(*distinct_pair(1, extra_nomis_appearance=True))
    world.case_pair(*distinct_pair(2))
    # Only the first DPS appearance and NOMIS appearance 100 are mapped to each other.
    world.events.mappings.seed_appearance(ids(first_dps, "a"), 100)

    status, body, _ = await service.request("GET", E4.format(offender=OFFENDER_NO), roles=[UPDATE_ROLE])

    assert status == 200
    assert [(c["nomisCaseId"], c["dpsCaseId"]) for c in body] == [
        (1, first_dps["courtCaseUuid"]),
        (2, ids_of(2)),
    ]
    mismatch = body[0]["mismatch"]
    assert body[0]["nomisBookingId"] == BOOKING_ID
    differences = [(d["property"], d["dps"], d["nomis"], d["id"]) for d in mismatch["differences"]]
    assert differences == [
        ("case.appearances", 1, 2, None),
        ("case.appearances[].charges[].mappedId", ids(first_dps, "c"), MISSING_NOMIS, ids(first_dps, "c")),
        ("case.sentences[].mappedId", ids(first_dps, "5"), MISSING_NOMIS, ids(first_dps, "5")),
        ("case.sentences[].terms[].mappedId", ids(first_dps, "7"), MISSING_NOMIS, ids(first_dps, "7")),
        ("case.appearances[].charges[].mappedId", MISSING_DPS, "101", "101"),
        ("case.appearances[].mappedId", MISSING_DPS, "150", "150"),
        ("case.appearances[].charges[].mappedId", MISSING_DPS, "151", "151"),
        ("case.sentences[].mappedId", MISSING_DPS, "1", "1"),
        ("case.sentences[].terms[].mappedId", MISSING_DPS, "1", "1"),
    ]
    assert mismatch["dpsCase"]["appearances"][0]["mappedId"] == "100"
    assert mismatch["nomisCase"]["appearances"][0]["mappedId"] == ids(first_dps, "a")
    assert first_nomis["courtEvents"][0]["id"] == 100
    # The second case matches field by field, but nothing of it is mapped: listed all the same.
    assert len(body[1]["mismatch"]["differences"]) == 8


@pytest.mark.scenario(SPEC, 142)
async def test_e4_shows_the_counterpart_of_every_mapped_item_on_both_sides(
    service: ServiceHarness, world: ReconciliationWorld
) -> None:
    appearance_and_sentence, _ = world.case_pair(*distinct_pair(1))
    charge_and_term, _ = world.case_pair(*distinct_pair(2))
    mappings = world.events.mappings
    mappings.seed_appearance(ids(appearance_and_sentence, "a"), 100)
    mappings.seed_sentence(ids(appearance_and_sentence, "5"), BOOKING_ID, 1)
    mappings.seed_charge(ids(charge_and_term, "c"), 201)
    mappings.seed_term(ids(charge_and_term, "7"), BOOKING_ID, 2, 1)

    status, body, _ = await service.request("GET", E4.format(offender=OFFENDER_NO), roles=[UPDATE_ROLE])

    assert status == 200

    def mapped(case: dict[str, Any]) -> dict[str, Any]:
        appearance = case["appearances"][0]
        sentence = case["sentences"][0]
        return {
            "appearance": appearance["mappedId"],
            "charge": appearance["charges"][0]["mappedId"],
            "sentence": sentence["mappedId"],
            "term": sentence["terms"][0]["mappedId"],
        }

    first, second = body[0]["mismatch"], body[1]["mismatch"]
    assert mapped(first["dpsCase"]) == {
        "appearance": "100",
        "charge": MISSING_NOMIS,
        "sentence": "1",
        "term": MISSING_NOMIS,
    }
    assert mapped(first["nomisCase"]) == {
        "appearance": ids(appearance_and_sentence, "a"),
        "charge": MISSING_DPS,
        "sentence": ids(appearance_and_sentence, "5"),
        "term": MISSING_DPS,
    }
    assert mapped(second["dpsCase"]) == {
        "appearance": MISSING_NOMIS,
        "charge": "201",
        "sentence": MISSING_NOMIS,
        "term": "1",
    }
    assert mapped(second["nomisCase"]) == {
        "appearance": MISSING_DPS,
        "charge": ids(charge_and_term, "c"),
        "sentence": MISSING_DPS,
        "term": ids(charge_and_term, "7"),
    }
    assert [d["property"] for d in first["differences"]] == [
        "case.appearances[].charges[].mappedId",
        "case.sentences[].terms[].mappedId",
        "case.appearances[].charges[].mappedId",
        "case.sentences[].terms[].mappedId",
    ]


@pytest.mark.scenario(SPEC, 122)
async def test_e5_lists_only_the_mismatched_cases_of_each_prisoner(
    service: ServiceHarness, world: ReconciliationWorld
) -> None:
    world.case_pair(*distinct_pair(1, OFFENDER_NO, extra_nomis_appearance=True))
    world.case_pair(*distinct_pair(2, OFFENDER_NO))
    world.case_pair(*distinct_pair(3, OTHER_PRISONER, extra_nomis_appearance=True, booking=888888))
    world.case_pair(*distinct_pair(4, OTHER_PRISONER, booking=888888))

    status, body, _ = await service.request(
        "POST", E5, json=[OFFENDER_NO, OTHER_PRISONER], roles=[UPDATE_ROLE]
    )

    assert status == 200
    assert [len(cases) for cases in body] == [1, 1]
    assert (body[0][0]["offenderNo"], body[0][0]["nomisCaseId"], body[0][0]["nomisBookingId"]) == (
        OFFENDER_NO,
        1,
        BOOKING_ID,
    )
    assert (body[1][0]["offenderNo"], body[1][0]["nomisCaseId"], body[1][0]["nomisBookingId"]) == (
        OTHER_PRISONER,
        3,
        888888,
    )
    for cases in body:
        assert cases[0]["mismatch"]["differences"] == [
            {"property": "case.appearances", "dps": 1, "nomis": 2, "id": None}
        ]


async def test_a_different_number_of_cases_is_one_case_count_entry(
    service: ServiceHarness, world: ReconciliationWorld
) -> None:
    """Spec 5.4 step 2 and quirk Q11: the counts go in dpsCaseId (string) and nomisCaseId (number)."""
    _, nomis = distinct_pair(1)
    world.documents.seed_nomis_case(nomis)
    expected = {
        "offenderNo": OFFENDER_NO,
        "dpsCaseId": "0",
        "nomisCaseId": 1,
        "nomisBookingId": None,
        "caseCountMismatch": True,
        "mismatch": None,
    }

    status, body, _ = await service.request("GET", E4.format(offender=OFFENDER_NO), roles=[UPDATE_ROLE])
    assert (status, body) == (200, [expected])
    status, body, _ = await service.request("POST", E5, json=[OFFENDER_NO, "A9999ZZ"], roles=[UPDATE_ROLE])
    assert (status, body) == (200, [[expected], []])

    count_event = {
        "nomisCaseCount": "1",
        "dpsCaseCount": "0",
        "caseCountMismatch": "true",
        "offenderNo": OFFENDER_NO,
    }
    assert service.events(f"{PRISONER_PREFIX}-mismatch") == [count_event, count_event]
    # No case was compared, so no mapping or case read was made.
    assert service.estate.mapping.requests() == []
    assert service.estate.nomis.requests("GET", r"/court-cases/\d+") == []


async def test_an_unreadable_case_is_listed_without_a_mismatch_and_reported(
    service: ServiceHarness, world: ReconciliationWorld
) -> None:
    """One case that cannot be read does not stop the others being checked (spec 5.3: never throws)."""
    world.case_pair(*distinct_pair(1, extra_nomis_appearance=True))
    world.case_pair(*distinct_pair(2, extra_nomis_appearance=True))
    service.estate.nomis.inject_fault(path_pattern="/court-cases/1", status=500, count=1)

    status, body, _ = await service.request("POST", E5, json=[OFFENDER_NO], roles=[UPDATE_ROLE])

    assert status == 200
    assert [c["nomisCaseId"] for c in body[0]] == [2]
    errors = service.events(f"{PRISONER_PREFIX}-error")
    assert [(e["nomisCaseId"], e["reason"][:3]) for e in errors] == [("1", "500")]


async def test_e5_with_a_body_that_is_not_a_list_of_prisoner_numbers_is_a_bad_request(
    service: ServiceHarness,
) -> None:
    status, body, _ = await service.request("POST", E5, json={"offenderNo": OFFENDER_NO}, roles=[UPDATE_ROLE])
    assert status == 400
    assert body["status"] == 400
