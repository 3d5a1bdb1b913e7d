"""INCENTIVES_RECON as a batch job (framework.md 10): no listeners, exit status, and scale."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from collections.abc import AsyncIterator

import pytest
from incentives_support import (
    INCENTIVES_ONLY,
    RECON,
    fakes,
    incentives_service,
    inserted_event,
    prisoners,
    report,
    run_report,
)

from hmpps_sandbox.estate import Estate
from hmpps_sandbox.harness import ServiceHarness
from prisoner_to_nomis_update.__main__ import run_batch
from prisoner_to_nomis_update.framework.messages import notification_body


@pytest.fixture
async def provisioned(clean_estate: Estate) -> AsyncIterator[ServiceHarness]:
    """Queues provisioned (as a running service would), nobody listening; one event waiting."""
    harness = ServiceHarness(
        clean_estate,
        queues=["incentive"],
        domains=INCENTIVES_ONLY,
        env={"REPORTS_INCENTIVES_RECONCILIATION_PAGE-SIZE": "10"},
    )
    await harness.start(listen=False, http=False)
    await harness.send_raw(
        "incentive", notification_body(inserted_event(12)), "incentives.iep-review.inserted"
    )
    try:
        yield harness
    finally:
        await harness.stop()


def seed(estate: Estate, count: int = 34) -> None:
    seeded = prisoners(estate).seed_range(count)
    fakes(estate).seed_levels(seeded, "STD", {p.offenderNo: "ENH" for p in seeded if p.bookingId % 10 == 0})


def telemetry_records(caplog: pytest.LogCaptureFixture, name: str) -> list[dict[str, str]]:
    return [
        getattr(r, "properties", {})
        for r in caplog.records
        if r.name == "telemetry" and r.getMessage() == name
    ]


@pytest.mark.scenario("framework", 48)
@pytest.mark.scenario("framework", 50)
async def test_batch_runs_the_report_once_without_consuming_messages(
    provisioned: ServiceHarness, clean_estate: Estate, caplog: pytest.LogCaptureFixture
) -> None:
    seed(clean_estate)
    caplog.set_level(logging.INFO)
    await run_batch(provisioned.settings, "INCENTIVES_RECON", domains=INCENTIVES_ONLY)

    [summary] = telemetry_records(caplog, f"{RECON}-report")
    assert summary["mismatch-count"] == "3" and summary["success"] == "true"
    assert len(telemetry_records(caplog, f"{RECON}-requested")) == 1
    # the waiting event was neither consumed nor processed
    assert await provisioned.depth("incentive") == 1
    assert not clean_estate.dps["incentives"].requests("GET", "/incentive-reviews/id/12")
    assert any("Incentives reconciliation finished" in r.getMessage() for r in caplog.records)
    assert any("1 of 4 pages done" in r.getMessage() for r in caplog.records), "progress per page"


async def _batch_process(harness: ServiceHarness, batch_type: str = "INCENTIVES_RECON") -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "prisoner_to_nomis_update",
        "batch",
        batch_type,
        env={**os.environ, **harness.env, "LOG_LEVEL": "INFO"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, output.decode(errors="replace")


@pytest.mark.scenario("framework", 48)
@pytest.mark.scenario("framework", 50)
async def test_batch_command_exits_zero_and_leaves_the_queue_alone(
    provisioned: ServiceHarness, clean_estate: Estate
) -> None:
    seed(clean_estate)
    code, output = await _batch_process(provisioned)
    assert code == 0, output
    assert f"{RECON}-report" in output
    assert await provisioned.depth("incentive") == 1
    assert len(clean_estate.nomis.requests("GET", r"/incentives/booking-id/\d+/current")) == 34


async def test_batch_command_exits_non_zero_when_the_report_cannot_run(
    provisioned: ServiceHarness, clean_estate: Estate
) -> None:
    prisoners(clean_estate).fail_page(0, status=500)
    code, output = await _batch_process(provisioned)
    assert code != 0
    assert "500 Internal Server Error" in output
    assert await provisioned.depth("incentive") == 1


async def test_five_thousand_prisoners_report_exactly_the_seeded_mismatches(clean_estate: Estate) -> None:
    """Issue 6's done-when: 5,000 active prisoners, a handful of seeded mismatches, reported exactly."""
    seeded = prisoners(clean_estate).seed_range(5000)
    planted = {"A0007TZ": "ENH", "A1234TZ": "BAS", "A2500TZ": None, "A4999TZ": "EN2", "A5000TZ": "ENH"}
    fakes(clean_estate).seed_levels(seeded, "STD", planted)
    fakes(clean_estate).ieps.pop(3333)  # and one prisoner NOMIS has no IEP for
    env = {
        "REPORTS_INCENTIVES_RECONCILIATION_PAGE-SIZE": "100",
        "REPORTS_INCENTIVES_RECONCILIATION_THREAD-COUNT": "50",
    }
    async with incentives_service(clean_estate, **env) as harness:
        started = time.monotonic()
        await run_report(harness)
        elapsed = time.monotonic() - started
        summary = report(harness)
    expected = {offender: f"STD:{level or 'null'}" for offender, level in planted.items()}
    expected["A3333TZ"] = "null:STD"
    assert summary == {"mismatch-count": str(len(expected)), "success": "true", **expected}
    assert len(harness.events(f"{RECON}-mismatch")) == len(expected)
    assert not harness.events(f"{RECON}-network-error") and not harness.events(f"{RECON}-mismatch-page-error")
    assert elapsed < 60, f"5,000 prisoners took {elapsed:.1f}s"
