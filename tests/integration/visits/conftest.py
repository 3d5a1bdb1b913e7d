"""Fixtures for the visits tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from visits_world import VisitsWorld, visits_harness

from hmpps_sandbox.estate import Estate
from hmpps_sandbox.harness import ServiceHarness


@pytest.fixture
def world(estate: Estate) -> VisitsWorld:
    """Seeds the visits fakes; the test's other fixtures (clean_estate / idle_service) wipe them first."""
    return VisitsWorld(estate.plugins["visits"])


@pytest.fixture(scope="module")
async def shared_idle_service(estate: Estate) -> AsyncIterator[ServiceHarness]:
    """One non-listening service for a whole module of direct-call tests: starting one per test would
    spend most of the suite's time provisioning queues."""
    await estate.reset()
    harness = visits_harness(estate)
    await harness.start(listen=False, http=False)
    try:
        yield harness
    finally:
        await harness.stop()


@pytest.fixture
async def idle_service(estate: Estate, shared_idle_service: ServiceHarness) -> ServiceHarness:
    """The real service wired to the estate, its queue provisioned, but no listener running: tests call
    the visits domain's handlers (or build its clients) directly against the HTTP fakes.

    Each test starts from wiped fakes, no recorded telemetry and an empty queue (moto itself is not
    reset, as that would delete the shared service's queues).
    """
    await estate.reset(reset_moto=False)
    shared_idle_service.recorder.clear()
    queue_url = shared_idle_service.queue_url("visit")
    if await shared_idle_service.depth("visit") > 0:
        await shared_idle_service.service.queues.sqs.purge_queue(QueueUrl=queue_url)
    return shared_idle_service
