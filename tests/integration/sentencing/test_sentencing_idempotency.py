"""Safe to run twice: redelivered and concurrent inserts never leave two NOMIS adjustments.

The original creates blindly once no mapping is found; these prove our guards (docs/architecture.md):
a NOMIS twin no mapping claims is reused, and a NOMIS adjustment this attempt wrote for an already
mapped DPS adjustment is deleted again.
"""

from __future__ import annotations

import asyncio

import pytest
from sentencing_support import (
    ADJUSTMENT_ID,
    MAPPING_GET,
    MAPPING_POST,
    NOMIS_CREATE,
    QUEUE,
    SentencingWorld,
    adjustment_event,
    key_date_adjustment,
    publish_and_wait,
    requests,
    sentence_adjustment,
)

from hmpps_sandbox.harness import ServiceHarness
from prisoner_to_nomis_update.framework.messages import notification_body, retry_message_body

SPEC = "sentencing-and-non-associations"


async def test_redelivery_after_nomis_write_reuses_the_unmapped_nomis_adjustment(
    service: ServiceHarness, world: SentencingWorld
) -> None:
    """State left by a crash between the NOMIS create and the mapping save: NOMIS holds it, unmapped."""
    world.dps(sentence_adjustment())
    left_behind = world.nomis(
        "SENTENCE",
        adjustmentDate="2022-01-01",
        adjustmentFromDate="2020-07-19",
        comment="Adjusted for remand",
    )
    success = await publish_and_wait(service, adjustment_event(), "sentencing-adjustment-create-success")

    assert requests(service.estate.nomis, "POST", NOMIS_CREATE) == []
    assert [r["id"] for r in world.nomis_records()] == [left_behind["id"]]
    assert world.mappings()[0]["nomisAdjustmentId"] == left_behind["id"]
    assert success["nomisAdjustmentId"] == str(left_behind["id"])
    [reused] = service.events("sentencing-adjustment-create-reused-nomis-adjustment")
    assert reused["nomisAdjustmentCategory"] == "SENTENCE"


async def test_identical_adjustment_mapped_to_another_dps_adjustment_is_not_reused(
    service: ServiceHarness, world: SentencingWorld
) -> None:
    """Two genuinely identical DPS adjustments each get their own NOMIS adjustment."""
    world.dps(key_date_adjustment())
    twin = world.nomis(
        "KEY-DATE",
        adjustmentTypeCode="ADA",
        adjustmentDate="2022-01-01",
        adjustmentFromDate="2020-07-19",
        comment="Adjusted for absence",
    )
    world.mapping(twin["id"], "KEY-DATE", adjustment_id="the-other-identical-one")
    await publish_and_wait(service, adjustment_event(), "sentencing-adjustment-create-success")

    assert len(requests(service.estate.nomis, "POST", NOMIS_CREATE)) == 1
    assert len(world.nomis_records("KEY-DATE")) == 2


async def test_losing_a_concurrent_create_removes_its_own_nomis_adjustment(
    service: ServiceHarness, world: SentencingWorld
) -> None:
    """Another delivery mapped this DPS adjustment between our mapping check and our mapping save."""
    world.dps(sentence_adjustment())
    winner = world.nomis("SENTENCE", id=555, adjustmentDays=99)
    world.mapping(winner["id"], "SENTENCE")
    # Our duplicate check still sees no mapping, as it would have just before the other pod saved.
    service.estate.mapping.inject_fault(path_pattern=MAPPING_GET, method="GET", status=404, count=1)
    removed = await publish_and_wait(service, adjustment_event(), "sentencing-adjustment-duplicate-removed")

    [create] = requests(service.estate.nomis, "POST", NOMIS_CREATE)
    assert [r["id"] for r in world.nomis_records()] == [555]
    assert removed["nomisAdjustmentId"] != "555"
    assert (
        len(requests(service.estate.nomis, "DELETE", f"/sentence-adjustments/{removed['nomisAdjustmentId']}"))
        == 1
    )
    # The original's duplicate alert is still raised.
    [duplicate] = service.events("to-nomis-synch-sentencing-adjustment-duplicate")
    assert duplicate["existingNomisAdjustmentId"] == "555"
    assert duplicate["duplicateNomisAdjustmentId"] == removed["nomisAdjustmentId"]
    assert create.body["adjustmentTypeCode"] == "RX"


