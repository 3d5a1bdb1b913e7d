"""Chaos helpers: the service as real child processes against the session estate, and the checks.

The short variants run in `make test`; `make chaos` sets CHAOS_LONG=1 for the long ones (1,000 events).
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sys
import uuid
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

from hmpps_sandbox.estate import Estate
from prisoner_to_nomis_update.framework.queues import QueueService
from prisoner_to_nomis_update.framework.telemetry import Telemetry
from prisoner_to_nomis_update.settings import load_settings

LONG = os.environ.get("CHAOS_LONG") == "1"


def _load_bench_common() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "bench" / "common.py"
    spec = importlib.util.spec_from_file_location("bench_common", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_common"] = module
    spec.loader.exec_module(module)
    return module


bench = _load_bench_common()

# Fast retries and a short visibility timeout, so a message abandoned by a killed process comes back
# within seconds rather than the production 30 s.
CHAOS_ENV = {
    "HMPPS_SQS_DEFAULT_ERROR_VISIBILITY_TIMEOUT": "0",
    "HMPPS_SQS_WAIT_TIME_SECONDS": "1",
    "HMPPS_SQS_QUEUES_VISIT_VISIBILITY_TIMEOUT": "3",
    "API_TIMEOUT": "5s",
    "LOG_LEVEL": "INFO",
}

OUTCOMES = (
    "visit-create-success",
    "visit-create-duplicate",
    "visit-create-ignored",
    "to-nomis-synch-visit-duplicate",
)


class ChaosRun:
    """One test's queues (unique prefix), its service processes, and the checks every test makes."""

    def __init__(self, estate: Estate, **env: str) -> None:
        self.estate = estate
        self.prefix = f"c{uuid.uuid4().hex[:8]}_"
        self.env = bench.service_env(estate, self.prefix, ["visit"], **{**CHAOS_ENV, **env})
        self.processes: list[Any] = []
        self.queues = QueueService(load_settings(self.env), Telemetry())
        self.visits = estate.plugins["visits"]

    async def open(self) -> None:
        # Creates the queues exactly as the service will (idempotent), without subscribing a second time.
        await self.queues.start({})

    async def close(self) -> None:
        for process in self.processes:
            process.close()
        await self.queues.close()

    async def start_service(self, name: str = "service") -> Any:
        process = bench.ServiceProcess(self.env, name=f"{name}{len(self.processes)}")
        process.start()
        self.processes.append(process)
        await process.wait_ready()
        return process

    async def book(self, count: int, prefix: str = "r") -> list[dict[str, Any]]:
        return [
            await self.visits.act(
                f"{self.prefix}{prefix}{index}", "book", {"prisonerId": "A1234BC"}, publish=False
            )
            for index in range(count)
        ]

    async def publish(self, events: list[dict[str, Any]], max_backlog: int = 100, copies: int = 1) -> None:
        """Publish in waves, keeping at most `max_backlog` events unmapped (moto slows with depth).

        `copies`: how many of the events share one mapping (each event published that many times).
        """
        sent = 0
        while sent < len(events):
            room = max_backlog - (sent - copies * len(self.visits.mappings.rows))
            if room <= 0:
                await asyncio.sleep(0.05)
                continue
            wave = events[sent : sent + room]
            sent += len(wave)
            for start in range(0, len(wave), 10):
                await asyncio.gather(*(self.estate.publish(event) for event in wave[start : start + 10]))

    async def send_raw(self, body: str, event_type: str | None = None) -> str:
        """Send straight to the queue (not through SNS); returns the SQS message id."""
        attributes = {"eventType": {"DataType": "String", "StringValue": event_type}} if event_type else {}
        response = await self.queues.sqs.send_message(
            QueueUrl=self.queues.by_id("visit").url, MessageBody=body, MessageAttributes=attributes
        )
        return str(response["MessageId"])

    async def depth(self, dlq: bool = False) -> int:
        queue = self.queues.by_id("visit")
        attributes = await self.queues.queue_attributes(
            queue.dlq_url if dlq else queue.url,
            ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )
        return int(attributes.get("ApproximateNumberOfMessages", 0)) + int(
            attributes.get("ApproximateNumberOfMessagesNotVisible", 0)
        )

    async def wait_until_drained(
        self, references: list[str], dlq_expected: int = 0, timeout: float = 120
    ) -> None:
        """Every reference mapped, the queue empty and the DLQ holding exactly `dlq_expected`."""
        wanted = set(references)

        async def settled() -> bool:
            mapped = {str(row["vsipId"]) for row in self.visits.mappings.rows}
            return wanted <= mapped and await self.depth() == 0 and await self.depth(dlq=True) == dlq_expected

        try:
            await bench.wait_until(settled, timeout, "every visit mapped and the queues drained")
        except AssertionError:
            mapped = {str(row["vsipId"]) for row in self.visits.mappings.rows}
            missing = sorted(wanted - mapped)[:10]
            tails = "\n".join(p.tail(1500) for p in self.processes[-2:])
            raise AssertionError(
                f"not converged: {len(wanted - mapped)} unmapped (e.g. {missing}), queue depth "
                f"{await self.depth()}, DLQ depth {await self.depth(dlq=True)}\n{tails}"
            ) from None

    def telemetry(self) -> list[tuple[str, dict[str, str]]]:
        return [event for process in self.processes for event in process.telemetry()]

    def log_lines(self) -> list[dict[str, Any]]:
        return [line for process in self.processes for line in process.lines()]

    def assert_exactly_once(self, references: list[str]) -> dict[str, Counter[str]]:
        """One mapping and one NOMIS visit per reference; every NOMIS 409 reported. Returns outcomes."""
        mappings = Counter(str(row["vsipId"]) for row in self.visits.mappings.rows)
        nomis = Counter(
            str(visit.get("visitOrderComment", "")).removeprefix("DPS booking reference: ")
            for visit in self.visits.nomis_visits.values()
        )
        creates = Counter(
            entry.body.get("visitOrderComment", "").removeprefix("DPS booking reference: ")
            for entry in self.estate.nomis.requests("POST", r"/prisoners/[^/]+/visits")
            if isinstance(entry.body, dict)
        )
        outcomes: dict[str, Counter[str]] = {reference: Counter() for reference in references}
        nomis_duplicates: Counter[str] = Counter()
        for name, properties in self.telemetry():
            reference = properties.get("visitId") or properties.get("vsipId") or ""
            if reference not in outcomes:
                continue
            if name in OUTCOMES:
                outcomes[reference][name] += 1
            elif name == "visit-create-nomis-duplicate":
                nomis_duplicates[reference] += 1
        problems = []
        for reference in references:
            if mappings[reference] != 1:
                problems.append(f"{reference}: {mappings[reference]} mappings")
            if nomis[reference] != 1:
                problems.append(f"{reference}: {nomis[reference]} NOMIS visits")
            # A second success only comes from a delivery that found the NOMIS visit (409, reported)
            # and then the identical mapping: every extra success must have its NOMIS duplicate event.
            extra = outcomes[reference]["visit-create-success"] - 1
            if extra > nomis_duplicates[reference]:
                problems.append(f"{reference}: {extra + 1} successes, {nomis_duplicates[reference]} reported")
        if problems:
            first = problems[0].split(":")[0]
            story = [
                (process.name, line.get("operationId"), line.get("event") or line.get("message"))
                for process in self.processes
                for line in process.lines()
                if first in str(line)
            ]
            raise AssertionError(f"{problems[:20]}\nwhat happened to {first}: {story}")
        # Every NOMIS create beyond the first was refused with 409; each refusal must be reported by
        # `visit-create-nomis-duplicate` from the process that got it. The only exception is a process
        # killed between reading the 409 and writing the log line, which the caller bounds.
        self.unreported_nomis_duplicates = sum(
            max(0, creates[reference] - 1 - nomis_duplicates[reference]) for reference in references
        )
        self.nomis_duplicates = sum(nomis_duplicates[reference] for reference in references)
        return outcomes
