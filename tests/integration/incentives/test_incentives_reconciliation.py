"""The incentives reconciliation (spec B9) over the section E estate: 34 active prisoners, page size 10,
NOMIS STD for everyone, DPS ENH for every 10th prisoner."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from incentives_support import (
    RECON,
    UPDATE_ROLE,
    fakes,
    incentives_service,
    prisoners,
    report,
    run_report,
    seed_spec_reconciliation,
)

from hmpps_sandbox.estate import Estate
from hmpps_sandbox.harness import ServiceHarness
from prisoner_to_nomis_update.domains.incentives.reconciliation import parse_excluded_booking_ids
from prisoner_to_nomis_update.framework.http import HttpError
from prisoner_to_nomis_update.framework.reconciliation import as_pages

PAGE_10 = {"REPORTS_INCENTIVES_RECONCILIATION_PAGE-SIZE": "10"}
SPEC_MISMATCHES = {"A0010TZ": "STD:ENH", "A0020TZ": "STD:ENH", "A0030TZ": "STD:ENH"}


@pytest.fixture
async def recon(clean_estate: Estate) -> AsyncIterator[ServiceHarness]:
    seed_spec_reconciliation(clean_estate)
    async with incentives_service(clean_estate, **PAGE_10) as harness:
        yield harness


def entries(summary: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in summary.items() if k not in ("mismatch-count", "success")}


@pytest.mark.scenario("visits-and-incentives", 51)
@pytest.mark.scenario("visits-and-incentives", 52)
@pytest.mark.scenario("visits-and-incentives", 53)
async def test_report_over_the_spec_estate(recon: ServiceHarness, clean_estate: Estate) -> None:
    await run_report(recon)
    assert recon.events(f"{RECON}-requested") == [{"active-prisoners": "34"}]
    pages = clean_estate.nomis.requests("GET", "/prisoners/ids/active")
    assert [(p.query["page"], p.query["size"]) for p in pages] == [
        ("0", "1"),
        ("0", "10"),
        ("1", "10"),
        ("2", "10"),
        ("3", "10"),
    ]
    mismatches = recon.events(f"{RECON}-mismatch")
    assert sorted(mismatches, key=lambda m: m["offenderNo"]) == [
        {
            "offenderNo": f"A00{n}0TZ",
            "bookingId": f"{n}0",
            "nomisIncentiveLevel": "STD",
            "dpsIncentiveLevel": "ENH",
        }
        for n in (1, 2, 3)
    ]
    summary = report(recon)
    assert summary["mismatch-count"] == "3" and summary["success"] == "true"
    assert entries(summary) == SPEC_MISMATCHES
    # every prisoner was compared on both sides exactly once
    assert len(clean_estate.nomis.requests("GET", r"/incentives/booking-id/\d+/current")) == 34
    assert len(clean_estate.dps["incentives"].requests("GET", r"/incentive-reviews/prisoner/.*")) == 34


@pytest.mark.scenario("visits-and-incentives", 54)
async def test_http_failures_are_network_errors(recon: ServiceHarness, clean_estate: Estate) -> None:
    clean_estate.nomis.inject_fault(path_pattern="/incentives/booking-id/2/current", status=500, count=None)
    clean_estate.dps["incentives"].inject_fault(
        path_pattern="/incentive-reviews/prisoner/A0020TZ", status=500, count=None
    )
    await run_report(recon)
    assert sorted(recon.events(f"{RECON}-network-error"), key=lambda e: e["bookingId"]) == [
        {"offenderNo": "A0002TZ", "bookingId": "2"},
        {"offenderNo": "A0020TZ", "bookingId": "20"},
    ]
    summary = report(recon)
    assert summary["mismatch-count"] == "2"
    assert entries(summary) == {"A0010TZ": "STD:ENH", "A0030TZ": "STD:ENH"}
    assert not recon.events(f"{RECON}-mismatch-error")


@pytest.mark.scenario("visits-and-incentives", 55)
async def test_malformed_answers_are_mismatch_errors(recon: ServiceHarness, clean_estate: Estate) -> None:
    fakes(clean_estate).garble("/incentives/booking-id/2/current")
    fakes(clean_estate).garble("/incentive-reviews/prisoner/A0020TZ")
    await run_report(recon)
    assert sorted(recon.events(f"{RECON}-mismatch-error"), key=lambda e: e["bookingId"]) == [
        {"offenderNo": "A0002TZ", "bookingId": "2"},
        {"offenderNo": "A0020TZ", "bookingId": "20"},
    ]
    summary = report(recon)
    assert summary["mismatch-count"] == "2"
    assert entries(summary) == {"A0010TZ": "STD:ENH", "A0030TZ": "STD:ENH"}
    assert not recon.events(f"{RECON}-network-error")


@pytest.mark.scenario("visits-and-incentives", 56)
async def test_failing_count_fails_the_run_without_telemetry(recon: ServiceHarness) -> None:
    prisoners(recon.estate).fail_page(0, status=500, count=1)
    with pytest.raises(HttpError) as raised:
        await run_report(recon)
    assert raised.value.status == 500
    assert not [e for e in recon.recorder.names() if e.startswith(RECON)]


@pytest.mark.scenario("visits-and-incentives", 57)
async def test_failed_page_is_reported_and_the_rest_still_checked(recon: ServiceHarness) -> None:
    prisoners(recon.estate).fail_page(2, status=500)
    await run_report(recon)
    assert recon.events(f"{RECON}-mismatch-page-error") == [{"page": "2"}]
    summary = report(recon)
    assert summary["mismatch-count"] == "2"
    assert entries(summary) == {"A0010TZ": "STD:ENH", "A0020TZ": "STD:ENH"}


async def test_transient_page_failure_is_retried_then_succeeds(recon: ServiceHarness) -> None:
    """A 502 (or timeout) on a page is retried with back-off; two blips cost nothing."""
    prisoners(recon.estate).fail_page(2, status=502, count=2)
    await run_report(recon)
    assert not recon.events(f"{RECON}-mismatch-page-error")
    assert entries(report(recon)) == SPEC_MISMATCHES
    asked = [p.query["page"] for p in recon.estate.nomis.requests("GET", "/prisoners/ids/active")]
    assert asked.count("2") == 3


async def test_persistent_transient_page_failure_is_retried_then_reported(recon: ServiceHarness) -> None:
    prisoners(recon.estate).fail_page(1, status=502)
    await run_report(recon)
    assert recon.events(f"{RECON}-mismatch-page-error") == [{"page": "1"}]
    asked = [p.query["page"] for p in recon.estate.nomis.requests("GET", "/prisoners/ids/active")]
    assert asked.count("1") == 4  # the first try and 3 retries
    assert entries(report(recon)) == {"A0010TZ": "STD:ENH", "A0030TZ": "STD:ENH"}


@pytest.mark.scenario("visits-and-incentives", 71)
async def test_excluded_booking(clean_estate: Estate) -> None:
    seeded = prisoners(clean_estate).seed(
        [
            {"bookingId": 10743, "offenderNo": "A1074TZ"},
            {"bookingId": 5, "offenderNo": "A0005TZ"},
        ]
    )
    fakes(clean_estate).seed_levels(seeded, "STD", {"A1074TZ": "ENH"})
    async with incentives_service(clean_estate, **PAGE_10) as harness:
        await run_report(harness)
        assert harness.events(f"{RECON}-excluded-booking") == [
            {
                "offenderNo": "A1074TZ",
                "bookingId": "10743",
                "reason": "Excluding reconciliation mismatches for booking id 10743",
            }
        ]
        assert report(harness) == {"mismatch-count": "0", "success": "true"}
        assert not harness.events(f"{RECON}-mismatch")

        # DPS and NOMIS now agree for the excluded booking
        fakes(clean_estate).create_review("A1074TZ", "STD", booking_id=10743)
        harness.recorder.clear()
        await run_report(harness)
        assert harness.events(f"{RECON}-mismatch-excluded-booking-resolved") == [
            {
                "offenderNo": "A1074TZ",
                "bookingId": "10743",
                "reason": "No reconciliation mismatches found for excluded booking id 10743. "
                "Remove from exclusion file.",
            }
        ]
        assert not harness.events(f"{RECON}-excluded-booking")


async def test_missing_levels_render_as_null_and_none_equals_none(clean_estate: Estate) -> None:
    seeded = prisoners(clean_estate).seed_range(4)
    incentives = fakes(clean_estate)
    incentives.seed_levels(seeded[:2], "STD", {"A0002TZ": None})  # A0002TZ: NOMIS STD, no DPS review
    incentives.create_review("A0003TZ", "ENH", booking_id=3)  # A0003TZ: no NOMIS IEP, DPS ENH
    # A0004TZ: neither side has a level -> a match
    async with incentives_service(clean_estate, **PAGE_10) as harness:
        await run_report(harness)
        summary = report(harness)
    assert entries(summary) == {"A0002TZ": "STD:null", "A0003TZ": "null:ENH"}
    assert {m["offenderNo"]: m["dpsIncentiveLevel"] for m in harness.events(f"{RECON}-mismatch")} == {
        "A0002TZ": "null",
        "A0003TZ": "ENH",
    }


@pytest.mark.scenario("framework", 55)
async def test_pages_requested_follow_as_pages(clean_estate: Estate) -> None:
    """as_pages(20, 10) is pages 0, 1, 2 (the last empty) and as_pages(0, 10) is page 0 alone."""
    assert as_pages(20, 10) == [(0, 10), (1, 10), (2, 10)]
    assert as_pages(0, 10) == [(0, 10)]
    async with incentives_service(clean_estate, **PAGE_10) as harness:
        await run_report(harness)  # nobody active
        asked = [
            (p.query["page"], p.query["size"])
            for p in clean_estate.nomis.requests("GET", "/prisoners/ids/active")
        ]
        assert asked == [("0", "1"), ("0", "10")]
        assert report(harness) == {"mismatch-count": "0", "success": "true"}

        seeded = prisoners(clean_estate).seed_range(20)
        fakes(clean_estate).seed_levels(seeded)
        clean_estate.nomis.journal.clear()
        harness.recorder.clear()
        await run_report(harness)
        asked = [
            (p.query["page"], p.query["size"])
            for p in clean_estate.nomis.requests("GET", "/prisoners/ids/active")
        ]
        assert asked == [("0", "1"), ("0", "10"), ("1", "10"), ("2", "10")]


async def test_a_page_is_checked_with_bounded_concurrency(clean_estate: Estate) -> None:
    """thread-count 3: never more than 3 prisoners in flight, however big the page."""
    seeded = prisoners(clean_estate).seed_range(12)
    fakes(clean_estate).seed_levels(seeded)
    clean_estate.dps["incentives"].inject_fault(
        path_pattern="/incentive-reviews/prisoner/.*", status=0, delay_seconds=0.05, count=None
    )
    env = {
        "REPORTS_INCENTIVES_RECONCILIATION_PAGE-SIZE": "12",
        "REPORTS_INCENTIVES_RECONCILIATION_THREAD-COUNT": "3",
    }
    async with incentives_service(clean_estate, **env) as harness:
        await run_report(harness)
        assert report(harness)["mismatch-count"] == "0"
    calls = sorted(
        e.time for e in clean_estate.dps["incentives"].requests("GET", "/incentive-reviews/prisoner/.*")
    )
    # each call holds its slot >= 50ms, so any 4 consecutive starts span at least one full delay
    assert all(calls[i + 3] - calls[i] >= 0.045 for i in range(len(calls) - 3))


async def test_reconciliation_endpoint_starts_the_report_in_the_background(recon: ServiceHarness) -> None:
    path = "/incentives/reports/reconciliation"
    assert (await recon.request("PUT", path))[0] == 401
    assert (await recon.request("PUT", path, roles=["ROLE_BANANAS"]))[0] == 403
    recon.estate.dps["incentives"].inject_fault(
        path_pattern="/incentive-reviews/prisoner/A0001TZ", status=0, delay_seconds=0.5
    )
    status, body, _ = await recon.request("PUT", path, roles=[UPDATE_ROLE])
    assert (status, body) == (202, None)
    # the count and "requested" happen before the answer; the pages afterwards
    assert recon.events(f"{RECON}-requested") == [{"active-prisoners": "34"}]
    again, conflict, _ = await recon.request("PUT", path, roles=[UPDATE_ROLE])
    assert again == 409 and "already running" in conflict["userMessage"]
    [summary] = await recon.wait_for_event(f"{RECON}-report")
    assert entries(summary) == SPEC_MISMATCHES


async def test_endpoint_answers_500_when_the_count_fails(recon: ServiceHarness) -> None:
    prisoners(recon.estate).fail_page(0, status=500, count=1)
    status, body, _ = await recon.request("PUT", "/incentives/reports/reconciliation", roles=[UPDATE_ROLE])
    assert status == 500 and body["userMessage"].startswith("Unexpected error: 500 Internal Server Error")
    assert not recon.events(f"{RECON}-requested")


def test_excluded_booking_file_format() -> None:
    assert parse_excluded_booking_ids("10743") == frozenset({10743})
    assert parse_excluded_booking_ids(" 1, 2 ,x, ,3\n4") == frozenset({1, 2, 3, 4})
    assert parse_excluded_booking_ids("") == frozenset()
