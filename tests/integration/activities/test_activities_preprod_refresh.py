"""The preprod-refresh command against the sandbox with seeded conflicting mappings."""

from __future__ import annotations

import asyncio

import pytest

from hmpps_sandbox.domains.activities import ActivitiesFakes
from hmpps_sandbox.estate import Estate
from prisoner_to_nomis_update.domains.activities import preprod_refresh


def refreshed_preprod(fakes: ActivitiesFakes) -> None:
    """Mappings made in preprod before NOMIS was overwritten with prod's data."""
    fakes.activity_prisons.append("MDI")
    fakes.seed_mapped_schedule(
        100, 300, [(600, 900, "2099-01-01", "10:00", "11:00"), (601, 950, "2099-01-02", "10:00", "11:00")]
    )
    fakes.seed_mapped_schedule(101, 301, [(610, 960, "2099-01-01", "10:00", "11:00")])
    fakes.seed_mapped_schedule(102, 302, [(620, 902, "2099-01-01", "10:00", "11:00")])
    # NOMIS now holds prod's data: schedules 950 and 960 and course activity 301 are gone
    del fakes.course_activities[300]["schedules"][950]
    del fakes.course_activities[301]


async def test_dry_run_lists_and_real_run_deletes_conflicting_mappings(
    clean_estate: Estate,
    fakes: ActivitiesFakes,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    refreshed_preprod(fakes)
    for key, value in clean_estate.service_env("t_", []).items():
        monkeypatch.setenv(key, value)

    assert await asyncio.to_thread(preprod_refresh.main, ["--dry-run"]) == 0
    dry_run = capsys.readouterr().out.splitlines()
    assert dry_run == [
        "NOMIS highest course schedule id: 902",
        "would delete: scheduled-instance-mapping-above-nomis-max activityScheduleId=100 nomisCourseActivityId=300 scheduledInstanceId=601 nomisCourseScheduleId=950",
        "would delete: scheduled-instance-mapping-above-nomis-max activityScheduleId=101 nomisCourseActivityId=301 scheduledInstanceId=610 nomisCourseScheduleId=960",
        "manual action: course-activity-missing-from-nomis activityScheduleId=101 nomisCourseActivityId=301",
        "dry run: nothing deleted",
    ]
    assert clean_estate.mapping.requests("DELETE") == []
    assert len(fakes.mappings[100]["scheduledInstanceMappings"]) == 2

    assert await asyncio.to_thread(preprod_refresh.main, ["--prison", "MDI"]) == 0
    real_run = capsys.readouterr().out.splitlines()
    assert real_run[1].startswith(
        "deleted: scheduled-instance-mapping-above-nomis-max activityScheduleId=100"
    )
    assert [r.path for r in clean_estate.mapping.requests("DELETE")] == [
        "/mapping/schedules/max-nomis-schedule-id/902"
    ]
    assert [m["nomisCourseScheduleId"] for m in fakes.mappings[100]["scheduledInstanceMappings"]] == [900]
    assert fakes.mappings[101]["scheduledInstanceMappings"] == []

    assert await asyncio.to_thread(preprod_refresh.main, ["--dry-run"]) == 0
    again = capsys.readouterr().out.splitlines()
    assert again[1:] == ["manual action: course-activity-missing-from-nomis activityScheduleId=101 nomisCourseActivityId=301", "dry run: nothing deleted"]  # fmt: skip
