"""Outbound clients against loopback fakes: shared NOMIS operations (framework.md 6.7), transient-error
retries (6.4) and client-credentials auth with token caching and refresh (6.1, issue 2 item 6)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import jwt
import pytest
from fw_support import ScriptedFakes

from hmpps_sandbox.estate import Estate
from prisoner_to_nomis_update.framework.http import (
    ApiClient,
    ApiClients,
    ApiConnectionError,
    HttpError,
    HttpSession,
    with_transient_retries,
)
from prisoner_to_nomis_update.framework.nomis import NomisApi, Prison
from prisoner_to_nomis_update.settings import Settings, load_settings


def settings_for(estate: Estate, fakes: ScriptedFakes, **env: str) -> Settings:
    return load_settings(estate.service_env("", [], **{**fakes.env, **env}))


@pytest.fixture
async def http() -> AsyncIterator[HttpSession]:
    session = HttpSession()
    await session.open()
    yield session
    await session.close()


def clients(http: HttpSession, settings: Settings) -> ApiClients:
    return ApiClients(http, settings.auth_base_url, settings.apis)


def bearer_client_id(header: str) -> str:
    """The client id inside the bearer token the fake received (proves it came from HMPPS Auth)."""
    scheme, _, token = header.partition(" ")
    assert scheme == "Bearer"
    return str(jwt.decode(token, options={"verify_signature": False})["client_id"])


@pytest.mark.scenario("framework", 41)
@pytest.mark.scenario("framework", 42)
@pytest.mark.scenario("framework", 43)
@pytest.mark.scenario("framework", 44)
@pytest.mark.scenario("framework", 45)
@pytest.mark.scenario("framework", 46)
@pytest.mark.scenario("framework", 47)
async def test_shared_nomis_operations(clean_estate: Estate, fakes: ScriptedFakes, http: HttpSession) -> None:
    settings = settings_for(clean_estate, fakes)
    nomis = NomisApi(clients(http, settings).get("nomis"), settings)
    fake = fakes.nomis
    fake.answer("GET", "/agency-switches/VISIT_ALLOCATION/prisoner/A1234BC", {})
    fake.answer("GET", "/agency-switches/VISIT_ALLOCATION/agency/MDI", {})
    fake.answer(
        "GET",
        "/prisons",
        [
            {"id": "ASI", "description": "Ashfield"},
            {"id": "LEI", "description": "Leeds"},
            {"id": "MDI", "description": "Moorland"},
        ],
    )
    merges = [
        {
            "deletedOffenderNo": "A1000AA",
            "retainedOffenderNo": "A1234AA",
            "previousBookingId": 1,
            "activeBookingId": 2,
            "requestDateTime": "2024-02-02T12:34:56",
        },
        {
            "deletedOffenderNo": "A2000AA",
            "retainedOffenderNo": "A1234AA",
            "previousBookingId": 3,
            "activeBookingId": 2,
            "requestDateTime": "2024-02-01T13:34:56",
        },
    ]
    fake.answer("GET", "/prisoners/A1234AA/merges", merges)
    fake.answer(
        "GET",
        "/bookings/ids/latest-from-id",
        {"prisonerIds": [{"bookingId": 54322, "offenderNo": "A0001BC"}], "lastBookingId": 54322},
    )
    fake.answer(
        "GET",
        "/prisoners/ids-in-range",
        [{"rootOffenderId": 1, "prisonNumber": "A0001BC"}, {"rootOffenderId": 2, "prisonNumber": "A0002BC"}],
    )
    fake.answer(
        "GET",
        "/prisoners/id-ranges",
        [
            {"fromRootOffenderId": 0, "toRootOffenderId": 10},
            {"fromRootOffenderId": 10, "toRootOffenderId": 20},
        ],
    )

    assert await nomis.is_agency_switch_on_for_prisoner("VISIT_ALLOCATION", "A1234BC") is True
    assert await nomis.is_agency_switch_on_for_prisoner("VISIT_ALLOCATION", "Z9999ZZ") is False
    assert await nomis.is_agency_switch_on_for_agency("VISIT_ALLOCATION", "MDI") is True
    assert await nomis.is_agency_switch_on_for_agency("VISIT_ALLOCATION", "XXX") is False
    assert await nomis.active_prisons() == [
        Prison("ASI", "Ashfield"),
        Prison("LEI", "Leeds"),
        Prison("MDI", "Moorland"),
    ]
    found = await nomis.merges_since("A1234AA", date(2022, 1, 1))
    assert [m["requestDateTime"] for m in found] == ["2024-02-02T12:34:56", "2024-02-01T13:34:56"]
    ids, last = await nomis.latest_bookings_from_id(54321, active_only=True, page_size=1000)
    assert (ids[0].bookingId, ids[0].offenderNo, last) == (54322, "A0001BC", 54322)
    assert await nomis.prisoners_in_range(5, 100, active=False) == [(1, "A0001BC"), (2, "A0002BC")]
    assert await nomis.id_ranges(5, active=False) == [(0, 10), (10, 20)]

    queries = {entry.path: entry.query for entry in fake.journal}
    assert queries["/prisoners/A1234AA/merges"] == {"fromDate": "2022-01-01"}
    assert queries["/bookings/ids/latest-from-id"] == {
        "bookingId": "54321",
        "activeOnly": "true",
        "pageSize": "1000",
    }
    assert queries["/prisoners/ids-in-range"] == {
        "fromRootOffenderId": "5",
        "toRootOffenderId": "100",
        "active": "false",
    }
    assert queries["/prisoners/id-ranges"] == {"size": "5", "active": "false"}
    assert len(fake.journal) == 9
    # Every call carries a client-credentials token issued to the NOMIS registration.
    assert {bearer_client_id(entry.headers["Authorization"]) for entry in fake.journal} == {
        settings.apis["nomis"].client_id
    }


@pytest.mark.scenario("framework", 58)
async def test_transient_errors_are_retried_and_others_are_not(
    clean_estate: Estate, fakes: ScriptedFakes, http: HttpSession
) -> None:
    settings = settings_for(clean_estate, fakes, API_TIMEOUT="300ms")
    nomis = clients(http, settings).get("nomis")
    fakes.nomis.answer("GET", r"/prisons.*", [{"id": "MDI", "description": "Moorland"}])

    async def read(path: str) -> Any:
        return await with_transient_retries(lambda: nomis.get_json(path), max_retries=3, backoff_ms=5)

    # Two 502s and a response slower than API_TIMEOUT, then success.
    fakes.nomis.inject_fault(path_pattern="/prisons/a", status=502, count=2)
    assert await read("/prisons/a") == [{"id": "MDI", "description": "Moorland"}]
    assert len(fakes.nomis.requests("GET", "/prisons/a")) == 3
    fakes.nomis.inject_fault(path_pattern="/prisons/b", status=0, delay_seconds=1.0)
    assert await read("/prisons/b") == [{"id": "MDI", "description": "Moorland"}]
    assert len(fakes.nomis.requests("GET", "/prisons/b")) == 2

    # Exhausted: 1 try + 3 retries, then the last failure is raised.
    fakes.nomis.inject_fault(path_pattern="/prisons/c", status=502, count=None)
    with pytest.raises(HttpError) as exhausted:
        await read("/prisons/c")
    assert exhausted.value.status == 502
    assert len(fakes.nomis.requests("GET", "/prisons/c")) == 4

    for status in (404, 500, 503):
        path = f"/prisons/{status}"
        fakes.nomis.inject_fault(path_pattern=path, status=status)
        with pytest.raises(HttpError) as error:
            await read(path)
        assert error.value.status == status
        assert str(error.value).startswith(f"{status} ") and str(error.value).endswith(
            f"from GET {fakes.nomis.url}{path}"
        )
        assert len(fakes.nomis.requests("GET", path)) == 1


async def test_api_timeout_is_honoured(clean_estate: Estate, fakes: ScriptedFakes, http: HttpSession) -> None:
    settings = settings_for(clean_estate, fakes, API_TIMEOUT="300ms")
    assert settings.apis["nomis"].timeout == pytest.approx(0.3)
    nomis = clients(http, settings).get("nomis")
    fakes.nomis.answer("GET", "/prisons", [])
    await nomis.get_json("/prisons")  # token fetched outside the timed call
    fakes.nomis.inject_fault(path_pattern="/prisons", status=0, delay_seconds=2.0)
    started = time.monotonic()
    with pytest.raises(ApiConnectionError) as error:
        await nomis.get_json("/prisons")
    assert time.monotonic() - started < 1.5
    assert f"from GET {fakes.nomis.url}/prisons" in str(error.value)


async def test_tokens_are_cached_per_api_and_refreshed_when_expired_or_rejected(
    clean_estate: Estate, fakes: ScriptedFakes, http: HttpSession
) -> None:
    auth = clean_estate.auth
    settings = settings_for(clean_estate, fakes)
    apis = clients(http, settings)
    nomis, mapping = apis.get("nomis"), apis.get("mapping")
    fakes.nomis.answer("GET", "/prisons", [])
    fakes.mapping.answer("GET", "/mapping/x", {})

    for _ in range(3):
        await nomis.get_json("/prisons")
    assert auth.tokens_issued == 1
    # Another API has its own registration, hence its own token (ADR 0003).
    await mapping.get_json("/mapping/x")
    assert auth.tokens_issued == 2
    assert (
        bearer_client_id(fakes.mapping.journal[-1].headers["Authorization"])
        == settings.apis["mapping"].client_id
    )

    # A 401 from the API (token revoked/rotated): one fresh token and one more try.
    fakes.nomis.inject_fault(path_pattern="/prisons", status=401)
    await nomis.get_json("/prisons")
    assert auth.tokens_issued == 3
    rejected, retried = fakes.nomis.journal[-2:]
    assert rejected.headers["Authorization"] != retried.headers["Authorization"]
    # A second 401 in a row is an error, not a loop.
    fakes.nomis.inject_fault(path_pattern="/prisons", status=401, count=2)
    with pytest.raises(HttpError) as error:
        await nomis.get_json("/prisons")
    assert error.value.status == 401
    assert auth.tokens_issued == 4

    # Tokens are refreshed 60 s before they expire: a 61 s token is good for one second.
    previous = auth.token_lifetime_seconds
    auth.token_lifetime_seconds = 61
    try:
        fresh = clients(http, settings).get("nomis")
        await fresh.get_json("/prisons")
        await fresh.get_json("/prisons")
        assert auth.tokens_issued == 5
        await asyncio.sleep(1.1)
        await fresh.get_json("/prisons")
        assert auth.tokens_issued == 6
    finally:
        auth.token_lifetime_seconds = previous


async def test_client_without_auth_sends_no_token(fakes: ScriptedFakes, http: HttpSession) -> None:
    """Health-style clients (no auth base URL) call without a bearer token."""
    from prisoner_to_nomis_update.settings import ApiSettings

    client = ApiClient(http, ApiSettings("nomis", fakes.nomis.url, "", "", 5.0, "nomisApi"), None)
    fakes.nomis.answer("GET", "/prisons", [])
    await client.get_json("/prisons")
    assert "Authorization" not in fakes.nomis.journal[-1].headers
