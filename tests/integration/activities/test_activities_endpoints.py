"""Manual synchronisation endpoints: activities scenarios 61-71."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from hmpps_sandbox.domains.activities import ActivitiesFakes
from hmpps_sandbox.estate import Estate
from hmpps_sandbox.harness import running_service

ROLE = "ROLE_PRISONER_TO_NOMIS__UPDATE__RW"
TOMORROW = (date.today() + timedelta(days=1)).isoformat()
ENDPOINTS = [
    ("POST", "/activities/1"),
    ("PUT", "/activities/1"),
    ("PUT", "/allocations/1"),
    ("PUT", "/attendances/1"),
]


@pytest.mark.scenario("activities", 61)
@pytest.mark.scenario("activities", 62)
@pytest.mark.scenario("activities", 63)
@pytest.mark.scenario("activities", 64)
@pytest.mark.scenario("activities", 65)
@pytest.mark.scenario("activities", 66)
@pytest.mark.scenario("activities", 67)
@pytest.mark.scenario("activities", 68)
@pytest.mark.scenario("activities", 69)
@pytest.mark.scenario("activities", 70)
@pytest.mark.scenario("activities", 71)
async def test_manual_synchronisation_endpoints(clean_estate: Estate, fakes: ActivitiesFakes) -> None:
    fakes.location_mappings["loc-1"] = 77
    fakes.seed_schedule(100, 200, "PVI", schedule={"internalLocation": {"id": 1, "dpsLocationId": "loc-1"}}, activity={"pay": []})  # fmt: skip
    fakes.seed_mapped_schedule(101, 301, [(610, 910, TOMORROW, "10:00", "11:00")])
    fakes.seed_allocation(400, 101, 500)
    fakes.seed_attendance(700, 610, 500)
    dps = clean_estate.dps["activities"]
    async with running_service(clean_estate, queues=[]) as harness:
        for method, path in ENDPOINTS:
            assert (await harness.request(method, path))[0] == 401
            assert (await harness.request(method, path, roles=[]))[0] == 403
            assert (await harness.request(method, path, roles=["ROLE_BANANAS"]))[0] == 403
        assert (await harness.request("POST", "/activities/100", roles=[ROLE]))[0] == 201
        [created] = harness.events("activity-create-success")
        assert (await harness.request("PUT", "/activities/100", roles=[ROLE]))[0] == 200
        [amended] = harness.events("activity-amend-success")
        assert (await harness.request("PUT", "/allocations/400", roles=[ROLE]))[0] == 200
        [allocated] = harness.events("activity-allocation-success")
        assert (await harness.request("PUT", "/attendances/700", roles=[ROLE]))[0] == 200
        [attended] = harness.events("activity-attendance-update-success")
        for path in ("/schedules/.*", "/allocations/id/.*", "/synchronisation/attendance/.*"):
            dps.inject_fault(path_pattern=path, status=500, count=2)
        failures = [
            (await harness.request(method, path, roles=[ROLE]))[0]
            for method, path in (("POST", "/activities/102"), ("PUT", "/activities/100"), ("PUT", "/allocations/400"), ("PUT", "/attendances/700"))
        ]  # fmt: skip
    assert failures == [500, 500, 500, 500]
    assert harness.events("activity-create-requested") == [
        {"dpsActivityScheduleId": "100"},
        {"dpsActivityScheduleId": "102"},
    ]
    assert created["prisonId"] == amended["prisonId"] == "PVI"
    assert allocated["prisonId"] == attended["prisonId"] == "MDI"
    [create] = clean_estate.nomis.requests("POST", "/activities")
    assert (
        create.body["code"] == "100"
        and create.body["payRates"] == []
        and create.body["internalLocationId"] == 77
    )
    [mapping] = clean_estate.mapping.requests("POST", "/mapping/activities")
    assert mapping.body["mappingType"] == "ACTIVITY_CREATED"
    [update] = clean_estate.nomis.requests("PUT", "/activities/300")
    assert update.body["payRates"] == [] and update.body["internalLocationId"] == 77
    [mapping_update] = clean_estate.mapping.requests("PUT", "/mapping/activities")
    assert mapping_update.body["mappingType"] == "ACTIVITY_UPDATED"
    assert len(clean_estate.mapping.requests("GET", "/mapping/locations/dps/loc-1")) == 2
    assert clean_estate.nomis.requests("PUT", "/activities/301/allocation")
    assert clean_estate.nomis.requests("PUT", "/schedules/910/booking/500/attendance")
    assert harness.events("activity-amend-requested") == [{"dpsActivityScheduleId": "100"}] * 2
    assert harness.events("activity-allocation-requested") == [{"dpsAllocationId": "400"}] * 2
    assert harness.events("activity-attendance-requested") == [{"dpsAttendanceId": "700"}] * 2
    assert [e["dpsActivityScheduleId"] for e in harness.events("activity-create-failed")] == ["102"]
    assert len(harness.events("activity-amend-failed")) == 1
    assert len(harness.events("activity-allocation-failed")) == 1
    assert len(harness.events("activity-attendance-update-failed")) == 1
