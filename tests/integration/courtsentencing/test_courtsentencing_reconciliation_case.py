"""Checking one court case through endpoints E1-E3 (spec 4.1, 5.3, 5.5, 5.6): scenarios 106, 107, 128-149.

Each test seeds a DPS and a NOMIS case document into the sandbox fakes and asks the running service, over
HTTP with a real token, to compare them; the fakes' journals show what the service read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from recon_support import (
    BOOKING_ID,
    DPS_APPEARANCE_ID,
    DPS_CASE_ID,
    NOMIS_CASE_ID,
    OFFENDER_NO,
    PRISONER_PREFIX,
    SPEC,
    UPDATE_ROLE,
    ReconciliationWorld,
    comparisons,
    dps_appearance,
    dps_case,
    dps_charge,
    nomis_case,
    nomis_event,
    reconciliation_service,
)

from hmpps_sandbox.estate import Estate
from hmpps_sandbox.harness import ServiceHarness

CASES = f"/prisoners/{OFFENDER_NO}/court-sentencing/court-cases"
E1 = CASES + "/dps-case-id/{dps}/reconciliation"
E2 = CASES + "/nomis-case-id/{nomis}/reconciliation"
E3 = CASES + "/nomis-case-id/{nomis}/dps-case-id/{dps}/reconciliation"
NOMIS_READ = r"/court-cases/\d+"
DPS_READ = r"/legacy/court-case/[^/]+/reconciliation"
EXCLUDED_NOMIS_CASE_ID = 4240


@pytest.fixture(scope="module")
async def shared_service(estate: Estate) -> AsyncIterator[ServiceHarness]:
    async with reconciliation_service(estate) as harness:
        yield harness


@pytest.fixture
async def service(estate: Estate, shared_service: ServiceHarness) -> ServiceHarness:
    await estate.reset(reset_moto=False)
    shared_service.recorder.clear()
    return shared_service


@pytest.fixture
def world(estate: Estate) -> ReconciliationWorld:
    return ReconciliationWorld(estate)


async def get(service: ServiceHarness, path: str) -> tuple[int, Any]:
    status, body, _ = await service.request("GET", path, roles=[UPDATE_ROLE])
    return status, body


@pytest.mark.parametrize(
    "comparison",
    [
        pytest.param(c, id=f"{c.scenario}-{c.name}", marks=pytest.mark.scenario(SPEC, c.scenario))
        for c in comparisons()
    ],
)
async def test_e3_finds_exactly_the_differences_of_each_scenario(
    service: ServiceHarness, world: ReconciliationWorld, comparison: Any
) -> None:
    world.case_pair(comparison.dps, comparison.nomis, mapped=False)

    status, body = await get(service, E3.format(nomis=NOMIS_CASE_ID, dps=DPS_CASE_ID))

    assert status == 200
    assert {k: v for k, v in body.items() if k != "mismatch"} == {
        "offenderNo": OFFENDER_NO,
        "dpsCaseId": DPS_CASE_ID,
        "nomisCaseId": NOMIS_CASE_ID,
        "nomisBookingId": None,
        "caseCountMismatch": False,
    }
    if comparison.differences:
        assert body["mismatch"]["differences"] == comparison.differences
        assert body["mismatch"]["nomisBookingId"] == BOOKING_ID
    else:
        assert body["mismatch"] is None
    # Both systems were read once each; E3 needs no mapping.
    assert len(world.estate.nomis.requests("GET", NOMIS_READ)) == 1
    assert len(world.estate.dps["court-sentencing"].requests("GET", DPS_READ)) == 1
    assert world.estate.mapping.requests() == []


@pytest.mark.scenario(SPEC, 106)
async def test_e1_finds_the_nomis_case_through_the_mapping_and_reports_its_status(
    service: ServiceHarness, world: ReconciliationWorld
) -> None:
    world.case_pair(dps_case(active=True), nomis_case(status="I"))

    status, body = await get(service, E1.format(dps=DPS_CASE_ID))

    assert status == 200
    assert body["nomisCaseId"] == NOMIS_CASE_ID
    assert body["dpsCaseId"] == DPS_CASE_ID
    assert body["nomisBookingId"] == BOOKING_ID
    mismatch = body["mismatch"]
    assert mismatch["nomisCase"]["active"] is False
    assert mismatch["nomisCase"]["id"] == str(NOMIS_CASE_ID)
    assert mismatch["dpsCase"]["active"] is True
    assert mismatch["dpsCase"]["id"] == DPS_CASE_ID
    assert mismatch["differences"] == [
        {"property": "case.active", "dps": True, "nomis": False, "id": DPS_CASE_ID}
    ]


@pytest.mark.scenario(SPEC, 107)
async def test_e2_reports_an_outcome_difference_and_a_sentence_nomis_lacks(
    service: ServiceHarness, world: ReconciliationWorld
) -> None:
    world.case_pair(
        dps_case(appearances=[dps_appearance(outcome="4001")]),
        nomis_case(events=[nomis_event(outcome="3001")], sentences=[]),
    )

    status, body = await get(service, E2.format(nomis=NOMIS_CASE_ID))

    assert status == 200
    assert body["dpsCaseId"] == DPS_CASE_ID
    assert body["mismatch"]["differences"] == [
        {"property": "case.appearances[0].outcome", "dps": "4001", "nomis": "3001", "id": DPS_APPEARANCE_ID},
        {"property": "case.sentences", "dps": 1, "nomis": 0, "id": None},
    ]


async def test_unknown_cases_answer_404_naming_the_record(
    service: ServiceHarness, world: ReconciliationWorld
) -> None:
    """The original answers 500 for a missing mapping, and 200 with no mismatch when NOMIS or DPS lacks
    the case (its check swallows the error). We answer 404 naming what is missing: an operator asking
    about a case learns it does not exist rather than that it matches, or that the service broke."""
    assert await get(service, E1.format(dps="no-such-case")) == (
        404,
        {
            "status": 404,
            "errorCode": None,
            "userMessage": "Not Found: No court case mapping for DPS court case no-such-case",
            "developerMessage": "No court case mapping for DPS court case no-such-case",
            "moreInfo": None,
        },
    )
    status, body = await get(service, E2.format(nomis=99))
    assert (status, body["developerMessage"]) == (404, "No court case mapping for NOMIS court case 99")

    # Mapped, but NOMIS no longer has the case.
    world.events.mappings.seed_case(DPS_CASE_ID, NOMIS_CASE_ID, OFFENDER_NO)
    world.documents.seed_dps_case(dps_case())
    status, body = await get(service, E2.format(nomis=NOMIS_CASE_ID))
    assert (status, body["developerMessage"]) == (404, f"NOMIS court case {NOMIS_CASE_ID} not found")
    # ... and the failed check is reported as a reconciliation error, as the original does.
    assert service.events(f"{PRISONER_PREFIX}-error") == [
        {
            "offenderNo": OFFENDER_NO,
            "nomisCaseId": str(NOMIS_CASE_ID),
            "dpsCaseId": DPS_CASE_ID,
            "reason": f"NOMIS court case {NOMIS_CASE_ID} not found",
        }
    ]

    # Given both ids, DPS lacks its case.
    world.documents.seed_nomis_case(nomis_case())
    status, body = await get(service, E3.format(nomis=NOMIS_CASE_ID, dps="gone"))
    assert (status, body["developerMessage"]) == (404, "DPS court case gone not found")


async def test_a_malformed_nomis_case_id_is_a_bad_request(service: ServiceHarness) -> None:
    for path in (E2.format(nomis="abc"), E3.format(nomis="1.5", dps=DPS_CASE_ID)):
        status, body = await get(service, path)
        assert status == 400
        assert "nomisCaseId" in body["userMessage"]


async def test_transient_failures_of_either_read_are_retried(
    service: ServiceHarness, world: ReconciliationWorld
) -> None:
    """Spec 5.6: timeouts, dropped connections and 502 are retried (3 times, growing back-off)."""
    world.case_pair()
    world.estate.nomis.inject_fault(path_pattern=NOMIS_READ, status=502, count=2)
    world.estate.dps["court-sentencing"].inject_fault(path_pattern=DPS_READ, status=502, count=1)

    status, body = await get(service, E3.format(nomis=NOMIS_CASE_ID, dps=DPS_CASE_ID))

    assert (status, body["mismatch"]) == (200, None)
    assert len(world.estate.nomis.requests("GET", NOMIS_READ)) == 3
    assert len(world.estate.dps["court-sentencing"].requests("GET", DPS_READ)) == 2


async def test_other_read_failures_are_not_retried_and_fail_the_check(
    service: ServiceHarness, world: ReconciliationWorld
) -> None:
    """A 500 is not transient: one read, then a 500 answer (the original's 200-with-no-mismatch would
    claim the case matches) and a `-error` event."""
    world.case_pair()
    world.estate.dps["court-sentencing"].inject_fault(path_pattern=DPS_READ, status=500, count=1)

    status, body = await get(service, E2.format(nomis=NOMIS_CASE_ID))

    assert status == 500
    assert body["userMessage"].startswith("Unexpected error: 500 Internal Server Error from GET")
    assert len(world.estate.dps["court-sentencing"].requests("GET", DPS_READ)) == 1
    assert [e["reason"][:3] for e in service.events(f"{PRISONER_PREFIX}-error")] == ["500"]


async def test_excluded_cases_are_never_reported_and_say_when_they_match_again(
    service: ServiceHarness, world: ReconciliationWorld
) -> None:
    """Spec 5.5: NOMIS case ids in excludedCaseIdsReconciliation.txt (4240 is the first)."""
    different = dps_case(appearances=[dps_appearance(charges=[dps_charge(offence="XX99999")])])
    world.case_pair(different, nomis_case(case_id=EXCLUDED_NOMIS_CASE_ID, sentences=[]))

    status, body = await get(service, E2.format(nomis=EXCLUDED_NOMIS_CASE_ID))

    assert (status, body["mismatch"], body["nomisBookingId"]) == (200, None, None)
    assert service.events(f"{PRISONER_PREFIX}-excluded-case") == [
        {
            "offenderNo": OFFENDER_NO,
            "nomisCaseId": "4240",
            "dpsCaseId": DPS_CASE_ID,
            "reason": "Excluding reconciliation mismatches for case id 4240",
        }
    ]

    world.documents.seed_dps_case(dps_case())
    world.documents.seed_nomis_case(nomis_case(case_id=EXCLUDED_NOMIS_CASE_ID))
    status, body = await get(service, E2.format(nomis=EXCLUDED_NOMIS_CASE_ID))

    assert (status, body["mismatch"]) == (200, None)
    assert service.events(f"{PRISONER_PREFIX}-excluded-case-resolved") == [
        {
            "offenderNo": OFFENDER_NO,
            "nomisCaseId": "4240",
            "dpsCaseId": DPS_CASE_ID,
            "reason": "No reconciliation mismatches found for excluded case id 4240. Remove from exclusion file.",
        }
    ]
