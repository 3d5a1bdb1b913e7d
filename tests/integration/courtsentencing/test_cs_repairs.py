"""Repair endpoints E6-E15 over HTTP (court-sentencing 105 for E6-E15, 108-120)."""

from __future__ import annotations

import pytest
from cs_support import (
    APPEARANCE_ID,
    CASE_ID,
    CASES_PATH,
    CHARGE_ID,
    CHARGE_IDS,
    MAPPING,
    OFFENDER_NO,
    SENTENCE_ID,
    SPEC,
    TERM_ID,
    UPDATE_ROLE,
    FromNomisQueue,
    World,
    requests,
)

from hmpps_sandbox.harness import ServiceHarness

BASE = f"/prisoners/{OFFENDER_NO}/court-sentencing"
APPEARANCE = f"{BASE}/dps-court-case/{CASE_ID}/dps-appearance/{APPEARANCE_ID}"
UPDATE_CREATE = f"{MAPPING}/court-cases/update-create"

ENDPOINTS = [
    ("POST", f"{BASE}/court-case/{CASE_ID}/booking-repair"),
    ("POST", f"{BASE}/court-case/{CASE_ID}/repair"),
    ("POST", f"{APPEARANCE}/dps-sentence/{SENTENCE_ID}/repair"),
    ("POST", f"{APPEARANCE}/dps-charge/{CHARGE_ID}/repair"),
    ("POST", f"{APPEARANCE}/dps-sentence/{SENTENCE_ID}/dps-period-length/{TERM_ID}/repair"),
    ("PUT", f"{APPEARANCE}/dps-sentence/{SENTENCE_ID}/repair"),
    ("PUT", f"{APPEARANCE}/dps-sentence/{SENTENCE_ID}/dps-period-length/{TERM_ID}/repair"),
    ("PUT", f"{APPEARANCE}/dps-charge/{CHARGE_ID}/repair"),
    ("PUT", f"{APPEARANCE}/repair"),
    ("POST", f"{APPEARANCE}/repair"),
]


def names(service: ServiceHarness) -> list[str]:
    return [event.name for event in service.recorder.events]


@pytest.mark.scenario(SPEC, 105)
async def test_every_repair_endpoint_needs_the_update_role(service: ServiceHarness) -> None:
    for method, path in ENDPOINTS:
        assert (await service.request(method, path))[0] == 401, path
        assert (await service.request(method, path, roles=[]))[0] == 403, path
        assert (await service.request(method, path, roles=["BANANAS"]))[0] == 403, path
    assert service.estate.nomis.requests() == []


@pytest.mark.scenario(SPEC, 108)
async def test_charge_insert_repair(service: ServiceHarness, world: World) -> None:
    await world.dps_case()
    await world.dps_appearance()
    world.mapped_case()
    status, _, _ = await service.request(
        "POST", f"{APPEARANCE}/dps-charge/{CHARGE_ID}/repair", roles=[UPDATE_ROLE]
    )
    assert status == 200
    dps = service.estate.dps["court-sentencing"]
    assert len(requests(dps, "GET", f"/legacy/court-appearance/{APPEARANCE_ID}/charge/{CHARGE_ID}")) == 1
    [success] = service.events("charge-create-success")
    [charge_id] = world.nomis.cases[7]["chargeIds"]
    assert success["nomisCourtCaseId"] == "7"
    assert success["mappingType"] == "DPS_CREATED"
    assert success["dpsChargeId"] == CHARGE_ID
    assert success["nomisChargeId"] == str(charge_id)
    assert len(requests(service.estate.nomis, "POST", f"{CASES_PATH}/7/charges")) == 1
    assert len(requests(service.estate.mapping, "POST", f"{MAPPING}/court-charges")) == 1
    assert names(service) == ["charge-create-success", "court-sentencing-repair-charge-inserted"]
    [repaired] = service.events("court-sentencing-repair-charge-inserted")
    assert repaired == {
        "offenderNo": OFFENDER_NO,
        "dpsCourtCaseId": CASE_ID,
        "dpsCourtAppearanceId": APPEARANCE_ID,
        "dpsChargeId": CHARGE_ID,
    }


