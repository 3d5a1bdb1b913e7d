"""The activities API clients against the fakes: scenarios 98-100."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest

from hmpps_sandbox.domains.activities import ActivitiesFakes
from hmpps_sandbox.estate import Estate
from prisoner_to_nomis_update.domains.activities.clients import (
    ActivitiesApi,
    ActivityMappingApi,
    NomisActivitiesApi,
)
from prisoner_to_nomis_update.domains.activities.models import ActivityMappingDto
from prisoner_to_nomis_update.framework.http import ApiClients, HttpError, HttpSession
from prisoner_to_nomis_update.settings import load_settings


@pytest.fixture
async def apis(clean_estate: Estate) -> AsyncIterator[ApiClients]:
    settings = load_settings(clean_estate.service_env("t_", []))
    http = HttpSession()
    await http.open()
    yield ApiClients(http, settings.auth_base_url, settings.apis)
    await http.close()


@pytest.mark.scenario("activities", 98)
async def test_dps_client(clean_estate: Estate, fakes: ActivitiesFakes, apis: ApiClients) -> None:
    fakes.seed_mapped_schedule(100, 300, [(600, 900, "2099-01-01", "10:00", "11:00")])
    fakes.seed_allocation(400, 100, 500)
    fakes.seed_attendance(700, 600, 500)
    dps = ActivitiesApi(apis.get("activities"))
    today = date.today()
    schedule = await dps.get_schedule(100, today)
    assert (await dps.get_activity(schedule.activity.id, today)).id == schedule.activity.id
    assert (await dps.get_scheduled_instance(600)).activitySchedule.id == 100
    assert (await dps.get_allocation(400)).bookingId == 500
    assert (await dps.get_attendance_sync(700)).scheduledInstanceId == 600
    journal = clean_estate.dps["activities"].journal
    assert [e.path for e in journal] == [
        "/schedules/100", f"/activities/{schedule.activity.id}/filtered", "/scheduled-instances/600",
        "/allocations/id/400", "/synchronisation/attendance/700",
    ]  # fmt: skip
    assert journal[0].query == journal[1].query == {"earliestSessionDate": today.isoformat()}
    assert all(e.headers["Authorization"].startswith("Bearer ") for e in journal)
    with pytest.raises(HttpError, match="404"):
        await dps.get_schedule(999, today)
    clean_estate.dps["activities"].inject_fault(path_pattern="/allocations/id/400", status=503)
    with pytest.raises(HttpError, match="503"):
        await dps.get_allocation(400)


@pytest.mark.scenario("activities", 99)
async def test_mapping_client(clean_estate: Estate, fakes: ActivitiesFakes, apis: ApiClients) -> None:
    mappings = ActivityMappingApi(apis.get("mapping"))
    assert await mappings.find(100) is None
    assert await mappings.find_scheduled_instance(600) is None
    clean_estate.mapping.inject_fault(path_pattern="/mapping/activities/.*", status=503, count=2)
    with pytest.raises(HttpError, match="503"):
        await mappings.find(100)
    with pytest.raises(HttpError, match="503"):
        await mappings.find_scheduled_instance(600)
    clean_estate.mapping.inject_fault(path_pattern="/mapping/activities", method="POST", status=400)
    with pytest.raises(HttpError, match="400"):
        await mappings.create(ActivityMappingDto(nomisCourseActivityId=1, activityScheduleId=2, activityId=3, mappingType="ACTIVITY_CREATED"))  # fmt: skip
    clean_estate.mapping.inject_fault(path_pattern="/mapping/schedules/.*", status=503)
    with pytest.raises(HttpError, match="503"):
        await mappings.delete_schedule_mappings_above(100)


@pytest.mark.scenario("activities", 100)
async def test_nomis_client(clean_estate: Estate, fakes: ActivitiesFakes, apis: ApiClients) -> None:
    nomis = NomisActivitiesApi(apis.get("nomis"))
    fakes.seed_prisoner(1, "A0001AA", "BXI")
    assert [d.offenderNo for d in await nomis.prisoner_details([1, 2])] == ["A0001AA"]
    await nomis.allocation_counts("BXI", suspended=True)
    await nomis.attendance_counts("BXI", date(2024, 3, 1))
    assert await nomis.max_course_schedule_id() == 899
    journal = clean_estate.nomis.journal
    assert journal[0].path == "/prisoners/bookings" and journal[0].body == [1, 2]
    assert (journal[1].path, journal[1].query) == ("/allocations/reconciliation/BXI", {"suspended": "true"})
    assert (journal[2].path, journal[2].query) == ("/attendances/reconciliation/BXI", {"date": "2024-03-01"})
    assert journal[3].path == "/schedules/max-id"
    clean_estate.nomis.inject_fault(path_pattern="/agency-switches/ACTIVITY", status=500)
    with pytest.raises(HttpError, match="500"):
        await nomis.activity_prisons()
