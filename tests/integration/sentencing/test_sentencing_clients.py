"""The Adjustments, NOMIS and mapping clients against the sandbox fakes
(sentencing-and-non-associations scenarios 55-60)."""

from __future__ import annotations

import pytest
from sentencing_support import (
    ADJUSTMENT_ID,
    BOOKING_ID,
    SentencingWorld,
    key_date_adjustment,
    sentence_adjustment,
)

from hmpps_sandbox.harness import ServiceHarness
from prisoner_to_nomis_update.domains.sentencing.clients import (
    AdjustmentMappingApi,
    AdjustmentsApi,
    NomisAdjustmentsApi,
)
from prisoner_to_nomis_update.domains.sentencing.models import (
    AdjustmentRequest,
    SentencingAdjustmentMappingDto,
)
from prisoner_to_nomis_update.framework.http import HttpError

SPEC = "sentencing-and-non-associations"
LEGACY_CONTENT_TYPE = "application/vnd.nomis-offence+json"


def dps_api(harness: ServiceHarness) -> AdjustmentsApi:
    return AdjustmentsApi(harness.service.apis.get("sentence-adjustments"))


def nomis_api(harness: ServiceHarness) -> NomisAdjustmentsApi:
    return NomisAdjustmentsApi(harness.service.apis.get("nomis"))


def mapping_api(harness: ServiceHarness) -> AdjustmentMappingApi:
    return AdjustmentMappingApi(harness.service.apis.get("mapping"))


@pytest.mark.scenario(SPEC, 55)
async def test_dps_get_sends_token_and_legacy_content_type(
    idle_service: ServiceHarness, world: SentencingWorld
) -> None:
    world.dps(sentence_adjustment())
    world.dps(key_date_adjustment(id="key-date", adjustmentFromDate=None, comment=None))
    api = dps_api(idle_service)

    sentence = await api.get_adjustment(ADJUSTMENT_ID)
    key_date = await api.get_adjustment("key-date")

    assert sentence.sentenceSequence == 1 and sentence.adjustmentType == "RX" and not sentence.is_key_date
    assert key_date.is_key_date and key_date.adjustmentFromDate is None and key_date.comment is None
    for entry in idle_service.estate.dps["sentence-adjustments"].requests("GET", r"/legacy/adjustments/.*"):
        assert entry.headers["Content-Type"] == LEGACY_CONTENT_TYPE
        assert entry.headers["Authorization"].startswith("Bearer ")


@pytest.mark.scenario(SPEC, 56)
async def test_dps_get_strict_and_or_null(idle_service: ServiceHarness, world: SentencingWorld) -> None:
    api = dps_api(idle_service)
    with pytest.raises(HttpError) as not_found:
        await api.get_adjustment(ADJUSTMENT_ID)
    assert not_found.value.status == 404
    assert await api.find_adjustment(ADJUSTMENT_ID) is None
    idle_service.estate.dps["sentence-adjustments"].inject_fault(
        path_pattern=r"/legacy/.*", status=503, count=2
    )
    with pytest.raises(HttpError):
        await api.get_adjustment(ADJUSTMENT_ID)
    with pytest.raises(HttpError):
        await api.find_adjustment(ADJUSTMENT_ID)


@pytest.mark.scenario(SPEC, 57)
async def test_dps_list_by_person(idle_service: ServiceHarness, world: SentencingWorld) -> None:
    world.dps(sentence_adjustment())
    api = dps_api(idle_service)
    found = await api.adjustments_for("A1234TT")
    assert found is not None and [a.adjustmentType for a in found] == ["REMAND"]
    [entry] = idle_service.estate.dps["sentence-adjustments"].requests("GET", "/adjustments")
    assert entry.query == {"person": "A1234TT"}
    assert entry.headers["Content-Type"] == LEGACY_CONTENT_TYPE
    assert entry.headers["Authorization"].startswith("Bearer ")

    fakes = world.fakes
    for status, expected_none in ((404, True), (422, True), (403, False), (503, False)):
        fakes.person_faults["A1234TT"] = status
        if expected_none:
            assert await api.adjustments_for("A1234TT") is None
        else:
            with pytest.raises(HttpError) as error:
                await api.adjustments_for("A1234TT")
            assert error.value.status == status