async def clonable_case(world: World) -> None:
    """Case 101 on booking 1 (two appearances, charges, a sentence with two terms and adjustments); now booking 2."""
    await world.dps_case()
    world.booking(1)
    world.mapped_case(nomis_id=101)
    world.booking(2)
    world.mapped_charges(101, CHARGE_IDS[:2], [1003, 1004])
    world.nomis.add_event(101, [{"offenderChargeId": 1003}], id=1001)
    world.nomis.add_event(101, [{"offenderChargeId": 1004}], id=1002)
    world.nomis.add_sentence(101, sentenceSeq=10, chargeIds=[1003], eventId=1001)
    world.nomis.add_term(1, 10, termSequence=1)
    world.nomis.add_term(1, 10, termSequence=2)
    world.nomis.adjustments[(1, 10)] = [501, 502]


@pytest.mark.scenario(SPEC, 109)
@pytest.mark.scenario(SPEC, 110)
@pytest.mark.parametrize("mapping_fails_once", [False, True])
async def test_booking_repair_clones_the_case_to_the_latest_booking(
    service: ServiceHarness, world: World, from_nomis: FromNomisQueue, mapping_fails_once: bool
) -> None:
    await clonable_case(world)
    if mapping_fails_once:
        service.estate.mapping.inject_fault(method="PUT", path_pattern=UPDATE_CREATE, status=500)
    status, _, _ = await service.request(
        "POST", f"{BASE}/court-case/{CASE_ID}/booking-repair", roles=[UPDATE_ROLE]
    )
    assert status == 200
    [repaired] = await service.wait_for_event("court-case-cloned-repair")
    assert repaired["offenderNo"] == OFFENDER_NO
    assert repaired["nomisCourtCaseIds"] == "101"
    failed = service.events("court-case-cloned-repair-failed")
    assert len(failed) == (1 if mapping_fails_once else 0)
    if mapping_fails_once:
        assert failed[0]["offenderNo"] == OFFENDER_NO
        assert names(service).index("court-case-cloned-repair-failed") < names(service).index(
            "court-case-cloned-repair"
        )
    assert len(requests(service.estate.nomis, "POST", f"{CASES_PATH}/clone/101")) == 1
    [clone] = [c for c in world.nomis.cases.values() if c["bookingId"] == 2]
    messages = await from_nomis.wait_for(3)
    assert sorted(m["type"] for m in messages) == [
        "courtsentencing.resync.case.booking",
        "courtsentencing.resync.sentence-adjustments",
        "courtsentencing.resync.sentence-adjustments",
    ]
    update_creates = requests(service.estate.mapping, "PUT", UPDATE_CREATE)
    assert len(update_creates) == (2 if mapping_fails_once else 1)
    body = update_creates[-1].body
    assert body["mappingsToCreate"] == {
        "courtCases": [],
        "courtAppearances": [],
        "courtCharges": [],
        "sentences": [],
        "sentenceTerms": [],
        "mappingType": "DPS_CREATED",
    }
    updates = body["mappingsToUpdate"]
    assert updates["courtCases"] == [{"fromNomisId": 101, "toNomisId": clone["id"]}]
    assert [p["fromNomisId"] for p in updates["courtAppearances"]] == [1001, 1002]
    assert [p["fromNomisId"] for p in updates["courtCharges"]] == [1003, 1004]
    assert len(updates["sentences"]) == 1
    assert len(updates["sentenceTerms"]) == 2
    assert world.mappings.cases.find("dpsCourtCaseId", CASE_ID)["nomisCourtCaseId"] == clone["id"]


async def unsentenced_case(world: World, sentenced: bool = False) -> None:
    await world.dps_case()
    await world.dps_appearance(courtCode="MDI")
    if sentenced:
        await world.dps_sentence()
    world.mapped_case()
    world.mapped_charges(dps_ids=[CHARGE_ID])
    world.mapped_appearance(charge_ids=[11])


