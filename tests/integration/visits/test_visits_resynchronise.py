"""`POST /prisoners/{offenderNo}/visits/resynchronise/{visitId}` over real HTTP with HMPPS Auth tokens
(visits-and-incentives.md A8, E 21-24, 65).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest
from visits_world import VisitsWorld, visits_harness

from hmpps_sandbox.estate import Estate
from hmpps_sandbox.harness import ServiceHarness

PATH = "/prisoners/A1234KT/visits/resynchronise/BGHJ-1991-GG"
ROLE = "ROLE_PRISONER_TO_NOMIS__UPDATE__RW"


@pytest.fixture(scope="module")
async def shared_endpoint(estate: Estate) -> AsyncIterator[ServiceHarness]:
    """The service's HTTP side without listeners (the endpoint must not need the queue consumer), one
    for the module: its start-up is most of each test's cost."""
    await estate.reset()
    harness = visits_harness(estate)
    await harness.start(listen=False)
    try:
        yield harness
    finally:
        await harness.stop()


@pytest.fixture
async def endpoint(estate: Estate, shared_endpoint: ServiceHarness) -> ServiceHarness:
    await estate.reset(reset_moto=False)
    shared_endpoint.recorder.clear()
    return shared_endpoint


@pytest.mark.scenario("visits-and-incentives", 21)
async def test_needs_the_update_role(estate: Estate, endpoint: ServiceHarness) -> None:
    harness = endpoint
    assert (await harness.request("POST", PATH))[0] == 401
    assert (await harness.request("POST", PATH, roles=[]))[0] == 403
    assert (await harness.request("POST", PATH, roles=["BANANAS"]))[0] == 403
    assert (await harness.request("POST", PATH, roles=["ROLE_NOMIS_VISITS"]))[0] == 403
    assert estate.dps["visits"].requests() == []


@pytest.mark.scenario("visits-and-incentives", 22)
@pytest.mark.scenario("visits-and-incentives", 23)
@pytest.mark.scenario("visits-and-incentives", 24)
async def test_resynchronise_creates_the_visit(
    estate: Estate, world: VisitsWorld, endpoint: ServiceHarness
) -> None:
    world.dps_visit("BGHJ-1991-GG", prisonerId="A1234KT")
    harness = endpoint
    status, body, _ = await harness.request("POST", PATH, roles=[ROLE])
    assert (status, body) == (204, None)
    [success] = harness.events("visit-create-success")
    repairs = harness.events("to-nomis-synch-visit-resynchronisation-repair")

    [create] = estate.nomis.requests("POST", "/prisoners/A1234KT/visits")
    assert create.body == {
        "prisonId": "MDI",
        "startDateTime": "2019-12-02T09:00:00",
        "endTime": "10:00",
        "visitorPersonIds": [543524, 344444, 655656],
        "issueDate": date.today().isoformat(),
        "visitType": "SCON",
        "visitComment": "DPS booking reference: BGHJ-1991-GG",
        "visitOrderComment": "DPS booking reference: BGHJ-1991-GG",
        "room": "Main visits room",
        "openClosedStatus": "OPEN",
    }
    [nomis_id] = world.fakes.nomis_visits
    [mapping] = estate.mapping.requests("POST", "/mapping/visits")
    assert mapping.body == {"nomisId": nomis_id, "vsipId": "BGHJ-1991-GG", "mappingType": "ONLINE"}
    assert success["offenderNo"] == "A1234KT" and success["visitId"] == "BGHJ-1991-GG"
    assert repairs == [{"offenderNo": "A1234KT", "visitId": "BGHJ-1991-GG"}]


async def test_resynchronise_of_a_synced_visit_is_a_duplicate_and_still_204(
    estate: Estate, world: VisitsWorld, endpoint: ServiceHarness
) -> None:
    world.dps_visit("BGHJ-1991-GG", prisonerId="A1234KT")
    world.mapping("BGHJ-1991-GG", 456)
    harness = endpoint
    status, _, _ = await harness.request("POST", PATH, roles=[ROLE])
    assert status == 204
    assert harness.events("visit-create-duplicate") == [{"visitId": "BGHJ-1991-GG", "offenderNo": "A1234KT"}]
    assert len(harness.events("to-nomis-synch-visit-resynchronisation-repair")) == 1
    assert estate.nomis.requests() == []


@pytest.mark.scenario("visits-and-incentives", 65)
async def test_invalid_visit_type_is_a_400(
    estate: Estate, world: VisitsWorld, endpoint: ServiceHarness
) -> None:
    world.dps_visit("BGHJ-1991-GG", prisonerId="A1234KT", visitType="OFFICIAL")
    harness = endpoint
    status, body, _ = await harness.request("POST", PATH, roles=[ROLE])
    assert status == 400
    assert body["userMessage"] == "Validation failure: Invalid visit type OFFICIAL"
    assert harness.events("to-nomis-synch-visit-resynchronisation-repair") == []


async def test_missing_dps_visit_is_a_404_naming_it(estate: Estate, endpoint: ServiceHarness) -> None:
    """Spec A8/0.8 answer a DPS 404 with 500 'Unexpected error'; we answer 404 naming the visit (issue 14:
    bad input is never a server error). Still no repair telemetry; a malformed id is a 400."""
    harness = endpoint
    status, body, _ = await harness.request("POST", PATH, roles=[ROLE])
    assert status == 404
    assert body["userMessage"].startswith(
        "Not Found: offenderNo A1234KT, visitId BGHJ-1991-GG: the visits API has no such record "
        f"(404 Not Found from GET {estate.dps['visits'].url}/visits/BGHJ-1991-GG)"
    )
    assert harness.events("to-nomis-synch-visit-resynchronisation-repair") == []
    for malformed in (
        "/prisoners/a1234kt/visits/resynchronise/X",
        "/prisoners/A1234KT/visits/resynchronise/-x",
    ):
        status, body, _ = await harness.request("POST", malformed, roles=[ROLE])
        assert status == 400 and body["userMessage"].startswith("Invalid Argument: path."), malformed
