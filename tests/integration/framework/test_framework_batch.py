"""Batch mode (framework.md 2, 10): one job by BATCH_TYPE, no listeners, then shut down."""

from __future__ import annotations

import asyncio
import logging
import os
import sys

import pytest
from fw_support import WIDGET_QUEUE, ScriptedFakes, Widgets

from hmpps_sandbox.estate import Estate
from hmpps_sandbox.harness import ServiceHarness
from prisoner_to_nomis_update.__main__ import run_batch
from prisoner_to_nomis_update.app import Service
from prisoner_to_nomis_update.framework.batch import purge_dlq_job, purge_queue_by_name
from prisoner_to_nomis_update.framework.messages import notification_body
from prisoner_to_nomis_update.framework.telemetry import RecordingExporter, Telemetry
from prisoner_to_nomis_update.settings import ConfigError, load_settings

# framework.md 10.2: every name a BATCH_TYPE may take.
BATCH_TYPES = {
    "ADJUDICATION_RECON", "AGENCY_RECON", "ALERT_RECON", "ALLOCATION_RECON", "APPOINTMENT_RECON",
    "ATTENDANCE_RECON", "CASE_NOTES_ACTIVE_RECON", "CASE_NOTES_FULL_RECON",
    "CONTACT_PERSON_PROFILE_DETAILS_RECON", "CORE_PERSON_ACTIVE_RECON", "CORE_PERSON_FULL_RECON",
    "COURT_CASE_PRISONER_RECON", "COURT_CASE_ACTIVE_PRISONER_RECON", "COURT_SCHEDULER_ACTIVE_RECON",
    "COURT_SCHEDULER_ALL_RECON", "CSIP_RECON", "DELETE_UNKNOWN_ACTIVITY_MAPPINGS", "INCENTIVES_RECON",
    "INCIDENTS_RECON", "LOCATIONS_RECON", "NON_ASSOCIATIONS_RECON", "OFFICIAL_VISIT_ALL_RECON",
    "OFFICIAL_VISIT_ALL_MISSING_RECON", "OFFICIAL_VISIT_ACTIVE_SCH_RECON", "ORGANISATIONS_RECON",
    "PERSON_CONTACT_RECON", "PRISONER_BALANCE_ACTIVE_RECON", "PRISONER_BALANCE_ALL_RECON",
    "PRISONER_CONTACT_RECON", "PRISONER_RESTRICTION_RECON", "PRISONER_TRANSACTIONS_RECON",
    "PURGE_ACTIVITY_DLQ", "SENTENCING_RECON", "STAFF_RECON", "SUSPENDED_ALLOCATION_RECON",
    "TAP_ALL_PRISONERS_RECON", "TAP_ACTIVE_PRISONERS_RECON", "VISIT_BALANCE_RECON", "VISIT_SLOTS_RECON",
}  # fmt: skip


async def provisioned(estate: Estate, fakes: ScriptedFakes, widgets: Widgets) -> ServiceHarness:
    """Queues created (as a running service would) but nothing listening, for seeding and inspection."""
    harness = ServiceHarness(estate, queues=[WIDGET_QUEUE], domains=[widgets.factory], env=fakes.env)
    return await harness.start(listen=False, http=False)


@pytest.mark.scenario("framework", 48)
@pytest.mark.scenario("framework", 50)
async def test_batch_runs_its_job_once_without_listening(
    clean_estate: Estate, fakes: ScriptedFakes, widgets: Widgets
) -> None:
    harness = await provisioned(clean_estate, fakes, widgets)
    try:
        await harness.send_raw(
            WIDGET_QUEUE, notification_body(Widgets.event("widget.recorded")), "widget.recorded"
        )
        await run_batch(harness.settings, "WIDGET_RECON", domains=[widgets.factory])
        assert widgets.batch_runs == ["WIDGET_RECON"]
        # The message was on the queue while the job ran and is still there: nothing consumed it.
        assert widgets.depth_during_batch == [1]
        await asyncio.sleep(0.5)
        assert await harness.depth(WIDGET_QUEUE) == 1
        assert widgets.received == []
        # The batch's service was shut down afterwards (its HTTP session is closed).
        assert widgets.context is not None
        with pytest.raises(RuntimeError):
            _ = widgets.context.apis.http.session

        # A failing job fails the run (non-zero exit in the CLI) and still shuts down.
        with pytest.raises(RuntimeError, match=r"the widget report failed"):
            await run_batch(harness.settings, "WIDGET_EXPLODES", domains=[widgets.factory])
        assert widgets.batch_runs == ["WIDGET_RECON", "WIDGET_EXPLODES"]
        with pytest.raises(RuntimeError):
            _ = widgets.context.apis.http.session
    finally:
        await harness.stop()


