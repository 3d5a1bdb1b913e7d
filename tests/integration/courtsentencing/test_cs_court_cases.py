"""Court case events: inserted, updated, deleted, and case references refreshed (court-sentencing 1-16, 80-82)."""

from __future__ import annotations

import pytest
from cs_support import (
    CASE_ID,
    CASES_PATH,
    MAPPING,
    OFFENDER_NO,
    SPEC,
    FromNomisQueue,
    World,
    publish_and_wait,
    requests,
    settled,
    wait_for_dlq,
)

from hmpps_sandbox.harness import ServiceHarness

CASE_MAPPING_POST = f"{MAPPING}/court-cases"
CASE_MAPPING_GET = f"{MAPPING}/court-cases/dps-court-case-id/{CASE_ID}"


@pytest.mark.scenario(SPEC, 1)
@pytest.mark.scenario(SPEC, 2)
@pytest.mark.scenario(SPEC, 3)
@pytest.mark.scenario(SPEC, 4)
@pytest.mark.scenario(SPEC, 5)
async def test_court_case_is_created_in_nomis_mapped_and_resynced(
    service: ServiceHarness, world: World, from_nomis: FromNomisQueue
) -> None:
    await world.dps_case()
    success = await publish_and_wait(
        service, world.event("court-case.inserted", courtCaseId=CASE_ID), "court-case-create-success"
    )

    estate = service.estate
    assert len(requests(estate.dps["court-sentencing"], "GET", f"/legacy/court-case/{CASE_ID}")) == 1
    [create] = requests(estate.nomis, "POST", CASES_PATH)
    assert create.body == {
        "startDate": "2024-01-01",
        "legalCaseType": "NE",
        "courtId": "DRBYYC",
        "status": "A",
        "caseReference": "ABC4999",
    }
    [nomis_case_id] = world.nomis.case_ids_of(OFFENDER_NO)
    assert success == {
        "dpsCourtCaseId": CASE_ID,
        "offenderNo": OFFENDER_NO,
        "nomisCourtCaseId": str(nomis_case_id),
        "mappingType": "DPS_CREATED",
        "courtAppearances": "[]",
        "courtCharges": "[]",
        "sentences": "[]",
    }
    [mapping] = requests(estate.mapping, "POST", CASE_MAPPING_POST)
    assert mapping.body == {
        "nomisCourtCaseId": nomis_case_id,
        "dpsCourtCaseId": CASE_ID,
        "courtAppearances": [],
        "courtCharges": [],
        "sentences": [],
        "mappingType": "DPS_CREATED",
    }
    [resync] = await from_nomis.wait_for(1)
    assert resync == {
        "type": "courtsentencing.resync.case",
        "eventType": "courtsentencing.resync.case",
        "message": {"dpsCaseUuid": CASE_ID, "offenderNo": OFFENDER_NO, "caseId": nomis_case_id},
    }
    assert [e.name for e in service.recorder.events] == ["court-case-create-success"]


@pytest.mark.scenario(SPEC, 6)
async def test_case_created_in_nomis_is_ignored(service: ServiceHarness, world: World) -> None:
    await world.dps_case()
    ignored = await publish_and_wait(
        service,
        world.event("court-case.inserted", source="NOMIS", courtCaseId=CASE_ID),
        "court-case-create-ignored",
    )
    assert ignored == {
        "dpsCourtCaseId": CASE_ID,
        "offenderNo": OFFENDER_NO,
        "reason": "Court case created in NOMIS",
    }
    assert requests(service.estate.nomis, "POST", CASES_PATH) == []


@pytest.mark.scenario(SPEC, 7)
async def test_existing_mapping_is_a_duplicate(service: ServiceHarness, world: World) -> None:
    await world.dps_case()
    world.mapped_case()
    await publish_and_wait(
        service, world.event("court-case.inserted", courtCaseId=CASE_ID), "court-case-create-duplicate"
    )
    assert requests(service.estate.nomis, "POST", CASES_PATH) == []


