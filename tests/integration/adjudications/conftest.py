"""Fixtures for the adjudications tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from adjudications_support import DLQ_AFTER_3, DOMAINS, QUEUE, AdjudicationsWorld

from hmpps_sandbox.estate import Estate
from hmpps_sandbox.harness import ServiceHarness, running_service


@pytest.fixture
def world(clean_estate: Estate) -> AdjudicationsWorld:
    return AdjudicationsWorld(clean_estate)


@pytest.fixture
async def service(clean_estate: Estate) -> AsyncIterator[ServiceHarness]:
    """The real service listening to the adjudication queue only; a message dead-letters after 3 tries."""
    async with running_service(clean_estate, queues=[QUEUE], env=DLQ_AFTER_3, domains=DOMAINS) as harness:
        yield harness


@pytest.fixture
async def idle_service(clean_estate: Estate) -> AsyncIterator[ServiceHarness]:
    """The real service wired to the estate but not listening: for batch jobs and client tests."""
    harness = ServiceHarness(clean_estate, queues=[QUEUE], domains=DOMAINS)
    await harness.start(listen=False, http=False)
    try:
        yield harness
    finally:
        await harness.stop()
