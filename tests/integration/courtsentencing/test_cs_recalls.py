"""Recall events: inserted (incl. clones), updated, deleted (court-sentencing 83-104)."""

from __future__ import annotations

from typing import Any

import pytest
from cs_support import (
    CHARGE_IDS,
    MAPPING,
    OFFENDER_NO,
    RECALL_ID,
    SPEC,
    FromNomisQueue,
    World,
    publish_and_wait,
    requests,
    settled,
)

from hmpps_sandbox.harness import ServiceHarness

S1, S2, S3 = (f"5e{n}91b18-642a-484a-a967-2d17b5c9c5a1" for n in (1, 2, 3))
PREVIOUS_RECALL_ID = "0c71f3c5-70d4-4faf-a4a5-ff9662d5f714"
RECALL = f"/prisoners/{OFFENDER_NO}/sentences/recall"
RECALL_MAPPING = f"{MAPPING}/court-appearances/recall"
BREACH_MAPPINGS = f"{MAPPING}/court-appearances/dps-recall-id/{RECALL_ID}"
SENTENCE_LIST = f"{MAPPING}/sentences/dps-sentence-ids/get-list"
SEARCH = "/legacy/sentence/search"


def recall_event(
    world: World, event_type: str, sentence_ids: list[str], source: str = "DPS", **extra: Any
) -> dict[str, Any]:
    return world.event(event_type, source=source, recallId=RECALL_ID, sentenceIds=sentence_ids, **extra)


async def recalled_sentences(
    world: World,
    categories: tuple[str, ...] = ("2020", "2013"),
    calc_types: tuple[str, ...] = ("FTR_14", "FTR_14"),
    active: tuple[bool, ...] = (True, True),
) -> int:
    """DPS sentences s1.. on case 12345 mapped to NOMIS sentences 1.. of case 7 on the latest booking."""
    count = len(categories)
    await world.standard(charges=count)
    booking = int(world.nomis.cases[7]["bookingId"])
    for index, sentence_id in enumerate((S1, S2, S3)[:count]):
        await world.dps_sentence(
            sentence_id,
            charge_id=CHARGE_IDS[index],
            sentenceCategory=categories[index],
            sentenceCalcType=calc_types[index],
            active=active[index],
        )
        world.mapped_sentence(seq=index + 1, dps_id=sentence_id, charge_id=11 + index)
    return booking


def breach(world: World, event_id: int, booking: int, sentence_seq: int) -> None:
    world.nomis.add_event(7, id=event_id, breachFor=[booking, sentence_seq])


@pytest.mark.scenario(SPEC, 83)
@pytest.mark.scenario(SPEC, 92)
@pytest.mark.scenario(SPEC, 93)
@pytest.mark.scenario(SPEC, 99)
async def test_recalls_from_nomis_or_without_sentences_are_ignored(
    service: ServiceHarness, world: World
) -> None:
    await recalled_sentences(world)
    await world.dps_recall(sentenceIds=[S1, S2])
    await service.estate.publish(recall_event(world, "recall.inserted", [S1, S2], source="NOMIS"))
    await service.estate.publish(recall_event(world, "recall.inserted", []))
    await service.estate.publish(recall_event(world, "recall.updated", [S1, S2], source="NOMIS"))
    await service.estate.publish(recall_event(world, "recall.deleted", [S1, S2], source="NOMIS"))
    inserted = await service.wait_for_event("recall-inserted-ignored", 2)
    [updated] = await service.wait_for_event("recall-updated-ignored")
    [deleted] = await service.wait_for_event("recall-deleted-ignored")
    assert sorted(e["dpsSentenceIds"] for e in inserted) == ["", f"{S1}, {S2}"]
    assert {e["reason"] for e in inserted} == {"Recall inserted in NOMIS"}
    assert all(e["dpsRecallId"] == RECALL_ID and e["offenderNo"] == OFFENDER_NO for e in inserted)
    assert updated["reason"] == "Recall updated in NOMIS"
    assert (deleted["dpsRecallId"], deleted["offenderNo"], deleted["dpsSentenceIds"]) == (
        RECALL_ID,
        OFFENDER_NO,
        f"{S1}, {S2}",
    )
    await settled(service)
    assert service.estate.nomis.requests() == []


