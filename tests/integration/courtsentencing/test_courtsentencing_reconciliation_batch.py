"""The two court-case reconciliation batch jobs (spec 5.1, 5.2): scenarios 123-127 and the failure paths.

Each test runs the real batch job (as `prisoner-to-nomis-update batch <TYPE>` would) against prisoners
and cases seeded into the sandbox, and reads the telemetry and the fakes' journals.
"""

from __future__ import annotations

from typing import Any

import pytest
from recon_support import (
    ACTIVE_PREFIX,
    PRISONER_PREFIX,
    SPEC,
    ReconciliationWorld,
    distinct_pair,
    reconciliation_service,
)

from hmpps_sandbox.domains.prisoners import offender_no
from hmpps_sandbox.estate import Estate
from hmpps_sandbox.harness import ServiceHarness

LATEST = "/bookings/ids/latest-from-id"
ALL_JOB = "COURT_CASE_PRISONER_RECON"
ACTIVE_JOB = "COURT_CASE_ACTIVE_PRISONER_RECON"
INACTIVE_CASE_BOOKING = 888888


@pytest.fixture
def world(clean_estate: Estate) -> ReconciliationWorld:
    return ReconciliationWorld(clean_estate)


async def run_job(estate: Estate, job: str, page_size: int | None = None) -> ServiceHarness:
    env = {"REPORTS_COURT-CASE_PRISONER_RECONCILIATION_PAGE-SIZE": str(page_size)} if page_size else None
    async with reconciliation_service(estate, env=env, http=False) as harness:
        await harness.service.batch_job(job)()
    return harness


def seed_five_prisoners(world: ReconciliationWorld) -> tuple[dict[str, Any], dict[str, Any]]:
    """The original's fixture: A0001TZ matches, A0003TZ's NOMIS case is inactive (booking 888888) while
    DPS's is active, A0005TZ (not active) has a NOMIS case DPS lacks, the others have no cases."""
    world.prisoners(*((booking, offender_no(booking), booking != 5) for booking in range(1, 6)))
    world.case_pair(*distinct_pair(1, "A0001TZ"))
    dps, nomis = distinct_pair(2, "A0003TZ", booking=INACTIVE_CASE_BOOKING)
    nomis["caseStatus"] = {"code": "I", "description": "Inactive"}
    world.case_pair(dps, nomis)
    world.documents.seed_nomis_case(distinct_pair(5, "A0005TZ")[1])
    return dps, nomis


def case_mismatch(dps: dict[str, Any]) -> dict[str, str]:
    return {
        "offenderNo": "A0003TZ",
        "dpsCaseId": dps["courtCaseUuid"],
        "nomisBookingId": str(INACTIVE_CASE_BOOKING),
        "nomisCaseId": "2",
        "mismatchCount": "1",
    }


@pytest.mark.scenario(SPEC, 123)
@pytest.mark.scenario(SPEC, 124)
@pytest.mark.scenario(SPEC, 125)
@pytest.mark.scenario(SPEC, 126)
async def test_all_prisoner_report_finds_the_inactive_case_and_the_missing_dps_case(
    clean_estate: Estate, world: ReconciliationWorld
) -> None:
    dps, _ = seed_five_prisoners(world)

    harness = await run_job(clean_estate, ALL_JOB)

    assert harness.events(f"{PRISONER_PREFIX}-requested") == [{}]
    assert harness.events(f"{PRISONER_PREFIX}-report") == [
        {
            "prisoners-count": "5",
            "pages-count": "1",
            "mismatch-count": "1",
            "success": "true",
            "A0003TZ": "cases=1",
        }
    ]
    mismatches = harness.events(f"{PRISONER_PREFIX}-mismatch")
    assert sorted(mismatches, key=lambda e: e["offenderNo"]) == [
        case_mismatch(dps),
        {"offenderNo": "A0005TZ", "dpsCaseCount": "0", "nomisCaseCount": "1", "caseCountMismatch": "true"},
    ]
    # One page of 5 (fewer than the page size of 10) ends the paging.
    pages = clean_estate.nomis.requests("GET", LATEST)
    assert [(p.query["bookingId"], p.query["activeOnly"], p.query["pageSize"]) for p in pages] == [
        ("0", "false", "10")
    ]
    assert harness.events(f"{PRISONER_PREFIX}-error") == []


@pytest.mark.scenario(SPEC, 127)
async def test_active_prisoner_report_checks_only_active_prisoners_under_its_own_prefix(
    clean_estate: Estate, world: ReconciliationWorld
) -> None:
    dps, _ = seed_five_prisoners(world)

    harness = await run_job(clean_estate, ACTIVE_JOB)

    assert harness.events(f"{ACTIVE_PREFIX}-requested") == [{}]
    report = harness.events(f"{ACTIVE_PREFIX}-report")
    assert [(r["prisoners-count"], r["mismatch-count"], r["success"]) for r in report] == [("4", "1", "true")]
    assert harness.events(f"{ACTIVE_PREFIX}-mismatch") == [case_mismatch(dps)]
    assert harness.events(f"{PRISONER_PREFIX}-report") == []
    assert [p.query["activeOnly"] for p in clean_estate.nomis.requests("GET", LATEST)] == ["true"]


