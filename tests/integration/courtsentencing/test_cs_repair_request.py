"""The NOMIS court case repair request built from DPS's view of a case, seen as NOMIS receives it through
the E7 endpoint (court-sentencing 150-157)."""

from __future__ import annotations

import pytest
from cs_support import OFFENDER_NO, SPEC, UPDATE_ROLE, World, requests

from hmpps_sandbox.harness import ServiceHarness

DPS_CASE = "b7c1d6c2-4a3e-4f4e-9a55-6a1f5bd0c001"
A1, A2, A3 = (f"a{n}c1d6c2-4a3e-4f4e-9a55-6a1f5bd0c001" for n in (1, 2, 3))
CH_A, CH_B = "ca0000a0-4a3e-4f4e-9a55-6a1f5bd0c001", "cb0000b0-4a3e-4f4e-9a55-6a1f5bd0c001"


async def three_appearance_case(world: World) -> None:
    """An inactive case: a2 is the earliest appearance; charge A is on a1 and a2, charge B on a1 and a3."""
    await world.dps_case(
        DPS_CASE,
        active=False,
        caseReferences=[
            {"offenderCaseReference": "REF1", "updatedDate": "2021-01-01T10:00:00", "source": "DPS"},
            {"offenderCaseReference": "REF2", "updatedDate": "2021-02-02T11:30:00", "source": "NOMIS"},
            {"offenderCaseReference": "REF3", "updatedDate": "2021-03-03T12:45:10", "source": "DPS"},
        ],
    )
    await world.dps_charge(
        CH_A, DPS_CASE, offenceCode="TH68023", offenceStartDate="2020-12-01", offenceEndDate="2020-12-02"
    )
    await world.dps_charge(
        CH_B, DPS_CASE, offenceCode="PS90031", offenceStartDate="2020-11-01", offenceEndDate=None
    )
    await world.dps_appearance(
        A1,
        DPS_CASE,
        [CH_A, CH_B],
        appearanceDate="2021-03-01",
        appearanceTime="09:00",
        courtCode="LEEDYC",
        nomisOutcomeCode="4001",
        nextCourtAppearance={"appearanceDate": "2021-04-01", "appearanceTime": "11:00", "courtId": "MDI"},
        chargeOutcomes={CH_A: "4001", CH_B: "4002"},
    )
    await world.dps_appearance(
        A2,
        DPS_CASE,
        [CH_A],
        appearanceDate="2021-01-01",
        appearanceTime="10:30",
        courtCode="DRBYYC",
        nomisOutcomeCode="3001",
        nextCourtAppearance=None,
        chargeOutcomes={CH_A: "3001"},
    )
    await world.dps_appearance(
        A3,
        DPS_CASE,
        [CH_B],
        appearanceDate="2021-05-01",
        appearanceTime="14:00",
        courtCode="MDI",
        nomisOutcomeCode=None,
        nextCourtAppearance={"appearanceDate": "2021-06-01", "appearanceTime": None, "courtId": "LEEDYC"},
        chargeOutcomes={CH_B: None},
    )
    world.mapped_case(DPS_CASE, nomis_id=7)


@pytest.mark.scenario(SPEC, 150)
@pytest.mark.scenario(SPEC, 151)
@pytest.mark.scenario(SPEC, 152)
@pytest.mark.scenario(SPEC, 153)
@pytest.mark.scenario(SPEC, 154)
@pytest.mark.scenario(SPEC, 155)
@pytest.mark.scenario(SPEC, 156)
@pytest.mark.scenario(SPEC, 157)
async def test_repair_request_from_the_dps_case(service: ServiceHarness, world: World) -> None:
    await three_appearance_case(world)
    status, _, _ = await service.request(
        "POST", f"/prisoners/{OFFENDER_NO}/court-sentencing/court-case/{DPS_CASE}/repair", roles=[UPDATE_ROLE]
    )
    assert status == 200
    [repair] = requests(
        service.estate.nomis, "POST", f"/prisoners/{OFFENDER_NO}/sentencing/court-cases/7/repair"
    )
    assert repair.body == {
        "startDate": "2021-01-01",
        "legalCaseType": "NE",
        "courtId": "DRBYYC",
        "status": "I",
        "courtAppearances": [
            {
                "eventDateTime": "2021-03-01T09:00:00",
                "courtEventType": "CRT",
                "courtId": "LEEDYC",
                "outcomeReasonCode": "4001",
                "nextEventDateTime": "2021-04-01T11:00:00",
                "courtEventCharges": [
                    {
                        "id": CH_A,
                        "offenceDate": "2020-12-01",
                        "offenceEndDate": "2020-12-02",
                        "resultCode1": "4001",
                    },
                    {"id": CH_B, "offenceDate": "2020-11-01", "resultCode1": "4002"},
                ],
                "nextCourtId": "MDI",
            },
            {
                "eventDateTime": "2021-01-01T10:30:00",
                "courtEventType": "CRT",
                "courtId": "DRBYYC",
                "outcomeReasonCode": "3001",
                "courtEventCharges": [
                    {
                        "id": CH_A,
                        "offenceDate": "2020-12-01",
                        "offenceEndDate": "2020-12-02",
                        "resultCode1": "3001",
                    }
                ],
            },
            {
                "eventDateTime": "2021-05-01T14:00:00",
                "courtEventType": "CRT",
                "courtId": "MDI",
                "nextEventDateTime": "2021-06-01T00:00:00",
                "courtEventCharges": [{"id": CH_B, "offenceDate": "2020-11-01"}],
                "nextCourtId": "LEEDYC",
            },
        ],
        "offenderCharges": [
            {
                "id": CH_A,
                "offenceCode": "TH68023",
                "offenceDate": "2020-12-01",
                "offenceEndDate": "2020-12-02",
                "resultCode1": "4001",
            },
            {"id": CH_B, "offenceCode": "PS90031", "offenceDate": "2020-11-01"},
        ],
        "caseReferences": {
            "caseIdentifiers": [
                {"reference": "REF1", "createdDate": "2021-01-01T10:00:00"},
                {"reference": "REF2", "createdDate": "2021-02-02T11:30:00"},
                {"reference": "REF3", "createdDate": "2021-03-03T12:45:10"},
            ]
        },
    }
    [new_case_id] = world.nomis.case_ids_of(OFFENDER_NO)
    new_case = world.nomis.cases[new_case_id]
    assert new_case["caseStatus"] == "I"
    assert [n["reference"] for n in new_case["caseInfoNumbers"]] == ["REF1", "REF2", "REF3"]
    assert len(new_case["eventIds"]) == 3
    assert len(new_case["chargeIds"]) == 2
    mapped = {
        row["dpsCourtAppearanceId"]: row["nomisCourtAppearanceId"] for row in world.mappings.appearances.rows
    }
    assert mapped == dict(zip([A1, A2, A3], new_case["eventIds"], strict=True))