@pytest.mark.scenario(SPEC, 84)
@pytest.mark.scenario(SPEC, 85)
@pytest.mark.scenario(SPEC, 86)
@pytest.mark.scenario(SPEC, 87)
@pytest.mark.scenario(SPEC, 88)
async def test_recall_converts_sentences_and_maps_breach_appearances(
    service: ServiceHarness, world: World, from_nomis: FromNomisQueue
) -> None:
    booking = await recalled_sentences(world)
    world.nomis.adjustments[(booking, 2)] = [2, 1]
    await world.dps_recall(sentenceIds=[S1, S2])
    success = await publish_and_wait(
        service, recall_event(world, "recall.inserted", [S1, S2]), "recall-inserted-success"
    )

    [get_list] = requests(service.estate.mapping, "POST", SENTENCE_LIST)
    assert get_list.body == [S1, S2]
    dps = service.estate.dps["court-sentencing"]
    assert len(requests(dps, "GET", f"/legacy/recall/{RECALL_ID}")) == 1
    [search] = requests(dps, "POST", SEARCH)
    assert search.body == {"lifetimeUuids": [S1, S2]}
    [convert] = requests(service.estate.nomis, "POST", RECALL)
    assert convert.body == {
        "sentences": [
            {
                "sentenceId": {"offenderBookingId": booking, "sentenceSequence": 1},
                "sentenceCategory": "2020",
                "sentenceCalcType": "FTR_14",
                "active": True,
            },
            {
                "sentenceId": {"offenderBookingId": booking, "sentenceSequence": 2},
                "sentenceCategory": "2013",
                "sentenceCalcType": "FTR_14",
                "active": True,
            },
        ],
        "returnToCustody": {
            "returnToCustodyDate": "2025-04-23",
            "enteredByStaffUsername": "T.SMITH",
            "recallLength": 14,
        },
        "recallRevocationDate": "2025-04-01",
    }
    breaches = [e["id"] for e in world.nomis.events.values() if e.get("breachFor")]
    [mapping] = requests(service.estate.mapping, "POST", RECALL_MAPPING)
    assert mapping.body["dpsRecallId"] == RECALL_ID
    assert mapping.body["nomisCourtAppearanceIds"] == breaches
    assert len(breaches) == 2
    adjustments = await from_nomis.wait_for(2, "courtsentencing.resync.sentence-adjustments")
    assert [m["message"]["sentences"] for m in adjustments] == [
        [{"sentenceId": {"offenderBookingId": booking, "sentenceSequence": 2}, "adjustmentIds": [1]}],
        [{"sentenceId": {"offenderBookingId": booking, "sentenceSequence": 2}, "adjustmentIds": [2]}],
    ]
    inserted = await from_nomis.wait_for(2, "courtsentencing.resync.breach-court-appearance.inserted")
    assert [m["message"] for m in inserted] == [
        {"offenderNo": OFFENDER_NO, "courtAppearanceId": b} for b in breaches
    ]
    assert success["recallType"] == "FTR_14"
    assert success["dpsRecallId"] == RECALL_ID
    assert success["offenderNo"] == OFFENDER_NO
    assert success["dpsSentenceIds"] == f"{S1}, {S2}"
    assert success["nomisSentenceSeq"] == "1, 2"
    assert success["nomisBookingId"] == str(booking)
    assert world.nomis.sentences[(booking, 1)]["calcType"] == "FTR_14"


@pytest.mark.scenario(SPEC, 89)
async def test_recall_mapping_failure_is_retried(service: ServiceHarness, world: World) -> None:
    await recalled_sentences(world)
    await world.dps_recall(sentenceIds=[S1, S2])
    service.estate.mapping.inject_fault(method="POST", path_pattern=RECALL_MAPPING, status=500)
    await publish_and_wait(
        service,
        recall_event(world, "recall.inserted", [S1, S2]),
        "court-appearance-recall-create-mapping-retry-success",
    )
    assert len(service.events("recall-mappings-inserted-failed")) == 1
    assert len(service.events("recall-inserted-success")) == 1
    assert len(requests(service.estate.nomis, "POST", RECALL)) == 1
    assert len(requests(service.estate.mapping, "POST", RECALL_MAPPING)) == 2
    assert len(world.mappings.recalls.find_all("dpsRecallId", RECALL_ID)) == 2


async def old_booking_recall(world: World) -> None:
    """Sentence (1,10) of case 101 on booking 1, with adjustments; the prisoner is now on booking 2."""
    await world.dps_case()
    await world.dps_appearance(charge_ids=CHARGE_IDS[:1])
    await world.dps_sentence(S1, sentenceCalcType="FTR_14", sentenceCategory="2020")
    await world.dps_recall(sentenceIds=[S1])
    world.booking(1)
    world.mapped_case(nomis_id=101)
    world.booking(2)
    world.mapped_charges(101, CHARGE_IDS[:1], [1003])
    world.mapped_appearance(101, 1001, charge_ids=[1003])
    world.mapped_sentence(101, seq=10, dps_id=S1, charge_id=1003, event_id=1001)
    world.nomis.adjustments[(1, 10)] = [501, 502]


