"""Fixtures for the activities tests: the activities fakes of the shared (wiped) estate."""

from __future__ import annotations

import pytest

from hmpps_sandbox.domains.activities import ActivitiesFakes
from hmpps_sandbox.estate import Estate


@pytest.fixture
def fakes(clean_estate: Estate) -> ActivitiesFakes:
    plugin: ActivitiesFakes = clean_estate.plugins["activities"]
    return plugin
