"""What the service keeps in memory for operators (issue 14): bounded, and switched on only as configured."""

from __future__ import annotations

import asyncio

import pytest

from prisoner_to_nomis_update.framework.background import BackgroundReports, RunStatus
from prisoner_to_nomis_update.framework.domain import Domain
from prisoner_to_nomis_update.framework.duplicate_resolution import DuplicateResolution
from prisoner_to_nomis_update.framework.duplicates import (
    Duplicate,
    DuplicateLog,
    DuplicateNotResolvable,
    ReportOnly,
    alert_of,
    duplicate_id,
)
from prisoner_to_nomis_update.framework.failures import MAX_REASON_CHARS, FailureReasons
from prisoner_to_nomis_update.framework.telemetry import RecordingExporter, Telemetry
from prisoner_to_nomis_update.settings import ConfigError, load_settings


def duplicate(alert: str, n: int) -> Duplicate:
    properties = {"duplicateNomisId": str(n)}
    return Duplicate(duplicate_id(alert, properties), alert, None, properties, resolvable=False)


def test_duplicate_log_keeps_the_last_n_of_each_alert_and_one_record_per_alert() -> None:
    log = DuplicateLog(kept_per_alert=3)
    for n in range(5):
        log.add(duplicate("visit", n))
    kept = log.add(duplicate("activity", 1))
    # The same alert again (same properties) is the same record, not a second one.
    assert log.add(duplicate("activity", 1)) is kept
    assert len(log) == 4
    assert [d.properties["duplicateNomisId"] for d in log.recent()] == ["1", "4", "3", "2"]
    assert [d.alert for d in log.recent()] == ["activity", "visit", "visit", "visit"]
    assert log.get(duplicate("visit", 0).id) is None


def test_alert_names_and_ids() -> None:
    assert alert_of("to-nomis-synch-sentencing-adjustment-duplicate") == "sentencing-adjustment"
    assert alert_of("to-nomis-synch-visit-duplicate-resolved") is None
    assert alert_of("visit-create-duplicate") is None
    first = duplicate_id("visit", {"a": "1", "b": "2"})
    assert first == duplicate_id("visit", {"b": "2", "a": "1"})
    assert first != duplicate_id("activity", {"a": "1", "b": "2"})
    assert len(first) == 16 and int(first, 16) >= 0


def test_missing_alert_properties_refuse_resolution() -> None:
    record = Duplicate("0" * 16, "visit", "visits", {"duplicateNomisId": "null", "n": "x"}, True)
    with pytest.raises(DuplicateNotResolvable, match="no duplicateNomisId"):
        record.required("duplicateNomisId")
    with pytest.raises(DuplicateNotResolvable, match="not a number"):
        record.required_int("n")


def test_failure_reasons_are_bounded() -> None:
    reasons = FailureReasons(kept=2)
    reasons.record("m1", "visit", "prison-visit.booked", "first", 1)
    reasons.record("m2", "visit", "prison-visit.booked", "x" * 5000, 1)
    reasons.record("m1", "visit", "prison-visit.booked", "again", 2)  # most recent again
    reasons.record("m3", "visit", None, "third", 1)
    assert len(reasons) == 2
    assert reasons.get("m2") is None
    failure = reasons.get("m1")
    assert failure is not None and (failure.reason, failure.receive_count) == ("again", 2)
    reasons.record("m4", "visit", None, "y" * 5000, 1)
    stored = reasons.get("m4")
    assert stored is not None and len(stored.reason) == MAX_REASON_CHARS


