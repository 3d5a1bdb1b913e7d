"""Reports started over HTTP: they take minutes, so they run in the background and the caller gets 202.

At most one run of each report at a time (a second start answers 409), tasks are held so they are not
garbage-collected mid-run, a failure is logged (the report's own telemetry says what it found), and the
service cancels whatever is still running when it stops.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from prisoner_to_nomis_update.framework.errors import Conflict

log = logging.getLogger(__name__)


class BackgroundReports:
    def __init__(self) -> None:
        self.tasks: dict[str, asyncio.Task[object]] = {}

    def running(self, name: str) -> bool:
        task = self.tasks.get(name)
        return task is not None and not task.done()

    def ensure_idle(self, name: str) -> None:
        if self.running(name):
            raise Conflict(f"The {name} report is already running")

    def start(self, name: str, report: Callable[[], Awaitable[object]]) -> None:
        self.ensure_idle(name)

        async def run() -> object:
            return await report()

        task: asyncio.Task[object] = asyncio.create_task(run(), name=f"report-{name}")
        task.add_done_callback(lambda done: self._finished(name, done))
        self.tasks[name] = task

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
