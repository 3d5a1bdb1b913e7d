"""Crashes and competing consumers: SIGKILL mid-stream, and two processes sharing a queue with duplicates.

Whatever happens, each DPS visit ends with exactly one NOMIS visit and one mapping, nothing is lost, and
every repeated attempt is reported: a NOMIS create refused with 409 emits `visit-create-nomis-duplicate`,
a delivery that finds the mapping already there emits `visit-create-duplicate`.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest
from chaos_support import LONG, OUTCOMES, ChaosRun

KILL_EVENTS = 1000 if LONG else 200
KILLS = 3


async def test_kill_minus_nine_three_times_loses_and_duplicates_nothing(chaos: ChaosRun) -> None:
    """The process is SIGKILLed at random points while events flow, and restarted, three times."""
    rng = random.Random(7)
    events = await chaos.book(KILL_EVENTS)
    references = [str(event["additionalInformation"]["reference"]) for event in events]
    service = await chaos.start_service()
    publishing = asyncio.create_task(chaos.publish(events))
    for kill in range(KILLS):
        # A random point inside the stream: after some share of the events has been mapped.
        target = int(KILL_EVENTS * (kill + rng.random()) / (KILLS + 1))
        await chaos_wait_for_mapped(chaos, target)
        await asyncio.sleep(rng.random() * 0.3)
        service.kill()
        service = await chaos.start_service()
    await publishing
    await chaos.wait_until_drained(references, timeout=300 if LONG else 120)

    outcomes = chaos.assert_exactly_once(references)
    for reference in references:
        reported = sum(
            outcomes[reference][name] for name in ("visit-create-success", "visit-create-duplicate")
        )
        assert reported >= 1, f"{reference} was synchronised silently: {outcomes[reference]}"
    # A 409 read by a process in the instant before it was killed cannot be logged by it; the redelivery
    # tries again and reports its own 409, so at most one per kill and per in-flight message is unreported.
    assert chaos.unreported_nomis_duplicates <= KILLS * 10
    assert await chaos.depth(dlq=True) == 0


async def chaos_wait_for_mapped(chaos: ChaosRun, count: int) -> None:
    while len(chaos.visits.mappings.rows) < count:
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("processes", [2])
async def test_two_processes_with_redelivered_duplicates(chaos_factory: Any, processes: int) -> None:
    """Every event is published twice and two processes consume the same queue concurrently.

    The production visibility timeout (30 s) keeps redeliveries rare; each of an event's deliveries must
    show its own outcome, so no delivery is consumed silently.
    """
    chaos = await chaos_factory(HMPPS_SQS_QUEUES_VISIT_VISIBILITY_TIMEOUT="30")
    count = 500 if LONG else 100
    events = await chaos.book(count)
    references = [str(event["additionalInformation"]["reference"]) for event in events]
    for _ in range(processes):
        await chaos.start_service()
    doubled = [event for event in events for _ in range(2)]
    await chaos.publish(doubled, max_backlog=200, copies=2)
    await chaos.wait_until_drained(references)
    # The second delivery of an event may still be in flight after its mapping exists.
    await asyncio.sleep(1.0)
    await chaos.wait_until_drained(references)

    outcomes = chaos.assert_exactly_once(references)
    for reference in references:
        counts = outcomes[reference]
        # One delivery created it; the other is accounted for by its own outcome.
        assert counts["visit-create-success"] >= 1, (reference, counts)
        # SQS (and moto, with two consumers racing) delivers at least once, so there may be more.
        assert sum(counts[name] for name in OUTCOMES) >= 2, (reference, counts)
    assert chaos.unreported_nomis_duplicates == 0
    assert await chaos.depth(dlq=True) == 0
