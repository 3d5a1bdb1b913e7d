"""The court sentencing API clients against the sandbox fakes (court-sentencing 158-160)."""

from __future__ import annotations

import pytest
from cs_support import MAPPING, SPEC, World

from hmpps_sandbox.harness import ServiceHarness
from prisoner_to_nomis_update.domains.courtsentencing.clients import (
    CourtSentencingMappingApi,
    NomisCourtSentencingApi,
)
from prisoner_to_nomis_update.domains.courtsentencing.models import (
    CaseIdentifierRequest,
    CourtAppearanceRecallMappingsUpdateDto,
    CourtCaseBatchMappingDto,
    CourtCaseMappingDto,
    CourtCaseRepairRequest,
    DpsCourtCaseBatchMappingDto,
)
from prisoner_to_nomis_update.framework.http import HttpError

OFFENDER = "A1234KT"


def bearer(entry_headers: dict[str, str]) -> str:
    return entry_headers.get("Authorization", "")


@pytest.mark.scenario(SPEC, 158)
async def test_mapping_client_calls_carry_the_bearer_token(idle_service: ServiceHarness) -> None:
    mappings = CourtSentencingMappingApi(idle_service.service.apis.get("mapping"))
    await mappings.replace(
        CourtCaseBatchMappingDto(courtCases=[CourtCaseMappingDto(nomisCourtCaseId=1, dpsCourtCaseId="dps-1")])
    )
    await mappings.delete_by_dps_ids(DpsCourtCaseBatchMappingDto(courtCases=["dps-1"]))
    await mappings.update_recall(
        "123", CourtAppearanceRecallMappingsUpdateDto(nomisCourtAppearanceIds=[5, 6])
    )
    fake = idle_service.estate.mapping
    calls = [
        *fake.requests("PUT", f"{MAPPING}/court-cases/replace"),
        *fake.requests("POST", f"{MAPPING}/court-cases/delete-by-dps-ids"),
        *fake.requests("PUT", f"{MAPPING}/court-appearances/recall/123"),
    ]
    assert len(calls) == 3
    assert all(
        bearer(call.headers).startswith("Bearer ") and len(bearer(call.headers)) > 20 for call in calls
    )
    assert calls[2].body == {"nomisCourtAppearanceIds": [5, 6]}


@pytest.mark.scenario(SPEC, 159)
async def test_appearance_mappings_by_nomis_ids(idle_service: ServiceHarness, world: World) -> None:
    world.mappings.seed_appearance("dps-appearance-123", 123)
    world.mappings.seed_appearance("dps-appearance-456", 456)
    mappings = CourtSentencingMappingApi(idle_service.service.apis.get("mapping"))
    found = await mappings.get_appearances_by_nomis_ids([123, 456])
    [call] = idle_service.estate.mapping.requests(
        "POST", f"{MAPPING}/court-appearances/nomis-court-appearance-ids/get-list"
    )
    assert call.body == [123, 456]
    assert [(m.nomisCourtAppearanceId, m.dpsCourtAppearanceId) for m in found] == [
        (123, "dps-appearance-123"),
        (456, "dps-appearance-456"),
    ]
    idle_service.estate.mapping.inject_fault(
        method="POST",
        path_pattern=f"{MAPPING}/court-appearances/nomis-court-appearance-ids/get-list",
        status=500,
    )
    with pytest.raises(HttpError) as failure:
        await mappings.get_appearances_by_nomis_ids([123, 456])
    assert failure.value.status == 500


@pytest.mark.scenario(SPEC, 160)
async def test_nomis_clone_and_repair_calls(idle_service: ServiceHarness, world: World) -> None:
    world.booking(1, OFFENDER)
    world.nomis.add_case(OFFENDER, id=123)
    world.booking(2, OFFENDER)
    nomis = NomisCourtSentencingApi(idle_service.service.apis.get("nomis"))
    cloned = await nomis.clone_to_latest_booking(OFFENDER, 123)
    assert [pair.sourceCourtCase.id for pair in cloned.courtCases] == [123]
    repaired = await nomis.repair_court_case(
        OFFENDER,
        123,
        CourtCaseRepairRequest.model_validate(
            {
                "startDate": "2024-01-01",
                "legalCaseType": "NE",
                "courtId": "MDI",
                "status": "A",
                "courtAppearances": [],
                "offenderCharges": [],
                "caseReferences": CaseIdentifierRequest(caseIdentifiers=[]),
            }
        ),
    )
    assert repaired.bookingId == 1
    fake = idle_service.estate.nomis
    [clone] = fake.requests("POST", f"/prisoners/{OFFENDER}/sentencing/court-cases/clone/123")
    [repair] = fake.requests("POST", f"/prisoners/{OFFENDER}/sentencing/court-cases/123/repair")
    assert bearer(clone.headers).startswith("Bearer ")
    assert bearer(repair.headers).startswith("Bearer ")
    assert repair.body["courtId"] == "MDI"
