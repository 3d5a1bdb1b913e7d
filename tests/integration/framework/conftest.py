"""Fixtures for the framework tests (the fakes and the `widgets` test domain live in fw_support.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fw_support import ScriptedApi, ScriptedFakes, Widgets

from hmpps_sandbox.estate import Estate


@pytest.fixture(scope="session")
async def scripted_fakes() -> AsyncIterator[ScriptedFakes]:
    fakes = ScriptedFakes(ScriptedApi("fw-nomis"), ScriptedApi("fw-mapping"), ScriptedApi("fw-dps"))
    for fake in fakes.all():
        await fake.start()
    yield fakes
    for fake in fakes.all():
        await fake.stop()


@pytest.fixture
async def fakes(clean_estate: Estate, scripted_fakes: ScriptedFakes) -> ScriptedFakes:
    for fake in scripted_fakes.all():
        fake.reset()
    return scripted_fakes


@pytest.fixture
def widgets(fakes: ScriptedFakes) -> Widgets:
    return Widgets(fakes)
