"""Endpoint security (framework.md 7.1, scenario 54) and the Application Insights exporter."""

from __future__ import annotations

import orjson
import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from fw_support import ScriptedFakes

from hmpps_sandbox.estate import Estate
from hmpps_sandbox.harness import running_service
from prisoner_to_nomis_update.app import default_telemetry
from prisoner_to_nomis_update.framework.telemetry import AppInsightsExporter, operation
from prisoner_to_nomis_update.settings import load_settings

RESYNC = "/prisoners/A1234BC/visits/resynchronise/12"


@pytest.mark.scenario("framework", 54)
async def test_protected_endpoint_needs_a_valid_token_with_the_role(clean_estate: Estate) -> None:
    auth = clean_estate.auth
    foreign_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    async with running_service(clean_estate, queues=[]) as harness:
        status, body, headers = await harness.request("POST", RESYNC)
        assert (status, body) == (401, None)
        assert headers["WWW-Authenticate"].startswith("Bearer")
        for bad in (
            "not-a-jwt",
            auth.mint_token(["ROLE_PRISONER_TO_NOMIS__UPDATE__RW"], expires_in=-60),
            auth.mint_token(["ROLE_PRISONER_TO_NOMIS__UPDATE__RW"], key=foreign_key),
            auth.mint_token(["ROLE_PRISONER_TO_NOMIS__UPDATE__RW"], algorithm="none"),
        ):
            status, _, _ = await harness.request("POST", RESYNC, token=bad)
            assert status == 401
        status, body, _ = await harness.request("POST", RESYNC, roles=["ROLE_SOMETHING_ELSE"])
        assert status == 403
        assert body["status"] == 403
        assert body["userMessage"] == "Access Denied"
    # Neither refused request reached a downstream API.
    assert clean_estate.dps["visits"].journal == []
    assert clean_estate.nomis.journal == []


async def test_events_reach_application_insights_as_custom_events(
    clean_estate: Estate, fakes: ScriptedFakes
) -> None:
    """The connection string's IngestionEndpoint receives customEvents on /v2/track (issue 2 item 7)."""
    ingestion = fakes.dps  # any loopback fake can stand in for the ingestion endpoint

    async def track(request: web.Request, _: object) -> web.StreamResponse:
        return web.json_response({"itemsReceived": 1, "itemsAccepted": 1, "errors": []})

    ingestion.on("POST", "/v2/track", track)
    env = clean_estate.service_env(
        "",
        [],
        APPLICATIONINSIGHTS_CONNECTION_STRING=f"InstrumentationKey=ikey-123;IngestionEndpoint={ingestion.url}/",
    )
    telemetry = default_telemetry(load_settings(env))
    [exporter] = [e for e in telemetry.exporters if isinstance(e, AppInsightsExporter)]
    exporter.flush_interval = 0.05
    # The first post fails (ingestion unavailable): the batch is kept and sent on the next flush.
    ingestion.inject_fault(path_pattern="/v2/track", status=503)
    with operation("op-one"):
        telemetry.track_event("widget-create-success", {"dpsWidgetId": "W1", "ok": True, "nothing": None})
    with operation("op-two"):
        telemetry.track_event("widget-create-failed", {"reason": "boom"})
    await telemetry.close()

    posts = ingestion.requests("POST", "/v2/track")
    assert len(posts) >= 2
    delivered = posts[-1]
    assert delivered.headers["Content-Type"] == "application/x-json-stream"
    raw = delivered.body if isinstance(delivered.body, str) else orjson.dumps(delivered.body).decode()
    items = [orjson.loads(line) for line in raw.splitlines()]
    assert [item["data"]["baseData"]["name"] for item in items] == [
        "widget-create-success",
        "widget-create-failed",
    ]
    first, second = items
    assert first["iKey"] == "ikey-123"
    assert first["name"] == "Microsoft.ApplicationInsights.Event"
    assert first["data"]["baseType"] == "EventData"
    assert first["data"]["baseData"]["properties"] == {"dpsWidgetId": "W1", "ok": "true", "nothing": "null"}
    assert first["tags"]["ai.operation.id"] == "op-one"
    assert second["tags"]["ai.operation.id"] == "op-two"
    assert first["tags"]["ai.cloud.role"] == "hmpps-prisoner-to-nomis-update"
    assert first["time"].endswith("Z")
