"""Reports started over HTTP: they take minutes, so they run in the background and the caller gets 202.

At most one run of each report at a time (a second start answers 409), tasks are held so they are not
garbage-collected mid-run, a failure is logged (the report's own telemetry says what it found), and the
service cancels whatever is still running when it stops.

Every run, background or batch, goes through `run`, which keeps the outcome of the last run of each
report (status, times, error, and how many of each telemetry event the run emitted, e.g. 3 x
`…-reconciliation-mismatch`) for the operator console, and logs it as one line. The events are counted
by the operation id the run is given, which its log lines and telemetry carry too.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from prisoner_to_nomis_update.framework.errors import Conflict
from prisoner_to_nomis_update.framework.telemetry import Telemetry, TelemetryEvent, operation

log = logging.getLogger(__name__)

# A run's event tally names each distinct event once; reports emit a handful of names, however many
# events, so this only guards against a report that invents names.
MAX_COUNTED_EVENT_NAMES = 20


class RunStatus(StrEnum):
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass
class ReportRun:
    name: str
    operation_id: str
    started_at: datetime = field(default_factory=_now)
    finished_at: datetime | None = None
    status: RunStatus = RunStatus.RUNNING
    error: str | None = None
    events: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        counted = ", ".join(f"{count} x {name}" for name, count in sorted(self.events.items()))
        outcome = self.status.value.lower() + (f" ({self.error})" if self.error else "")
        return f"{outcome}; telemetry: {counted or 'none'}"


class RunTally:
    """A telemetry exporter counting, by name, the events each running report emits."""

    def __init__(self) -> None:
        self.running: dict[str, ReportRun] = {}

    def export(self, event: TelemetryEvent) -> None:
        run = self.running.get(event.operation_id or "")
        if run is not None and (event.name in run.events or len(run.events) < MAX_COUNTED_EVENT_NAMES):
            run.events[event.name] += 1

    async def close(self) -> None:
        return None


class BackgroundReports:
    def __init__(self, telemetry: Telemetry | None = None) -> None:
        self.tasks: dict[str, asyncio.Task[object]] = {}
        self.last: dict[str, ReportRun] = {}
        """The latest run of each report by name (running or finished)."""
        self.tally = RunTally()
        if telemetry is not None:
            telemetry.add_exporter(self.tally)

    def running(self, name: str) -> bool:
        task = self.tasks.get(name)
        return task is not None and not task.done()

    def ensure_idle(self, name: str) -> None:
        if self.running(name):
            raise Conflict(f"The {name} report is already running")

    def start(self, name: str, report: Callable[[], Awaitable[object]]) -> None:
        self.ensure_idle(name)
        task: asyncio.Task[object] = asyncio.create_task(self.run(name, report), name=f"report-{name}")
        task.add_done_callback(lambda done: self._finished(name, done))
        self.tasks[name] = task

    async def run(self, name: str, report: Callable[[], Awaitable[object]]) -> object:
        """Run a report to the end, keeping its outcome; its exception (if any) propagates."""
        run = ReportRun(name, uuid.uuid4().hex)
        self.last[name] = run
        self.tally.running[run.operation_id] = run
        try:
            with operation(run.operation_id):
                result = await report()
        except asyncio.CancelledError:
            run.status = RunStatus.CANCELLED
            raise
        except Exception as error:
            run.status = RunStatus.FAILED
            run.error = str(error) or type(error).__name__
            raise
        else:
            run.status = RunStatus.SUCCEEDED
            return result
        finally:
            run.finished_at = _now()
            del self.tally.running[run.operation_id]
            log.info("The %s report finished: %s", name, run.summary())

    @staticmethod
    def _finished(name: str, task: asyncio.Task[object]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("The %s report failed", name, exc_info=task.exception())

    async def cancel_all(self) -> None:
        running = [task for task in self.tasks.values() if not task.done()]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        self.tasks.clear()
