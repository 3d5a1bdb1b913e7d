"""The incentive API clients against the HTTP fakes: paths, bearer tokens, parsing, 404 and error handling."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime

import pytest
from incentives_support import INCENTIVES_ONLY, fakes, seed_spec_review

from hmpps_sandbox.estate import Estate
from hmpps_sandbox.fake import JournalEntry
from hmpps_sandbox.harness import ServiceHarness
from prisoner_to_nomis_update.domains.incentives.clients import (
    IncentiveMappingApi,
    IncentivesApi,
    NomisIncentivesApi,
)
from prisoner_to_nomis_update.domains.incentives.models import (
    CreateIncentiveRequest,
    IncentiveMappingDto,
)
from prisoner_to_nomis_update.framework.http import HttpError


@pytest.fixture
async def idle(clean_estate: Estate) -> AsyncIterator[ServiceHarness]:
    """The service's real API clients (tokens from the fake HMPPS Auth), no listener running."""
    harness = ServiceHarness(clean_estate, queues=["incentive"], domains=INCENTIVES_ONLY)
    await harness.start(listen=False, http=False)
    try:
        yield harness
    finally:
        await harness.stop()


def bearer(entry: JournalEntry) -> str:
    return entry.headers["Authorization"]


@pytest.mark.scenario("visits-and-incentives", 58)
async def test_mapping_create(idle: ServiceHarness, clean_estate: Estate) -> None:
    api = IncentiveMappingApi(idle.service.apis.get("mapping"))
    await api.create(IncentiveMappingDto(nomisBookingId=456, nomisIncentiveSequence=1, incentiveId=1234))
    [call] = clean_estate.mapping.requests("POST", "/mapping/incentives")
    assert bearer(call).startswith("Bearer ") and call.body["nomisBookingId"] == 456
    clean_estate.mapping.inject_fault(path_pattern="/mapping/incentives", status=400)
    with pytest.raises(HttpError) as raised:
        await api.create(IncentiveMappingDto(nomisBookingId=456, nomisIncentiveSequence=2, incentiveId=1235))
    assert raised.value.status == 400


@pytest.mark.scenario("visits-and-incentives", 59)
async def test_mapping_get(idle: ServiceHarness, clean_estate: Estate) -> None:
    api = IncentiveMappingApi(idle.service.apis.get("mapping"))
    fakes(clean_estate).mappings.rows.append(
        {"nomisBookingId": 456, "nomisIncentiveSequence": 3, "incentiveId": 1234, "mappingType": "MIGRATED"}
    )
    found = await api.find(1234)
    assert found is not None and (found.nomisBookingId, found.nomisIncentiveSequence) == (456, 3)
    assert found.mappingType == "MIGRATED"
    [call] = clean_estate.mapping.requests("GET", "/mapping/incentives/incentive-id/1234")
    assert bearer(call).startswith("Bearer ")
    assert await api.find(9999) is None
    clean_estate.mapping.inject_fault(path_pattern="/mapping/incentives/incentive-id/1234", status=503)
    with pytest.raises(HttpError):
        await api.find(1234)


@pytest.mark.scenario("visits-and-incentives", 60)
async def test_dps_review(idle: ServiceHarness, clean_estate: Estate) -> None:
    api = IncentivesApi(idle.service.apis.get("incentives"))
    seed_spec_review(clean_estate, review_id=1234)
    review = await api.review(1234)
    assert review.id == 1234 and review.iepDate == date(2022, 12, 2)
    assert review.iepTime == datetime(2022, 12, 2, 10, 0)
    assert (review.agencyId, review.iepCode, review.bookingId) == ("MDI", "STD", 456)
    [call] = clean_estate.dps["incentives"].requests("GET", "/incentive-reviews/id/1234")
    assert bearer(call).startswith("Bearer ")
    with pytest.raises(HttpError) as missing:
        await api.review(4321)
    assert missing.value.status == 404
    clean_estate.dps["incentives"].inject_fault(path_pattern="/incentive-reviews/id/1234", status=503)
    with pytest.raises(HttpError):
        await api.review(1234)


@pytest.mark.scenario("visits-and-incentives", 61)
async def test_dps_current_review(idle: ServiceHarness, clean_estate: Estate) -> None:
    api = IncentivesApi(idle.service.apis.get("incentives"))
    seed_spec_review(clean_estate, iep_code="ENH")
    current = await api.current_review("A1234AA")
    assert current is not None and current.iepCode == "ENH"
    [call] = clean_estate.dps["incentives"].requests("GET", "/incentive-reviews/prisoner/A1234AA")
    assert bearer(call).startswith("Bearer ") and call.query == {}
    assert await api.current_review("A9999ZZ") is None
    clean_estate.dps["incentives"].inject_fault(
        path_pattern="/incentive-reviews/prisoner/A1234AA", status=503
    )
    with pytest.raises(HttpError):
        await api.current_review("A1234AA")


@pytest.mark.scenario("visits-and-incentives", 62)
async def test_nomis_create_incentive(idle: ServiceHarness, clean_estate: Estate) -> None:
    api = NomisIncentivesApi(idle.service.apis.get("nomis"))
    clean_estate.plugins["prisoners"].seed([{"bookingId": 456, "offenderNo": "A1234AA"}])
    request = CreateIncentiveRequest(
        iepLevel="STD", comments=None, iepDateTime="2022-12-02T10:00:00", prisonId="MDI", userId=None
    )
    created = await api.create_incentive("A1234AA", request)
    assert (created.bookingId, created.sequence) == (456, 1)
    [call] = clean_estate.nomis.requests("POST", "/prisoners/A1234AA/incentives")
    assert bearer(call).startswith("Bearer ") and call.body["prisonId"] == "MDI"
    with pytest.raises(HttpError) as unknown:
        await api.create_incentive("A9999ZZ", request)
    assert unknown.value.status == 404
    clean_estate.nomis.inject_fault(path_pattern="/prisoners/A1234AA/incentives", status=503)
    with pytest.raises(HttpError):
        await api.create_incentive("A1234AA", request)


@pytest.mark.scenario("visits-and-incentives", 63)
async def test_nomis_current_incentive(idle: ServiceHarness, clean_estate: Estate) -> None:
    api = NomisIncentivesApi(idle.service.apis.get("nomis"))
    fakes(clean_estate).add_iep(99, "A1234AA", "ENH")
    current = await api.current_incentive(99)
    assert current is not None and current.iepLevel.code == "ENH"
    [call] = clean_estate.nomis.requests("GET", "/incentives/booking-id/99/current")
    assert bearer(call).startswith("Bearer ")
    assert await api.current_incentive(100) is None
    clean_estate.nomis.inject_fault(path_pattern="/incentives/booking-id/99/current", status=503)
    with pytest.raises(HttpError):
        await api.current_incentive(99)
