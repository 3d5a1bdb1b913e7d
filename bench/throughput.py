"""Throughput, latency, CPU and memory of the service against the sandbox estate, beside a bare SQS loop.

    .venv/bin/python bench/throughput.py [--events 2000] [--max-backlog 100] [--latency-ms 20]
    .venv/bin/python bench/throughput.py --footprint          # RSS idle / after 10,000 events

Both runs get the same N booked-visit events published through the real SNS topic (moto) to a queue
subscribed the same way, in waves that keep the backlog (published but not yet done) at most
--max-backlog, because moto's SQS slows in proportion to queue depth. The service is done with an event
when its mapping POST reaches the fake mapping API; the bare loop when it has deleted the message. See
docs/performance.md for the method and what limits the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BOOKED, RssSampler, ServiceProcess, booked_event, provision_queue
from common import service_env as common_service_env

from hmpps_sandbox.estate import REGION, Estate

MB = 1024 * 1024
COMMON = str(Path(__file__).resolve().parent / "common.py")


@dataclass
class RunResult:
    name: str
    events: int
    seconds: float
    latencies: list[float]
    cpu_seconds: float
    peak_rss: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.events / self.seconds

    @property
    def cpu_per_1000(self) -> float:
        return self.cpu_seconds / self.events * 1000

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
        return ordered[index] * 1000


class MachineCpu:
    """CPU seconds of the other processes sharing the machine: this one (publisher and fakes) and moto."""

    def __init__(self, estate: Estate) -> None:
        if estate.moto.pid is None:
            raise RuntimeError("the estate's moto server is not running")
        self.processes = {"bench + fakes": psutil.Process(), "moto": psutil.Process(estate.moto.pid)}
        self.before = self._read()

    def _read(self) -> dict[str, float]:
        return {name: sum(p.cpu_times()[:2]) for name, p in self.processes.items()}

    def per_1000(self, events: int) -> dict[str, float]:
        after = self._read()
        return {
            f"CPU s/1,000, {name}": (after[name] - self.before[name]) / events * 1000
            for name in self.processes
        }


class WavePublisher:
    """Publishes events while (published - done) stays under the backlog limit; records publish times."""

    def __init__(
        self,
        estate: Estate,
        events: list[dict[str, Any]],
        max_backlog: int,
        done: Callable[[], int],
        key: Callable[[dict[str, Any], str], str],
    ) -> None:
        self.estate = estate
        self.events = events
        self.max_backlog = max_backlog
        self.done = done
        self.key = key
        self.published_at: dict[str, float] = {}
        self.published = 0
        self.max_seen_backlog = 0

    async def _publish(self, events: list[dict[str, Any]]) -> None:
        started = time.time()
        message_ids = await self.estate.publish_batch(events)
        for event, message_id in zip(events, message_ids, strict=True):
            self.published_at[self.key(event, message_id)] = started

    async def run(self) -> None:
        # SNS PublishBatch, ten events a call: moto answers single publishes at only ~50/s here,
        # which would cap the service's measured rate below what it can consume.
        limit = asyncio.Semaphore(4)

        async def one(chunk: list[dict[str, Any]]) -> None:
            async with limit:
                await self._publish(chunk)

        while self.published < len(self.events):
            backlog = self.published - self.done()
            self.max_seen_backlog = max(self.max_seen_backlog, backlog)
            room = self.max_backlog - backlog
            if room <= 0:
                await asyncio.sleep(0.005)
                continue
            wave = self.events[self.published : self.published + room]
            self.published += len(wave)
            await asyncio.gather(*(one(wave[i : i + 10]) for i in range(0, len(wave), 10)))


async def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.perf_counter() + timeout
    while not check():
        if time.perf_counter() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


async def queue_depth(queues: Any, url: str) -> int:
    attributes = await queues.queue_attributes(
        url, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )
    return int(attributes.get("ApproximateNumberOfMessages", 0)) + int(
        attributes.get("ApproximateNumberOfMessagesNotVisible", 0)
    )


# ---- bare loop ------------------------------------------------------------------------------------


async def run_bare(estate: Estate, args: argparse.Namespace) -> RunResult:
    queues, url = await provision_queue(estate, "bare_")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        COMMON,
        "bare-loop",
        estate.moto.url,
        REGION,
        url,
        str(args.wait_time),
        str(args.events),
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    ps = psutil.Process(process.pid)
    if (await process.stdout.readline()).strip() != b"ready":
        raise RuntimeError("bare loop did not start")
    deleted_at: dict[str, float] = {}

    async def read() -> None:
        assert process.stdout is not None
        async for line in process.stdout:
            stamp, *ids = line.decode().split()
            for message_id in ids:
                deleted_at[message_id] = float(stamp)

    reader = asyncio.create_task(read())
    events = [booked_event(f"bare{index}") for index in range(args.events)]
    publisher = WavePublisher(estate, events, args.max_backlog, lambda: len(deleted_at), lambda _, m: m)
    sampler = RssSampler(ps).start()
    machine = MachineCpu(estate)
    cpu_before = sum(ps.cpu_times()[:2])
    started = time.time()
    await publisher.run()
    await wait_for(lambda: len(deleted_at) >= args.events, 600, "the bare loop to drain")
    finished = max(deleted_at.values())
    cpu = sum(ps.cpu_times()[:2]) - cpu_before
    peak = await sampler.stop()
    await process.wait()
    await reader
    await queues.close()
    latencies = [deleted_at[m] - publisher.published_at[m] for m in deleted_at if m in publisher.published_at]
    return RunResult(
        "bare loop",
        args.events,
        finished - started,
        latencies,
        cpu,
        peak,
        {"max backlog seen": publisher.max_seen_backlog, **machine.per_1000(args.events)},
    )


# ---- the service ----------------------------------------------------------------------------------


class MappingWatcher:
    """Reads the mapping fake's journal incrementally: when each visit's mapping POST arrived."""

    def __init__(self, estate: Estate) -> None:
        self.estate = estate
        self.cursor = 0
        self.saved_at: dict[str, float] = {}
        self.first_call_at: dict[str, float] = {}

    def done(self) -> int:
        journal = self.estate.mapping.journal
        while self.cursor < len(journal):
            entry = journal[self.cursor]
            self.cursor += 1
            if entry.method == "POST" and entry.path == "/mapping/visits" and isinstance(entry.body, dict):
                self.saved_at.setdefault(str(entry.body.get("vsipId")), entry.time)
            elif entry.method == "GET" and entry.path.startswith("/mapping/visits/vsipId/"):
                self.first_call_at.setdefault(entry.path.rsplit("/", 1)[-1], entry.time)
        return len(self.saved_at)


def inject_latency(estate: Estate, latency_ms: float) -> None:
    for fake in (estate.nomis, estate.mapping, estate.dps["visits"], estate.auth):
        fake.inject_fault(path_pattern=".*", status=0, delay_seconds=latency_ms / 1000, count=None)


def service_env(estate: Estate, args: argparse.Namespace) -> dict[str, str]:
    return common_service_env(
        estate,
        "",
        ["visit"],
        HMPPS_SQS_WAIT_TIME_SECONDS=str(args.wait_time),
        HMPPS_SQS_MAX_IN_FLIGHT=str(args.max_in_flight),
        LOG_LEVEL=args.log_level,
    )


async def start_service(estate: Estate, args: argparse.Namespace) -> tuple[ServiceProcess, dict[str, Any]]:
    service = ServiceProcess(service_env(estate, args), profile=args.profile)
    service.start()
    ready, up = await service.wait_ready()
    await asyncio.sleep(2.0)  # let start-up garbage settle before calling the footprint idle
    return service, {"ready in (s)": ready, "/health UP in (s)": up, "idle RSS (MB)": service.rss() / MB}


async def book_in_dps(estate: Estate, count: int, prefix: str) -> list[dict[str, Any]]:
    visits = estate.plugins["visits"]
    return [
        await visits.act(f"{prefix}{index}", "book", {"prisonerId": f"A{index % 1000:04d}BC"}, publish=False)
        for index in range(count)
    ]


async def run_service(estate: Estate, args: argparse.Namespace) -> RunResult:
    events = await book_in_dps(estate, args.events, "v")
    service, figures = await start_service(estate, args)
    try:
        if args.latency_ms:
            inject_latency(estate, args.latency_ms)
        watcher = MappingWatcher(estate)

        def reference(event: dict[str, Any], _: str) -> str:
            return str(event["additionalInformation"]["reference"])

        publisher = WavePublisher(estate, events, args.max_backlog, watcher.done, reference)
        sampler = RssSampler(service).start()
        machine = MachineCpu(estate)
        cpu_before = service.cpu_seconds()
        started = time.time()
        await publisher.run()
        await wait_for(lambda: watcher.done() >= args.events, 600, "every mapping to be saved")
        finished = max(watcher.saved_at.values())
        cpu = service.cpu_seconds() - cpu_before
        peak = await sampler.stop()
        figures["max backlog seen"] = publisher.max_seen_backlog
        figures.update(machine.per_1000(args.events))
        figures["RSS after run (MB)"] = service.rss() / MB
        if args.latency_ms:
            # Four sequential calls per event; the journal times the first three (mapping GET arrival
            # to mapping POST arrival), so one event holds an in-flight slot for about 4/3 of that span.
            spans = [
                watcher.saved_at[ref] - watcher.first_call_at[ref]
                for ref in watcher.saved_at
                if ref in watcher.first_call_at
            ]
            per_event = statistics.mean(spans) * 4 / 3
            bound = args.max_in_flight / per_event
            figures["per-event downstream time (ms)"] = per_event * 1000
            figures["Little's-law bound (events/s)"] = bound
            figures["achieved fraction of bound"] = args.events / (finished - started) / bound
        latencies = [watcher.saved_at[r] - publisher.published_at[r] for r in watcher.saved_at]
        return RunResult("service", args.events, finished - started, latencies, cpu, peak, figures)
    finally:
        service.close()


async def run_footprint(estate: Estate, args: argparse.Namespace) -> dict[str, Any]:
    events = await book_in_dps(estate, args.events, "f")
    service, figures = await start_service(estate, args)
    try:
        watcher = MappingWatcher(estate)
        checkpoints: dict[int, float] = {}

        async def sample() -> None:
            step = args.events // 10
            while watcher.done() < args.events:
                reached = watcher.done() // step * step
                if reached and reached not in checkpoints:
                    checkpoints[reached] = service.rss() / MB
                await asyncio.sleep(0.05)

        sampler = asyncio.create_task(sample())
        publisher = WavePublisher(
            estate,
            events,
            args.max_backlog,
            watcher.done,
            lambda e, _: e["additionalInformation"]["reference"],
        )
        await publisher.run()
        await wait_for(lambda: watcher.done() >= args.events, 1800, "every mapping to be saved")
        await sampler
        await asyncio.sleep(2.0)
        figures.update({f"RSS after {n} events (MB)": rss for n, rss in sorted(checkpoints.items())})
        figures[f"RSS after {args.events} events, settled (MB)"] = service.rss() / MB
        return figures
    finally:
        service.close()


# ---- report ---------------------------------------------------------------------------------------


def print_result(result: RunResult) -> None:
    print(f"\n{result.name}: {result.events} events in {result.seconds:.2f}s")
    print(f"  events/s                      {result.rate:9.1f}")
    print(
        f"  latency p50/p95/p99 (ms)      {result.percentile(50):9.1f} {result.percentile(95):9.1f} "
        f"{result.percentile(99):9.1f}"
    )
    print(f"  CPU seconds per 1,000 events  {result.cpu_per_1000:9.2f}")
    print(f"  peak RSS (MB)                 {result.peak_rss / MB:9.1f}")
    for name, value in result.extra.items():
        print(f"  {name:<30}{value:9.2f}" if isinstance(value, float) else f"  {name:<30}{value:>9}")


async def main(args: argparse.Namespace) -> None:
    estate = Estate()
    await estate.start()
    load = psutil.getloadavg()
    print(f"machine: {psutil.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    try:
        if args.footprint:
            figures = await run_footprint(estate, args)
            print(f"\nfootprint over {args.events} events:")
            for name, value in figures.items():
                print(f"  {name:<36}{value:9.2f}" if isinstance(value, float) else f"  {name:<36}{value:>9}")
            return
        bare = None if args.no_bare else await run_bare(estate, args)
        if bare is not None:
            print_result(bare)
        await estate.reset()
        service = await run_service(estate, args)
        print(
            f"\n{args.events} {BOOKED} events, max backlog {args.max_backlog}, in-flight limit "
            f"{args.max_in_flight}, long poll {args.wait_time}s, latency {args.latency_ms} ms per fake call"
        )
        print_result(service)
        if bare is not None:
            print("\nservice / bare loop:")
            print(f"  drain rate                    {service.rate / bare.rate:9.2f}   (goal >= 0.9)")
            print(
                f"  CPU per event                 {service.cpu_per_1000 / bare.cpu_per_1000:9.2f}   (goal <= 3)"
            )
            print(f"  latency p50                   {service.percentile(50) / bare.percentile(50):9.2f}")
    finally:
        await estate.stop()


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--events", type=int, default=None, help="events to publish (2,000; 10,000 footprint)"
    )
    parser.add_argument("--max-backlog", type=int, default=100, help="most events published but not done")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay added to every fake API call")
    parser.add_argument("--max-in-flight", type=int, default=10, help="the service's HMPPS_SQS_MAX_IN_FLIGHT")
    parser.add_argument("--wait-time", type=int, default=1, help="long-poll seconds, service and bare loop")
    parser.add_argument("--log-level", default="INFO", help="the service's LOG_LEVEL (production: INFO)")
    parser.add_argument("--no-bare", action="store_true", help="skip the bare-loop run")
    parser.add_argument("--profile", metavar="PATH", help="run the service under cProfile, stats to PATH")
    parser.add_argument("--footprint", action="store_true", help="idle RSS and RSS over 10,000 events")
    args = parser.parse_args(argv)
    if args.events is None:
        args.events = 10_000 if args.footprint else 2_000
    return args


def run(main_coroutine: Callable[[argparse.Namespace], Awaitable[None]]) -> None:
    asyncio.run(main_coroutine(parse()))


if __name__ == "__main__":
    run(main)