async def test_pages_are_workers_wide_and_the_report_names_the_first_five_mismatched_prisoners(
    clean_estate: Estate, world: ReconciliationWorld
) -> None:
    """Page size 3 (`REPORTS_COURT-CASE_PRISONER_RECONCILIATION_PAGE-SIZE`): 7 prisoners are 3 pages,
    the next page starting after the previous page's last booking; 6 mismatched prisoners, 5 named."""
    world.prisoners(*((booking, offender_no(booking), True) for booking in range(1, 8)))
    for booking in range(1, 7):
        world.case_pair(*distinct_pair(booking, offender_no(booking), extra_nomis_appearance=True))

    harness = await run_job(clean_estate, ACTIVE_JOB, page_size=3)

    pages = clean_estate.nomis.requests("GET", LATEST)
    assert [(p.query["bookingId"], p.query["pageSize"]) for p in pages] == [
        ("0", "3"),
        ("3", "3"),
        ("6", "3"),
    ]
    [report] = harness.events(f"{ACTIVE_PREFIX}-report")
    named = {key: value for key, value in report.items() if key.startswith("A")}
    assert (report["prisoners-count"], report["pages-count"], report["mismatch-count"]) == ("7", "3", "6")
    assert len(named) == 5
    assert set(named.values()) == {"cases=1"}
    assert len(harness.events(f"{ACTIVE_PREFIX}-mismatch")) == 6


async def test_a_failed_page_is_reported_under_the_prisoner_prefix_and_skipped(
    clean_estate: Estate, world: ReconciliationWorld
) -> None:
    """Quirk Q10: the page error always uses the all-prisoner prefix, even in the active report."""
    world.prisoners(*((booking, offender_no(booking), True) for booking in range(1, 26)))
    world.documents.seed_nomis_case(distinct_pair(5, offender_no(5))[1])  # on the failed page: never seen
    world.documents.seed_nomis_case(distinct_pair(15, offender_no(15))[1])
    clean_estate.nomis.inject_fault(path_pattern=LATEST, status=500, count=1)

    harness = await run_job(clean_estate, ACTIVE_JOB)

    assert harness.events(f"{PRISONER_PREFIX}-mismatch-page-error") == [{"booking": "0"}]
    assert harness.events(f"{ACTIVE_PREFIX}-mismatch-page-error") == []
    pages = clean_estate.nomis.requests("GET", LATEST)
    assert [p.query["bookingId"] for p in pages] == ["0", "10", "20"]
    [report] = harness.events(f"{ACTIVE_PREFIX}-report")
    assert (report["prisoners-count"], report["pages-count"], report["success"]) == ("15", "2", "true")
    assert [e["offenderNo"] for e in harness.events(f"{PRISONER_PREFIX}-mismatch")] == ["A0015TZ"]


async def test_transient_page_failures_are_retried_rather_than_skipped(
    clean_estate: Estate, world: ReconciliationWorld
) -> None:
    world.prisoners((1, "A0001TZ", True))
    clean_estate.nomis.inject_fault(path_pattern=LATEST, status=502, count=2)

    harness = await run_job(clean_estate, ALL_JOB)

    assert harness.events(f"{PRISONER_PREFIX}-mismatch-page-error") == []
    assert len(clean_estate.nomis.requests("GET", LATEST)) == 3
    assert harness.events(f"{PRISONER_PREFIX}-report")[0]["prisoners-count"] == "1"


async def test_a_prisoner_or_case_that_cannot_be_read_is_reported_and_the_report_completes(
    clean_estate: Estate, world: ReconciliationWorld
) -> None:
    world.prisoners(*((booking, offender_no(booking), True) for booking in range(1, 4)))
    world.case_pair(*distinct_pair(2, "A0002TZ", extra_nomis_appearance=True))
    world.case_pair(*distinct_pair(3, "A0003TZ", extra_nomis_appearance=True))
    clean_estate.nomis.inject_fault(
        path_pattern="/prisoners/A0001TZ/sentencing/court-cases/ids", status=500, count=1
    )
    clean_estate.dps["court-sentencing"].inject_fault(
        path_pattern="/legacy/court-case/d0000000-0000-0000-0000-000000000002/reconciliation",
        status=503,
        count=1,
    )

    harness = await run_job(clean_estate, ACTIVE_JOB)

    [prisoner_error] = [e for e in harness.events(f"{ACTIVE_PREFIX}-error") if "nomisCaseId" not in e]
    assert prisoner_error["offenderNo"] == "A0001TZ"
    assert prisoner_error["reason"].startswith("500 Internal Server Error from GET")
    [case_error] = [e for e in harness.events(f"{ACTIVE_PREFIX}-error") if "nomisCaseId" in e]
    assert (case_error["offenderNo"], case_error["nomisCaseId"]) == ("A0002TZ", "2")
    assert case_error["reason"].startswith("503 Service Unavailable from GET")
    [report] = harness.events(f"{ACTIVE_PREFIX}-report")
    assert (report["prisoners-count"], report["mismatch-count"], report.get("A0003TZ")) == (
        "3",
        "1",
        "cases=1",
    )