@pytest.mark.scenario(SPEC, 111)
async def test_court_case_repair_refuses_a_sentenced_case(service: ServiceHarness, world: World) -> None:
    await unsentenced_case(world, sentenced=True)
    # The fixture DPS id is all digits, so it would be read as a NOMIS id (spec Q20): repair by NOMIS id 7.
    status, body, _ = await service.request("POST", f"{BASE}/court-case/7/repair", roles=[UPDATE_ROLE])
    assert status == 409, body
    assert body["userMessage"] == (
        f"Court case {CASE_ID} has a sentence, only case without a sentence can be repaired in NOMIS"
    )
    assert requests(service.estate.nomis, "POST", ".*/repair") == []


@pytest.mark.scenario(SPEC, 111)
async def test_court_case_repair_refuses_a_case_without_appearances(
    service: ServiceHarness, world: World
) -> None:
    """Not in the original (its request builder fails with a 500): NOMIS needs a start date and court,
    which only an appearance gives, so the repair is refused with 409 before any mapping is deleted."""
    await world.dps_case()
    world.mapped_case()
    status, body, _ = await service.request("POST", f"{BASE}/court-case/7/repair", roles=[UPDATE_ROLE])
    assert status == 409, body
    assert body["userMessage"] == f"Court case {CASE_ID} has no appearances to repair NOMIS from"
    assert requests(service.estate.mapping, "POST", f"{MAPPING}/court-cases/delete-by-dps-ids") == []
    assert world.mappings.cases.find("dpsCourtCaseId", CASE_ID) is not None


@pytest.mark.scenario(SPEC, 112)
async def test_court_case_repair_needs_a_mapping(service: ServiceHarness, world: World) -> None:
    for case_id in ("unknown-dps-case", "9876"):
        status, body, _ = await service.request(
            "POST", f"{BASE}/court-case/{case_id}/repair", roles=[UPDATE_ROLE]
        )
        assert status == 400
        assert body["userMessage"] == f"Bad Request: No mapping found for {case_id}"
    assert (
        len(requests(service.estate.mapping, "GET", f"{MAPPING}/court-cases/nomis-court-case-id/9876")) == 1
    )
    assert (
        len(
            requests(
                service.estate.mapping, "GET", f"{MAPPING}/court-cases/dps-court-case-id/unknown-dps-case"
            )
        )
        == 1
    )


@pytest.mark.scenario(SPEC, 113)
async def test_court_case_repair_rebuilds_the_case_and_replaces_its_mappings(
    service: ServiceHarness, world: World
) -> None:
    await unsentenced_case(world)
    status, body, _ = await service.request("POST", f"{BASE}/court-case/7/repair", roles=[UPDATE_ROLE])
    assert status == 200
    [new_case_id] = world.nomis.case_ids_of(OFFENDER_NO)
    assert body == {"nomisCaseId": new_case_id}
    [repair] = requests(service.estate.nomis, "POST", f"{CASES_PATH}/7/repair")
    assert repair.body["courtId"] == "MDI"
    [appearance] = repair.body["courtAppearances"]
    assert len(appearance["courtEventCharges"]) == 1
    assert len(repair.body["offenderCharges"]) == 1
    assert len(repair.body["caseReferences"]["caseIdentifiers"]) == 1
    [deleted] = requests(service.estate.mapping, "POST", f"{MAPPING}/court-cases/delete-by-dps-ids")
    assert deleted.body == {
        "courtCases": [CASE_ID],
        "courtAppearances": [APPEARANCE_ID],
        "courtCharges": [CHARGE_ID],
        "sentences": [],
        "sentenceTerms": [],
    }
    new_case = world.nomis.cases[new_case_id]
    [replace] = requests(service.estate.mapping, "PUT", f"{MAPPING}/court-cases/replace")
    assert replace.body["courtCases"] == [
        {
            "nomisCourtCaseId": new_case_id,
            "dpsCourtCaseId": CASE_ID,
            "offenderNo": OFFENDER_NO,
            "mappingType": "DPS_CREATED",
        }
    ]
    assert replace.body["courtAppearances"] == [
        {
            "nomisCourtAppearanceId": new_case["eventIds"][0],
            "dpsCourtAppearanceId": APPEARANCE_ID,
            "mappingType": "DPS_CREATED",
        }
    ]
    assert replace.body["courtCharges"] == [
        {
            "nomisCourtChargeId": new_case["chargeIds"][0],
            "dpsCourtChargeId": CHARGE_ID,
            "mappingType": "DPS_CREATED",
        }
    ]
    assert replace.body["sentences"] == [] and replace.body["sentenceTerms"] == []
    [repaired] = service.events("court-sentencing-repair-court-case")
    assert repaired == {
        "offenderNo": OFFENDER_NO,
        "nomisCourtCaseId": "7",
        "newNomisCourtCaseId": str(new_case_id),
        "dpsCourtCaseId": CASE_ID,
    }
    assert world.mappings.cases.find("dpsCourtCaseId", CASE_ID)["nomisCourtCaseId"] == new_case_id
    assert (
        world.mappings.charges.find("dpsCourtChargeId", CHARGE_ID)["nomisCourtChargeId"]
        == new_case["chargeIds"][0]
    )


