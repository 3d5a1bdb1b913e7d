"""Sentence events: inserted, fix-single-charge inserted, updated, deleted (court-sentencing 48-68)."""

from __future__ import annotations

from typing import Any

import pytest
from cs_support import (
    APPEARANCE_ID,
    CASE_ID,
    CHARGE_ID,
    CONSECUTIVE_SENTENCE_ID,
    MAPPING,
    OFFENDER_NO,
    SENTENCE_ID,
    SPEC,
    FromNomisQueue,
    World,
    publish_and_wait,
    requests,
    settled,
    wait_for_dlq,
)

from hmpps_sandbox.harness import ServiceHarness

SENTENCES = f"/prisoners/{OFFENDER_NO}/court-cases/7/sentences"
SENTENCE_MAPPING = f"{MAPPING}/sentences"
SENTENCE_MAPPING_GET = f"{SENTENCE_MAPPING}/dps-sentence-id/{SENTENCE_ID}"


def sentence_event(
    world: World, event_type: str = "sentence.inserted", source: str = "DPS"
) -> dict[str, Any]:
    return world.event(
        event_type,
        source=source,
        sentenceId=SENTENCE_ID,
        courtAppearanceId=APPEARANCE_ID,
        courtCaseId=CASE_ID,
    )


async def sentence_parents(world: World, **sentence: Any) -> int:
    """DPS sentence on the fixture charge/appearance; NOMIS case 7, appearance 3, charge 11 mapped."""
    await world.standard()
    await world.dps_sentence(**sentence)
    return int(world.nomis.cases[7]["bookingId"])


async def consecutive_sentence(world: World) -> None:
    """The sentence is consecutive to another DPS sentence mapped to NOMIS sequence 64."""
    await sentence_parents(world, consecutiveToLifetimeUuid=CONSECUTIVE_SENTENCE_ID)
    world.mapped_sentence(seq=64, dps_id=CONSECUTIVE_SENTENCE_ID)


@pytest.mark.scenario(SPEC, 48)
@pytest.mark.scenario(SPEC, 60)
async def test_sentences_created_or_updated_in_nomis_are_ignored(
    service: ServiceHarness, world: World
) -> None:
    await sentence_parents(world)
    await service.estate.publish(sentence_event(world, source="NOMIS"))
    await service.estate.publish(sentence_event(world, "sentence.updated", source="NOMIS"))
    [created] = await service.wait_for_event("sentence-create-ignored")
    [updated] = await service.wait_for_event("sentence-updated-ignored")
    assert created["reason"] == "Sentence created in NOMIS"
    assert updated["reason"] == "Sentence updated in NOMIS"
    for ignored in (created, updated):
        assert (ignored["dpsCourtCaseId"], ignored["dpsSentenceId"], ignored["offenderNo"]) == (
            CASE_ID,
            SENTENCE_ID,
            OFFENDER_NO,
        )
    await settled(service)
    assert service.estate.nomis.requests() == []


@pytest.mark.scenario(SPEC, 49)
@pytest.mark.scenario(SPEC, 50)
@pytest.mark.scenario(SPEC, 51)
@pytest.mark.scenario(SPEC, 52)
async def test_sentence_is_created_mapped_and_resynced(
    service: ServiceHarness, world: World, from_nomis: FromNomisQueue
) -> None:
    booking = await sentence_parents(world)
    success = await publish_and_wait(service, sentence_event(world), "sentence-create-success")

    assert (
        len(requests(service.estate.dps["court-sentencing"], "GET", f"/legacy/sentence/{SENTENCE_ID}")) == 1
    )
    [create] = requests(service.estate.nomis, "POST", SENTENCES)
    assert create.body == {
        "offenderChargeIds": [11],
        "startDate": "2024-01-01",
        "status": "A",
        "sentenceCategory": "CAT",
        "sentenceCalcType": "CALC",
        "sentenceLevel": "IND",
        "fine": 1000.0,
        "eventId": 3,
    }
    [(_, seq)] = world.nomis.cases[7]["sentenceKeys"]
    assert success["dpsSentenceId"] == SENTENCE_ID
    assert success["dpsCourtAppearanceId"] == APPEARANCE_ID
    assert success["dpsCourtCaseId"] == CASE_ID
    assert success["dpsChargeId"] == CHARGE_ID
    assert success["dpsSentenceCategory"] == "CAT"
    assert success["dpsSentenceCalcType"] == "CALC"
    assert success["nomisChargeId"] == "11"
    assert success["nomisCourtCaseId"] == "7"
    assert success["mappingType"] == "DPS_CREATED"
    assert success["nomisBookingId"] == str(booking)
    assert success["nomisSentenceSeq"] == str(seq)
    assert success["nomisConsecutiveSentenceSequence"] == "null"
    [mapping] = requests(service.estate.mapping, "POST", SENTENCE_MAPPING)
    assert mapping.body == {
        "nomisBookingId": booking,
        "nomisSentenceSequence": seq,
        "dpsSentenceId": SENTENCE_ID,
        "mappingType": "DPS_CREATED",
    }
    [resync] = await from_nomis.wait_for(1)
    assert resync["type"] == "courtsentencing.resync.sentence"
    assert resync["message"] == {
        "sentenceSeq": seq,
        "dpsSentenceUuid": SENTENCE_ID,
        "offenderNo": OFFENDER_NO,
        "bookingId": booking,
        "caseId": 7,
        "dpsAppearanceUuid": APPEARANCE_ID,
        "dpsConsecutiveSentenceUuid": None,
    }


