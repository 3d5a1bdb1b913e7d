"""Inserted adjustments: sentence vs key-date creates, creating-system checks, duplicates and retries
(sentencing-and-non-associations scenarios 1-22)."""

from __future__ import annotations

from datetime import date

import pytest
from sentencing_support import (
    ADJUSTMENT_ID,
    BOOKING_ID,
    LEGACY_GET,
    MAPPING_GET,
    MAPPING_POST,
    NOMIS_CREATE,
    NOMIS_KEY_DATE_CREATE,
    NOMIS_SENTENCE_CREATE,
    OFFENDER_NO,
    QUEUE,
    SentencingWorld,
    adjustment_event,
    key_date_adjustment,
    publish_and_wait,
    requests,
    sentence_adjustment,
)

from hmpps_sandbox.harness import ServiceHarness

SPEC = "sentencing-and-non-associations"


@pytest.mark.scenario(SPEC, 1)
@pytest.mark.scenario(SPEC, 2)
@pytest.mark.scenario(SPEC, 3)
@pytest.mark.scenario(SPEC, 4)
async def test_sentence_adjustment_is_created_in_nomis_and_mapped(
    service: ServiceHarness, world: SentencingWorld
) -> None:
    world.dps(sentence_adjustment())
    success = await publish_and_wait(service, adjustment_event(), "sentencing-adjustment-create-success")

    dps = service.estate.dps["sentence-adjustments"]
    assert len(requests(dps, "GET", LEGACY_GET)) == 1
    [create] = requests(
        service.estate.nomis, "POST", f"/prisoners/booking-id/{BOOKING_ID}/sentences/1/adjustments"
    )
    assert create.body == {
        "adjustmentTypeCode": "RX",
        "adjustmentDate": "2022-01-01",
        "adjustmentFromDate": "2020-07-19",
        "adjustmentDays": 99,
        "comment": "Adjusted for remand",
    }
    [nomis_record] = world.nomis_records("SENTENCE")
    [mapping_post] = requests(service.estate.mapping, "POST", MAPPING_POST)
    assert mapping_post.body == {
        "nomisAdjustmentId": nomis_record["id"],
        "nomisAdjustmentCategory": "SENTENCE",
        "adjustmentId": ADJUSTMENT_ID,
        "mappingType": "SENTENCING_CREATED",
    }
    assert success == {
        "adjustmentId": ADJUSTMENT_ID,
        "offenderNo": OFFENDER_NO,
        "nomisAdjustmentId": str(nomis_record["id"]),
        "nomisAdjustmentCategory": "SENTENCE",
        "mappingType": "SENTENCING_CREATED",
    }


@pytest.mark.scenario(SPEC, 5)
async def test_tca_is_a_sentence_adjustment(service: ServiceHarness, world: SentencingWorld) -> None:
    world.dps(sentence_adjustment(adjustmentType="TCA"))
    await publish_and_wait(service, adjustment_event(), "sentencing-adjustment-create-success")
    [create] = requests(service.estate.nomis, "POST", NOMIS_SENTENCE_CREATE)
    assert create.body["adjustmentTypeCode"] == "TCA"


@pytest.mark.scenario(SPEC, 6)
async def test_key_date_from_date_falls_back_to_adjustment_date(
    service: ServiceHarness, world: SentencingWorld
) -> None:
    world.dps(key_date_adjustment(adjustmentType="SREM", adjustmentFromDate=None))
    await publish_and_wait(service, adjustment_event(), "sentencing-adjustment-create-success")
    [create] = requests(service.estate.nomis, "POST", NOMIS_KEY_DATE_CREATE)
    assert create.body["adjustmentDate"] == "2022-01-01"
    assert create.body["adjustmentFromDate"] == "2022-01-01"


@pytest.mark.scenario(SPEC, 7)
@pytest.mark.scenario(SPEC, 9)
@pytest.mark.scenario(SPEC, 10)
async def test_key_date_adjustment_is_created_and_mapped_as_key_date(
    service: ServiceHarness, world: SentencingWorld
) -> None:
    world.dps(key_date_adjustment())
    success = await publish_and_wait(service, adjustment_event(), "sentencing-adjustment-create-success")

    assert len(requests(service.estate.dps["sentence-adjustments"], "GET", LEGACY_GET)) == 1
    [create] = requests(service.estate.nomis, "POST", NOMIS_KEY_DATE_CREATE)
    assert create.body == {
        "adjustmentTypeCode": "ADA",
        "adjustmentDate": "2022-01-01",
        "adjustmentFromDate": "2020-07-19",
        "adjustmentDays": 99,
        "comment": "Adjusted for absence",
    }
    assert requests(service.estate.nomis, "POST", NOMIS_SENTENCE_CREATE) == []
    [nomis_record] = world.nomis_records("KEY-DATE")
    [mapping_post] = requests(service.estate.mapping, "POST", MAPPING_POST)
    assert mapping_post.body["nomisAdjustmentCategory"] == "KEY-DATE"
    assert world.mappings()[0]["nomisAdjustmentCategory"] == "KEY-DATE"
    assert success["adjustmentId"] == ADJUSTMENT_ID
    assert success["offenderNo"] == OFFENDER_NO
    assert success["nomisAdjustmentId"] == str(nomis_record["id"])
    # A deliberate choice where the original's text was unverified: the wire value, not KEYMinusDATE.
    assert success["nomisAdjustmentCategory"] == "KEY-DATE"


