"""After a preprod refresh: find, and delete, the activity mappings that now conflict with NOMIS.

A refresh copies prod NOMIS over preprod NOMIS but leaves the preprod mapping database alone, so:
- scheduled-instance mappings point at NOMIS course schedule ids above NOMIS's new highest id; NOMIS
  will hand those ids out again and every new course activity's mapping POST then fails with 409.
  These are deleted (`DELETE /mapping/schedules/max-nomis-schedule-id/{max}`, the same call as the
  DELETE_UNKNOWN_ACTIVITY_MAPPINGS job).
- activity mappings point at course activities NOMIS no longer has; their amend/allocation/attendance
  events fail. The mapping API has no delete for these, so they are listed for the runbook's manual step.

    python -m prisoner_to_nomis_update.domains.activities.preprod_refresh --dry-run [--prison MDI ...]

Candidates are found from DPS (each activities prison's activities and schedules), looked up with
bounded concurrency; one line per conflict is printed, then the action taken.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from prisoner_to_nomis_update.domains.activities.clients import (
    ActivitiesApi,
    ActivityMappingApi,
    NomisActivitiesApi,
)
from prisoner_to_nomis_update.framework.http import ApiClients, HttpSession
from prisoner_to_nomis_update.framework.logs import configure_logging
from prisoner_to_nomis_update.settings import ConfigError, load_settings

CONCURRENCY = 8
SCHEDULE_ABOVE_MAX = "scheduled-instance-mapping-above-nomis-max"
ACTIVITY_MISSING = "course-activity-missing-from-nomis"


@dataclass(frozen=True)
class Conflict:
    kind: str
    activity_schedule_id: int
    nomis_course_activity_id: int
    scheduled_instance_id: int | None = None
    nomis_course_schedule_id: int | None = None

    def describe(self) -> str:
        text = (
            f"{self.kind} activityScheduleId={self.activity_schedule_id} "
            f"nomisCourseActivityId={self.nomis_course_activity_id}"
        )
        if self.scheduled_instance_id is not None:
            text += (
                f" scheduledInstanceId={self.scheduled_instance_id}"
                f" nomisCourseScheduleId={self.nomis_course_schedule_id}"
            )
        return text


@dataclass(frozen=True)
class RefreshResult:
    max_course_schedule_id: int
    conflicts: list[Conflict]
    deleted: bool


async def find_conflicts(
    activities: ActivitiesApi,
    nomis: NomisActivitiesApi,
    mappings: ActivityMappingApi,
    max_course_schedule_id: int,
    prisons: Sequence[str],
) -> list[Conflict]:
    limit = asyncio.Semaphore(CONCURRENCY)

    async def bounded_schedule_ids(activity_id: int) -> list[int]:
        async with limit:
            return await activities.schedule_ids_of_activity(activity_id)

    async def check(schedule_id: int) -> list[Conflict]:
        async with limit:
            mapping = await mappings.find(schedule_id)
            if mapping is None:
                return []
            found = [
                Conflict(
                    SCHEDULE_ABOVE_MAX,
                    schedule_id,
                    mapping.nomisCourseActivityId,
                    m.scheduledInstanceId,
                    m.nomisCourseScheduleId,
                )
                for m in mapping.scheduledInstanceMappings
                if m.nomisCourseScheduleId > max_course_schedule_id
            ]
            if not await nomis.course_activity_exists(mapping.nomisCourseActivityId):
                found.append(Conflict(ACTIVITY_MISSING, schedule_id, mapping.nomisCourseActivityId))
            return found

    conflicts: list[Conflict] = []
    for prison in prisons:
        activity_ids = await activities.prison_activity_ids(prison)
        schedule_lists = await asyncio.gather(*(bounded_schedule_ids(a) for a in activity_ids))
        schedule_ids = sorted({s for ids in schedule_lists for s in ids})
        for found in await asyncio.gather(*(check(s) for s in schedule_ids)):
            conflicts.extend(found)
    return conflicts


async def refresh(
    activities: ActivitiesApi,
    nomis: NomisActivitiesApi,
    mappings: ActivityMappingApi,
    dry_run: bool,
    prisons: Sequence[str] | None = None,
) -> RefreshResult:
    max_id = await nomis.max_course_schedule_id()
    chosen = list(prisons) if prisons else await nomis.activity_prisons()
    conflicts = await find_conflicts(activities, nomis, mappings, max_id, chosen)
    deletable = any(c.kind == SCHEDULE_ABOVE_MAX for c in conflicts)
    if deletable and not dry_run:
        await mappings.delete_schedule_mappings_above(max_id)
    return RefreshResult(max_id, conflicts, deleted=deletable and not dry_run)


def report_lines(result: RefreshResult, dry_run: bool) -> list[str]:
    lines = [f"NOMIS highest course schedule id: {result.max_course_schedule_id}"]
    for conflict in result.conflicts:
        if conflict.kind == SCHEDULE_ABOVE_MAX:
            action = "would delete" if dry_run else "deleted"
        else:
            action = "manual action"
        lines.append(f"{action}: {conflict.describe()}")
    if not result.conflicts:
        lines.append("no conflicting activity mappings found")
    elif dry_run:
        lines.append("dry run: nothing deleted")
    return lines


async def run(env: dict[str, str], dry_run: bool, prisons: Sequence[str] | None) -> list[str]:
    settings = load_settings(env)
    http = HttpSession()
    await http.open()
    try:
        apis = ApiClients(http, settings.auth_base_url, settings.apis)
        result = await refresh(
            ActivitiesApi(apis.get("activities")),
            NomisActivitiesApi(apis.get("nomis")),
            ActivityMappingApi(apis.get("mapping")),
            dry_run,
            prisons,
        )
    finally:
        await http.close()
    return report_lines(result, dry_run)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m prisoner_to_nomis_update.domains.activities.preprod_refresh",
        description="Find (and unless --dry-run delete) activity mappings that conflict after a preprod refresh",
    )
    parser.add_argument("--dry-run", action="store_true", help="print what would be deleted, delete nothing")
    parser.add_argument(
        "--prison", action="append", help="limit to these prisons (default: all activity prisons)"
    )
    args = parser.parse_args(argv)
    configure_logging(os.environ.get("LOG_LEVEL", "WARNING"))
    try:
        lines = asyncio.run(run(dict(os.environ), args.dry_run, args.prison))
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