@pytest.mark.scenario(SPEC, 58)
async def test_mapping_create(idle_service: ServiceHarness, world: SentencingWorld) -> None:
    api = mapping_api(idle_service)
    await api.create(
        SentencingAdjustmentMappingDto(
            nomisAdjustmentId=123, nomisAdjustmentCategory="KEY-DATE", adjustmentId=ADJUSTMENT_ID
        )
    )
    [post] = idle_service.estate.mapping.requests("POST", "/mapping/sentencing/adjustments")
    assert post.body == {
        "nomisAdjustmentId": 123,
        "nomisAdjustmentCategory": "KEY-DATE",
        "adjustmentId": ADJUSTMENT_ID,
        "mappingType": "SENTENCING_CREATED",
    }
    idle_service.estate.mapping.inject_fault(path_pattern="/mapping/sentencing/adjustments", status=400)
    with pytest.raises(HttpError) as error:
        await api.create(
            SentencingAdjustmentMappingDto(
                nomisAdjustmentId=1, nomisAdjustmentCategory="SENTENCE", adjustmentId="x"
            )
        )
    assert error.value.status == 400


@pytest.mark.scenario(SPEC, 59)
async def test_mapping_get_and_delete(idle_service: ServiceHarness, world: SentencingWorld) -> None:
    api = mapping_api(idle_service)
    mapping = idle_service.estate.mapping
    assert await api.find(ADJUSTMENT_ID) is None
    with pytest.raises(HttpError) as strict:
        await api.get(ADJUSTMENT_ID)
    assert strict.value.status == 404
    world.mapping(12345, "SENTENCE")
    assert (await api.get(ADJUSTMENT_ID)).nomisAdjustmentId == 12345
    found = await api.find(ADJUSTMENT_ID)
    assert found is not None and found.nomisAdjustmentCategory == "SENTENCE"
    mapping.inject_fault(path_pattern=r".*/adjustment-id/.*", method="GET", status=503)
    with pytest.raises(HttpError):
        await api.find(ADJUSTMENT_ID)
    for status in (404, 503):
        mapping.inject_fault(path_pattern=r".*/adjustment-id/.*", method="DELETE", status=status)
        with pytest.raises(HttpError) as error:
            await api.delete(ADJUSTMENT_ID)
        assert error.value.status == status
    await api.delete(ADJUSTMENT_ID)
    assert world.mappings() == []


@pytest.mark.scenario(SPEC, 60)
async def test_nomis_adjustment_calls(idle_service: ServiceHarness, world: SentencingWorld) -> None:
    api = nomis_api(idle_service)
    nomis = idle_service.estate.nomis
    sentence = AdjustmentRequest(adjustmentTypeCode="RX", adjustmentDays=3)
    key_date = AdjustmentRequest(adjustmentTypeCode="ADA", adjustmentDays=3, adjustmentFromDate="2022-01-01")
    sentence_id = await api.create_sentence_adjustment(BOOKING_ID, 2, sentence)
    key_date_id = await api.create_key_date_adjustment(BOOKING_ID, key_date)
    await api.update_sentence_adjustment(sentence_id, sentence.model_copy(update={"sentenceSequence": 2}))
    await api.update_key_date_adjustment(key_date_id, key_date)
    active = await api.adjustments(BOOKING_ID)
    assert [a.id for a in active.sentenceAdjustments] == [sentence_id]
    assert [a.id for a in active.keyDateAdjustments] == [key_date_id]
    await api.delete_sentence_adjustment(sentence_id)
    await api.delete_key_date_adjustment(key_date_id)

    paths = [(r.method, r.path) for r in nomis.requests()]
    assert paths == [
        ("POST", f"/prisoners/booking-id/{BOOKING_ID}/sentences/2/adjustments"),
        ("POST", f"/prisoners/booking-id/{BOOKING_ID}/adjustments"),
        ("PUT", f"/sentence-adjustments/{sentence_id}"),
        ("PUT", f"/key-date-adjustments/{key_date_id}"),
        ("GET", f"/prisoners/booking-id/{BOOKING_ID}/sentencing-adjustments"),
        ("DELETE", f"/sentence-adjustments/{sentence_id}"),
        ("DELETE", f"/key-date-adjustments/{key_date_id}"),
    ]
    assert nomis.requests("GET")[0].query == {"active-only": "true"}
    assert world.nomis_records() == []

    calls = [
        lambda: api.create_sentence_adjustment(BOOKING_ID, 2, sentence),
        lambda: api.create_key_date_adjustment(BOOKING_ID, key_date),
        lambda: api.update_sentence_adjustment(1, sentence.model_copy(update={"sentenceSequence": 2})),
        lambda: api.update_key_date_adjustment(1, key_date),
        lambda: api.delete_sentence_adjustment(1),
        lambda: api.delete_key_date_adjustment(1),
        lambda: api.adjustments(BOOKING_ID),
    ]
    for status in (404, 500):
        for call in calls:
            nomis.inject_fault(path_pattern=r".*adjustments.*", status=status)
            with pytest.raises(HttpError) as error:
                await call()
            assert error.value.status == status
