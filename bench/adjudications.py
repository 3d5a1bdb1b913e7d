"""Adjudications: events/s for `adjudication.report.created` through the sandbox, and the time of the ADA
reconciliation (batch ADJUDICATION_RECON) over N prisoners.

    .venv/bin/python bench/adjudications.py [--events 1000] [--max-backlog 100] [--prisoners 1000]
    .venv/bin/python bench/adjudications.py --events 0 --prisoners 1000     # reconciliation only

Events: N charges are reported in the DPS fake, then their events are published through the real SNS
topic (moto) in waves that keep the backlog at most --max-backlog (moto's SQS slows with depth). The
service (`prisoner-to-nomis-update serve`, a child process, the adjudication queue only) is done with an
event when its mapping POST reaches the mapping fake: DPS read, location mapping, NOMIS create, mapping.

Reconciliation: N active prisoners, each with one proved DPS charge carrying an ADA and the matching
NOMIS award, a few planted differences. The batch runs as the CronJob does, as a child process, so its
duration, CPU and peak memory are the service's alone.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RssSampler, ServiceProcess, forget_journals, run_batch
from common import service_env as common_service_env
from throughput import MachineCpu, RunResult, WavePublisher, print_result, wait_for

from hmpps_sandbox.domains.adjudications import AdjudicationsFakes, default_hearing, default_punishment
from hmpps_sandbox.domains.prisoners import PrisonersFake, offender_no
from hmpps_sandbox.estate import Estate

MB = 1024 * 1024
CREATED = "adjudication.report.created"
RECON_REPORT = "adjudication-reports-reconciliation-report"


class MappingWatcher:
    """Reads the mapping fake's journal incrementally: when each charge's mapping POST arrived."""

    def __init__(self, estate: Estate) -> None:
        self.estate = estate
        self.cursor = 0
        self.saved_at: dict[str, float] = {}

    def done(self) -> int:
        journal = self.estate.mapping.journal
        while self.cursor < len(journal):
            entry = journal[self.cursor]
            self.cursor += 1
            if (
                entry.method == "POST"
                and entry.path == "/mapping/adjudications"
                and isinstance(entry.body, dict)
            ):
                self.saved_at.setdefault(str(entry.body.get("chargeNumber")), entry.time)
        return len(self.saved_at)


async def run_events(estate: Estate, args: argparse.Namespace) -> RunResult:
    fakes: AdjudicationsFakes = estate.plugins["adjudications"]
    events = [
        await fakes.dps.report(
            f"MDI-{index:06d}", {"prisonerNumber": offender_no(1 + index % 500, "AA")}, publish=False
        )
        for index in range(args.events)
    ]
    env = common_service_env(
        estate,
        "",
        ["adjudication"],
        HMPPS_SQS_WAIT_TIME_SECONDS="1",
        HMPPS_SQS_MAX_IN_FLIGHT=str(args.max_in_flight),
        LOG_LEVEL="INFO",
    )
    service = ServiceProcess(env, name="adjudications")
    service.start()
    try:
        await service.wait_ready()
        await asyncio.sleep(2.0)
        watcher = MappingWatcher(estate)

        def charge_number(event: dict[str, Any], _: str) -> str:
            return str(event["additionalInformation"]["chargeNumber"])

        publisher = WavePublisher(estate, events, args.max_backlog, watcher.done, charge_number)
        sampler = RssSampler(service).start()
        machine = MachineCpu(estate)
        cpu_before = service.cpu_seconds()
        started = time.time()
        await publisher.run()
        await wait_for(lambda: watcher.done() >= args.events, 600, "every adjudication mapping to be saved")
        finished = max(watcher.saved_at.values())
        cpu = service.cpu_seconds() - cpu_before
        peak = await sampler.stop()
        created = sum(len(fakes.nomis.for_offender(offender_no(1 + i, "AA"))) for i in range(500))
        figures: dict[str, Any] = {
            "max backlog seen": publisher.max_seen_backlog,
            "NOMIS adjudications created": created,
            **machine.per_1000(args.events),
        }
        latencies = [watcher.saved_at[c] - publisher.published_at[c] for c in watcher.saved_at]
        return RunResult("service", args.events, finished - started, latencies, cpu, peak, figures)
    finally:
        service.close()


def seed_reconciliation(estate: Estate, count: int, mismatches: int) -> dict[str, str]:
    """Every prisoner: one proved DPS charge with a 5-day ADA and the same NOMIS award. Returns the
    planted differences as the report should name them."""
    prisoners: PrisonersFake = estate.plugins["prisoners"]
    fakes: AdjudicationsFakes = estate.plugins["adjudications"]
    step = max(count // max(mismatches, 1), 1)
    planted = {1 + i * step for i in range(min(mismatches, count))}
    expected: dict[str, str] = {}
    for prisoner in prisoners.seed_range(count):
        booking, offender = prisoner.bookingId, prisoner.offenderNo
        dps_days = 7 if booking in planted else 5
        punishment = default_punishment(booking, "ADDITIONAL_DAYS", dps_days)
        fakes.dps.seed(
            {
                "chargeNumber": f"MDI-{booking:06d}",
                "prisonerNumber": offender,
                "hearings": [default_hearing(booking)],
                "punishments": [punishment],
            },
            booking,
        )
        number = 100000 + booking
        fakes.nomis.seed_adjudication(offender, booking, number)
        fakes.nomis.seed_award(number, sanctionType="ADA", sanctionDays=5)
        if booking in planted:
            expected[offender] = "1:1,5:7"
    return expected


async def run_reconciliation(estate: Estate, args: argparse.Namespace) -> int:
    seeding = time.perf_counter()
    expected = seed_reconciliation(estate, args.prisoners, args.mismatches)
    seeded_in = time.perf_counter() - seeding
    forget_journals(estate)
    env = {
        **common_service_env(estate, "", []),
        "REPORTS_ADJUDICATIONS_RECONCILIATION_PAGE-SIZE": str(args.page_size),
        "LOG_LEVEL": "INFO",
    }
    run = await run_batch("ADJUDICATION_RECON", env)
    summary = _summary(run.output)
    found = {k: v for k, v in (summary or {}).items() if k not in ("mismatch-count", "success")}
    print(f"\nreconciliation over {args.prisoners:,} prisoners (page size {args.page_size})")
    print(f"  seeded in                     {seeded_in:9.2f}s")
    print(f"  exit code                     {run.returncode:>9}")
    print(f"  duration                      {run.elapsed:9.2f}s (whole batch process, start-up included)")
    print(f"  prisoners/s                   {args.prisoners / run.elapsed:9.0f}")
    print(f"  service peak RSS (MB)         {run.peak_rss / MB:9.1f}")
    print(f"  service CPU (s)               {run.cpu_seconds:9.2f}")
    print(
        f"  mismatches reported           {len(found):>9} of {len(expected)} planted, exact: {found == expected}"
    )
    if run.returncode != 0 or summary is None or found != expected:
        sys.stdout.write(run.output.decode(errors="replace")[-4000:])
        return 1
    return 0


def _summary(output: bytes) -> dict[str, str] | None:
    """The ADJUDICATION_RECON summary event from the batch process's JSON log lines."""
    for line in output.splitlines():
        if RECON_REPORT.encode() not in line:
            continue
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        properties = record.get("properties") if isinstance(record, dict) else None
        if isinstance(properties, dict) and record.get("event") == RECON_REPORT:
            return {str(k): str(v) for k, v in properties.items()}
    return None


async def main(args: argparse.Namespace) -> int:
    estate = Estate()
    await estate.start()
    load = psutil.getloadavg()
    print(f"machine: {psutil.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    try:
        if args.events:
            result = await run_events(estate, args)
            print(
                f"\n{args.events} {CREATED} events, max backlog {args.max_backlog}, "
                f"in-flight limit {args.max_in_flight}"
            )
            print_result(result)
            await estate.reset()
        if args.prisoners:
            return await run_reconciliation(estate, args)
        return 0
    finally:
        await estate.stop()


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1000, help="report.created events (0: skip)")
    parser.add_argument("--max-backlog", type=int, default=100, help="most events published but not done")
    parser.add_argument("--max-in-flight", type=int, default=10, help="the service's HMPPS_SQS_MAX_IN_FLIGHT")
    parser.add_argument("--prisoners", type=int, default=1000, help="active prisoners to reconcile (0: skip)")
    parser.add_argument("--page-size", type=int, default=20, help="reconciliation page size (default 20)")
    parser.add_argument("--mismatches", type=int, default=5, help="planted ADA differences")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse())))