@pytest.mark.scenario(SPEC, 53)
@pytest.mark.scenario(SPEC, 57)
async def test_consecutive_sentence_refers_to_the_nomis_sequence(
    service: ServiceHarness, world: World, from_nomis: FromNomisQueue
) -> None:
    await consecutive_sentence(world)
    success = await publish_and_wait(
        service, sentence_event(world, "sentence.fix-single-charge.inserted"), "sentence-create-success"
    )
    [create] = requests(service.estate.nomis, "POST", SENTENCES)
    assert create.body["consecutiveToSentenceSeq"] == 64
    assert success["dpsConsecutiveSentenceId"] == CONSECUTIVE_SENTENCE_ID
    assert success["nomisConsecutiveSentenceSequence"] == "64"
    # The original's telemetry key holds the NOMIS sequence (spec Q7); the resync carries the DPS id.
    assert success["dpsConsecutiveSentenceUuid"] == "64"
    assert success["dpsSentenceCategory"] == "CAT"
    [resync] = await from_nomis.wait_for(1, "courtsentencing.resync.sentence")
    assert resync["message"]["dpsConsecutiveSentenceUuid"] == CONSECUTIVE_SENTENCE_ID


@pytest.mark.scenario(SPEC, 54)
@pytest.mark.scenario(SPEC, 58)
async def test_existing_sentence_mapping_is_a_duplicate(service: ServiceHarness, world: World) -> None:
    await sentence_parents(world)
    world.mapped_sentence()
    await service.estate.publish(sentence_event(world))
    await service.estate.publish(sentence_event(world, "sentence.fix-single-charge.inserted"))
    await service.wait_for_event("sentence-create-duplicate", 2)
    assert requests(service.estate.nomis, "POST", SENTENCES) == []


@pytest.mark.scenario(SPEC, 55)
@pytest.mark.scenario(SPEC, 58)
@pytest.mark.parametrize("event_type", ["sentence.inserted", "sentence.fix-single-charge.inserted"])
async def test_sentence_mapping_failure_is_retried(
    service: ServiceHarness, world: World, event_type: str
) -> None:
    await sentence_parents(world)
    service.estate.mapping.inject_fault(method="POST", path_pattern=SENTENCE_MAPPING, status=500)
    await publish_and_wait(service, sentence_event(world, event_type), "sentence-mapping-retry-success")
    assert len(requests(service.estate.nomis, "POST", SENTENCES)) == 1
    assert len(requests(service.estate.mapping, "POST", SENTENCE_MAPPING)) == 2
    assert world.mappings.sentences.find("dpsSentenceId", SENTENCE_ID) is not None


@pytest.mark.scenario(SPEC, 56)
async def test_sentence_waits_for_its_charge_mapping(service: ServiceHarness, world: World) -> None:
    await sentence_parents(world)
    service.estate.mapping.inject_fault(
        method="GET", path_pattern=f"{MAPPING}/court-charges/dps-court-charge-id/{CHARGE_ID}", status=404
    )
    await publish_and_wait(service, sentence_event(world), "sentence-create-success")
    [waiting] = service.events("sentence-create-awaiting-parent")
    assert waiting["reason"] == f"Missing DPS Charge: {CHARGE_ID}"
    assert (
        len(requests(service.estate.dps["court-sentencing"], "GET", f"/legacy/sentence/{SENTENCE_ID}")) == 2
    )
    assert len(requests(service.estate.nomis, "POST", SENTENCES)) == 1


@pytest.mark.scenario(SPEC, 59)
async def test_consecutive_sentence_without_mapping_fails_rather_than_waits(
    service: ServiceHarness, world: World
) -> None:
    """A create whose consecutive sentence is unmapped is a failure (spec Q5), retried to the DLQ."""
    await sentence_parents(world, consecutiveToLifetimeUuid=CONSECUTIVE_SENTENCE_ID)
    await service.estate.publish(sentence_event(world))
    failures = await service.wait_for_event("sentence-create-failed", 3)
    await wait_for_dlq(service)
    assert service.events("sentence-create-awaiting-parent") == []
    assert failures[0]["reason"] == (
        "Attempt to make sentence consecutive to a sentence without a nomis mapping. Missing sentence id: "
        f"{CONSECUTIVE_SENTENCE_ID} not found for DPS Sentence {SENTENCE_ID}"
    )
    assert requests(service.estate.nomis, "POST", SENTENCES) == []


