"""The repair endpoint (sentencing-and-non-associations scenarios 32-38)."""

from __future__ import annotations

import pytest
from sentencing_support import (
    ADJUSTMENT_ID,
    MAPPING_POST,
    NOMIS_SENTENCE_CREATE,
    OFFENDER_NO,
    UPDATE_ROLE,
    SentencingWorld,
    requests,
    sentence_adjustment,
)

from hmpps_sandbox.harness import ServiceHarness

SPEC = "sentencing-and-non-associations"
REPAIR = f"/prisoners/{OFFENDER_NO}/sentencing-adjustments/{ADJUSTMENT_ID}/repair"


@pytest.mark.scenario(SPEC, 32)
@pytest.mark.scenario(SPEC, 33)
@pytest.mark.scenario(SPEC, 34)
async def test_repair_needs_the_update_role(service: ServiceHarness, world: SentencingWorld) -> None:
    world.dps(sentence_adjustment())
    assert (await service.request("POST", REPAIR, roles=[]))[0] == 403
    assert (await service.request("POST", REPAIR, roles=["ROLE_BANANAS"]))[0] == 403
    assert (await service.request("POST", REPAIR))[0] == 401
    assert service.estate.nomis.requests() == []
    assert service.events("to-nomis-synch-adjustment-repair") == []


async def _repair_existing(service: ServiceHarness, world: SentencingWorld, query: str) -> dict[str, object]:
    world.dps(sentence_adjustment(active=False))
    record = world.nomis("SENTENCE")
    world.mapping(record["id"], "SENTENCE")
    status, body, _ = await service.request("POST", REPAIR + query, roles=[UPDATE_ROLE])
    assert status == 200, body
    assert service.events("to-nomis-synch-adjustment-repair") == [
        {"offenderNo": OFFENDER_NO, "adjustmentId": ADJUSTMENT_ID}
    ]
    [put] = requests(service.estate.nomis, "PUT", f"/sentence-adjustments/{record['id']}")
    body_sent: dict[str, object] = put.body
    return body_sent


@pytest.mark.scenario(SPEC, 35)
async def test_repair_of_mapped_adjustment_updates_without_active(
    service: ServiceHarness, world: SentencingWorld
) -> None:
    put = await _repair_existing(service, world, "")
    assert "active" not in put
    assert put["adjustmentTypeCode"] == "RX" and put["sentenceSequence"] == 1


@pytest.mark.scenario(SPEC, 36)
async def test_repair_with_force_status_sends_dps_active(
    service: ServiceHarness, world: SentencingWorld
) -> None:
    put = await _repair_existing(service, world, "?force-status=true")
    assert put["active"] is False


@pytest.mark.scenario(SPEC, 37)
async def test_repair_with_set_active_sends_active(service: ServiceHarness, world: SentencingWorld) -> None:
    put = await _repair_existing(service, world, "?set-active=true")
    assert put["active"] is True


@pytest.mark.scenario(SPEC, 38)
async def test_repair_without_mapping_creates(service: ServiceHarness, world: SentencingWorld) -> None:
    world.dps(sentence_adjustment())
    status, _, _ = await service.request("POST", REPAIR, roles=[UPDATE_ROLE])
    assert status == 200
    assert service.events("to-nomis-synch-adjustment-repair") == [
        {"offenderNo": OFFENDER_NO, "adjustmentId": ADJUSTMENT_ID}
    ]
    [create] = requests(service.estate.nomis, "POST", NOMIS_SENTENCE_CREATE)
    assert create.body == {
        "adjustmentTypeCode": "RX",
        "adjustmentDate": "2022-01-01",
        "adjustmentFromDate": "2020-07-19",
        "adjustmentDays": 99,
        "comment": "Adjusted for remand",
    }
    [mapping] = requests(service.estate.mapping, "POST", MAPPING_POST)
    assert mapping.body["nomisAdjustmentCategory"] == "SENTENCE"
    assert len(service.events("sentencing-adjustment-create-success")) == 1


async def test_repair_of_mapped_adjustment_missing_in_dps_is_a_404(
    service: ServiceHarness, world: SentencingWorld
) -> None:
    """Spec A8.5 answers 500 `Unexpected error: Mapping or adjustment not found ...`; we answer 404 with
    the same message: the adjustment is unknown to DPS, not a fault of the service (issue 14)."""
    world.mapping(12345, "SENTENCE")
    status, body, _ = await service.request("POST", REPAIR, roles=[UPDATE_ROLE])
    assert status == 404
    assert body["userMessage"] == f"Not Found: Mapping or adjustment not found for adjustment {ADJUSTMENT_ID}"
    assert service.events("to-nomis-synch-adjustment-repair") == []


async def test_repeated_repair_does_not_create_twice(service: ServiceHarness, world: SentencingWorld) -> None:
    """Running the repair twice (an operator retrying) leaves one NOMIS adjustment: the second updates."""
    world.dps(sentence_adjustment())
    for _ in range(2):
        assert (await service.request("POST", REPAIR, roles=[UPDATE_ROLE]))[0] == 200
    assert len(world.nomis_records()) == 1
    assert len(requests(service.estate.nomis, "POST", NOMIS_SENTENCE_CREATE)) == 1
    assert len(requests(service.estate.nomis, "PUT", r"/sentence-adjustments/\d+")) == 1


async def test_unmapped_duplicate_nomis_adjustment_can_be_deleted(
    service: ServiceHarness, world: SentencingWorld
) -> None:
    """The clean-up docs/operations.md gives for a duplicate: refuses a mapped NOMIS adjustment."""
    mapped = world.nomis("SENTENCE")
    world.mapping(mapped["id"], "SENTENCE")
    duplicate = world.nomis("SENTENCE")
    base = "/sentencing-adjustments/nomis-adjustment-category/SENTENCE/nomis-adjustment-id/"

    assert (await service.request("DELETE", f"{base}{duplicate['id']}", roles=["ROLE_BANANAS"]))[0] == 403
    status, body, _ = await service.request("DELETE", f"{base}{mapped['id']}", roles=[UPDATE_ROLE])
    assert status == 409
    assert (
        body["userMessage"]
        == f"NOMIS SENTENCE adjustment {mapped['id']} is mapped to DPS adjustment {ADJUSTMENT_ID}"
    )
    status, _, _ = await service.request("DELETE", f"{base}{duplicate['id']}", roles=[UPDATE_ROLE])
    assert status == 204

    assert [r["id"] for r in world.nomis_records()] == [mapped["id"]]
    assert service.events("to-nomis-synch-adjustment-duplicate-deleted") == [
        {"nomisAdjustmentId": str(duplicate["id"]), "nomisAdjustmentCategory": "SENTENCE"}
    ]
    bad = "/sentencing-adjustments/nomis-adjustment-category/OTHER/nomis-adjustment-id/1"
    assert (await service.request("DELETE", bad, roles=[UPDATE_ROLE]))[0] == 400
