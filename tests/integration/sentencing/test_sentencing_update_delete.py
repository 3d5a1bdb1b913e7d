"""Updated and deleted adjustments (sentencing-and-non-associations scenarios 23-31)."""

from __future__ import annotations

import pytest
from sentencing_support import (
    ADJUSTMENT_ID,
    DELETED,
    LEGACY_GET,
    MAPPING_GET,
    OFFENDER_NO,
    QUEUE,
    UPDATED,
    SentencingWorld,
    adjustment_event,
    key_date_adjustment,
    publish_and_wait,
    requests,
    sentence_adjustment,
)

from hmpps_sandbox.harness import ServiceHarness

SPEC = "sentencing-and-non-associations"


@pytest.mark.scenario(SPEC, 23)
@pytest.mark.scenario(SPEC, 24)
async def test_sentence_adjustment_update(service: ServiceHarness, world: SentencingWorld) -> None:
    world.dps(sentence_adjustment())
    record = world.nomis("SENTENCE", adjustmentDays=10)
    world.mapping(record["id"], "SENTENCE")
    success = await publish_and_wait(
        service, adjustment_event(UPDATED), "sentencing-adjustment-updated-success"
    )

    assert len(requests(service.estate.dps["sentence-adjustments"], "GET", LEGACY_GET)) >= 1
    [put] = requests(service.estate.nomis, "PUT", f"/sentence-adjustments/{record['id']}")
    assert put.body == {
        "adjustmentTypeCode": "RX",
        "adjustmentDate": "2022-01-01",
        "adjustmentFromDate": "2020-07-19",
        "adjustmentDays": 99,
        "comment": "Adjusted for remand",
        "sentenceSequence": 1,
    }
    assert "active" not in put.body
    assert world.nomis_records("SENTENCE")[0]["adjustmentDays"] == 99
    assert success == {
        "adjustmentId": ADJUSTMENT_ID,
        "offenderNo": OFFENDER_NO,
        "nomisAdjustmentId": str(record["id"]),
    }


@pytest.mark.scenario(SPEC, 25)
async def test_key_date_adjustment_update(service: ServiceHarness, world: SentencingWorld) -> None:
    world.dps(key_date_adjustment())
    record = world.nomis("KEY-DATE", adjustmentTypeCode="ADA", adjustmentFromDate="2020-07-19")
    world.mapping(record["id"], "KEY-DATE")
    await publish_and_wait(service, adjustment_event(UPDATED), "sentencing-adjustment-updated-success")

    [put] = requests(service.estate.nomis, "PUT", f"/key-date-adjustments/{record['id']}")
    assert put.body == {
        "adjustmentTypeCode": "ADA",
        "adjustmentDate": "2022-01-01",
        "adjustmentFromDate": "2020-07-19",
        "adjustmentDays": 99,
        "comment": "Adjusted for absence",
    }
    assert requests(service.estate.nomis, "PUT", r"/sentence-adjustments/.*") == []


@pytest.mark.scenario(SPEC, 26)
async def test_update_from_nomis_is_ignored(service: ServiceHarness, world: SentencingWorld) -> None:
    world.dps(sentence_adjustment())
    world.mapping(12345, "SENTENCE")
    ignored = await publish_and_wait(
        service, adjustment_event(UPDATED, source="NOMIS"), "sentencing-adjustment-updated-ignored"
    )
    assert ignored == {"adjustmentId": ADJUSTMENT_ID, "offenderNo": OFFENDER_NO}
    assert service.estate.dps["sentence-adjustments"].requests() == []
    assert requests(service.estate.nomis, "PUT", r".*") == []


@pytest.mark.scenario(SPEC, 27)
async def test_update_without_mapping_ends_on_dlq(service: ServiceHarness, world: SentencingWorld) -> None:
    world.dps(sentence_adjustment())
    await service.estate.publish(adjustment_event(UPDATED))
    await service.wait_for_depth(QUEUE, 1, dlq=True)
    failed = service.events("sentencing-adjustment-updated-failed")
    assert len(failed) == 3
    assert failed[0] == {"adjustmentId": ADJUSTMENT_ID, "offenderNo": OFFENDER_NO}
    assert requests(service.estate.nomis, "PUT", r".*") == []