@pytest.mark.scenario(SPEC, 8)
async def test_key_date_without_adjustment_date_uses_today(
    service: ServiceHarness, world: SentencingWorld
) -> None:
    world.dps(key_date_adjustment(adjustmentType="LAL", adjustmentDate=None))
    await publish_and_wait(service, adjustment_event(), "sentencing-adjustment-create-success")
    [create] = requests(service.estate.nomis, "POST", NOMIS_KEY_DATE_CREATE)
    assert create.body["adjustmentDate"] == date.today().isoformat()
    assert create.body["adjustmentFromDate"] == "2020-07-19"


@pytest.mark.scenario(SPEC, 11)
@pytest.mark.scenario(SPEC, 12)
async def test_adjustments_created_in_nomis_are_ignored(
    service: ServiceHarness, world: SentencingWorld
) -> None:
    world.dps(sentence_adjustment())
    world.dps(key_date_adjustment(id="key-date-1"))
    await service.estate.publish(adjustment_event(source="NOMIS"))
    await service.estate.publish(adjustment_event(adjustment_id="key-date-1", source="NOMIS"))
    ignored = await service.wait_for_event("sentencing-adjustment-create-ignored", 2)

    assert sorted(e["adjustmentId"] for e in ignored) == sorted([ADJUSTMENT_ID, "key-date-1"])
    assert all(e == {"adjustmentId": e["adjustmentId"], "offenderNo": OFFENDER_NO} for e in ignored)
    assert service.estate.dps["sentence-adjustments"].requests() == []
    assert requests(service.estate.nomis, "POST", NOMIS_CREATE) == []
    assert service.estate.mapping.requests() == []


@pytest.mark.scenario(SPEC, 13)
@pytest.mark.scenario(SPEC, 14)
async def test_existing_mapping_means_duplicate(service: ServiceHarness, world: SentencingWorld) -> None:
    world.dps(sentence_adjustment())
    world.mapping(12345, "SENTENCE")
    world.dps(key_date_adjustment(id="key-date-1"))
    world.mapping(12346, "KEY-DATE", adjustment_id="key-date-1")
    await service.estate.publish(adjustment_event())
    await service.estate.publish(adjustment_event(adjustment_id="key-date-1"))
    duplicates = await service.wait_for_event("sentencing-adjustment-create-duplicate", 2)

    assert sorted(e["adjustmentId"] for e in duplicates) == sorted([ADJUSTMENT_ID, "key-date-1"])
    assert len(requests(service.estate.mapping, "GET", MAPPING_GET)) == 1
    assert len(requests(service.estate.mapping, "GET", r".*/adjustment-id/key-date-1")) == 1
    assert requests(service.estate.nomis, "POST", r".*") == []
    assert service.estate.dps["sentence-adjustments"].requests() == []


@pytest.mark.scenario(SPEC, 15)
async def test_dps_failing_once_is_retried(service: ServiceHarness, world: SentencingWorld) -> None:
    world.dps(sentence_adjustment())
    service.estate.dps["sentence-adjustments"].inject_fault(path_pattern=LEGACY_GET, status=500, count=1)
    await publish_and_wait(service, adjustment_event(), "sentencing-adjustment-create-success")

    assert len(requests(service.estate.dps["sentence-adjustments"], "GET", LEGACY_GET)) == 2
    assert len(requests(service.estate.nomis, "POST", NOMIS_CREATE)) == 1
    [failed] = service.events("sentencing-adjustment-create-failed")
    assert failed["reason"].startswith("500 Internal Server Error from GET ")


@pytest.mark.scenario(SPEC, 16)
async def test_adjustment_missing_in_dps_is_skipped(service: ServiceHarness, world: SentencingWorld) -> None:
    await service.estate.publish(adjustment_event())
    skipped = await service.wait_for_event("sentencing-adjustment-create-skipped")
    ignored = await service.wait_for_event("sentencing-adjustment-create-ignored")

    assert skipped == [{"adjustmentId": ADJUSTMENT_ID, "offenderNo": OFFENDER_NO}]
    assert ignored == [{"adjustmentId": ADJUSTMENT_ID, "offenderNo": OFFENDER_NO}]
    await service.wait_for_depth(QUEUE, 0)
    assert await service.depth(QUEUE, dlq=True) == 0
    assert requests(service.estate.nomis, "POST", r".*") == []


@pytest.mark.scenario(SPEC, 17)
async def test_dps_always_failing_ends_on_dlq(service: ServiceHarness, world: SentencingWorld) -> None:
    world.dps(sentence_adjustment())
    service.estate.dps["sentence-adjustments"].inject_fault(path_pattern=LEGACY_GET, status=503, count=None)
    await service.estate.publish(adjustment_event())
    await service.wait_for_depth(QUEUE, 1, dlq=True)

    assert len(requests(service.estate.dps["sentence-adjustments"], "GET", LEGACY_GET)) == 3
    assert len(service.events("sentencing-adjustment-create-failed")) == 3
    assert requests(service.estate.nomis, "POST", r".*") == []


