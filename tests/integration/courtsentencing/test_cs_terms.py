"""Period length events, NOMIS sentence terms: inserted, updated, deleted (court-sentencing 69-79)."""

from __future__ import annotations

from typing import Any

import pytest
from cs_support import (
    APPEARANCE_ID,
    CASE_ID,
    MAPPING,
    OFFENDER_NO,
    SENTENCE_ID,
    SPEC,
    TERM_ID,
    World,
    publish_and_wait,
    requests,
    settled,
    wait_for_dlq,
)

from hmpps_sandbox.harness import ServiceHarness

TERMS = f"/prisoners/{OFFENDER_NO}/court-cases/7/sentences/54/sentence-terms"
TERM_MAPPING = f"{MAPPING}/sentence-terms"
TERM_MAPPING_GET = f"{TERM_MAPPING}/dps-term-id/{TERM_ID}"


def term_event(world: World, event_type: str, source: str = "DPS") -> dict[str, Any]:
    return world.event(
        event_type,
        source=source,
        periodLengthId=TERM_ID,
        sentenceId=SENTENCE_ID,
        courtAppearanceId=APPEARANCE_ID,
        courtCaseId=CASE_ID,
    )


async def sentence_with_period_length(world: World, mapped_term: bool = False, **period: Any) -> int:
    await world.standard()
    await world.dps_sentence()
    await world.dps_period_length(**period)
    sentence = world.mapped_sentence()
    booking = int(sentence["bookingId"])
    if mapped_term:
        world.mapped_term(booking)
    return booking


@pytest.mark.scenario(SPEC, 69)
@pytest.mark.scenario(SPEC, 73)
async def test_terms_created_or_updated_in_nomis_are_ignored(service: ServiceHarness, world: World) -> None:
    await sentence_with_period_length(world, mapped_term=True)
    await service.estate.publish(term_event(world, "sentence.period-length.inserted", source="NOMIS"))
    await service.estate.publish(term_event(world, "sentence.period-length.updated", source="NOMIS"))
    [created] = await service.wait_for_event("sentence-term-create-ignored")
    [updated] = await service.wait_for_event("sentence-term-updated-ignored")
    assert created["reason"] == "Sentence term created in NOMIS"
    assert updated["reason"] == "Sentence term updated in NOMIS"
    for ignored in (created, updated):
        assert (
            ignored["dpsCourtCaseId"],
            ignored["dpsSentenceId"],
            ignored["dpsTermId"],
            ignored["offenderNo"],
        ) == (
            CASE_ID,
            SENTENCE_ID,
            TERM_ID,
            OFFENDER_NO,
        )
    await settled(service)
    assert service.estate.nomis.requests() == []


@pytest.mark.scenario(SPEC, 70)
async def test_term_is_created_and_mapped(service: ServiceHarness, world: World) -> None:
    booking = await sentence_with_period_length(world)
    success = await publish_and_wait(
        service, term_event(world, "sentence.period-length.inserted"), "sentence-term-create-success"
    )
    assert (
        len(requests(service.estate.dps["court-sentencing"], "GET", f"/legacy/period-length/{TERM_ID}")) == 1
    )
    [create] = requests(service.estate.nomis, "POST", TERMS)
    assert create.body == {
        "years": 2,
        "months": 6,
        "weeks": 4,
        "days": 15,
        "sentenceTermType": "TERM",
        "lifeSentenceFlag": False,
    }
    [term_seq] = world.nomis.sentences[(booking, 54)]["terms"]
    [mapping] = requests(service.estate.mapping, "POST", TERM_MAPPING)
    assert mapping.body == {
        "nomisBookingId": booking,
        "nomisSentenceSequence": 54,
        "nomisTermSequence": term_seq,
        "dpsTermId": TERM_ID,
        "mappingType": "DPS_CREATED",
    }
    assert success["mappingType"] == "DPS_CREATED"
    assert success["nomisBookingId"] == str(booking)
    assert success["nomisSentenceSeq"] == "54"
    assert success["termCode"] == "TERM"


@pytest.mark.scenario(SPEC, 71)
async def test_existing_term_mapping_is_a_duplicate(service: ServiceHarness, world: World) -> None:
    await sentence_with_period_length(world, mapped_term=True)
    await publish_and_wait(
        service, term_event(world, "sentence.period-length.inserted"), "sentence-term-create-duplicate"
    )
    assert requests(service.estate.nomis, "POST", TERMS) == []