@pytest.mark.scenario(SPEC, 8)
async def test_mapping_failure_is_retried_without_a_second_nomis_case(
    service: ServiceHarness, world: World
) -> None:
    await world.dps_case()
    service.estate.mapping.inject_fault(method="POST", path_pattern=CASE_MAPPING_POST, status=500)
    retried = await publish_and_wait(
        service,
        world.event("court-case.inserted", courtCaseId=CASE_ID),
        "court-case-create-mapping-retry-success",
    )
    assert len(requests(service.estate.nomis, "POST", CASES_PATH)) == 1
    assert len(requests(service.estate.mapping, "POST", CASE_MAPPING_POST)) == 2
    assert retried["dpsCourtCaseId"] == CASE_ID
    assert world.mappings.cases.find("dpsCourtCaseId", CASE_ID) is not None
    assert service.events("court-case-create-success") == []


@pytest.mark.scenario(SPEC, 9)
@pytest.mark.scenario(SPEC, 15)
async def test_case_updated_or_deleted_in_nomis_is_ignored(service: ServiceHarness, world: World) -> None:
    await world.dps_case()
    world.mapped_case()
    await service.estate.publish(world.event("court-case.updated", source="NOMIS", courtCaseId=CASE_ID))
    await service.estate.publish(world.event("court-case.deleted", source="NOMIS", courtCaseId=CASE_ID))
    [updated] = await service.wait_for_event("court-case-updated-ignored")
    [deleted] = await service.wait_for_event("court-case-deleted-ignored")
    assert updated == {
        "dpsCourtCaseId": CASE_ID,
        "offenderNo": OFFENDER_NO,
        "reason": "Court case updated in NOMIS",
    }
    assert deleted == {"dpsCourtCaseId": CASE_ID, "offenderNo": OFFENDER_NO}
    await settled(service)
    assert service.estate.nomis.requests() == []
    assert sorted(e.name for e in service.recorder.events) == [
        "court-case-deleted-ignored",
        "court-case-updated-ignored",
    ]


@pytest.mark.scenario(SPEC, 10)
async def test_case_status_is_updated_in_nomis(service: ServiceHarness, world: World) -> None:
    await world.dps_case(active=False)
    world.mapped_case()
    success = await publish_and_wait(
        service, world.event("court-case.updated", courtCaseId=CASE_ID), "court-case-updated-success"
    )
    assert success == {"dpsCourtCaseId": CASE_ID, "offenderNo": OFFENDER_NO, "nomisCourtCaseId": "7"}
    [update] = requests(service.estate.nomis, "PUT", f"{CASES_PATH}/7")
    assert update.body == {"status": "I"}
    assert world.nomis.cases[7]["caseStatus"] == "I"


@pytest.mark.scenario(SPEC, 11)
async def test_case_update_for_a_case_gone_from_dps_is_ignored_then_succeeds(
    service: ServiceHarness, world: World
) -> None:
    world.mapped_case()
    ignored = await publish_and_wait(
        service, world.event("court-case.updated", courtCaseId=CASE_ID), "court-case-updated-ignored"
    )
    await service.wait_for_event("court-case-updated-success")
    assert ignored["reason"] == f"DPS case {CASE_ID} does not exist in RaS"
    assert requests(service.estate.nomis, "PUT", f"{CASES_PATH}/.*") == []


@pytest.mark.scenario(SPEC, 12)
async def test_case_update_without_mapping_waits_for_the_case_then_dead_letters(
    service: ServiceHarness, world: World
) -> None:
    await world.dps_case()
    await service.estate.publish(world.event("court-case.updated", courtCaseId=CASE_ID))
    waiting = await service.wait_for_event("court-case-updated-awaiting-parent", 3)
    await wait_for_dlq(service)
    assert {e["reason"] for e in waiting} == {f"Missing Dps case id: {CASE_ID}"}
    assert requests(service.estate.nomis, "PUT", f"{CASES_PATH}/.*") == []


