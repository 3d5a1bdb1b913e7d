"""Fixtures for the court sentencing tests (shared: events and reconciliation)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from cs_support import DOMAINS, ENV, QUEUES, FromNomisQueue, World

from hmpps_sandbox.estate import Estate
from hmpps_sandbox.harness import ServiceHarness, running_service


@pytest.fixture
def world(clean_estate: Estate) -> World:
    return World(clean_estate.plugins["courtsentencing"])


@pytest.fixture
async def service(clean_estate: Estate) -> AsyncIterator[ServiceHarness]:
    """The real service listening to the court sentencing queue only; a message dead-letters after 3 tries."""
    async with running_service(clean_estate, queues=QUEUES, env=ENV, domains=DOMAINS) as harness:
        yield harness


@pytest.fixture
def from_nomis(service: ServiceHarness) -> FromNomisQueue:
    return FromNomisQueue(service)


@pytest.fixture
async def idle_service(clean_estate: Estate) -> AsyncIterator[ServiceHarness]:
    """The real service wired to the estate but not listening: for client tests."""
    harness = ServiceHarness(clean_estate, queues=QUEUES, env=ENV, domains=DOMAINS)
    await harness.start(listen=False, http=False)
    try:
        yield harness
    finally:
        await harness.stop()
