"""NOMIS calls per `activities.prisoner.allocated` event, for courses of 10, 100 and 500 allocations.

Each course is seeded in DPS and NOMIS (mapped, with N allocations already in NOMIS); then new
prisoners are allocated to it, one event each, through the real service (in-process) on moto. The
calls are counted from the NOMIS fake's journal, so what is printed is what NOMIS would have served.

    .venv/bin/python bench/allocation_event_cost.py [--sizes 10 100 500] [--events 10]

Prints, per course size, NOMIS calls per event (total and by endpoint), DPS and mapping calls per
event, and the mean wall time per event.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass

from hmpps_sandbox.domains.activities import ActivitiesFakes
from hmpps_sandbox.estate import Estate
from hmpps_sandbox.fake import FakeApi
from hmpps_sandbox.harness import ServiceHarness

SCHEDULE_ID = 1
COURSE_ACTIVITY_ID = 300
PRISON = "MDI"
FIRST_EXISTING_BOOKING = 100_000
FIRST_NEW_BOOKING = 900_000
FIRST_NEW_ALLOCATION = 50_000
# Ids in paths are folded so calls group by endpoint.
NUMBER = re.compile(r"/\d+")


def seed_course(fakes: ActivitiesFakes, size: int) -> None:
    """A mapped schedule whose NOMIS course already has `size` allocations (DPS has them too)."""
    fakes.seed_mapped_schedule(SCHEDULE_ID, COURSE_ACTIVITY_ID, [], prison=PRISON)
    for index in range(size):
        booking = FIRST_EXISTING_BOOKING + index
        fakes.seed_allocation(index + 1, SCHEDULE_ID, booking, f"A{index % 10000:04d}AA")
        fakes.seed_nomis_allocation(COURSE_ACTIVITY_ID, booking)


@dataclass(frozen=True)
class Cost:
    """Calls per event to each API, and the mean wall time per event."""

    size: int
    nomis: float
    nomis_by_endpoint: dict[str, float]
    dps: float
    mapping: float
    ms: float


def by_endpoint(fake: FakeApi) -> Counter[str]:
    return Counter(f"{entry.method} {NUMBER.sub('/{id}', entry.path)}" for entry in fake.journal)


async def measure(estate: Estate, size: int, events: int) -> Cost:
    await estate.reset()
    fakes: ActivitiesFakes = estate.plugins["activities"]
    seed_course(fakes, size)
    async with ServiceHarness(estate, queues=["activity"]) as harness:
        for fake in estate.fakes():
            fake.journal.clear()
        started = time.perf_counter()
        for index in range(events):
            await fakes.allocated(FIRST_NEW_ALLOCATION + index, SCHEDULE_ID, FIRST_NEW_BOOKING + index)
        await harness.wait_for_event("activity-allocation-success", events, timeout=300)
        elapsed = time.perf_counter() - started
    nomis = by_endpoint(estate.nomis)
    return Cost(
        size=size,
        nomis=sum(nomis.values()) / events,
        nomis_by_endpoint={endpoint: count / events for endpoint, count in sorted(nomis.items())},
        dps=sum(by_endpoint(estate.dps["activities"]).values()) / events,
        mapping=sum(by_endpoint(estate.mapping).values()) / events,
        ms=elapsed * 1000 / events,
    )


async def main(sizes: list[int], events: int) -> int:
    estate = Estate()
    await estate.start()
    try:
        print(f"{events} allocation events per course size; calls per event")
        print(
            f"{'course size':>11}  {'NOMIS':>7}  {'DPS':>5}  {'mapping':>7}  {'ms/event':>8}  NOMIS by endpoint"
        )
        for size in sizes:
            cost = await measure(estate, size, events)
            endpoints = ", ".join(f"{name} {count:g}" for name, count in cost.nomis_by_endpoint.items())
            print(
                f"{cost.size:>11}  {cost.nomis:>7.1f}  {cost.dps:>5.1f}  {cost.mapping:>7.1f}"
                f"  {cost.ms:>8.0f}  {endpoints}",
                flush=True,
            )
    finally:
        await estate.stop()
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 500])
    parser.add_argument("--events", type=int, default=10)
    arguments = parser.parse_args()
    sys.exit(asyncio.run(main(arguments.sizes, arguments.events)))
