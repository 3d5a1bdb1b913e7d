"""The visits API clients, built on the real service's ApiClients (OAuth2 client credentials from the fake
HMPPS Auth) and called over HTTP against the fakes; failures are injected faults (visits-and-incentives.md E 25-32).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from visits_world import VisitsWorld

from hmpps_sandbox.estate import Estate
from hmpps_sandbox.fake import FakeApi, JournalEntry
from hmpps_sandbox.harness import ServiceHarness
from prisoner_to_nomis_update.domains.visits.clients import NomisVisitsApi, VisitMappingApi, VisitsApi
from prisoner_to_nomis_update.domains.visits.models import (
    CancelVisitRequest,
    CreateVisitRequest,
    UpdateVisitRequest,
    VisitMappingDto,
)
from prisoner_to_nomis_update.framework.http import HttpError


def mapping_api(harness: ServiceHarness) -> VisitMappingApi:
    return VisitMappingApi(harness.service.apis.get("mapping"))


def nomis_api(harness: ServiceHarness) -> NomisVisitsApi:
    return NomisVisitsApi(harness.service.apis.get("nomis"))


def visits_api(harness: ServiceHarness) -> VisitsApi:
    return VisitsApi(harness.service.apis.get("visits"))


def assert_bearer(entry: JournalEntry) -> None:
    authorization = entry.headers.get("Authorization", "")
    assert authorization.startswith("Bearer ") and len(authorization) > len("Bearer ") + 10, entry.headers


def last(fake: FakeApi, method: str, path: str) -> JournalEntry:
    entries = fake.requests(method, path)
    assert entries, f"no {method} {path}"
    return entries[-1]


async def assert_raises_status(
    fake: FakeApi, path: str, status: int, call: Callable[[], Awaitable[Any]], method: str | None = None
) -> None:
    fake.inject_fault(path_pattern=path, method=method, status=status)
    with pytest.raises(HttpError) as raised:
        await call()
    assert raised.value.status == status


def create_request() -> CreateVisitRequest:
    return CreateVisitRequest.model_validate(
        {
            "prisonId": "MDI",
            "startDateTime": "2019-12-02T09:00:00",
            "endTime": "10:00",
            "visitorPersonIds": [4729570],
            "issueDate": "2021-03-05",
            "visitType": "SCON",
            "visitComment": "DPS booking reference: 12",
            "visitOrderComment": "DPS booking reference: 12",
            "room": "Main visits room",
            "openClosedStatus": "OPEN",
        }
    )


def update_request() -> UpdateVisitRequest:
    return UpdateVisitRequest(
        startDateTime="2021-03-05T09:00:00",
        endTime="10:00:00",
        visitorPersonIds=[99],
        room="Side Room",
        openClosedStatus="CLOSED",
        visitComment="DPS booking reference: 12",
    )


@pytest.mark.scenario("visits-and-incentives", 25)
async def test_mapping_create(estate: Estate, idle_service: ServiceHarness) -> None:
    api = mapping_api(idle_service)
    await api.create(VisitMappingDto(nomisId="456", vsipId="123"))

    entry = last(estate.mapping, "POST", "/mapping/visits")
    assert_bearer(entry)
    assert entry.body == {"nomisId": 456, "vsipId": "123", "mappingType": "ONLINE"}
    await assert_raises_status(
        estate.mapping,
        "/mapping/visits",
        400,
        lambda: api.create(VisitMappingDto(nomisId="457", vsipId="124")),
    )


async def test_mapping_create_409_for_another_mapping_raises(
    estate: Estate, world: VisitsWorld, idle_service: ServiceHarness
) -> None:
    world.mapping("123", 456)
    api = mapping_api(idle_service)
    await api.create(VisitMappingDto(nomisId="456", vsipId="123"))  # the same row: already done
    with pytest.raises(HttpError) as raised:
        await api.create(VisitMappingDto(nomisId="999", vsipId="123"))
    assert raised.value.status == 409


@pytest.mark.scenario("visits-and-incentives", 26)
async def test_mapping_by_nomis_id(estate: Estate, world: VisitsWorld, idle_service: ServiceHarness) -> None:
    world.mapping("123", 456)
    api = mapping_api(idle_service)

    assert await api.find_by_nomis_id("456") == VisitMappingDto(
        nomisId="456", vsipId="123", mappingType="ONLINE"
    )
    assert_bearer(last(estate.mapping, "GET", "/mapping/visits/nomisId/456"))
    assert await api.find_by_nomis_id("457") is None
    await assert_raises_status(
        estate.mapping, "/mapping/visits/nomisId/456", 503, lambda: api.find_by_nomis_id("456")
    )


@pytest.mark.scenario("visits-and-incentives", 27)
async def test_mapping_by_vsip_id(estate: Estate, world: VisitsWorld, idle_service: ServiceHarness) -> None:
    world.mapping("123", 456)
    api = mapping_api(idle_service)

    assert await api.find_by_vsip_id("123") == VisitMappingDto(nomisId="456", vsipId="123")
    assert_bearer(last(estate.mapping, "GET", "/mapping/visits/vsipId/123"))
    assert await api.find_by_vsip_id("124") is None
    await assert_raises_status(
        estate.mapping, "/mapping/visits/vsipId/123", 503, lambda: api.find_by_vsip_id("123")
    )


@pytest.mark.scenario("visits-and-incentives", 28)
async def test_mapping_by_vsip_id_strict(
    estate: Estate, world: VisitsWorld, idle_service: ServiceHarness
) -> None:
    world.mapping("123", 456)
    api = mapping_api(idle_service)

    assert (await api.get_by_vsip_id("123")).nomisId == "456"
    with pytest.raises(HttpError) as missing:
        await api.get_by_vsip_id("124")
    assert missing.value.status == 404
    await assert_raises_status(
        estate.mapping, "/mapping/visits/vsipId/123", 503, lambda: api.get_by_vsip_id("123")
    )


@pytest.mark.scenario("visits-and-incentives", 29)
async def test_dps_visit(estate: Estate, world: VisitsWorld, idle_service: ServiceHarness) -> None:
    world.dps_visit(
        "1234",
        visitStatus="BOOKED",
        visitorSupport={"description": "wheelchair"},
        lastRevisedTimestamp="2021-03-05T09:00:00Z",  # unknown fields are ignored
    )
    api = visits_api(idle_service)

    visit = await api.get_visit("1234")
    assert_bearer(last(estate.dps["visits"], "GET", "/visits/1234"))
    assert visit.reference == "1234"
    assert visit.startTimestamp.isoformat() == "2019-12-02T09:00:00"
    assert visit.endTimestamp is not None and visit.endTimestamp.isoformat() == "2019-12-02T10:00:00"
    assert visit.prisonId == "MDI"
    assert visit.visitStatus == "BOOKED"
    assert visit.visitRoom == "Main visits room"
    assert visit.visitorSupport is not None and visit.visitorSupport.description == "wheelchair"
    assert visit.visitRestriction == "OPEN"
    assert [v.nomisPersonId for v in visit.visitors] == [543524, 344444, 655656]
    with pytest.raises(HttpError) as missing:
        await api.get_visit("4040")
    assert missing.value.status == 404
    await assert_raises_status(estate.dps["visits"], "/visits/1234", 503, lambda: api.get_visit("1234"))


@pytest.mark.scenario("visits-and-incentives", 30)
async def test_nomis_create_visit(estate: Estate, idle_service: ServiceHarness) -> None:
    api = nomis_api(idle_service)

    nomis_id = await api.create_visit("AB123D", create_request())
    entry = last(estate.nomis, "POST", "/prisoners/AB123D/visits")
    assert_bearer(entry)
    assert entry.body["prisonId"] == "MDI"
    assert nomis_id == str(entry_id(estate))
    for status in (404, 503):
        await assert_raises_status(
            estate.nomis,
            "/prisoners/AB123D/visits",
            status,
            lambda: api.create_visit("AB123D", create_request()),
        )


def entry_id(estate: Estate) -> int:
    [visit_id] = estate.plugins["visits"].nomis_visits
    return int(visit_id)


@pytest.mark.scenario("visits-and-incentives", 31)
async def test_nomis_cancel_visit(estate: Estate, world: VisitsWorld, idle_service: ServiceHarness) -> None:
    world.nomis_visit(12, "AB123D")
    api = nomis_api(idle_service)
    request = CancelVisitRequest(offenderNo="AB123D", nomisVisitId="12", outcome="VISCANC")

    await api.cancel_visit("AB123D", "12", request)
    entry = last(estate.nomis, "PUT", "/prisoners/AB123D/visits/12/cancel")
    assert_bearer(entry)
    assert entry.body == {"offenderNo": "AB123D", "nomisVisitId": "12", "outcome": "VISCANC"}
    await api.cancel_visit("AB123D", "12", request)  # already cancelled: NOMIS 409 is swallowed
    for status in (404, 503):
        await assert_raises_status(
            estate.nomis,
            "/prisoners/AB123D/visits/12/cancel",
            status,
            lambda: api.cancel_visit("AB123D", "12", request),
        )


@pytest.mark.scenario("visits-and-incentives", 32)
async def test_nomis_update_visit(estate: Estate, world: VisitsWorld, idle_service: ServiceHarness) -> None:
    world.nomis_visit(12, "AB123D")
    api = nomis_api(idle_service)

    await api.update_visit("AB123D", "12", update_request())
    entry = last(estate.nomis, "PUT", "/prisoners/AB123D/visits/12")
    assert_bearer(entry)
    assert entry.body["room"] == "Side Room"
    assert world.fakes.nomis_visits[12]["room"] == "Side Room"
    for status in (404, 503, 409):
        await assert_raises_status(
            estate.nomis,
            "/prisoners/AB123D/visits/12",
            status,
            lambda: api.update_visit("AB123D", "12", update_request()),
        )


async def test_path_segments_are_escaped(estate: Estate, idle_service: ServiceHarness) -> None:
    """A reference with a slash must not reach another endpoint of the DPS API."""
    # unescaped, the URL would normalise to /health/ping, answer 200 and fail to parse as a visit
    with pytest.raises(HttpError) as raised:
        await visits_api(idle_service).get_visit("../health/ping")
    assert raised.value.status == 404
    assert len(estate.dps["visits"].requests("GET", "/visits/.*")) == 1