@pytest.mark.scenario(SPEC, 61)
async def test_sentence_is_updated_in_nomis(service: ServiceHarness, world: World) -> None:
    booking = await sentence_parents(world, active=False)
    world.mapped_sentence()
    success = await publish_and_wait(
        service, sentence_event(world, "sentence.updated"), "sentence-updated-success"
    )
    [update] = requests(service.estate.nomis, "PUT", f"{SENTENCES}/54")
    assert update.body["status"] == "I"
    assert update.body["offenderChargeIds"] == [11]
    assert update.body["eventId"] == 3
    assert success["nomisCourtCaseId"] == "7"
    assert success["nomisBookingId"] == str(booking)
    assert success["nomisSentenceSeq"] == "54"
    assert success["dpsSentenceId"] == SENTENCE_ID
    assert success["dpsCourtAppearanceId"] == APPEARANCE_ID
    assert world.nomis.sentences[(booking, 54)]["status"] == "I"


@pytest.mark.scenario(SPEC, 62)
@pytest.mark.scenario(SPEC, 64)
@pytest.mark.scenario(SPEC, 65)
@pytest.mark.parametrize(
    ("missing", "reason"),
    [
        ("sentence", f"Missing Dps sentence id: {SENTENCE_ID}"),
        ("charge", f"Missing Dps charge id: {CHARGE_ID}"),
        ("consecutive", f"Missing DPS consecutive sentence id: {CONSECUTIVE_SENTENCE_ID}"),
    ],
)
async def test_sentence_update_waits_for_missing_mappings(
    service: ServiceHarness, world: World, missing: str, reason: str
) -> None:
    await sentence_parents(
        world, consecutiveToLifetimeUuid=CONSECUTIVE_SENTENCE_ID if missing == "consecutive" else None
    )
    if missing != "sentence":
        world.mapped_sentence()
    if missing == "charge":
        world.mappings.charges.remove("dpsCourtChargeId", CHARGE_ID)
    await service.estate.publish(sentence_event(world, "sentence.updated"))
    waiting = await service.wait_for_event("sentence-updated-awaiting-parent", 3)
    await wait_for_dlq(service)
    assert {e["reason"] for e in waiting} == {reason}
    assert requests(service.estate.nomis, "PUT", ".*") == []


@pytest.mark.scenario(SPEC, 63)
async def test_sentence_update_for_a_sentence_gone_from_dps_is_ignored(
    service: ServiceHarness, world: World
) -> None:
    await world.standard()
    world.mapped_sentence()
    ignored = await publish_and_wait(
        service, sentence_event(world, "sentence.updated"), "sentence-updated-ignored"
    )
    assert ignored["reason"] == f"DPS sentence {SENTENCE_ID} does not exist in RaS"
    await service.wait_for_event("sentence-updated-success")
    assert requests(service.estate.nomis, "PUT", ".*") == []


@pytest.mark.scenario(SPEC, 66)
async def test_sentence_is_deleted_from_nomis_and_mapping(service: ServiceHarness, world: World) -> None:
    booking = await sentence_parents(world)
    world.mapped_sentence()
    success = await publish_and_wait(
        service, sentence_event(world, "sentence.deleted"), "sentence-deleted-success"
    )
    assert success["dpsSentenceId"] == SENTENCE_ID
    assert success["nomisSentenceSeq"] == "54"
    assert success["nomisBookingId"] == str(booking)
    assert len(requests(service.estate.nomis, "DELETE", f"{SENTENCES}/54")) == 1
    assert len(requests(service.estate.mapping, "DELETE", SENTENCE_MAPPING_GET)) == 1
    assert (booking, 54) not in world.nomis.sentences


@pytest.mark.scenario(SPEC, 67)
async def test_sentence_delete_without_mapping_is_skipped(service: ServiceHarness, world: World) -> None:
    await world.standard()
    skipped = await publish_and_wait(
        service, sentence_event(world, "sentence.deleted"), "sentence-deleted-skipped"
    )
    assert skipped["reason"] == "sentence mapping not found"
    await settled(service)
    assert len(service.events("sentence-deleted-skipped")) == 1
    assert requests(service.estate.nomis, "DELETE", ".*") == []


@pytest.mark.scenario(SPEC, 68)
async def test_sentence_mapping_delete_failure_is_retried(service: ServiceHarness, world: World) -> None:
    await sentence_parents(world)
    world.mapped_sentence()
    service.estate.mapping.inject_fault(method="DELETE", path_pattern=SENTENCE_MAPPING_GET, status=500)
    await publish_and_wait(
        service, sentence_event(world, "sentence.deleted"), "sentence-delete-mapping-retry-success"
    )
    [failed] = service.events("sentence-mapping-deleted-failed")
    assert failed == {"dpsSentenceId": SENTENCE_ID, "offenderNo": OFFENDER_NO}
    assert len(requests(service.estate.nomis, "DELETE", f"{SENTENCES}/54")) == 1
    assert len(requests(service.estate.mapping, "DELETE", SENTENCE_MAPPING_GET)) == 2
    assert world.mappings.sentences.find("dpsSentenceId", SENTENCE_ID) is None
    assert len(service.events("sentence-deleted-success")) == 1