@pytest.mark.scenario(SPEC, 90)
@pytest.mark.scenario(SPEC, 91)
@pytest.mark.parametrize("mapping_fails_once", [False, True])
async def test_recall_on_an_old_booking_clones_the_case(
    service: ServiceHarness, world: World, from_nomis: FromNomisQueue, mapping_fails_once: bool
) -> None:
    await old_booking_recall(world)
    if mapping_fails_once:
        service.estate.mapping.inject_fault(method="POST", path_pattern=RECALL_MAPPING, status=500)
    await publish_and_wait(service, recall_event(world, "recall.inserted", [S1]), "recall-inserted-success")
    [cloned] = await service.wait_for_event("recall-create-cases-cloned-success")
    assert cloned["nomisCourtCaseIds"] == "101"
    [clone] = [c for c in world.nomis.cases.values() if c["bookingId"] == 2]
    [breach_id] = [e["id"] for e in world.nomis.events.values() if e.get("breachFor")]
    assert world.nomis.events[breach_id]["caseId"] == clone["id"]

    mappings = requests(service.estate.mapping, "POST", RECALL_MAPPING)
    assert len(mappings) == (2 if mapping_fails_once else 1)
    body = mappings[-1].body
    assert body["nomisCourtAppearanceIds"] == [breach_id]
    [(_, cloned_seq)] = clone["sentenceKeys"]
    assert body["mappingsToUpdate"]["courtCases"] == [{"fromNomisId": 101, "toNomisId": clone["id"]}]
    assert body["mappingsToUpdate"]["sentences"] == [
        {
            "fromNomisId": {"nomisBookingId": 1, "nomisSequence": 10},
            "toNomisId": {"nomisBookingId": 2, "nomisSequence": cloned_seq},
        }
    ]
    assert len(requests(service.estate.nomis, "POST", RECALL)) == 1
    messages = await from_nomis.wait_for(4)
    assert sorted(m["type"] for m in messages) == [
        "courtsentencing.resync.breach-court-appearance.inserted",
        "courtsentencing.resync.case.booking",
        "courtsentencing.resync.sentence-adjustments",
        "courtsentencing.resync.sentence-adjustments",
    ]
    [booking] = [m["message"] for m in messages if m["type"] == "courtsentencing.resync.case.booking"]
    assert (booking["caseIds"], booking["fromBookingId"], booking["toBookingId"]) == ([101], 1, 2)
    adjustment_ids = [
        m["message"]["sentences"][0]["adjustmentIds"][0]
        for m in messages
        if m["type"] == "courtsentencing.resync.sentence-adjustments"
    ]
    assert sorted(adjustment_ids) == sorted(world.nomis.adjustments[(2, cloned_seq)])
    assert world.mappings.sentences.find("dpsSentenceId", S1)["nomisBookingId"] == 2
    await settled(service)
    assert len(await from_nomis.messages()) == 4


async def updated_recall(world: World) -> int:
    """Recall of s1 and s3 (breach appearances 101 and 102) now covers s1 and s2 (s2 inactive, s3 IMP)."""
    booking = await recalled_sentences(
        world,
        categories=("2020", "2013", "2003"),
        calc_types=("FTR_14", "FTR_14", "IMP"),
        active=(True, False, False),
    )
    await world.dps_recall(sentenceIds=[S1, S2], returnToCustodyDate=None, revocationDate="2025-04-01")
    breach(world, 101, booking, 1)
    breach(world, 102, booking, 3)
    world.mappings.seed_recall(RECALL_ID, [101, 102])
    return booking