async def test_same_event_delivered_twice_at_once_leaves_one_nomis_adjustment(
    service: ServiceHarness, world: SentencingWorld
) -> None:
    world.dps(sentence_adjustment())
    body = notification_body(adjustment_event())
    await asyncio.gather(*(service.send_raw(QUEUE, body) for _ in range(2)))
    await service.wait_for_event("sentencing-adjustment-create-success")

    async def settled() -> None:
        while await service.depth(QUEUE) != 0:
            await asyncio.sleep(0.05)

    await asyncio.wait_for(settled(), 15)
    await asyncio.sleep(0.3)
    assert len(world.nomis_records()) == 1
    [mapping] = world.mappings()
    assert mapping["nomisAdjustmentId"] == world.nomis_records()[0]["id"]


async def test_retry_message_whose_mapping_already_landed_succeeds(
    service: ServiceHarness, world: SentencingWorld
) -> None:
    """The first mapping POST was stored but its answer lost: the retry's 409 names the same link."""
    world.mapping(10000, "SENTENCE")
    mapping = {
        "nomisAdjustmentId": 10000,
        "nomisAdjustmentCategory": "SENTENCE",
        "adjustmentId": ADJUSTMENT_ID,
        "mappingType": "SENTENCING_CREATED",
    }
    attributes = {"adjustmentId": ADJUSTMENT_ID, "offenderNo": "A1234TT", "nomisAdjustmentId": "10000"}
    await service.send_raw(QUEUE, retry_message_body(mapping, attributes, "sentencing-adjustment"))
    [success] = await service.wait_for_event("sentencing-adjustment-create-success")
    assert success == attributes
    assert len(requests(service.estate.mapping, "POST", MAPPING_POST)) == 1
    assert service.events("create-mapping-retry-failure") == []


async def test_retry_message_conflicting_with_another_link_fails_to_dlq(
    service: ServiceHarness, world: SentencingWorld
) -> None:
    world.mapping(777, "SENTENCE")
    mapping = {
        "nomisAdjustmentId": 10000,
        "nomisAdjustmentCategory": "SENTENCE",
        "adjustmentId": ADJUSTMENT_ID,
        "mappingType": "SENTENCING_CREATED",
    }
    raw = retry_message_body(mapping, {"adjustmentId": ADJUSTMENT_ID}, "sentencing-adjustment")
    await service.send_raw(QUEUE, raw)
    await service.wait_for_depth(QUEUE, 1, dlq=True)
    failures = service.events("create-mapping-retry-failure")
    assert len(failures) == 3
    assert '"nomisAdjustmentId":10000' in failures[0]["retryMessage"]


@pytest.mark.parametrize("adjustment_type", ["RX", "ADA"])
async def test_type_invalid_for_its_kind_fails_without_nomis_write(
    service: ServiceHarness, world: SentencingWorld, adjustment_type: str
) -> None:
    """A key-date record with a sentence code (or vice versa) is a conversion failure, as in the original."""
    sequence = None if adjustment_type == "RX" else 1
    world.dps(sentence_adjustment(adjustmentType=adjustment_type, sentenceSequence=sequence))
    await service.estate.publish(adjustment_event())
    await service.wait_for_depth(QUEUE, 1, dlq=True)
    assert requests(service.estate.nomis, "POST", NOMIS_CREATE) == []
    assert "is not a" in service.events("sentencing-adjustment-create-failed")[0]["reason"]
