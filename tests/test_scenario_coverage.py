"""Every acceptance scenario of every implemented spec has a test marked with its id.

The spec files (`shared/spec/*.md` beside the checkout, or `$SPECS_DIR`) end each area with a numbered list of
acceptance scenarios; `tests/conftest.py` gathers the `scenario` marks of the collected tests. The check
runs only when the whole suite was collected, since a partial run lacks most marks by design.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from scenario_marks import COLLECTED_FILES, SCENARIO_MARKS

# The specs whose domains are built; each of their scenarios must have a test.
IMPLEMENTED = (
    "framework",
    "visits-and-incentives",
    "sentencing-and-non-associations",
    "activities",
    "adjudications",
    "court-sentencing",
)

TESTS = Path(__file__).parent


def specs_dir() -> Path | None:
    configured = os.environ.get("SPECS_DIR")
    candidates = [Path(configured)] if configured else []
    candidates.append(TESTS.resolve().parents[1] / "shared" / "spec")
    return next((path for path in candidates if path.is_dir()), None)


def scenario_numbers(spec: str) -> set[int]:
    """The numbers listed under the spec's 'Acceptance scenarios' headings ("82-96." is one per item)."""
    directory = specs_dir()
    assert directory is not None
    numbers: set[int] = set()
    in_scenarios = False
    for line in (directory / f"{spec}.md").read_text().splitlines():
        if line.startswith("## "):
            in_scenarios = "acceptance scenarios" in line.lower()
            continue
        found = re.match(r"^(\d+)(?:\s*[\u2013-]\s*(\d+))?\.\s", line) if in_scenarios else None
        if found:
            first = int(found.group(1))
            numbers.update(range(first, int(found.group(2) or first) + 1))
    return numbers


def test_every_scenario_of_the_implemented_specs_has_a_marked_test(request: pytest.FixtureRequest) -> None:
    if specs_dir() is None:
        pytest.skip("the spec files are not here (set SPECS_DIR)")
    collected: set[Path] = request.config.stash.get(COLLECTED_FILES, set())
    all_files = {path.resolve() for path in TESTS.rglob("test_*.py")}
    if not all_files <= collected:
        pytest.skip("only part of the suite was collected")
    marks: set[tuple[str, int]] = request.config.stash.get(SCENARIO_MARKS, set())
    missing = {
        spec: sorted(number for number in scenario_numbers(spec) if (spec, number) not in marks)
        for spec in IMPLEMENTED
    }
    assert {spec: numbers for spec, numbers in missing.items() if numbers} == {}
    for spec in IMPLEMENTED:
        assert scenario_numbers(spec), f"no scenarios found in {spec}.md"
