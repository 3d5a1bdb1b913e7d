"""Shared by the benchmark and the chaos tests: the service as a real child process, and a bare SQS loop.

The service runs exactly as in production (`python -m prisoner_to_nomis_update serve`) so its CPU time
and memory can be read from the operating system with psutil, and so it can be killed with SIGKILL.
Its telemetry is read back from the JSON log lines it writes on stdout (captured in a file).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import aiohttp
import orjson
import psutil

from hmpps_sandbox.estate import Estate
from hmpps_sandbox.ports import free_port
from prisoner_to_nomis_update.framework.queues import QueueService
from prisoner_to_nomis_update.framework.telemetry import Telemetry
from prisoner_to_nomis_update.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
BOOKED = "prison-visit.booked"


class ServiceProcess:
    """`prisoner-to-nomis-update serve` as a child process with its stdout captured in a file."""

    def __init__(self, env: dict[str, str], name: str = "service", profile: str | None = None) -> None:
        self.port = free_port()
        self.env = {**os.environ, **env, "SERVER_PORT": str(self.port), "SERVER_HOST": "127.0.0.1"}
        self.name = name
        self.log: IO[bytes] = tempfile.NamedTemporaryFile(prefix=f"{name}-", suffix=".log")  # noqa: SIM115
        self.popen: subprocess.Popen[bytes] | None = None
        self.process: psutil.Process | None = None
        self.started_at = 0.0
        # cProfile (stdlib) writes its figures when the process exits gracefully (SIGTERM).
        self.profile = ["-m", "cProfile", "-o", profile] if profile else []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.started_at = time.perf_counter()
        self.popen = subprocess.Popen(
            [sys.executable, *self.profile, "-m", "prisoner_to_nomis_update", "serve"],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.process = psutil.Process(self.popen.pid)

    async def wait_ready(self, timeout: float = 30.0) -> tuple[float, float]:
        """Seconds from process start to /health/readiness 200, and to /health UP."""
        ready_at = await self._wait_for("/health/readiness", timeout)
        up_at = await self._wait_for("/health", timeout)
        return ready_at - self.started_at, up_at - self.started_at

    async def _wait_for(self, path: str, timeout: float) -> float:
        deadline = time.perf_counter() + timeout
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
            while True:
                if self.popen is not None and self.popen.poll() is not None:
                    raise RuntimeError(f"{self.name} exited with {self.popen.returncode}: {self.tail()}")
                with contextlib.suppress(aiohttp.ClientError, OSError, TimeoutError):
                    async with session.get(self.url + path) as response:
                        if response.status == 200:
                            return time.perf_counter()
                if time.perf_counter() > deadline:
                    raise RuntimeError(f"{self.name} not answering 200 on {path}: {self.tail()}")
                await asyncio.sleep(0.01)

    def cpu_seconds(self) -> float:
        assert self.process is not None
        times = self.process.cpu_times()
        return float(times.user + times.system)

    def rss(self) -> int:
        assert self.process is not None
        return int(self.process.memory_info().rss)

    def kill(self) -> None:
        """SIGKILL: no shutdown hook runs, in-flight messages are simply abandoned."""
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait()

    def stop(self, timeout: float = 60.0) -> None:
        if self.popen is not None and self.popen.poll() is None:
            # uvicorn re-raises SIGTERM after its graceful shutdown, which would kill cProfile before it
            # writes; SIGINT ends as KeyboardInterrupt, which it survives.
            self.popen.send_signal(signal.SIGINT if self.profile else signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()

    async def stop_gracefully(self, timeout: float = 30.0) -> int:
        """SIGTERM, then wait without blocking the event loop, so fakes in this process (a telemetry
        ingestion endpoint taking the final flush, say) keep answering; returns the exit code."""
        assert self.popen is not None
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
        deadline = time.perf_counter() + timeout
        while self.popen.poll() is None:
            if time.perf_counter() > deadline:
                self.kill()
                raise RuntimeError(f"{self.name} did not stop within {timeout:.0f}s: {self.tail()}")
            await asyncio.sleep(0.05)
        return int(self.popen.returncode)

    def lines(self) -> list[dict[str, Any]]:
        """Every JSON log line written so far (a line cut short by SIGKILL is skipped)."""
        self.log.flush()
        out: list[dict[str, Any]] = []
        with open(self.log.name, "rb") as handle:
            for raw in handle:
                with contextlib.suppress(orjson.JSONDecodeError):
                    value = orjson.loads(raw)
                    if isinstance(value, dict):
                        out.append(value)
        return out

    def telemetry(self) -> list[tuple[str, dict[str, str]]]:
        return [
            (str(line["event"]), dict(line.get("properties") or {}))
            for line in self.lines()
            if line.get("logger") == "telemetry" and "event" in line
        ]

    def tail(self, chars: int = 3000) -> str:
        with open(self.log.name, "rb") as handle:
            return handle.read().decode(errors="replace")[-chars:]

    def close(self) -> None:
        self.stop()
        self.log.close()


@dataclass
class RssSampler:
    """Peak RSS of a process, sampled every `interval` seconds by a background task."""

    process: ServiceProcess | psutil.Process
    interval: float = 0.1
    peak: int = 0
    task: asyncio.Task[None] | None = field(default=None, repr=False)

    def _rss(self) -> int:
        if isinstance(self.process, ServiceProcess):
            return self.process.rss()
        return int(self.process.memory_info().rss)

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(psutil.Error):
                self.peak = max(self.peak, self._rss())
            await asyncio.sleep(self.interval)

    def start(self) -> RssSampler:
        self.task = asyncio.create_task(self._run())
        return self

    async def stop(self) -> int:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        with contextlib.suppress(psutil.Error):
            self.peak = max(self.peak, self._rss())
        return self.peak


def service_env(estate: Estate, prefix: str, queues: list[str], **overrides: str) -> dict[str, str]:
    """The estate's service environment, plus a base URL for any domain API the estate has no fake for.

    Every registered domain is wired at start-up and needs its API's base URL even when its queue is not
    configured; pointing a missing one at a running fake keeps `/health` UP without calling it.
    """
    from hmpps_sandbox.estate import DPS_ENV

    env = estate.service_env(prefix, queues, **overrides)
    stand_in = next(iter(estate.dps.values())).url
    for variable in DPS_ENV.values():
        env.setdefault(variable, stand_in)
    return env


async def provision_queue(estate: Estate, prefix: str, queue_id: str = "visit") -> tuple[QueueService, str]:
    """Create a queue + DLQ subscribed to the topic exactly as the service does; returns (queues, url)."""
    env = estate.service_env(prefix, [queue_id])
    queues = QueueService(load_settings(env), Telemetry())
    await queues.start({queue_id: list(estate.queues[queue_id])})
    return queues, queues.by_id(queue_id).url


async def wait_until(check: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    deadline = time.perf_counter() + timeout
    while not await check():
        if time.perf_counter() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        await asyncio.sleep(0.1)


def booked_event(reference: str, prisoner_id: str = "A1234BC") -> dict[str, Any]:
    from datetime import datetime

    return {
        "eventType": BOOKED,
        "version": 1,
        "prisonerId": prisoner_id,
        "occurredAt": datetime.now().astimezone().isoformat(),
        "additionalInformation": {"reference": reference, "visitType": "STANDARD_SOCIAL"},
    }


# ---- the bare loop: receive + delete_message_batch, nothing else ----------------------------------


async def bare_loop(endpoint: str, region: str, queue_url: str, wait_time: int, expected: int) -> None:
    """Drain `expected` messages, printing one line per batch: the SNS message ids deleted, and when."""
    from aiobotocore.session import get_session

    drained = 0
    async with get_session().create_client(
        "sqs",
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id="any",
        aws_secret_access_key="any",
    ) as sqs:
        print("ready", flush=True)
        while drained < expected:
            response = await sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_time
            )
            messages = response.get("Messages", [])
            if not messages:
                continue
            await sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                    for index, message in enumerate(messages)
                ],
            )
            drained += len(messages)
            # The SNS id is in the envelope; reading it is part of what any consumer must do.
            ids = [orjson.loads(message["Body"]).get("MessageId", "") for message in messages]
            print(f"{time.time():.6f} {' '.join(ids)}", flush=True)


if __name__ == "__main__":
    # python bench/common.py bare-loop <endpoint> <region> <queue url> <wait seconds> <expected>
    if len(sys.argv) == 7 and sys.argv[1] == "bare-loop":
        asyncio.run(bare_loop(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6])))
    else:
        sys.exit("usage: common.py bare-loop <endpoint> <region> <queue url> <wait seconds> <expected>")


@dataclass
class BatchRun:
    """One `prisoner-to-nomis-update batch <TYPE>` child process, measured from outside."""

    returncode: int
    output: bytes
    elapsed: float
    peak_rss: float
    cpu_seconds: float


class _Discard(list):  # type: ignore[type-arg]
    """A journal that keeps nothing (a bench never asks it anything)."""

    def append(self, _: object) -> None:
        return None


def forget_journals(estate: Estate) -> None:
    """Stop the fakes recording requests: a report's journal would grow by several entries per prisoner."""
    for fake in estate.fakes():
        fake.journal = _Discard()


async def run_batch(batch_type: str, env: dict[str, str]) -> BatchRun:
    """Run a batch job as the CronJob does, sampling its peak RSS and CPU time every 20 ms.

    (getrusage(RUSAGE_CHILDREN) would also count the moto server the bench process runs.)
    """
    started = time.perf_counter()
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "prisoner_to_nomis_update",
        "batch",
        batch_type,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    process = psutil.Process(child.pid)
    peak = [0.0, 0.0]
    done = asyncio.Event()

    async def sample() -> None:
        while not done.is_set():
            try:
                with process.oneshot():
                    peak[0] = max(peak[0], process.memory_info().rss)
                    times = process.cpu_times()
                    peak[1] = times.user + times.system
            except psutil.Error:
                return
            await asyncio.sleep(0.02)

    sampler = asyncio.create_task(sample())
    output, _ = await child.communicate()
    elapsed = time.perf_counter() - started
    done.set()
    await sampler
    return BatchRun(child.returncode or 0, output, elapsed, peak[0], peak[1])
