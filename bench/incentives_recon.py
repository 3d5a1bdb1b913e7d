"""Times the incentives reconciliation (batch INCENTIVES_RECON) over N seeded prisoners.

The estate (moto, HMPPS Auth, NOMIS, DPS and mapping fakes) runs in this process with N active
prisoners, NOMIS STD for all and a handful of planted DPS mismatches. The report runs exactly as the
CronJob does, `python -m prisoner_to_nomis_update batch INCENTIVES_RECON`, as a child process, so its
duration, CPU and peak memory are the service's alone (the fakes' memory is reported separately).

    .venv/bin/python bench/incentives_recon.py [-n 5000] [--page-size 100] [--thread-count 50]

Prints the wall time of the run, prisoners/s, the service's peak RSS and CPU time (sampled with
psutil), and checks that the report named exactly the planted mismatches.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

import orjson
import psutil
from common import forget_journals, run_batch

from hmpps_sandbox.domains.incentives import IncentivesFakes
from hmpps_sandbox.domains.prisoners import PrisonersFake, offender_no
from hmpps_sandbox.estate import Estate

REPORT = "incentives-reports-reconciliation-report"


def plant(count: int, mismatches: int) -> dict[str, str | None]:
    """DPS levels differing from NOMIS STD, spread evenly over the population (one with no review)."""
    step = max(count // max(mismatches, 1), 1)
    chosen = [offender_no(1 + i * step) for i in range(min(mismatches, count))]
    return {offender: (None if i == 0 else "ENH") for i, offender in enumerate(chosen)}


def report_from(output: bytes) -> dict[str, str] | None:
    """The summary telemetry event from the service's JSON log lines."""
    for line in output.splitlines():
        if REPORT.encode() not in line:
            continue
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        properties = record.get("properties") if isinstance(record, dict) else None
        if isinstance(properties, dict) and record.get("event", record.get("message")) == REPORT:
            return {str(k): str(v) for k, v in properties.items()}
    return None


async def run(count: int, page_size: int, thread_count: int, mismatches: int) -> int:
    estate = Estate()
    await estate.start()
    try:
        prisoners: PrisonersFake = estate.plugins["prisoners"]
        incentives: IncentivesFakes = estate.plugins["incentives"]
        seeding = time.perf_counter()
        planted = plant(count, mismatches)
        incentives.seed_levels(prisoners.seed_range(count), "STD", planted)
        seeded_in = time.perf_counter() - seeding
        # The journal would grow by two entries per prisoner in this process; nobody reads it here.
        forget_journals(estate)
        env = {
            **estate.service_env(queues=[]),
            "REPORTS_INCENTIVES_RECONCILIATION_PAGE-SIZE": str(page_size),
            "REPORTS_INCENTIVES_RECONCILIATION_THREAD-COUNT": str(thread_count),
            "LOG_LEVEL": "INFO",
        }
        run = await run_batch("INCENTIVES_RECON", env)
        summary = report_from(run.output)
        expected = {k: f"STD:{v or 'null'}" for k, v in planted.items()}
        found = {k: v for k, v in (summary or {}).items() if k not in ("mismatch-count", "success")}
        own_rss = psutil.Process().memory_info().rss
        print(f"prisoners            {count:,} (page size {page_size}, thread count {thread_count})")
        print(f"seeded in            {seeded_in:.2f}s")
        print(f"exit code            {run.returncode}")
        print(f"duration             {run.elapsed:.2f}s (whole batch process, start-up included)")
        print(f"throughput           {count / run.elapsed:,.0f} prisoners/s")
        print(f"service peak RSS     {run.peak_rss / 2**20:.1f} MiB (psutil, sampled every 20 ms)")
        print(f"service CPU          {run.cpu_seconds:.2f}s (user + system, start-up included)")
        print(f"fakes process RSS    {own_rss / 2**20:.1f} MiB (estate, not the service)")
        print(f"mismatches reported  {len(found)} of {len(expected)} planted, exact: {found == expected}")
        if run.returncode != 0 or summary is None or found != expected:
            sys.stdout.write(run.output.decode(errors="replace")[-4000:])
            return 1
        return 0
    finally:
        await estate.stop()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", "--prisoners", type=int, default=5000)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--thread-count", type=int, default=50)
    parser.add_argument("--mismatches", type=int, default=5)
    args = parser.parse_args()
    return asyncio.run(run(args.prisoners, args.page_size, args.thread_count, args.mismatches))


if __name__ == "__main__":
    sys.exit(main())
