"""Safe to run twice (docs/architecture.md): the same event twice, or a delivery redone after NOMIS wrote but
its answer was lost, leaves one NOMIS record; a redone clone leaves one clone.

The original creates again whenever no mapping exists; these prove the guards that keep its calls,
bodies and telemetry but adopt what an interrupted earlier delivery wrote.
"""

from __future__ import annotations

import asyncio

import aiohttp
from cs_support import (
    APPEARANCE_ID,
    CASE_ID,
    CASES_PATH,
    CHARGE_ID,
    CHARGE_IDS,
    MAPPING,
    OFFENDER_NO,
    RECALL_ID,
    SENTENCE_ID,
    TERM_ID,
    UPDATE_ROLE,
    FromNomisQueue,
    World,
    publish_and_wait,
    requests,
    settled,
)

from hmpps_sandbox.harness import ServiceHarness


async def test_same_case_event_twice_at_once_creates_one_nomis_case(
    service: ServiceHarness, world: World
) -> None:
    await world.dps_case()
    event = world.event("court-case.inserted", courtCaseId=CASE_ID)
    await asyncio.gather(service.estate.publish(event), service.estate.publish(event))
    await service.wait_for_event("court-case-create-success")
    await service.wait_for_event("court-case-create-duplicate")
    assert len(requests(service.estate.nomis, "POST", CASES_PATH)) == 1
    assert len(world.nomis.case_ids_of(OFFENDER_NO)) == 1


async def test_lost_nomis_answer_on_case_create_adopts_the_case(
    service: ServiceHarness, world: World, from_nomis: FromNomisQueue
) -> None:
    await world.dps_case()
    world.nomis.lose_response("create-court-case")
    success = await publish_and_wait(
        service, world.event("court-case.inserted", courtCaseId=CASE_ID), "court-case-create-success"
    )
    [case_id] = world.nomis.case_ids_of(OFFENDER_NO)
    [failed] = service.events("court-case-create-failed")
    assert failed["reason"].startswith("500 ")
    [reused] = service.events("court-case-create-reused-nomis-record")
    assert reused["nomisCourtCaseId"] == str(case_id)
    assert success["nomisCourtCaseId"] == str(case_id)
    assert len(requests(service.estate.nomis, "POST", CASES_PATH)) == 1
    [resync] = await from_nomis.wait_for(1, "courtsentencing.resync.case")
    assert resync["message"]["caseId"] == case_id


async def test_identical_mapped_case_is_not_adopted(service: ServiceHarness, world: World) -> None:
    """A second DPS case identical to a mapped one still gets its own NOMIS case on a redelivery."""
    await world.dps_case()
    other = world.nomis.add_case(OFFENDER_NO, beginDate="2024-01-01", primaryCaseInfoNumber="ABC4999")
    world.mappings.seed_case("another-identical-dps-case", other["id"], OFFENDER_NO)
    service.estate.mapping.inject_fault(
        method="GET", path_pattern=f"{MAPPING}/court-cases/dps-court-case-id/.*"
    )
    await publish_and_wait(
        service, world.event("court-case.inserted", courtCaseId=CASE_ID), "court-case-create-success"
    )
    assert len(world.nomis.case_ids_of(OFFENDER_NO)) == 2
    assert service.events("court-case-create-reused-nomis-record") == []


async def test_lost_nomis_answers_on_child_creates_adopt_the_records(
    service: ServiceHarness, world: World
) -> None:
    """Charge, appearance, sentence and term creates each lose NOMIS's answer once and still write once."""
    await world.dps_case()
    await world.dps_appearance()
    await world.dps_sentence()
    await world.dps_period_length()
    world.mapped_case()
    for kind in ("create-charge", "create-appearance", "create-sentence", "create-term"):
        world.nomis.lose_response(kind)
    publish = service.estate.publish
    await publish(
        world.event(
            "charge.inserted", courtChargeId=CHARGE_ID, courtCaseId=CASE_ID, courtAppearanceId=APPEARANCE_ID
        )
    )
    await service.wait_for_event("charge-create-success")
    await publish(
        world.event(
            "court-appearance.inserted",
            courtAppearanceId=APPEARANCE_ID,
            courtCaseId=CASE_ID,
            isOnFutureCourtAppearance=False,
        )
    )
    await service.wait_for_event("court-appearance-create-success")
    await publish(
        world.event(
            "sentence.inserted", sentenceId=SENTENCE_ID, courtAppearanceId=APPEARANCE_ID, courtCaseId=CASE_ID
        )
    )
    await service.wait_for_event("sentence-create-success")
    await publish(
        world.event(
            "sentence.period-length.inserted",
            periodLengthId=TERM_ID,
            sentenceId=SENTENCE_ID,
            courtAppearanceId=APPEARANCE_ID,
            courtCaseId=CASE_ID,
        )
    )
    await service.wait_for_event("sentence-term-create-success")

    case = world.nomis.cases[7]
    assert len(case["chargeIds"]) == 1
    assert len(case["eventIds"]) == 1
    [sentence_key] = case["sentenceKeys"]
    assert len(world.nomis.sentences[sentence_key]["terms"]) == 1
    reused = {e.name for e in service.recorder.events if e.name.endswith("-create-reused-nomis-record")}
    assert reused == {
        "charge-create-reused-nomis-record",
        "court-appearance-create-reused-nomis-record",
        "sentence-create-reused-nomis-record",
        "sentence-term-create-reused-nomis-record",
    }
    assert (
        world.mappings.charges.find("dpsCourtChargeId", CHARGE_ID)["nomisCourtChargeId"]
        == case["chargeIds"][0]
    )
    assert (
        world.mappings.sentences.find("dpsSentenceId", SENTENCE_ID)["nomisSentenceSequence"]
        == sentence_key[1]
    )