@pytest.mark.scenario(SPEC, 94)
@pytest.mark.scenario(SPEC, 95)
@pytest.mark.scenario(SPEC, 96)
@pytest.mark.scenario(SPEC, 97)
async def test_recall_update_changes_sentences_and_breach_appearances(
    service: ServiceHarness, world: World, from_nomis: FromNomisQueue
) -> None:
    booking = await updated_recall(world)
    success = await publish_and_wait(
        service,
        recall_event(world, "recall.updated", [S1, S2], previousSentenceIds=[S1, S3]),
        "recall-updated-success",
    )
    assert [r.body for r in requests(service.estate.mapping, "POST", SENTENCE_LIST)] == [[S1, S2], [S3]]
    assert len(requests(service.estate.mapping, "GET", BREACH_MAPPINGS)) == 1
    dps = service.estate.dps["court-sentencing"]
    assert len(requests(dps, "GET", f"/legacy/recall/{RECALL_ID}")) == 1
    assert [r.body for r in requests(dps, "POST", SEARCH)] == [
        {"lifetimeUuids": [S1, S2]},
        {"lifetimeUuids": [S3]},
    ]
    [update] = requests(service.estate.nomis, "PUT", RECALL)
    assert [(s["sentenceId"]["sentenceSequence"], s["active"]) for s in update.body["sentences"]] == [
        (1, True),
        (2, False),
    ]
    assert update.body["sentencesRemoved"] == [
        {
            "sentenceId": {"offenderBookingId": booking, "sentenceSequence": 3},
            "sentenceCategory": "2003",
            "sentenceCalcType": "IMP",
            "active": False,
        }
    ]
    assert update.body["returnToCustody"] == {
        "returnToCustodyDate": "2025-04-01",
        "enteredByStaffUsername": "T.SMITH",
        "recallLength": 14,
    }
    assert update.body["recallRevocationDate"] == "2025-04-01"
    assert update.body["beachCourtEventIds"] == [101, 102]
    [created] = [e["id"] for e in world.nomis.events.values() if e.get("breachFor") == [booking, 2]]
    [mapping] = requests(service.estate.mapping, "PUT", f"{RECALL_MAPPING}/{RECALL_ID}")
    assert mapping.body == {"nomisCourtAppearanceIds": [101, created]}
    [inserted] = await from_nomis.wait_for(1, "courtsentencing.resync.breach-court-appearance.inserted")
    [updated] = await from_nomis.wait_for(1, "courtsentencing.resync.breach-court-appearance.updated")
    assert inserted["message"]["courtAppearanceId"] == created
    assert updated["message"]["courtAppearanceId"] == 101
    assert success["recallType"] == "FTR_14"
    assert success["dpsSentenceIds"] == f"{S1}, {S2}"
    assert success["nomisSentenceSeq"] == "1, 2"
    assert success["nomisBookingId"] == str(booking)
    assert success["removedNomisSentenceSeq"] == "3"
    assert success["removedNomisBookingId"] == str(booking)
    assert success["removedDpsSentenceIds"] == S3
    assert 102 not in world.nomis.events


@pytest.mark.scenario(SPEC, 98)
async def test_recall_update_mapping_failure_is_retried(
    service: ServiceHarness, world: World, from_nomis: FromNomisQueue
) -> None:
    await updated_recall(world)
    service.estate.mapping.inject_fault(
        method="PUT", path_pattern=f"{RECALL_MAPPING}/{RECALL_ID}", status=500
    )
    await publish_and_wait(
        service,
        recall_event(world, "recall.updated", [S1, S2], previousSentenceIds=[S1, S3]),
        "court-appearance-recall-update-mapping-retry-success",
    )
    assert len(service.events("recall-mappings-updated-failed")) == 1
    assert len(service.events("recall-updated-success")) == 1
    assert len(requests(service.estate.nomis, "PUT", RECALL)) == 1
    puts = requests(service.estate.mapping, "PUT", f"{RECALL_MAPPING}/{RECALL_ID}")
    assert len(puts) == 2
    created = puts[-1].body["nomisCourtAppearanceIds"][1]
    assert puts[-1].body["nomisCourtAppearanceIds"] == [101, created]
    inserted = await from_nomis.wait_for(1, "courtsentencing.resync.breach-court-appearance.inserted")
    assert created in [m["message"]["courtAppearanceId"] for m in inserted]
    saved = world.mappings.recalls.find_all("dpsRecallId", RECALL_ID)
    assert sorted(r["nomisCourtAppearanceId"] for r in saved) == sorted([101, created])


async def deleted_recall(world: World, previous: dict[str, Any] | None, breaches: list[int]) -> int:
    booking = await recalled_sentences(
        world,
        categories=("2020", "2020", "2020"),
        calc_types=("FTR_14", "FTR_14", "ADIMP"),
        active=(True, True, False),
    )
    if previous is not None:
        await world.dps_recall(PREVIOUS_RECALL_ID, sentenceIds=[S1, S2], **previous)
    for index, event_id in enumerate(breaches):
        breach(world, event_id, booking, index + 1)
    world.mappings.seed_recall(RECALL_ID, breaches)
    return booking