@pytest.mark.scenario(SPEC, 13)
async def test_case_deleted_from_nomis_and_mapping(service: ServiceHarness, world: World) -> None:
    await world.dps_case()
    world.mapped_case()
    success = await publish_and_wait(
        service, world.event("court-case.deleted", courtCaseId=CASE_ID), "court-case-deleted-success"
    )
    assert success == {"dpsCourtCaseId": CASE_ID, "offenderNo": OFFENDER_NO, "nomisCourtCaseId": "7"}
    assert len(requests(service.estate.nomis, "DELETE", f"{CASES_PATH}/7")) == 1
    assert len(requests(service.estate.mapping, "DELETE", CASE_MAPPING_GET)) == 1
    assert 7 not in world.nomis.cases
    assert world.mappings.cases.find("dpsCourtCaseId", CASE_ID) is None


@pytest.mark.scenario(SPEC, 14)
async def test_delete_without_mapping_is_skipped(service: ServiceHarness, world: World) -> None:
    await publish_and_wait(
        service, world.event("court-case.deleted", courtCaseId=CASE_ID), "court-case-deleted-skipped"
    )
    await settled(service)
    assert len(service.events("court-case-deleted-skipped")) == 1
    assert requests(service.estate.nomis, "DELETE", f"{CASES_PATH}/.*") == []


@pytest.mark.scenario(SPEC, 16)
async def test_mapping_delete_failure_is_reported_but_the_delete_succeeds(
    service: ServiceHarness, world: World
) -> None:
    world.mapped_case()
    service.estate.mapping.inject_fault(method="DELETE", path_pattern=CASE_MAPPING_GET, status=500)
    await publish_and_wait(
        service, world.event("court-case.deleted", courtCaseId=CASE_ID), "court-case-deleted-success"
    )
    [failed] = service.events("court-case-mapping-deleted-failed")
    assert failed == {"dpsCourtCaseId": CASE_ID}
    await service.wait_for_depth("courtsentencing", 0)
    assert len(requests(service.estate.nomis, "DELETE", f"{CASES_PATH}/7")) == 1


@pytest.mark.scenario(SPEC, 80)
async def test_case_references_are_refreshed_in_nomis(service: ServiceHarness, world: World) -> None:
    await world.dps_case()
    world.mapped_case()
    success = await publish_and_wait(
        service,
        world.event("legacy.court-case-references.updated", source="NOMIS", courtCaseId=CASE_ID),
        "case-references-refreshed-success",
    )
    assert success["caseReferences"] == "[CaseIdentifier(reference=ABC4999, createdDate=2024-01-01T10:10)]"
    assert success["nomisCourtCaseId"] == "7"
    [refresh] = requests(service.estate.nomis, "POST", f"{CASES_PATH}/7/case-identifiers")
    assert refresh.body == {
        "caseIdentifiers": [{"reference": "ABC4999", "createdDate": "2024-01-01T10:10:00"}]
    }
    assert [n["reference"] for n in world.nomis.cases[7]["caseInfoNumbers"]] == ["ABC4999"]


@pytest.mark.scenario(SPEC, 81)
async def test_case_references_without_mapping_wait_for_the_case(
    service: ServiceHarness, world: World
) -> None:
    await world.dps_case()
    await service.estate.publish(world.event("legacy.court-case-references.updated", courtCaseId=CASE_ID))
    waiting = await service.wait_for_event("case-references-refreshed-awaiting-parent", 3)
    await wait_for_dlq(service)
    assert {e["reason"] for e in waiting} == {f"Missing DPS Case: {CASE_ID}"}
    assert service.estate.nomis.requests() == []


@pytest.mark.scenario(SPEC, 82)
async def test_case_references_for_a_case_gone_from_dps_are_ignored(
    service: ServiceHarness, world: World
) -> None:
    world.mapped_case()
    await publish_and_wait(
        service,
        world.event("legacy.court-case-references.updated", courtCaseId=CASE_ID),
        "case-references-refreshed-ignored",
    )
    await settled(service)
    assert len(service.events("case-references-refreshed-ignored")) == 1
    assert service.estate.nomis.requests() == []
