"""Times the court-case reconciliation (batch COURT_CASE_PRISONER_RECON) over N prisoners with one case each.

The estate (moto, HMPPS Auth, NOMIS, DPS and mapping fakes) runs in this process. Each of the N
prisoners has one court case in NOMIS and DPS (one appearance, one charge, one sentence with one term,
mapped to each other), identical but for a few planted differences. The report runs exactly as the
CronJob does, `python -m prisoner_to_nomis_update batch COURT_CASE_PRISONER_RECON`, as a child
process, so its duration, CPU and peak memory are the service's alone.

    .venv/bin/python bench/courtsentencing_recon.py [-n 1000] [--page-size 10] [--mismatches 5]

Per prisoner the service makes five calls: NOMIS case ids, DPS case uuids, the mapping list, then the
NOMIS and the DPS case. Prints the wall time, prisoners (= cases) per second, the service's peak RSS and
CPU time, and checks that the report found exactly the planted mismatches.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

import orjson
import psutil
from common import forget_journals, run_batch

from hmpps_sandbox.domains.courtsentencing import CourtSentencingFakes
from hmpps_sandbox.domains.courtsentencing_documents import distinct_pair
from hmpps_sandbox.domains.courtsentencing_reconciliation import CourtSentencingReconciliationFakes
from hmpps_sandbox.domains.prisoners import PrisonersFake, offender_no
from hmpps_sandbox.estate import Estate

JOB = "COURT_CASE_PRISONER_RECON"
PREFIX = "court-case-prisoner-reconciliation"
REPORT = f"{PREFIX}-report"
MISMATCH = f"{PREFIX}-mismatch"


def seed(estate: Estate, count: int, mismatches: int) -> set[str]:
    """N prisoners (booking i, A000iTZ) with one mapped case each; returns the prisoners planted to differ."""
    prisoners: PrisonersFake = estate.plugins["prisoners"]
    events: CourtSentencingFakes = estate.plugins["courtsentencing"]
    documents: CourtSentencingReconciliationFakes = estate.plugins["courtsentencing-reconciliation"]
    prisoners.seed_range(count)
    step = max(count // max(mismatches, 1), 1)
    planted = {offender_no(1 + i * step) for i in range(min(mismatches, count))}
    for booking in range(1, count + 1):
        prisoner = offender_no(booking)
        dps, nomis = distinct_pair(booking, prisoner, booking=booking)
        if prisoner in planted:
            nomis["caseStatus"] = {"code": "I", "description": "Inactive"}
        documents.seed_dps_case(dps)
        documents.seed_nomis_case(nomis)
        events.mappings.seed_case(dps["courtCaseUuid"], nomis["id"], prisoner)
    return planted


def telemetry(output: bytes, name: str) -> list[dict[str, str]]:
    """The properties of every `name` telemetry event in the service's JSON log lines."""
    found = []
    for line in output.splitlines():
        if name.encode() not in line:
            continue
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        properties = record.get("properties") if isinstance(record, dict) else None
        if isinstance(properties, dict) and record.get("event", record.get("message")) == name:
            found.append({str(k): str(v) for k, v in properties.items()})
    return found


async def run(count: int, page_size: int, mismatches: int) -> int:
    estate = Estate()
    await estate.start()
    try:
        seeding = time.perf_counter()
        planted = seed(estate, count, mismatches)
        seeded_in = time.perf_counter() - seeding
        # The journal would grow by five entries per prisoner in this process; nobody reads it here.
        forget_journals(estate)
        env = {
            **estate.service_env(queues=[]),
            "REPORTS_COURT-CASE_PRISONER_RECONCILIATION_PAGE-SIZE": str(page_size),
            "LOG_LEVEL": "INFO",
        }
        run = await run_batch(JOB, env)
        reports = telemetry(run.output, REPORT)
        found = {event["offenderNo"] for event in telemetry(run.output, MISMATCH) if "mismatchCount" in event}
        own_rss = psutil.Process().memory_info().rss
        print(f"prisoners (= cases)  {count:,} (page size and workers {page_size})")
        print(f"seeded in            {seeded_in:.2f}s")
        print(f"exit code            {run.returncode}")
        print(f"duration             {run.elapsed:.2f}s (whole batch process, start-up included)")
        print(f"throughput           {count / run.elapsed:,.0f} cases/s")
        print(f"service peak RSS     {run.peak_rss / 2**20:.1f} MiB (psutil, sampled every 20 ms)")
        print(f"service CPU          {run.cpu_seconds:.2f}s (user + system, start-up included)")
        print(f"fakes process RSS    {own_rss / 2**20:.1f} MiB (estate, not the service)")
        print(f"report               {reports[0] if reports else 'none'}")
        print(f"mismatches reported  {len(found)} of {len(planted)} planted, exact: {found == planted}")
        if run.returncode != 0 or not reports or found != planted:
            sys.stdout.write(run.output.decode(errors="replace")[-4000:])
            return 1
        return 0
    finally:
        await estate.stop()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", "--prisoners", type=int, default=1000)
    parser.add_argument(
        "--page-size", type=int, default=10, help="page size and number of workers (default 10)"
    )
    parser.add_argument("--mismatches", type=int, default=5)
    args = parser.parse_args()
    return asyncio.run(run(args.prisoners, args.page_size, args.mismatches))


if __name__ == "__main__":
    sys.exit(main())