def test_auto_resolve_switches() -> None:
    settings = load_settings(
        {
            "DUPLICATE_AUTO_RESOLVE_VISITS": "true",
            "DUPLICATE_AUTO_RESOLVE_ACTIVITIES": "false",
            "DUPLICATE_AUTO_RESOLVE_NON-ASSOCIATIONS": "TRUE",
            "DUPLICATE_AUTO_RESOLVE_DELAY": "500ms",
        }
    )
    assert settings.duplicate_auto_resolve == {"visits", "nonassociations"}
    assert settings.duplicate_auto_resolve_delay == 0.5
    defaults = load_settings({})
    assert (defaults.duplicate_auto_resolve, defaults.duplicate_auto_resolve_delay) == (frozenset(), 10.0)
    with pytest.raises(ConfigError, match=r"^DUPLICATE_AUTO_RESOLVE_VISITS must be true or false"):
        load_settings({"DUPLICATE_AUTO_RESOLVE_VISITS": "yes"})
    with pytest.raises(ConfigError, match=r"^DUPLICATE_AUTO_RESOLVE_DELAY must be a duration"):
        load_settings({"DUPLICATE_AUTO_RESOLVE_DELAY": "soon"})


class Resolves:
    resolves = True

    async def resolve(self, duplicate: Duplicate) -> str:
        return "done"


def test_an_auto_resolve_switch_must_name_a_domain_that_resolves() -> None:
    domains = [
        Domain("visits", "visit", {}, duplicate_resolvers={"visit": Resolves()}),
        Domain("incentives", "incentive", {}, duplicate_resolvers={"incentive": ReportOnly("no")}),
    ]
    wired = DuplicateResolution.for_domains(
        domains, Telemetry(), load_settings({"DUPLICATE_AUTO_RESOLVE_VISITS": "true"})
    )
    assert wired.auto_domains == {"visits"}
    assert set(wired.resolvers) == {"visit", "incentive"}
    with pytest.raises(
        ConfigError, match=r"^DUPLICATE_AUTO_RESOLVE_INCENTIVES: incentives duplicates are reported only"
    ):
        DuplicateResolution.for_domains(
            domains, Telemetry(), load_settings({"DUPLICATE_AUTO_RESOLVE_INCENTIVES": "true"})
        )
    with pytest.raises(
        ConfigError, match=r"^DUPLICATE_AUTO_RESOLVE_ADJUDICATIONS: no domain 'adjudications'"
    ):
        DuplicateResolution.for_domains(
            domains, Telemetry(), load_settings({"DUPLICATE_AUTO_RESOLVE_ADJUDICATIONS": "true"})
        )


async def test_report_runs_keep_their_outcome_and_count_their_telemetry() -> None:
    recorder = RecordingExporter()
    telemetry = Telemetry([recorder])
    reports = BackgroundReports(telemetry)
    release = asyncio.Event()

    async def report() -> None:
        telemetry.track_event("x-reports-reconciliation-requested")

        async def one_prisoner() -> None:
            telemetry.track_event("x-reports-reconciliation-mismatch")

        await asyncio.gather(one_prisoner(), one_prisoner())
        await release.wait()

    reports.start("x reconciliation", report)
    await asyncio.sleep(0)
    run = reports.last["x reconciliation"]
    assert run.status is RunStatus.RUNNING and reports.running("x reconciliation")
    telemetry.track_event("not-part-of-the-run")
    release.set()
    await reports.tasks["x reconciliation"]
    assert run.status is RunStatus.SUCCEEDED and run.finished_at is not None
    assert dict(run.events) == {
        "x-reports-reconciliation-requested": 1,
        "x-reports-reconciliation-mismatch": 2,
    }
    # Every event of the run carries the run's operation id (logs and App Insights join on it).
    assert {event.operation_id for event in recorder.events if event.name.startswith("x-")} == {
        run.operation_id
    }

    async def broken() -> None:
        raise RuntimeError("NOMIS is down")

    with pytest.raises(RuntimeError):
        await reports.run("x reconciliation", broken)
    failed = reports.last["x reconciliation"]
    assert (failed.status, failed.error) == (RunStatus.FAILED, "NOMIS is down")
    assert "failed (NOMIS is down)" in failed.summary()