@pytest.mark.scenario("framework", 48)
async def test_every_domain_batch_job_is_reachable_by_its_batch_type(clean_estate: Estate) -> None:
    """Whatever domains are registered, each job is found by name, names are the original's BatchType
    values, and no two domains claim the same name (one would silently shadow the other)."""
    service = Service(load_settings(clean_estate.service_env()), Telemetry([RecordingExporter()]))
    seen: dict[str, str] = {}
    for domain in service.domains:
        for batch_type, job in domain.batch_jobs.items():
            assert batch_type in BATCH_TYPES, f"{domain.name}: {batch_type} is not a BatchType"
            assert batch_type not in seen, f"{batch_type} claimed by {seen.get(batch_type)} and {domain.name}"
            seen[batch_type] = domain.name
            assert service.batch_job(batch_type) is job
    with pytest.raises(ConfigError, match=r"BATCH_TYPE 'NOT_A_JOB' is not a known batch type"):
        service.batch_job("NOT_A_JOB")


@pytest.mark.scenario("framework", 49)
async def test_purge_dlq_job_purges_the_named_dlq(
    clean_estate: Estate, fakes: ScriptedFakes, widgets: Widgets, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="telemetry")
    harness = await provisioned(clean_estate, fakes, widgets)
    try:
        for n in range(2):
            await harness.send_raw(WIDGET_QUEUE, f'{{"n": {n}}}', dlq=True)
        await harness.send_raw(WIDGET_QUEUE, '{"keep": true}')
        await run_batch(harness.settings, "PURGE_WIDGET_DLQ", domains=[widgets.factory])
        assert await harness.depth(WIDGET_QUEUE, dlq=True) == 0
        assert await harness.depth(WIDGET_QUEUE) == 1
        [purged] = [r for r in caplog.records if r.name == "telemetry" and r.getMessage() == "PurgeQueue"]
        dlq_name = harness.settings.queues[WIDGET_QUEUE].dlq_name
        assert purged.properties == {"queue-name": dlq_name, "messages-found": "2"}  # type: ignore[attr-defined]

        queues = harness.service.queues
        # A main queue can be purged by name too; an unknown name fails the job.
        assert await purge_queue_by_name(queues, harness.settings.queues[WIDGET_QUEUE].queue_name) == 1
        with pytest.raises(ValueError, match=r"^no_such_dlq not found$"):
            await purge_queue_by_name(queues, "no_such_dlq")
        # PURGE_ACTIVITY_DLQ reads HMPPS_SQS_QUEUES_ACTIVITY_DLQ_NAME when it runs.
        with pytest.raises(ConfigError, match=r"HMPPS_SQS_QUEUES_ACTIVITY_DLQ_NAME"):
            await purge_dlq_job(queues, harness.settings, "activity")()
        named = load_settings({**harness.env, "HMPPS_SQS_QUEUES_ACTIVITY_DLQ_NAME": "gone_dlq"})
        with pytest.raises(ValueError, match=r"^gone_dlq not found$"):
            await purge_dlq_job(queues, named, "activity")()
    finally:
        await harness.stop()


@pytest.mark.scenario("framework", 48)
async def test_unknown_batch_type_stops_the_process_with_one_clear_line(clean_estate: Estate) -> None:
    env = {**os.environ, **clean_estate.service_env(), "LOG_LEVEL": "WARNING"}
    runs = [(["batch", "NOT_A_JOB"], env)]

    async def run(args: list[str], run_env: dict[str, str]) -> tuple[int | None, list[str]]:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "prisoner_to_nomis_update",
            *args,
            env=run_env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, stderr = await asyncio.wait_for(process.communicate(), 60)
        return process.returncode, stderr.decode().strip().splitlines()

    for returncode, lines in await asyncio.gather(*(run(args, run_env) for args, run_env in runs)):
        assert returncode != 0
        assert len(lines) == 1, lines
        assert "BATCH_TYPE 'NOT_A_JOB' is not a known batch type" in lines[0]