async def sentenced_world(world: World, mapped_sentence: bool, mapped_term: bool) -> int:
    await world.standard()
    await world.dps_sentence()
    await world.dps_period_length()
    booking = int(world.nomis.cases[7]["bookingId"])
    if mapped_sentence:
        world.mapped_sentence()
    if mapped_term:
        world.mapped_term(booking)
    return booking


@pytest.mark.scenario(SPEC, 114)
@pytest.mark.scenario(SPEC, 115)
async def test_sentence_and_term_insert_repairs(service: ServiceHarness, world: World) -> None:
    await sentenced_world(world, mapped_sentence=False, mapped_term=False)
    status, _, _ = await service.request(
        "POST", f"{APPEARANCE}/dps-sentence/{SENTENCE_ID}/repair", roles=[UPDATE_ROLE]
    )
    assert status == 200
    dps = service.estate.dps["court-sentencing"]
    assert len(requests(dps, "GET", f"/legacy/sentence/{SENTENCE_ID}")) == 1
    [sentence] = service.events("sentence-create-success")
    for key in (
        "nomisCourtCaseId",
        "dpsSentenceId",
        "dpsCourtAppearanceId",
        "mappingType",
        "dpsChargeId",
        "nomisChargeId",
    ):
        assert key in sentence
    assert (
        len(requests(service.estate.nomis, "POST", f"/prisoners/{OFFENDER_NO}/court-cases/7/sentences")) == 1
    )
    assert len(service.events("court-sentencing-repair-sentence-inserted")) == 1
    [(_, seq)] = world.nomis.cases[7]["sentenceKeys"]

    status, _, _ = await service.request(
        "POST",
        f"{APPEARANCE}/dps-sentence/{SENTENCE_ID}/dps-period-length/{TERM_ID}/repair",
        roles=[UPDATE_ROLE],
    )
    assert status == 200
    assert len(requests(dps, "GET", f"/legacy/period-length/{TERM_ID}")) == 1
    assert len(service.events("sentence-term-create-success")) == 1
    terms = f"/prisoners/{OFFENDER_NO}/court-cases/7/sentences/{seq}/sentence-terms"
    assert len(requests(service.estate.nomis, "POST", terms)) == 1
    [repaired] = service.events("court-sentencing-repair-sentence-term-inserted")
    assert repaired == {
        "offenderNo": OFFENDER_NO,
        "dpsCourtCaseId": CASE_ID,
        "dpsCourtAppearanceId": APPEARANCE_ID,
        "dpsSentenceId": SENTENCE_ID,
    }


