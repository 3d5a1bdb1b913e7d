"""Duplicate alerts recorded by the framework and resolved through `/duplicates` (issue 14 part 1).

The visits domain is the vehicle: a real `to-nomis-synch-visit-duplicate` raised by the listener, a real
NOMIS cancel. Each domain's own checks are tested with the domain.
"""

from __future__ import annotations

from typing import Any

from ops_support import ADMIN_ROLE, REPAIR_ROLE, VISIT_ALERT, raise_visit_duplicate

from hmpps_sandbox.estate import Estate
from hmpps_sandbox.harness import ServiceHarness, running_service
from prisoner_to_nomis_update.domains import incentives, visits

VISITS_AND_INCENTIVES = [visits.build, incentives.build]
UNKNOWN_ID = "0123456789abcdef"


async def only_duplicate(harness: ServiceHarness) -> dict[str, Any]:
    status, listed, _ = await harness.request("GET", "/duplicates", roles=[REPAIR_ROLE])
    assert status == 200
    [record] = listed
    assert isinstance(record, dict)
    return record


async def test_duplicate_alerts_are_recorded_and_resolved_on_request(clean_estate: Estate) -> None:
    async with running_service(clean_estate, domains=VISITS_AND_INCENTIVES, queues=["visit"]) as harness:
        await raise_visit_duplicate(clean_estate, harness)
        await harness.wait_for_depth("visit", 0)
        record = await only_duplicate(harness)
        assert {k: record[k] for k in ("alert", "domain", "resolvable", "status", "outcome")} == {
            "alert": "visit",
            "domain": "visits",
            "resolvable": True,
            "status": "OPEN",
            "outcome": None,
        }
        assert record["properties"] == harness.events(VISIT_ALERT)[0]
        assert (record["properties"]["existingNomisId"], record["properties"]["duplicateNomisId"]) == (
            "456",
            "10000",
        )
        # Off by default: nothing was scheduled to resolve it.
        assert harness.service.duplicates.auto_domains == frozenset()
        assert harness.service.duplicates.scheduled == 0
        path = f"/duplicates/{record['id']}"
        status, one, _ = await harness.request("GET", path, roles=[REPAIR_ROLE])
        assert (status, one) == (200, record)

        # Every endpoint: 401 without a token, 403 with another role, 400 malformed, 404 unknown.
        for method, route in (("GET", "/duplicates"), ("GET", path), ("POST", f"{path}/resolve")):
            assert (await harness.request(method, route))[0] == 401
            assert (await harness.request(method, route, roles=[ADMIN_ROLE]))[0] == 403
        for method, suffix in (("GET", ""), ("POST", "/resolve")):
            status, body, _ = await harness.request(
                method, f"/duplicates/NOT-AN-ID{suffix}", roles=[REPAIR_ROLE]
            )
            assert status == 400 and body["userMessage"].startswith("Invalid Argument: path.duplicateId")
            status, body, _ = await harness.request(
                method, f"/duplicates/{UNKNOWN_ID}{suffix}", roles=[REPAIR_ROLE]
            )
            assert status == 404 and f"duplicate {UNKNOWN_ID} not found" in body["userMessage"]

        status, resolved, _ = await harness.request("POST", f"{path}/resolve", roles=[REPAIR_ROLE])
        assert status == 200
        assert resolved["status"] == "RESOLVED"
        assert resolved["outcome"] == (
            "Cancelled NOMIS visit 10000 of A1234BC (outcome ADMIN); DPS visit 12 stays mapped to NOMIS visit 456"
        )
        [cancel] = clean_estate.nomis.requests("PUT", "/prisoners/A1234BC/visits/10000/cancel")
        assert cancel.body["outcome"] == "ADMIN"
        nomis_visits = clean_estate.plugins["visits"].nomis_visits
        assert (nomis_visits[10000]["status"], nomis_visits[456]["status"]) == ("CANC", "SCH")
        [telemetry] = harness.events("to-nomis-synch-visit-duplicate-resolved")
        assert telemetry["duplicateRecordId"] == record["id"]
        assert telemetry["resolution"] == resolved["outcome"]
        assert telemetry["resolvedBy"] == resolved["resolvedBy"] != "automatic"
        assert telemetry["duplicateNomisId"] == "10000"

        status, body, _ = await harness.request("POST", f"{path}/resolve", roles=[REPAIR_ROLE])
        assert status == 409 and "already resolved" in body["userMessage"]
        assert len(clean_estate.nomis.requests("PUT", r"/prisoners/.*/cancel")) == 1


async def test_reported_only_and_unknown_alerts_are_refused_with_the_reason(clean_estate: Estate) -> None:
    async with running_service(clean_estate, domains=VISITS_AND_INCENTIVES, queues=[]) as harness:
        telemetry = harness.service.telemetry
        telemetry.track_event(
            "to-nomis-synch-incentive-duplicate",
            {"duplicateIncentiveId": "5", "existingIncentiveId": "4", "duplicateNomisBookingId": "1"},
        )
        telemetry.track_event("to-nomis-synch-court-case-duplicate", {"duplicateCourtCaseId": "7"})
        status, listed, _ = await harness.request("GET", "/duplicates", roles=[REPAIR_ROLE])
        assert status == 200
        court_case, incentive = listed
        assert (incentive["domain"], incentive["resolvable"]) == ("incentives", False)
        assert (court_case["domain"], court_case["resolvable"]) == (None, False)

        status, body, _ = await harness.request(
            "POST", f"/duplicates/{incentive['id']}/resolve", roles=[REPAIR_ROLE]
        )
        assert status == 409
        assert body["userMessage"].startswith("Incentive duplicates are reported only")
        status, body, _ = await harness.request(
            "POST", f"/duplicates/{court_case['id']}/resolve", roles=[REPAIR_ROLE]
        )
        assert status == 409
        assert (
            body["userMessage"]
            == "This service has no resolution for court-case duplicates: follow the runbook"
        )
        # Nothing was attempted, so nothing changed and nothing is reported.
        assert [
            r["status"] for r in (await harness.request("GET", "/duplicates", roles=[REPAIR_ROLE]))[1]
        ] == [
            "OPEN",
            "OPEN",
        ]
        assert not [e for e in harness.recorder.names() if e.endswith(("-resolved", "-resolution-failed"))]


async def test_automatic_resolution_when_switched_on(clean_estate: Estate) -> None:
    env = {"DUPLICATE_AUTO_RESOLVE_VISITS": "true", "DUPLICATE_AUTO_RESOLVE_DELAY": "0s"}
    async with running_service(clean_estate, domains=[visits.build], queues=["visit"], env=env) as harness:
        await raise_visit_duplicate(clean_estate, harness)
        [resolved] = await harness.wait_for_event("to-nomis-synch-visit-duplicate-resolved")
        assert resolved["resolvedBy"] == "automatic"
        assert clean_estate.plugins["visits"].nomis_visits[10000]["status"] == "CANC"
        record = await only_duplicate(harness)
        assert (record["status"], record["resolvedBy"]) == ("RESOLVED", "automatic")

        # One that is not safe to resolve is reported, and left for an operator.
        harness.service.telemetry.track_event(
            VISIT_ALERT, {"existingVsipId": "unmapped", "duplicateNomisId": "10000", "offenderNo": "A1234BC"}
        )
        [failed] = await harness.wait_for_event("to-nomis-synch-visit-duplicate-resolution-failed")
        assert failed["resolvedBy"] == "automatic"
        assert failed["reason"] == "DPS visit unmapped is no longer mapped to a NOMIS visit"
        assert len(clean_estate.nomis.requests("PUT", r"/prisoners/.*/cancel")) == 1
