"""Shared fixtures: one estate (moto server + fakes) for the session, wiped before every test.

The estate checks every NOMIS and mapping request against the real OpenAPI documents; a test whose
requests depart from them fails (`_requests_follow_the_contracts`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from scenario_marks import COLLECTED_FILES, SCENARIO_MARKS

from hmpps_sandbox.contract import DOCUMENTS, specs_dir
from hmpps_sandbox.estate import Estate


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    config.stash[COLLECTED_FILES] = {Path(str(item.path)).resolve() for item in items}
    config.stash[SCENARIO_MARKS] = {
        (str(mark.args[0]), int(mark.args[1])) for item in items for mark in item.iter_markers("scenario")
    }


def pytest_report_header() -> str:
    directory = specs_dir()
    if directory is None:
        return "request contracts: not checked (no OpenAPI documents: set OPENAPI_SPECS_DIR)"
    return f"request contracts: {', '.join(sorted(DOCUMENTS))} checked against {directory}"


@pytest.fixture(scope="session")
async def estate() -> AsyncIterator[Estate]:
    estate = Estate(check_contracts=True)
    await estate.start()
    yield estate
    await estate.stop()


@pytest.fixture
async def clean_estate(estate: Estate) -> Estate:
    await estate.reset()
    return estate


@pytest.fixture(autouse=True)
def _requests_follow_the_contracts(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "estate" not in request.fixturenames:
        return
    estate: Estate = request.getfixturevalue("estate")
    violations = estate.contract_violations()
    for fake in estate.fakes():
        fake.contract_violations.clear()
    if violations and not request.node.get_closest_marker("breaks_contract"):
        listed = "\n".join(f"  {violation}" for violation in dict.fromkeys(violations))
        pytest.fail(f"requests departed from the OpenAPI documents:\n{listed}", pytrace=False)
