"""Shared fixtures: one estate (moto server + fakes) for the session, wiped before every test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from hmpps_sandbox.estate import Estate


@pytest.fixture(scope="session")
async def estate() -> AsyncIterator[Estate]:
    estate = Estate()
    await estate.start()
    yield estate
    await estate.stop()


@pytest.fixture
async def clean_estate(estate: Estate) -> Estate:
    await estate.reset()
    return estate
