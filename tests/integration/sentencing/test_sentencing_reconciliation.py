"""The SENTENCING_RECON report (sentencing-and-non-associations scenarios 39-54 and 61).

Every report runs the real batch job against the sandbox with seeded differences and must report
exactly those differences.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sentencing_support import DOMAINS, QUEUE

from hmpps_sandbox.domains.sentencing import SentencingFakes
from hmpps_sandbox.estate import Estate
from hmpps_sandbox.harness import ServiceHarness
from prisoner_to_nomis_update.settings import DPS_APIS

SPEC = "sentencing-and-non-associations"
REPORT = "sentencing-reports-reconciliation-report"
MISMATCH = "sentencing-reports-reconciliation-mismatch"
LATEST = "/bookings/ids/latest-from-id"


def offender(index: int) -> str:
    return f"A{index:04d}TZ"


class Seeder:
    def __init__(self, estate: Estate) -> None:
        self.fakes: SentencingFakes = estate.plugins["sentencing"]
        self.prisoners = estate.plugins["prisoners"]

    def prisoners_1_to(self, count: int) -> None:
        self.prisoners.seed_range(count)

    def nomis(self, booking_id: int, code: str, days: int = 10) -> None:
        category = "KEY-DATE" if code in ("LAL", "UAL", "RADA", "ADA", "SREM") else "SENTENCE"
        record: dict[str, Any] = {"bookingId": booking_id, "adjustmentTypeCode": code, "adjustmentDays": days}
        if category == "SENTENCE":
            record["sentenceSequence"] = 1
        self.fakes.seed_nomis(category, record)

    def dps(
        self, booking_id: int, code: str, effective_days: int | None = 10, offender_no: str | None = None
    ) -> None:
        self.fakes.seed_dps(
            {
                "id": None,
                "bookingId": booking_id,
                "offenderNo": offender_no or offender(booking_id),
                "adjustmentType": code,
                "sentenceSequence": None if code in ("LAL", "UAL", "RADA", "ADA", "SREM") else 1,
                "adjustmentDays": 10,
                "effectiveDays": effective_days,
            }
        )


@pytest.fixture
def seed(clean_estate: Estate) -> Seeder:
    return Seeder(clean_estate)


@asynccontextmanager
async def reporting_service(estate: Estate, page_size: int = 10) -> AsyncIterator[ServiceHarness]:
    harness = ServiceHarness(
        estate,
        queues=[QUEUE],
        domains=DOMAINS,
        env={"REPORTS_SENTENCING_RECONCILIATION_PAGE_SIZE": str(page_size)},
    )
    await harness.start(listen=False, http=False)
    try:
        yield harness
    finally:
        await harness.stop()


async def run_report(estate: Estate, page_size: int = 10) -> ServiceHarness:
    async with reporting_service(estate, page_size) as harness:
        await harness.service.batch_job("SENTENCING_RECON")()
    return harness


@pytest.mark.scenario(SPEC, 39)
@pytest.mark.scenario(SPEC, 40)
@pytest.mark.scenario(SPEC, 41)
async def test_report_over_34_prisoners_finds_the_two_seeded_mismatches(
    clean_estate: Estate, seed: Seeder
) -> None:
    seed.prisoners_1_to(34)
    seed.dps(1, "RX")  # DPS REMAND, NOMIS none
    seed.nomis(34, "S240A")  # NOMIS tagged bail ...
    seed.dps(34, "UAL")  # ... DPS unlawfully at large
    harness = await run_report(clean_estate)

    assert harness.events("sentencing-reports-reconciliation-requested") == [{}]
    pages = clean_estate.nomis.requests("GET", LATEST)
    assert len(pages) == 4
    assert all(p.query["activeOnly"] == "true" and p.query["pageSize"] == "10" for p in pages)
    assert [p.query["bookingId"] for p in pages] == ["0", "10", "20", "30"]
    assert harness.events(REPORT) == [
        {"mismatch-count": "2", "success": "true", "A0001TZ": "0:1", "A0034TZ": "1:1"}
    ]
    assert sorted(harness.events(MISMATCH), key=lambda e: int(e["bookingId"])) == [
        {
            "offenderNo": "A0001TZ",
            "bookingId": "1",
            "nomisAdjustmentsCount": "0",
            "dpsAdjustmentsCount": "1",
            "differences": "remand 1",
        },
        {
            "offenderNo": "A0034TZ",
            "bookingId": "34",
            "nomisAdjustmentsCount": "1",
            "dpsAdjustmentsCount": "1",
            "differences": "unlawfullyAtLarge 1, taggedBail -1",
        },
    ]


@pytest.mark.scenario(SPEC, 42)
async def test_a_failing_prisoner_is_reported_and_the_report_completes(
    clean_estate: Estate, seed: Seeder
) -> None:
    seed.prisoners_1_to(12)
    seed.dps(3, "RX")
    seed.fakes.person_faults[offender(7)] = 500
    harness = await run_report(clean_estate)

    assert harness.events("sentencing-reports-reconciliation-mismatch-error") == [
        {"offenderNo": "A0007TZ", "bookingId": "7"}
    ]
    # Three tries (no delay) before giving up on that prisoner.
    dps = clean_estate.dps["sentence-adjustments"]
    assert len([r for r in dps.requests("GET", "/adjustments") if r.query["person"] == "A0007TZ"]) == 3
    assert harness.events(REPORT) == [{"mismatch-count": "1", "success": "true", "A0003TZ": "0:1"}]


@pytest.mark.scenario(SPEC, 43)
async def test_a_failing_page_is_reported_and_skipped(clean_estate: Estate, seed: Seeder) -> None:
    seed.prisoners_1_to(25)
    seed.dps(5, "RX")  # on the failed first page: not seen
    seed.dps(15, "RX")
    seed.dps(25, "UAL")
    clean_estate.nomis.inject_fault(path_pattern=LATEST, status=500, count=1)
    harness = await run_report(clean_estate)

    assert harness.events("sentencing-reports-reconciliation-mismatch-page-error") == [{"booking": "0"}]
    assert harness.events(REPORT) == [
        {"mismatch-count": "2", "success": "true", "A0015TZ": "0:1", "A0025TZ": "0:1"}
    ]
    pages = clean_estate.nomis.requests("GET", LATEST)
    assert [p.query["bookingId"] for p in pages] == ["0", "10", "20"]


@pytest.mark.scenario(SPEC, 44)
@pytest.mark.scenario(SPEC, 45)
@pytest.mark.scenario(SPEC, 46)
@pytest.mark.scenario(SPEC, 47)
@pytest.mark.scenario(SPEC, 48)
@pytest.mark.scenario(SPEC, 49)
@pytest.mark.scenario(SPEC, 50)
@pytest.mark.scenario(SPEC, 51)
@pytest.mark.scenario(SPEC, 52)
@pytest.mark.scenario(SPEC, 53)
async def test_per_type_counting_reports_exactly_the_seeded_differences(
    clean_estate: Estate, seed: Seeder
) -> None:
    seed.prisoners_1_to(10)
    # 1: both empty (44).
    # 2: only zero-day adjustments on both sides (45).
    seed.nomis(2, "RX", days=0)
    seed.dps(2, "RX", effective_days=0)
    # 3: one of each type on both sides; NOMIS's two remand and two tagged-bail codes each count (46).
    for code in ("LAL", "UAL", "RADA", "ADA", "SREM", "UR", "RSR", "RX", "S240A", "RST", "TCA", "TSA"):
        seed.nomis(3, code)
    for code in ("LAL", "UAL", "RADA", "ADA", "SREM", "UR", "RX", "RX", "S240A", "S240A", "TCA"):
        seed.dps(3, code)
    # 4: NOMIS S240A + RST versus two DPS tagged bail (47).
    seed.nomis(4, "S240A")
    seed.nomis(4, "RST")
    seed.dps(4, "S240A")
    seed.dps(4, "RST")
    # 5: NOMIS RSR + RX versus two DPS remand (48).
    seed.nomis(5, "RSR")
    seed.nomis(5, "RX")
    seed.dps(5, "RX")
    seed.dps(5, "RX")
    # 6: DPS missing one remand (49).
    seed.nomis(6, "RSR")
    seed.nomis(6, "RX")
    seed.dps(6, "RX")
    # 7: DPS has an extra ADA with no effective days (50).
    seed.nomis(7, "RX")
    seed.dps(7, "RX")
    seed.dps(7, "ADA", effective_days=0)
    # 8: NOMIS missing one remand (51).
    seed.nomis(8, "RX")
    seed.dps(8, "RX")
    seed.dps(8, "RX")
    # 9: same total, different types (52).
    seed.nomis(9, "UAL")
    seed.dps(9, "LAL")
    # 10: DPS adjustments of an older booking are not this booking's; null effective days still count.
    seed.dps(10, "RX", offender_no=offender(10))
    seed.fakes.seed_dps(
        {
            "id": None,
            "bookingId": 1010,
            "offenderNo": offender(10),
            "adjustmentType": "UAL",
            "sentenceSequence": None,
        }
    )
    seed.nomis(10, "RX")
    seed.fakes.seed_dps(
        {
            "id": None,
            "bookingId": 10,
            "offenderNo": offender(10),
            "adjustmentType": "LAL",
            "sentenceSequence": None,
            "effectiveDays": None,
        }
    )
    seed.nomis(10, "LAL")
    harness = await run_report(clean_estate)

    mismatches = {e["offenderNo"]: e for e in harness.events(MISMATCH)}
    assert set(mismatches) == {"A0006TZ", "A0008TZ", "A0009TZ"}
    assert mismatches["A0006TZ"]["differences"] == "remand -1"
    assert (mismatches["A0006TZ"]["nomisAdjustmentsCount"], mismatches["A0006TZ"]["dpsAdjustmentsCount"]) == (
        "2",
        "1",
    )
    assert mismatches["A0008TZ"]["differences"] == "remand 1"
    assert mismatches["A0009TZ"]["differences"] == "lawfullyAtLarge 1, unlawfullyAtLarge -1"
    assert harness.events(REPORT) == [
        {"mismatch-count": "3", "success": "true", "A0006TZ": "2:1", "A0008TZ": "1:2", "A0009TZ": "1:1"}
    ]
    # 53: every prisoner's DPS list and every booking's active NOMIS adjustments were read.
    dps_people = sorted(
        r.query["person"] for r in clean_estate.dps["sentence-adjustments"].requests("GET", "/adjustments")
    )
    assert dps_people == [offender(i) for i in range(1, 11)]
    nomis_reads = clean_estate.nomis.requests("GET", r"/prisoners/booking-id/\d+/sentencing-adjustments")
    assert sorted(int(r.path.split("/")[3]) for r in nomis_reads) == list(range(1, 11))
    assert all(r.query == {"active-only": "true"} for r in nomis_reads)


@pytest.mark.scenario(SPEC, 54)
async def test_prisoners_unknown_to_dps_count_as_having_none(clean_estate: Estate, seed: Seeder) -> None:
    seed.prisoners_1_to(4)
    seed.nomis(1, "UAL")
    seed.dps(1, "LAL")
    seed.fakes.person_faults[offender(3)] = 404
    seed.nomis(4, "UAL")
    seed.fakes.person_faults[offender(4)] = 422
    harness = await run_report(clean_estate)

    assert {e["offenderNo"] for e in harness.events(MISMATCH)} == {"A0001TZ", "A0004TZ"}
    assert harness.events(REPORT)[0]["mismatch-count"] == "2"
    assert harness.events(REPORT)[0]["A0004TZ"] == "1:0"
    assert harness.events("sentencing-reports-reconciliation-mismatch-error") == []


async def test_all_prisoners_setting_includes_inactive_bookings(clean_estate: Estate, seed: Seeder) -> None:
    seed.prisoners.seed([{"bookingId": 1, "offenderNo": "A0001TZ", "active": False}])
    seed.dps(1, "RX")
    harness = ServiceHarness(
        clean_estate,
        queues=[QUEUE],
        domains=DOMAINS,
        env={"REPORTS_SENTENCING_RECONCILIATION_ALL_PRISONERS": "true"},
    )
    await harness.start(listen=False, http=False)
    try:
        await harness.service.batch_job("SENTENCING_RECON")()
    finally:
        await harness.stop()
    [page] = clean_estate.nomis.requests("GET", LATEST)
    assert page.query == {"bookingId": "0", "activeOnly": "false", "pageSize": "20"}
    assert harness.events(REPORT) == [{"mismatch-count": "1", "success": "true", "A0001TZ": "0:1"}]


@pytest.mark.scenario(SPEC, 61)
async def test_batch_command_runs_the_report_and_exits(clean_estate: Estate, seed: Seeder) -> None:
    seed.prisoners_1_to(3)
    seed.dps(2, "RX")
    env = {**os.environ, **clean_estate.service_env(queues=[]), "LOG_LEVEL": "INFO"}
    # Domains other than sentencing are not called by this job; they only need a URL to start.
    for variable, _, _ in DPS_APIS.values():
        env.setdefault(variable, "http://127.0.0.1:9")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "prisoner_to_nomis_update",
        "batch",
        "SENTENCING_RECON",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    text = output.decode()
    assert process.returncode == 0, text
    assert REPORT in text and "A0002TZ" in text
    assert len(clean_estate.nomis.requests("GET", LATEST)) == 1