@pytest.mark.scenario(SPEC, 116)
@pytest.mark.scenario(SPEC, 117)
@pytest.mark.scenario(SPEC, 118)
@pytest.mark.scenario(SPEC, 119)
async def test_update_repairs(service: ServiceHarness, world: World) -> None:
    await sentenced_world(world, mapped_sentence=True, mapped_term=True)
    calls: list[tuple[str, str, str, str]] = [
        (
            f"{APPEARANCE}/dps-sentence/{SENTENCE_ID}/dps-period-length/{TERM_ID}/repair",
            "sentence-term-updated-success",
            "court-sentencing-repair-sentence-term-updated",
            f"/prisoners/{OFFENDER_NO}/court-cases/7/sentences/54/sentence-terms/32",
        ),
        (
            f"{APPEARANCE}/dps-sentence/{SENTENCE_ID}/repair",
            "sentence-updated-success",
            "court-sentencing-repair-sentence-updated",
            f"/prisoners/{OFFENDER_NO}/court-cases/7/sentences/54",
        ),
        (
            f"{APPEARANCE}/dps-charge/{CHARGE_ID}/repair",
            "charge-updated-success",
            "court-sentencing-repair-charge-updated",
            f"{CASES_PATH}/7/court-appearances/3/charges/11",
        ),
        (
            f"{APPEARANCE}/repair",
            "court-appearance-updated-success",
            "court-sentencing-repair-appearance-updated",
            f"{CASES_PATH}/7/court-appearances/3",
        ),
    ]
    for path, handled, repaired, nomis_put in calls:
        status, _, _ = await service.request("PUT", path, roles=[UPDATE_ROLE])
        assert status == 200, path
        assert len(service.events(handled)) == 1, handled
        assert len(service.events(repaired)) == 1, repaired
        assert len(requests(service.estate.nomis, "PUT", nomis_put)) == 1, nomis_put
    dps = service.estate.dps["court-sentencing"]
    assert len(requests(dps, "GET", f"/legacy/period-length/{TERM_ID}")) == 1
    assert len(requests(dps, "GET", f"/legacy/sentence/{SENTENCE_ID}")) == 1
    assert len(requests(dps, "GET", f"/legacy/court-appearance/{APPEARANCE_ID}/charge/{CHARGE_ID}")) == 1
    assert len(requests(dps, "GET", f"/legacy/court-appearance/{APPEARANCE_ID}")) == 1
    [term] = service.events("court-sentencing-repair-sentence-term-updated")
    assert term["dpsTermId"] == TERM_ID
    [charge_put] = requests(service.estate.nomis, "PUT", f"{CASES_PATH}/7/court-appearances/3/charges/11")
    assert charge_put.body["futureAppearance"] is False


@pytest.mark.scenario(SPEC, 120)
async def test_appearance_insert_repair_can_prevent_a_clone(service: ServiceHarness, world: World) -> None:
    await world.dps_case()
    await world.dps_appearance()
    world.booking(1)
    world.mapped_case()
    world.booking(2)
    world.mapped_charges(dps_ids=[CHARGE_ID])
    status, _, _ = await service.request(
        "POST", f"{APPEARANCE}/repair?force-prevent-clone=true", roles=[UPDATE_ROLE]
    )
    assert status == 201
    assert (
        len(
            requests(
                service.estate.dps["court-sentencing"], "GET", f"/legacy/court-appearance/{APPEARANCE_ID}"
            )
        )
        == 1
    )
    [create] = requests(service.estate.nomis, "POST", f"{CASES_PATH}/7/court-appearances")
    assert create.body["forcePreventClone"] is True
    assert create.body["forceClone"] is False
    assert create.body["futureAppearance"] is False
    [repaired] = service.events("court-sentencing-repair-appearance-created")
    assert repaired == {
        "offenderNo": OFFENDER_NO,
        "dpsCourtCaseId": CASE_ID,
        "dpsCourtAppearanceId": APPEARANCE_ID,
    }
    assert len(service.events("court-appearance-create-success")) == 1
    assert [c["bookingId"] for c in world.nomis.cases.values()] == [1]


async def test_repair_of_a_failing_handler_answers_404_without_repair_telemetry(
    service: ServiceHarness, world: World
) -> None:
    """A handler that throws (here: awaiting the case mapping) fails the request; no repair event is emitted.

    The original answers 500 `Unexpected error: Missing DPS Case …`; the parent is missing, which is not a
    fault of the service, so we answer 404 with the same message (issue 14: never a 500 for bad input).
    """
    await world.dps_case()
    await world.dps_appearance()
    status, body, _ = await service.request(
        "POST", f"{APPEARANCE}/dps-charge/{CHARGE_ID}/repair", roles=[UPDATE_ROLE]
    )
    assert status == 404
    assert body["userMessage"] == f"Not Found: Missing DPS Case: {CASE_ID}"
    assert len(service.events("charge-create-awaiting-parent")) == 1
    assert service.events("court-sentencing-repair-charge-inserted") == []