@pytest.mark.scenario(SPEC, 18)
async def test_nomis_failing_once_is_retried(service: ServiceHarness, world: SentencingWorld) -> None:
    world.dps(sentence_adjustment())
    service.estate.nomis.inject_fault(path_pattern=NOMIS_CREATE, method="POST", status=500, count=1)
    await publish_and_wait(service, adjustment_event(), "sentencing-adjustment-create-success")

    assert len(requests(service.estate.dps["sentence-adjustments"], "GET", LEGACY_GET)) == 2
    assert len(requests(service.estate.nomis, "POST", NOMIS_CREATE)) == 2
    assert len(world.nomis_records()) == 1
    assert len(world.mappings()) == 1


@pytest.mark.scenario(SPEC, 19)
async def test_nomis_always_failing_ends_on_dlq(service: ServiceHarness, world: SentencingWorld) -> None:
    world.dps(sentence_adjustment())
    service.estate.nomis.inject_fault(path_pattern=NOMIS_CREATE, method="POST", status=503, count=None)
    await service.estate.publish(adjustment_event())
    await service.wait_for_depth(QUEUE, 1, dlq=True)

    assert len(requests(service.estate.nomis, "POST", NOMIS_CREATE)) == 3
    assert world.mappings() == []


@pytest.mark.scenario(SPEC, 20)
async def test_mapping_failing_once_is_retried_without_a_second_nomis_create(
    service: ServiceHarness, world: SentencingWorld
) -> None:
    world.dps(sentence_adjustment())
    service.estate.mapping.inject_fault(path_pattern=MAPPING_POST, method="POST", status=500, count=1)
    await service.estate.publish(adjustment_event())
    [success] = await service.wait_for_event("sentencing-adjustment-create-success")

    assert len(requests(service.estate.nomis, "POST", NOMIS_CREATE)) == 1
    assert len(requests(service.estate.mapping, "POST", MAPPING_POST)) == 2
    [record] = world.nomis_records()
    assert world.mappings()[0]["nomisAdjustmentId"] == record["id"]
    [failed] = service.events("sentencing-adjustment-mapping-create-failed")
    assert failed["reason"].startswith("500 Internal Server Error from POST ")
    [retry] = service.events("sentencing-create-mapping-retry")
    assert retry["adjustmentId"] == ADJUSTMENT_ID
    assert retry["nomisAdjustmentId"] == str(record["id"])
    assert success["nomisAdjustmentId"] == str(record["id"])


@pytest.mark.scenario(SPEC, 21)
async def test_mapping_always_failing_puts_the_retry_on_the_dlq(
    service: ServiceHarness, world: SentencingWorld
) -> None:
    world.dps(sentence_adjustment())
    service.estate.mapping.inject_fault(path_pattern=MAPPING_POST, method="POST", status=503, count=None)
    await service.estate.publish(adjustment_event())
    await service.wait_for_depth(QUEUE, 1, dlq=True)

    assert len(requests(service.estate.mapping, "POST", MAPPING_POST)) == 4
    assert len(requests(service.estate.nomis, "POST", NOMIS_CREATE)) == 1
    assert len(service.events("create-mapping-retry-failure")) == 3
    assert service.events("sentencing-adjustment-create-success") == []


@pytest.mark.scenario(SPEC, 22)
async def test_mapping_conflict_is_reported_as_duplicate(
    service: ServiceHarness, world: SentencingWorld
) -> None:
    world.dps(sentence_adjustment())
    # Another DPS adjustment already claims the NOMIS id NOMIS is about to hand out (10000).
    world.mapping(10000, "SENTENCE", adjustment_id="other-adjustment")
    await service.estate.publish(adjustment_event())
    [duplicate] = await service.wait_for_event("to-nomis-synch-sentencing-adjustment-duplicate")

    assert len(requests(service.estate.nomis, "POST", NOMIS_CREATE)) == 1
    assert len(requests(service.estate.mapping, "POST", MAPPING_POST)) == 1
    assert len(service.events("sentencing-adjustment-mapping-create-failed")) == 1
    assert duplicate["existingAdjustmentId"] == "other-adjustment"
    assert duplicate["existingNomisAdjustmentId"] == "10000"
    assert duplicate["existingNomisAdjustmentCategory"] == "SENTENCE"
    assert duplicate["duplicateAdjustmentId"] == ADJUSTMENT_ID
    assert duplicate["duplicateNomisAdjustmentId"] == "10000"
    assert duplicate["duplicateNomisAdjustmentCategory"] == "SENTENCE"
    # Our NOMIS adjustment is the only one for this DPS adjustment: it is kept.
    assert len(world.nomis_records()) == 1
    assert service.events("sentencing-adjustment-duplicate-removed") == []
    await service.wait_for_depth(QUEUE, 0)
    assert service.events("sentencing-create-mapping-retry") == []
