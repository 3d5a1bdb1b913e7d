"""Chaos fixtures (helpers in chaos_support.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from chaos_support import ChaosRun

from hmpps_sandbox.estate import Estate


@pytest.fixture
async def chaos(clean_estate: Estate) -> AsyncIterator[ChaosRun]:
    run = ChaosRun(clean_estate)
    await run.open()
    try:
        yield run
    finally:
        await run.close()


@pytest.fixture
async def chaos_factory(clean_estate: Estate) -> AsyncIterator[Callable[..., Awaitable[ChaosRun]]]:
    """For tests that need their own service environment (faults, DLQ receive counts)."""
    runs: list[ChaosRun] = []

    async def make(**env: str) -> ChaosRun:
        run = ChaosRun(clean_estate, **env)
        await run.open()
        runs.append(run)
        return run

    yield make
    for run in runs:
        await run.close()