@pytest.mark.scenario(SPEC, 72)
async def test_term_mapping_failure_is_retried(service: ServiceHarness, world: World) -> None:
    await sentence_with_period_length(world)
    service.estate.mapping.inject_fault(method="POST", path_pattern=TERM_MAPPING, status=500)
    await publish_and_wait(
        service, term_event(world, "sentence.period-length.inserted"), "sentence-term-mapping-retry-success"
    )
    assert len(requests(service.estate.nomis, "POST", TERMS)) == 1
    assert len(requests(service.estate.mapping, "POST", TERM_MAPPING)) == 2
    assert world.mappings.terms.find("dpsTermId", TERM_ID) is not None


@pytest.mark.scenario(SPEC, 74)
async def test_term_is_updated_in_nomis(service: ServiceHarness, world: World) -> None:
    booking = await sentence_with_period_length(world, mapped_term=True, periodYears=5, isLifeSentence=None)
    success = await publish_and_wait(
        service, term_event(world, "sentence.period-length.updated"), "sentence-term-updated-success"
    )
    [update] = requests(service.estate.nomis, "PUT", f"{TERMS}/32")
    assert update.body["years"] == 5
    assert update.body["lifeSentenceFlag"] is False
    assert success["nomisSentenceSeq"] == "54"
    assert success["nomisTermSeq"] == "32"
    assert success["nomisBookingId"] == str(booking)
    assert world.nomis.sentences[(booking, 54)]["terms"][32]["years"] == 5


@pytest.mark.scenario(SPEC, 75)
async def test_term_update_waits_for_the_term_mapping(service: ServiceHarness, world: World) -> None:
    await sentence_with_period_length(world)
    await service.estate.publish(term_event(world, "sentence.period-length.updated"))
    waiting = await service.wait_for_event("sentence-term-updated-awaiting-parent", 3)
    await wait_for_dlq(service)
    assert {e["reason"] for e in waiting} == {f"Missing Dps period length id: {TERM_ID}"}
    assert requests(service.estate.nomis, "PUT", ".*") == []


@pytest.mark.scenario(SPEC, 76)
async def test_term_update_for_a_period_length_gone_from_dps_is_ignored(
    service: ServiceHarness, world: World
) -> None:
    await world.standard()
    ignored = await publish_and_wait(
        service, term_event(world, "sentence.period-length.updated"), "sentence-term-updated-ignored"
    )
    assert ignored["reason"] == f"DPS sentence term {TERM_ID} does not exist in RaS"
    await service.wait_for_event("sentence-term-updated-success")
    assert requests(service.estate.nomis, "PUT", ".*") == []


@pytest.mark.scenario(SPEC, 77)
async def test_term_is_deleted_from_nomis_and_mapping(service: ServiceHarness, world: World) -> None:
    booking = await sentence_with_period_length(world, mapped_term=True)
    success = await publish_and_wait(
        service, term_event(world, "sentence.period-length.deleted"), "sentence-term-deleted-success"
    )
    assert (success["dpsSentenceId"], success["dpsTermId"]) == (SENTENCE_ID, TERM_ID)
    assert (success["nomisSentenceSeq"], success["nomisTermSeq"], success["nomisBookingId"]) == (
        "54",
        "32",
        str(booking),
    )
    assert len(requests(service.estate.nomis, "DELETE", f"{TERMS}/32")) == 1
    assert len(requests(service.estate.mapping, "DELETE", TERM_MAPPING_GET)) == 1
    assert world.nomis.sentences[(booking, 54)]["terms"] == {}


@pytest.mark.scenario(SPEC, 78)
async def test_term_delete_without_mapping_is_skipped(service: ServiceHarness, world: World) -> None:
    await sentence_with_period_length(world)
    skipped = await publish_and_wait(
        service, term_event(world, "sentence.period-length.deleted"), "sentence-term-deleted-skipped"
    )
    assert skipped["reason"] == "sentence term mapping not found"
    await settled(service)
    assert len(service.events("sentence-term-deleted-skipped")) == 1
    assert requests(service.estate.nomis, "DELETE", ".*") == []


@pytest.mark.scenario(SPEC, 79)
async def test_term_mapping_delete_failure_is_retried(service: ServiceHarness, world: World) -> None:
    await sentence_with_period_length(world, mapped_term=True)
    service.estate.mapping.inject_fault(method="DELETE", path_pattern=TERM_MAPPING_GET, status=500)
    await publish_and_wait(
        service,
        term_event(world, "sentence.period-length.deleted"),
        "sentence-term-delete-mapping-retry-success",
    )
    [failed] = service.events("sentence-term-mapping-deleted-failed")
    assert failed == {"dpsTermId": TERM_ID, "offenderNo": OFFENDER_NO}
    assert len(requests(service.estate.nomis, "DELETE", f"{TERMS}/32")) == 1
    assert len(requests(service.estate.mapping, "DELETE", TERM_MAPPING_GET)) == 2
    assert world.mappings.terms.find("dpsTermId", TERM_ID) is None
