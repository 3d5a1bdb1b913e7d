"""Court sentencing events per second: cases with 1 appearance, 3 charges and 3 sentences, through the sandbox.

    .venv/bin/python bench/courtsentencing_events.py [--cases 200] [--max-backlog 100]

Each case belongs to its own prisoner and is 8 events: court-case.inserted, 3 x charge.inserted,
court-appearance.inserted (with the 3 charges) and 3 x sentence.inserted. They are published through the
real SNS topic (moto) in dependency order, one kind at a time (a child published before its parent is
mapped would only wait for it, retrying), in waves that keep at most --max-backlog events outstanding.
An event is done when the service's mapping for it reaches the mapping fake. The service runs as a child
process (`python -m prisoner_to_nomis_update serve`), so its CPU and memory are its own.

Prints events/s over the whole run and per kind, the service's CPU per 1,000 events and peak RSS, and the
downstream calls per event.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RssSampler, ServiceProcess
from common import service_env as common_service_env
from throughput import MachineCpu, WavePublisher, wait_for

from hmpps_sandbox.domains.courtsentencing import FROM_NOMIS_QUEUE_ID, QUEUE_ID, CourtSentencingFakes
from hmpps_sandbox.domains.prisoners import offender_no
from hmpps_sandbox.estate import Estate

MB = 1024 * 1024
CHARGES = 3
EVENTS_PER_CASE = 1 + CHARGES + 1 + CHARGES


async def prepare(fakes: CourtSentencingFakes, cases: int) -> dict[str, list[dict[str, Any]]]:
    """DPS records for every case (not yet published); returns the events by kind, in publishing order."""
    events: dict[str, list[dict[str, Any]]] = {"case": [], "charge": [], "appearance": [], "sentence": []}
    for index in range(1, cases + 1):
        prisoner = offender_no(index, "CS")
        case_id = f"case-{index}"
        appearance_id = f"appearance-{index}"
        charge_ids = [f"charge-{index}-{n}" for n in range(CHARGES)]
        events["case"].append(
            await fakes.act("court-case", case_id, "insert", {"prisonerId": prisoner}, False)
        )
        for charge_id in charge_ids:
            events["charge"].append(
                await fakes.act(
                    "charge", charge_id, "insert", {"prisonerId": prisoner, "courtCaseUuid": case_id}, False
                )
            )
        events["appearance"].append(
            await fakes.act(
                "appearance",
                appearance_id,
                "insert",
                {"prisonerId": prisoner, "courtCaseUuid": case_id, "chargeIds": charge_ids},
                False,
            )
        )
        for n, charge_id in enumerate(charge_ids):
            events["sentence"].append(
                await fakes.act(
                    "sentence",
                    f"sentence-{index}-{n}",
                    "insert",
                    {
                        "prisonerId": prisoner,
                        "courtCaseId": case_id,
                        "chargeLifetimeUuid": charge_id,
                        "appearanceUuid": appearance_id,
                    },
                    False,
                )
            )
    return events


def mapped(fakes: CourtSentencingFakes, kind: str) -> int:
    tables = {
        "case": fakes.mappings.cases,
        "charge": fakes.mappings.charges,
        "appearance": fakes.mappings.appearances,
        "sentence": fakes.mappings.sentences,
    }
    return len(tables[kind].rows)


def event_key(event: dict[str, Any], _: str) -> str:
    information = event["additionalInformation"]
    for name in ("sentenceId", "courtAppearanceId", "courtChargeId", "courtCaseId"):
        if name in information:
            return str(information[name])
    raise ValueError(f"no id in {information}")


async def run(args: argparse.Namespace) -> None:
    estate = Estate()
    await estate.start()
    try:
        fakes: CourtSentencingFakes = estate.plugins["courtsentencing"]
        events = await prepare(fakes, args.cases)
        env = common_service_env(
            estate,
            "",
            [QUEUE_ID, FROM_NOMIS_QUEUE_ID],
            HMPPS_SQS_WAIT_TIME_SECONDS="1",
            HMPPS_SQS_MAX_IN_FLIGHT=str(args.max_in_flight),
            LOG_LEVEL=args.log_level,
        )
        service = ServiceProcess(env, name="courtsentencing")
        service.start()
        try:
            await service.wait_ready()
            total = sum(len(kind) for kind in events.values())
            sampler = RssSampler(service).start()
            machine = MachineCpu(estate)
            cpu_before = service.cpu_seconds()
            calls_before = (
                len(estate.nomis.journal) + len(estate.mapping.journal) + len(fakes.dps_api.journal)
            )
            per_kind: dict[str, float] = {}
            started = time.perf_counter()
            for kind, batch in events.items():
                kind_started = time.perf_counter()
                publisher = WavePublisher(
                    estate, batch, args.max_backlog, lambda k=kind: mapped(fakes, k), event_key
                )
                await publisher.run()
                await wait_for(
                    lambda k=kind, n=len(batch): mapped(fakes, k) >= n, 600, f"every {kind} to be mapped"
                )
                per_kind[kind] = len(batch) / (time.perf_counter() - kind_started)
            seconds = time.perf_counter() - started
            cpu = service.cpu_seconds() - cpu_before
            peak = await sampler.stop()
            calls = (
                len(estate.nomis.journal)
                + len(estate.mapping.journal)
                + len(fakes.dps_api.journal)
                - calls_before
            )
            failures = [
                name
                for name, _ in service.telemetry()
                if name.endswith(("-failed", "-awaiting-parent", "-error"))
            ]
        finally:
            service.close()
        print(
            f"cases: {args.cases} ({EVENTS_PER_CASE} events each: case, {CHARGES} charges, appearance, {CHARGES} sentences)"
        )
        print(
            f"events: {total} in {seconds:.1f} s = {total / seconds:.1f} events/s ({args.cases / seconds:.1f} cases/s)"
        )
        for kind, rate in per_kind.items():
            print(f"  {kind:<11} {rate:.1f} events/s")
        print(f"service CPU: {cpu / total * 1000:.2f} s per 1,000 events; peak RSS {peak / MB:.0f} MB")
        for name, value in machine.per_1000(total).items():
            print(f"{name}: {value:.2f}")
        print(f"downstream calls per event: {calls / total:.2f}")
        print(f"failures or retries seen: {len(failures)}")
    finally:
        await estate.stop()


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=200, help="court cases (8 events each)")
    parser.add_argument("--max-backlog", type=int, default=100, help="most events published but not mapped")
    parser.add_argument("--max-in-flight", type=int, default=10, help="the service's HMPPS_SQS_MAX_IN_FLIGHT")
    parser.add_argument("--log-level", default="INFO", help="the service's LOG_LEVEL (production: INFO)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(run(parse()))