@pytest.mark.scenario(SPEC, 28)
async def test_update_of_adjustment_gone_from_everywhere_is_skipped(
    service: ServiceHarness, world: SentencingWorld
) -> None:
    skipped = await publish_and_wait(
        service, adjustment_event(UPDATED), "sentencing-adjustment-updated-skipped"
    )
    assert skipped == {"adjustmentId": ADJUSTMENT_ID, "offenderNo": OFFENDER_NO}
    await service.wait_for_depth(QUEUE, 0)
    assert await service.depth(QUEUE, dlq=True) == 0
    assert service.events("sentencing-adjustment-updated-failed") == []


@pytest.mark.scenario(SPEC, 29)
async def test_key_date_delete(service: ServiceHarness, world: SentencingWorld) -> None:
    world.nomis("KEY-DATE", id=12345, adjustmentTypeCode="ADA", adjustmentFromDate="2020-07-19")
    world.mapping(12345, "KEY-DATE")
    success = await publish_and_wait(
        service, adjustment_event(DELETED), "sentencing-adjustment-deleted-success"
    )

    assert len(requests(service.estate.mapping, "GET", MAPPING_GET)) == 1
    assert len(requests(service.estate.nomis, "DELETE", "/key-date-adjustments/12345")) == 1
    assert len(requests(service.estate.mapping, "DELETE", MAPPING_GET)) == 1
    assert world.nomis_records() == [] and world.mappings() == []
    assert success == {
        "adjustmentId": ADJUSTMENT_ID,
        "offenderNo": OFFENDER_NO,
        "nomisAdjustmentId": "12345",
        "nomisAdjustmentCategory": "KEY-DATE",
    }
    assert service.estate.dps["sentence-adjustments"].requests() == []


@pytest.mark.scenario(SPEC, 30)
async def test_sentence_delete(service: ServiceHarness, world: SentencingWorld) -> None:
    world.nomis("SENTENCE", id=12345)
    world.mapping(12345, "SENTENCE")
    success = await publish_and_wait(
        service, adjustment_event(DELETED), "sentencing-adjustment-deleted-success"
    )
    assert len(requests(service.estate.nomis, "DELETE", "/sentence-adjustments/12345")) == 1
    assert len(requests(service.estate.mapping, "DELETE", MAPPING_GET)) == 1
    assert success["nomisAdjustmentCategory"] == "SENTENCE"
    assert world.nomis_records() == [] and world.mappings() == []


@pytest.mark.scenario(SPEC, 31)
async def test_delete_without_mapping_is_ignored(service: ServiceHarness, world: SentencingWorld) -> None:
    ignored = await publish_and_wait(
        service, adjustment_event(DELETED), "sentencing-adjustment-deleted-ignored"
    )
    assert ignored == {
        "adjustmentId": ADJUSTMENT_ID,
        "offenderNo": OFFENDER_NO,
        "reason": "mapping-already-deleted",
    }
    # The original then falls through to its success event too.
    [success] = await service.wait_for_event("sentencing-adjustment-deleted-success")
    assert success == {"adjustmentId": ADJUSTMENT_ID, "offenderNo": OFFENDER_NO}
    assert requests(service.estate.nomis, "DELETE", r".*") == []


async def test_delete_from_nomis_is_ignored(service: ServiceHarness, world: SentencingWorld) -> None:
    world.mapping(12345, "SENTENCE")
    ignored = await publish_and_wait(
        service, adjustment_event(DELETED, source="NOMIS"), "sentencing-adjustment-deleted-ignored"
    )
    assert ignored == {"adjustmentId": ADJUSTMENT_ID, "offenderNo": OFFENDER_NO}
    assert service.estate.mapping.requests() == []


async def test_redelivered_delete_after_nomis_delete_finishes_cleanly(
    service: ServiceHarness, world: SentencingWorld
) -> None:
    """Idempotency: the mapping DELETE fails once after NOMIS's delete; the redelivery completes."""
    world.nomis("SENTENCE", id=12345)
    world.mapping(12345, "SENTENCE")
    service.estate.mapping.inject_fault(path_pattern=MAPPING_GET, method="DELETE", status=500, count=1)
    await publish_and_wait(service, adjustment_event(DELETED), "sentencing-adjustment-deleted-success")
    assert len(service.events("sentencing-adjustment-deleted-failed")) == 1
    assert len(requests(service.estate.nomis, "DELETE", "/sentence-adjustments/12345")) == 2
    assert world.nomis_records() == [] and world.mappings() == []
