"""Charge events: inserted and updated (court-sentencing 37-47)."""

from __future__ import annotations

from typing import Any

import pytest
from cs_support import (
    APPEARANCE_ID,
    CASE_ID,
    CASES_PATH,
    CHARGE_ID,
    MAPPING,
    OFFENDER_NO,
    SPEC,
    World,
    publish_and_wait,
    requests,
    settled,
    wait_for_dlq,
)

from hmpps_sandbox.harness import ServiceHarness

CHARGE_MAPPING = f"{MAPPING}/court-charges"
CHARGE_UPDATE = f"{CASES_PATH}/7/court-appearances/3/charges/11"


def charge_event(world: World, event_type: str, source: str = "DPS", **information: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "courtChargeId": CHARGE_ID,
        "courtCaseId": CASE_ID,
        "courtAppearanceId": APPEARANCE_ID,
    }
    fields.update(information)
    return world.event(event_type, source=source, **{k: v for k, v in fields.items() if v is not None})


@pytest.mark.scenario(SPEC, 37)
@pytest.mark.scenario(SPEC, 42)
async def test_charges_created_or_updated_in_nomis_are_ignored(service: ServiceHarness, world: World) -> None:
    await world.standard()
    await service.estate.publish(charge_event(world, "charge.inserted", source="NOMIS"))
    await service.estate.publish(charge_event(world, "charge.updated", source="NOMIS"))
    [created] = await service.wait_for_event("charge-create-ignored")
    [updated] = await service.wait_for_event("charge-updated-ignored")
    for ignored in (created, updated):
        assert ignored["dpsCourtCaseId"] == CASE_ID
        assert ignored["offenderNo"] == OFFENDER_NO
        assert ignored["dpsChargeId"] == CHARGE_ID
        assert ignored["dpsCourtAppearanceId"] == APPEARANCE_ID
    assert created["reason"] == "Charge created in NOMIS"
    assert updated["reason"] == "Charge updated in NOMIS"
    await settled(service)
    assert service.estate.nomis.requests() == []


@pytest.mark.scenario(SPEC, 38)
async def test_charge_on_an_appearance_is_created_and_mapped(service: ServiceHarness, world: World) -> None:
    await world.dps_case()
    await world.dps_appearance()
    world.mapped_case()
    success = await publish_and_wait(service, charge_event(world, "charge.inserted"), "charge-create-success")

    dps = service.estate.dps["court-sentencing"]
    assert len(requests(dps, "GET", f"/legacy/court-appearance/{APPEARANCE_ID}/charge/{CHARGE_ID}")) == 1
    assert requests(dps, "GET", f"/legacy/charge/{CHARGE_ID}") == []
    [create] = requests(service.estate.nomis, "POST", f"{CASES_PATH}/7/charges")
    assert create.body == {
        "offenceCode": "PS90031",
        "offenceDate": "2024-01-11",
        "offenceEndDate": "2024-01-11",
        "resultCode1": "4531",
        "futureAppearance": False,
    }
    [charge_id] = world.nomis.cases[7]["chargeIds"]
    [mapping] = requests(service.estate.mapping, "POST", CHARGE_MAPPING)
    assert mapping.body == {
        "nomisCourtChargeId": charge_id,
        "dpsCourtChargeId": CHARGE_ID,
        "mappingType": "DPS_CREATED",
    }
    assert success["nomisCourtCaseId"] == "7"
    assert success["mappingType"] == "DPS_CREATED"
    assert success["dpsChargeId"] == CHARGE_ID
    assert success["nomisChargeId"] == str(charge_id)
    assert success["nomisOutcomeCode"] == "4531"
    assert success["nomisOffenceCode"] == "PS90031"
    assert success["isOnFutureAppearance"] == "false"


@pytest.mark.scenario(SPEC, 39)
async def test_charge_without_an_appearance_is_read_on_its_own(service: ServiceHarness, world: World) -> None:
    await world.dps_case()
    await world.dps_charge()
    world.mapped_case()
    success = await publish_and_wait(
        service, charge_event(world, "charge.inserted", courtAppearanceId=None), "charge-create-success"
    )
    dps = service.estate.dps["court-sentencing"]
    assert len(requests(dps, "GET", f"/legacy/charge/{CHARGE_ID}")) == 1
    assert requests(dps, "GET", "/legacy/court-appearance/.*") == []
    assert success["dpsCourtAppearanceId"] == "null"
    assert len(requests(service.estate.nomis, "POST", f"{CASES_PATH}/7/charges")) == 1