@pytest.mark.scenario(SPEC, 100)
@pytest.mark.scenario(SPEC, 101)
@pytest.mark.scenario(SPEC, 102)
async def test_recall_delete_restores_the_previous_recall(service: ServiceHarness, world: World) -> None:
    booking = await deleted_recall(
        world,
        {"recallType": "FTR_14", "returnToCustodyDate": "2025-04-23", "revocationDate": None},
        [101, 102],
    )
    success = await publish_and_wait(
        service,
        recall_event(world, "recall.deleted", [S1, S2, S3], previousRecallId=PREVIOUS_RECALL_ID),
        "recall-deleted-success",
    )
    [get_list] = requests(service.estate.mapping, "POST", SENTENCE_LIST)
    assert get_list.body == [S1, S2, S3]
    assert len(requests(service.estate.mapping, "GET", BREACH_MAPPINGS)) == 1
    dps = service.estate.dps["court-sentencing"]
    assert len(requests(dps, "GET", f"/legacy/recall/{PREVIOUS_RECALL_ID}")) == 1
    assert requests(dps, "GET", f"/legacy/recall/{RECALL_ID}") == []
    assert [r.body for r in requests(dps, "POST", SEARCH)] == [{"lifetimeUuids": [S1, S2, S3]}]
    [restore] = requests(service.estate.nomis, "PUT", f"{RECALL}/restore-previous")
    assert [
        (s["sentenceId"]["sentenceSequence"], s["sentenceCalcType"], s["active"])
        for s in restore.body["sentences"]
    ] == [
        (1, "FTR_14", True),
        (2, "FTR_14", True),
        (3, "ADIMP", False),
    ]
    assert restore.body["returnToCustody"] == {
        "returnToCustodyDate": "2025-04-23",
        "enteredByStaffUsername": "T.SMITH",
        "recallLength": 14,
    }
    assert restore.body["beachCourtEventIds"] == [101, 102]
    assert len(requests(service.estate.mapping, "DELETE", BREACH_MAPPINGS)) == 1
    assert world.mappings.recalls.find_all("dpsRecallId", RECALL_ID) == []
    assert success["recallType"] == "FTR_14"
    assert success["dpsRecallId"] == RECALL_ID
    assert success["dpsPreviousRecallId"] == PREVIOUS_RECALL_ID
    assert success["dpsSentenceIds"] == f"{S1}, {S2}"
    assert success["dpsOriginalSentenceIds"] == f"{S1}, {S2}, {S3}"
    assert success["nomisSentenceSeq"] == "1, 2, 3"
    assert success["nomisBookingId"] == str(booking)


@pytest.mark.scenario(SPEC, 103)
async def test_previous_fixed_term_recall_without_dates_sends_no_return_to_custody(
    service: ServiceHarness, world: World
) -> None:
    await deleted_recall(
        world, {"recallType": "FTR_28", "returnToCustodyDate": None, "revocationDate": None}, [101]
    )
    await publish_and_wait(
        service,
        recall_event(world, "recall.deleted", [S1, S2, S3], previousRecallId=PREVIOUS_RECALL_ID),
        "recall-deleted-success",
    )
    [restore] = requests(service.estate.nomis, "PUT", f"{RECALL}/restore-previous")
    assert "returnToCustody" not in restore.body
    assert restore.body["beachCourtEventIds"] == [101]


@pytest.mark.scenario(SPEC, 104)
async def test_recall_delete_without_previous_recall_restores_original_sentences(
    service: ServiceHarness, world: World
) -> None:
    booking = await recalled_sentences(world, calc_types=("ADIMP_ORA", "ADIMP_ORA"))
    breach(world, 101, booking, 1)
    breach(world, 102, booking, 2)
    world.mappings.seed_recall(RECALL_ID, [101, 102])
    success = await publish_and_wait(
        service,
        recall_event(world, "recall.deleted", [S1, S2], previousRecallId=None),
        "recall-deleted-success",
    )
    assert requests(service.estate.dps["court-sentencing"], "GET", "/legacy/recall/.*") == []
    [restore] = requests(service.estate.nomis, "PUT", f"{RECALL}/restore-original")
    assert [s["sentenceCalcType"] for s in restore.body["sentences"]] == ["ADIMP_ORA", "ADIMP_ORA"]
    assert restore.body["beachCourtEventIds"] == [101, 102]
    assert len(requests(service.estate.mapping, "DELETE", BREACH_MAPPINGS)) == 1
    assert "recallType" not in success
    assert "dpsPreviousRecallId" not in success
    assert success["nomisSentenceSeq"] == "1, 2"
    assert 101 not in world.nomis.events
