"""The ADJUDICATION_RECON report (adjudications scenarios 102-121): ADA counts and days, NOMIS versus DPS.

Every report runs the real batch job against the sandbox with seeded differences and must report
exactly those differences.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from adjudications_support import DOMAINS, QUEUE, SPEC, charge, hearing, punishment

from hmpps_sandbox.domains.adjudications import AdjudicationsFakes
from hmpps_sandbox.estate import Estate
from hmpps_sandbox.harness import ServiceHarness
from prisoner_to_nomis_update.__main__ import run_batch

PREFIX = "adjudication-reports-reconciliation"
ACTIVE = "/prisoners/ids/active"


def telemetry_records(caplog: pytest.LogCaptureFixture, name: str) -> list[dict[str, str]]:
    return [
        getattr(r, "properties", {})
        for r in caplog.records
        if r.name == "telemetry" and r.getMessage() == name
    ]


def offender(booking_id: int) -> str:
    return f"A{booking_id:04d}TZ"


class Seeder:
    def __init__(self, estate: Estate) -> None:
        self.fakes: AdjudicationsFakes = estate.plugins["adjudications"]
        self.prisoners = estate.plugins["prisoners"]
        self.numbers = iter(range(900000, 999999))

    def nomis_ada(self, booking_id: int, days: int, number: int | None = None, **award: Any) -> int:
        number = number or next(self.numbers)
        if number not in self.fakes.nomis.adjudications:
            self.fakes.nomis.seed_adjudication(offender(booking_id), booking_id, number)
        self.fakes.nomis.seed_award(number, sanctionType="ADA", sanctionDays=days, **award)
        return number

    def dps_ada(
        self,
        booking_id: int,
        days: list[int],
        charge_number: str | None = None,
        heard: bool = True,
        punishment_type: str = "ADDITIONAL_DAYS",
        **fields: Any,
    ) -> str:
        number = charge_number or f"MDI-{next(self.numbers)}"
        self.fakes.dps.seed(
            charge(
                number,
                prisonerNumber=offender(booking_id),
                hearings=[hearing(len(days))] if heard else [],
                punishments=[punishment(i, punishment_type, d, **fields) for i, d in enumerate(days)],
            ),
            booking_id,
        )
        return number

    def merge(self, booking_id: int, previous_booking_id: int) -> None:
        self.fakes.nomis.merges[offender(booking_id)] = [
            {
                "deletedOffenderNo": "A9999ZZ",
                "retainedOffenderNo": offender(booking_id),
                "previousBookingId": previous_booking_id,
                "activeBookingId": booking_id,
                "requestDateTime": "2024-02-02T12:34:00",
            }
        ]


@pytest.fixture
def seed(clean_estate: Estate) -> Seeder:
    return Seeder(clean_estate)


@asynccontextmanager
async def reporting_service(estate: Estate, page_size: int = 10) -> AsyncIterator[ServiceHarness]:
    harness = ServiceHarness(
        estate,
        queues=[QUEUE],
        domains=DOMAINS,
        env={"REPORTS_ADJUDICATIONS_RECONCILIATION_PAGE-SIZE": str(page_size)},
    )
    await harness.start(listen=False, http=False)
    try:
        yield harness
    finally:
        await harness.stop()


async def run_report(estate: Estate, page_size: int = 10) -> ServiceHarness:
    async with reporting_service(estate, page_size) as harness:
        await harness.service.batch_job("ADJUDICATION_RECON")()
    return harness


def seed_34_with_two_mismatches(seed: Seeder) -> None:
    seed.prisoners.seed_range(34)
    seed.dps_ada(1, [10, 15])
    seed.nomis_ada(1, 12)
    seed.dps_ada(34, [10])
    seed.nomis_ada(34, 12)


@pytest.mark.scenario(SPEC, 102)
@pytest.mark.scenario(SPEC, 103)
async def test_report_over_34_prisoners_finds_the_two_seeded_mismatches(
    clean_estate: Estate, seed: Seeder
) -> None:
    seed_34_with_two_mismatches(seed)
    harness = await run_report(clean_estate)

    assert harness.events(f"{PREFIX}-requested") == [{"active-prisoners": "34"}]
    sizes = [entry.query["size"] for entry in clean_estate.nomis.requests("GET", ACTIVE)]
    assert sizes.count("1") == 1 and sizes.count("10") == 4
    assert harness.events(f"{PREFIX}-report") == [
        {"mismatch-count": "2", "success": "true", "A0001TZ": "1:2,12:25", "A0034TZ": "1:1,12:10"}
    ]
    assert sorted(harness.events(f"{PREFIX}-mismatch"), key=lambda e: e["offenderNo"]) == [
        {
            "offenderNo": "A0001TZ",
            "bookingId": "1",
            "nomisAdaCount": "1",
            "dpsAdaCount": "2",
            "nomisAdaDays": "12",
            "dpsAdaDays": "25",
        },
        {
            "offenderNo": "A0034TZ",
            "bookingId": "34",
            "nomisAdaCount": "1",
            "dpsAdaCount": "1",
            "nomisAdaDays": "12",
            "dpsAdaDays": "10",
        },
    ]


@pytest.mark.scenario(SPEC, 104)
@pytest.mark.scenario(SPEC, 106)
async def test_failing_prisoner_and_page_are_reported_and_skipped(clean_estate: Estate, seed: Seeder) -> None:
    seed_34_with_two_mismatches(seed)
    seed.fakes.dps.booking_faults[1] = 500
    seed.prisoners.fail_page(2)
    harness = await run_report(clean_estate)

    assert harness.events(f"{PREFIX}-mismatch-error") == [{"offenderNo": "A0001TZ", "bookingId": "1"}]
    assert len(seed.fakes.dps.api.requests("GET", "/reported-adjudications/all-by-booking/1")) == 3
    assert harness.events(f"{PREFIX}-mismatch-page-error") == [{"page": "2"}]
    assert harness.events(f"{PREFIX}-report") == [
        {"mismatch-count": "1", "success": "true", "A0034TZ": "1:1,12:10"}
    ]


@pytest.mark.scenario(SPEC, 105)
async def test_report_fails_when_active_prisoners_cannot_be_counted(
    clean_estate: Estate, seed: Seeder
) -> None:
    seed.prisoners.seed_range(3)
    seed.prisoners.fail_page(0)
    async with reporting_service(clean_estate) as harness:
        with pytest.raises(Exception, match="500"):
            await harness.service.batch_job("ADJUDICATION_RECON")()
    assert harness.events(f"{PREFIX}-requested") == []
    assert harness.events(f"{PREFIX}-report") == []


@pytest.mark.scenario(SPEC, 107)
@pytest.mark.scenario(SPEC, 108)
@pytest.mark.scenario(SPEC, 109)
@pytest.mark.scenario(SPEC, 110)
@pytest.mark.scenario(SPEC, 111)
@pytest.mark.scenario(SPEC, 112)
@pytest.mark.scenario(SPEC, 113)
@pytest.mark.scenario(SPEC, 114)
@pytest.mark.scenario(SPEC, 115)
@pytest.mark.scenario(SPEC, 116)
@pytest.mark.scenario(SPEC, 117)
@pytest.mark.scenario(SPEC, 118)
@pytest.mark.scenario(SPEC, 119)
async def test_what_counts_as_a_mismatch(clean_estate: Estate, seed: Seeder) -> None:
    """One prisoner per case: booking n is the n-th case below."""
    seed.prisoners.seed_range(13)
    # 107: no ADAs anywhere.
    # 108: one identical ADA each.
    seed.nomis_ada(2, 10)
    seed.dps_ada(2, [10])
    # 109: DPS also has an ADA on an adjudication that never had a hearing.
    seed.nomis_ada(3, 10)
    seed.dps_ada(3, [10])
    seed.dps_ada(3, [5], heard=False)
    # 110: the same ADAs in a different order.
    seed.nomis_ada(4, 5)
    seed.nomis_ada(4, 10)
    seed.dps_ada(4, [10, 5])
    # 111: same lengths, different dates.
    seed.nomis_ada(5, 10, effectiveDate="2023-01-01")
    seed.dps_ada(5, [10], start="2024-05-05")
    # 112: DPS prospective days against a NOMIS ADA.
    seed.nomis_ada(6, 10)
    seed.dps_ada(6, [10], punishment_type="PROSPECTIVE_DAYS")
    # 113: statuses differ.
    seed.nomis_ada(7, 10, sanctionStatus="AWARD_RED")
    seed.dps_ada(7, [10], status="INVALID_ADA")
    # 114: different lengths, no merges.
    seed.nomis_ada(8, 12)
    seed.dps_ada(8, [10])
    # 115: different lengths and a merge, but NOMIS's ADA is on the DPS charge's own adjudication.
    seed.fakes.mappings.map_charge(seed.dps_ada(9, [10]), seed.nomis_ada(9, 12))
    seed.merge(9, 1234)
    # 116: a NOMIS ADA DPS does not know, no merges.
    seed.nomis_ada(10, 10, number=1000003)
    # 117: the same, explained by a merge whose previous booking holds it in DPS.
    seed.nomis_ada(11, 10, number=1000011)
    seed.merge(11, 1234)
    seed.dps_ada(1234, [10], charge_number="MDI-00003")
    # 118: the same, but the previous booking has nothing in DPS.
    seed.nomis_ada(12, 10, number=1000012)
    seed.merge(12, 1235)
    # 119: every NOMIS ADA is mapped but the days differ (with a merge).
    seed.fakes.mappings.map_charge(seed.dps_ada(13, [10]), seed.nomis_ada(13, 1))
    seed.merge(13, 1234)
    harness = await run_report(clean_estate)

    [report] = harness.events(f"{PREFIX}-report")
    assert report == {
        "mismatch-count": "5",
        "success": "true",
        "A0008TZ": "1:1,12:10",
        "A0009TZ": "1:1,12:10",
        "A0010TZ": "1:0,10:0",
        "A0012TZ": "1:0,10:0",
        "A0013TZ": "1:1,1:10",
    }
    merges = clean_estate.nomis.requests("GET", r"/prisoners/A0008TZ/merges")
    assert [m.query for m in merges] == [{"fromDate": "2024-01-28"}]
    assert harness.events(f"{PREFIX}-merge-mismatch") == [
        {
            "offenderNo": "A0012TZ",
            "bookingId": "12",
            "nomisAdaCount": "1",
            "originalDpsAdaCount": "0",
            "dpsAdaCount": "0",
            "nomisAdaDays": "10",
            "originalDpsAdaDays": "0",
            "dpsAdaDays": "0",
            "mergeDate": "2024-02-02T12:34:00",
            "mergeFrom": "A9999ZZ",
            "missingAdjudications": "1000012",
        }
    ]
    assert harness.events(f"{PREFIX}-mismatch-error") == []


@pytest.mark.scenario(SPEC, 120)
@pytest.mark.scenario(SPEC, 121)
async def test_batch_job_reports_only_the_mismatching_booking(
    clean_estate: Estate, seed: Seeder, caplog: pytest.LogCaptureFixture
) -> None:
    """`prisoner-to-nomis-update batch ADJUDICATION_RECON` (its own service, telemetry to the log):
    bookings 1 and 2 are read, only booking 2 differs."""
    seed.prisoners.seed_range(2)
    seed.nomis_ada(1, 10)
    seed.dps_ada(1, [10])
    seed.dps_ada(2, [3])
    caplog.set_level(logging.INFO)
    async with reporting_service(clean_estate) as harness:
        await run_batch(harness.settings, "ADJUDICATION_RECON", DOMAINS)
    dps = seed.fakes.dps.api
    for booking_id in (1, 2):
        assert len(dps.requests("GET", f"/reported-adjudications/all-by-booking/{booking_id}")) == 1
        assert (
            len(clean_estate.nomis.requests("GET", f"/prisoners/booking-id/{booking_id}/awards/ada/summary"))
            == 1
        )
    mismatches = telemetry_records(caplog, f"{PREFIX}-mismatch")
    assert [m["bookingId"] for m in mismatches] == ["2"]
    assert telemetry_records(caplog, f"{PREFIX}-report") == [
        {"mismatch-count": "1", "success": "true", "A0002TZ": "0:1,0:3"}
    ]