@pytest.mark.scenario(SPEC, 40)
async def test_existing_charge_mapping_is_a_duplicate(service: ServiceHarness, world: World) -> None:
    await world.standard()
    await publish_and_wait(service, charge_event(world, "charge.inserted"), "charge-create-duplicate")
    assert requests(service.estate.nomis, "POST", f"{CASES_PATH}/.*/charges") == []


@pytest.mark.scenario(SPEC, 41)
async def test_charge_mapping_failure_is_retried(service: ServiceHarness, world: World) -> None:
    await world.dps_case()
    await world.dps_appearance()
    world.mapped_case()
    service.estate.mapping.inject_fault(method="POST", path_pattern=CHARGE_MAPPING, status=503)
    await publish_and_wait(
        service, charge_event(world, "charge.inserted"), "charge-create-mapping-retry-success"
    )
    assert len(requests(service.estate.nomis, "POST", f"{CASES_PATH}/7/charges")) == 1
    assert len(requests(service.estate.mapping, "POST", CHARGE_MAPPING)) == 2
    assert world.mappings.charges.find("dpsCourtChargeId", CHARGE_ID) is not None


@pytest.mark.scenario(SPEC, 43)
@pytest.mark.scenario(SPEC, 44)
async def test_charge_is_updated_on_its_appearance(service: ServiceHarness, world: World) -> None:
    await world.standard()
    await service.estate.publish(charge_event(world, "charge.updated"))
    await service.estate.publish(charge_event(world, "charge.updated", isOnFutureAppearance=True))
    updates = await service.wait_for_event("charge-updated-success", 2)
    dps = service.estate.dps["court-sentencing"]
    assert len(requests(dps, "GET", f"/legacy/court-appearance/{APPEARANCE_ID}/charge/{CHARGE_ID}")) == 2
    puts = requests(service.estate.nomis, "PUT", CHARGE_UPDATE)
    assert sorted(p.body["futureAppearance"] for p in puts) == [False, True]
    for put in puts:
        assert {k: v for k, v in put.body.items() if k != "futureAppearance"} == {
            "offenceCode": "PS90031",
            "offenceDate": "2024-01-11",
            "offenceEndDate": "2024-01-11",
            "resultCode1": "4531",
        }
    assert sorted(u["isOnFutureAppearance"] for u in updates) == ["false", "true"]
    for update in updates:
        assert update["nomisChargeId"] == "11"
        assert update["nomisOutcomeCode"] == "4531"
        assert update["nomisOffenceCode"] == "PS90031"


@pytest.mark.scenario(SPEC, 45)
async def test_charge_update_waits_for_the_charge_mapping(service: ServiceHarness, world: World) -> None:
    await world.dps_case()
    await world.dps_appearance()
    world.mapped_case()
    world.mapped_appearance()
    await service.estate.publish(charge_event(world, "charge.updated"))
    waiting = await service.wait_for_event("charge-updated-awaiting-parent", 3)
    await wait_for_dlq(service)
    assert {e["reason"] for e in waiting} == {f"Missing Dps charge id: {CHARGE_ID}"}
    assert requests(service.estate.nomis, "PUT", ".*") == []


@pytest.mark.scenario(SPEC, 46)
async def test_charge_update_waits_for_the_appearance_mapping(service: ServiceHarness, world: World) -> None:
    await world.dps_case()
    await world.dps_appearance()
    world.mapped_case()
    world.mapped_charges(dps_ids=[CHARGE_ID])
    await service.estate.publish(charge_event(world, "charge.updated"))
    waiting = await service.wait_for_event("charge-updated-awaiting-parent", 3)
    await wait_for_dlq(service)
    assert {e["reason"] for e in waiting} == {f"Missing Dps appearance id: {APPEARANCE_ID}"}
    assert requests(service.estate.nomis, "PUT", ".*") == []


@pytest.mark.scenario(SPEC, 47)
async def test_charge_update_for_a_charge_gone_from_dps_is_ignored(
    service: ServiceHarness, world: World
) -> None:
    world.mapped_case()
    await publish_and_wait(service, charge_event(world, "charge.updated"), "charge-updated-ignored")
    await service.wait_for_event("charge-updated-success")
    [ignored] = service.events("charge-updated-ignored")
    assert ignored["reason"] == (
        f"Charge with id {CHARGE_ID} and court appearance id {APPEARANCE_ID} does not exist in RaS"
    )
    assert requests(service.estate.nomis, "PUT", ".*") == []