async def test_lost_answer_to_a_cloning_appearance_create_clones_once(
    service: ServiceHarness, world: World, from_nomis: FromNomisQueue
) -> None:
    await world.dps_case()
    await world.dps_appearance(charge_ids=CHARGE_IDS[:1])
    world.booking(1)
    world.mapped_case(nomis_id=101)
    world.booking(2)
    world.mapped_charges(101, CHARGE_IDS[:1], [1003])
    world.nomis.add_event(101, [{"offenderChargeId": 1003}], id=1001)
    world.nomis.lose_response("create-appearance")
    await publish_and_wait(
        service,
        world.event(
            "court-appearance.inserted",
            courtAppearanceId=APPEARANCE_ID,
            courtCaseId=CASE_ID,
            isOnFutureCourtAppearance=False,
        ),
        "court-appearance-create-success",
    )
    clones = [c for c in world.nomis.cases.values() if c["bookingId"] == 2]
    assert len(clones) == 1
    [clone] = clones
    [reused] = service.events("court-appearance-create-reused-nomis-record")
    assert reused["nomisClonedCourtCaseId"] == str(clone["id"])
    assert len(requests(service.estate.nomis, "POST", f"{CASES_PATH}/101/court-appearances")) == 1
    assert world.mappings.cases.find("dpsCourtCaseId", CASE_ID)["nomisCourtCaseId"] == clone["id"]
    new_event = world.mappings.appearances.find("dpsCourtAppearanceId", APPEARANCE_ID)[
        "nomisCourtAppearanceId"
    ]
    assert new_event in clone["eventIds"]
    [cloned] = service.events("court-appearance-create-cases-cloned")
    assert cloned["nomisCourtCaseIds"] == "101"
    [booking] = await from_nomis.wait_for(1, "courtsentencing.resync.case.booking")
    assert booking["message"]["casesMoved"][0]["caseId"] == clone["id"]


async def test_booking_repair_after_a_lost_clone_answer_reuses_the_clone(
    service: ServiceHarness, world: World
) -> None:
    await world.dps_case()
    world.booking(1)
    world.mapped_case(nomis_id=101)
    world.booking(2)
    world.mapped_charges(101, CHARGE_IDS[:1], [1003])
    world.nomis.add_event(101, [{"offenderChargeId": 1003}], id=1001)
    world.nomis.lose_response("clone")
    path = f"/prisoners/{OFFENDER_NO}/court-sentencing/court-case/{CASE_ID}/booking-repair"
    headers = {"Authorization": f"Bearer {service.token(UPDATE_ROLE)}"}
    # A fresh connection per call: the server closes the one a 500 answer went out on.
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as client:
        async with client.post(service.url + path, headers=headers) as first:
            assert first.status == 500
        async with client.post(service.url + path, headers=headers) as second:
            assert second.status == 200
    [clone] = [c for c in world.nomis.cases.values() if c["bookingId"] == 2]
    assert len(requests(service.estate.nomis, "POST", f"{CASES_PATH}/clone/101")) == 1
    assert world.mappings.cases.find("dpsCourtCaseId", CASE_ID)["nomisCourtCaseId"] == clone["id"]
    assert (
        world.mappings.charges.find("dpsCourtChargeId", CHARGE_IDS[0])["nomisCourtChargeId"]
        == clone["chargeIds"][0]
    )
    assert len(service.events("court-case-cloned-repair")) == 1


async def test_losing_a_race_to_another_pod_removes_the_nomis_case_it_created(
    service: ServiceHarness, world: World
) -> None:
    """Another delivery mapped the case between our mapping check and our mapping save."""
    await world.dps_case()
    winner = world.nomis.add_case(OFFENDER_NO, id=50)
    world.mappings.seed_case(CASE_ID, winner["id"], OFFENDER_NO)
    # Our duplicate check still sees no mapping, as it would just before the other pod saved.
    service.estate.mapping.inject_fault(
        method="GET", path_pattern=f"{MAPPING}/court-cases/dps-court-case-id/{CASE_ID}", status=404
    )
    await publish_and_wait(
        service,
        world.event("court-case.inserted", courtCaseId=CASE_ID),
        "to-nomis-synch-court-case-duplicate",
    )
    [removed] = await service.wait_for_event("court-case-duplicate-removed")
    [ours] = [r for r in requests(service.estate.nomis, "POST", CASES_PATH)]
    assert ours is not None
    assert world.nomis.case_ids_of(OFFENDER_NO) == [50]
    assert removed["nomisCourtCaseId"] != "50"
    assert service.events("court-case-create-success") == []
    # The alert is kept for operators, reported only: the surplus NOMIS case is already gone.
    status, listed, _ = await service.request("GET", "/duplicates", roles=[UPDATE_ROLE])
    assert status == 200
    [alert] = [d for d in listed if d["alert"] == "court-case"]
    assert alert["resolvable"] is False
    assert alert["properties"]["existingNomisCourtCaseId"] == "50"


async def test_duplicate_recall_event_converts_once(service: ServiceHarness, world: World) -> None:
    await world.standard()
    await world.dps_sentence(sentenceCalcType="FTR_14", sentenceCategory="2020")
    world.mapped_sentence(seq=1)
    await world.dps_recall(sentenceIds=[SENTENCE_ID])
    event = world.event("recall.inserted", recallId=RECALL_ID, sentenceIds=[SENTENCE_ID])
    await publish_and_wait(service, event, "recall-inserted-success")
    await publish_and_wait(service, event, "recall-inserted-duplicate")
    await settled(service)
    assert len(requests(service.estate.nomis, "POST", f"/prisoners/{OFFENDER_NO}/sentences/recall")) == 1
    assert len(world.mappings.recalls.find_all("dpsRecallId", RECALL_ID)) == 1
