"""Where the collection hook (tests/conftest.py) leaves what test_scenario_coverage.py checks."""

from __future__ import annotations

from pathlib import Path

import pytest

COLLECTED_FILES = pytest.StashKey[set[Path]]()
SCENARIO_MARKS = pytest.StashKey[set[tuple[str, int]]]()
