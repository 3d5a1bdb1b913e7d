"""Idle RSS and start-up of the service with and without an OpenTelemetry exporter (issue 13).

    .venv/bin/python bench/idle_rss.py               # 3 starts per mode
    .venv/bin/python bench/idle_rss.py --starts 5 --events 200

Each mode starts `prisoner-to-nomis-update serve` as in production (visit queue only, LOG_LEVEL INFO)
against a sandbox estate; RSS is read 2 s after /health/readiness answers (as `throughput.py`), then
again after `--events` booked visits have been handled, so the exporters' batches have been used.
Modes: no exporter; APPLICATIONINSIGHTS_CONNECTION_STRING; OTEL_EXPORTER_OTLP_ENDPOINT; both. The
exporters send to a loopback fake ingestion endpoint (statsbeat and the control plane switched off).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import uuid

from common import ServiceProcess, service_env, wait_until

from hmpps_sandbox.estate import Estate
from hmpps_sandbox.ingestion import FakeIngestion

MB = 2**20
QUIET = {
    "APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL": "true",
    "APPLICATIONINSIGHTS_SDKSTATS_DISABLED": "true",
    "APPLICATIONINSIGHTS_CONTROLPLANE_DISABLED": "true",
}


def modes(ingestion: FakeIngestion) -> dict[str, dict[str, str]]:
    insights = {
        "APPLICATIONINSIGHTS_CONNECTION_STRING": (
            f"InstrumentationKey={uuid.uuid4()};IngestionEndpoint={ingestion.url}/"
        ),
        **QUIET,
    }
    otlp = {"OTEL_EXPORTER_OTLP_ENDPOINT": ingestion.url}
    return {"no exporter": {}, "Application Insights": insights, "OTLP": otlp, "both": {**insights, **otlp}}


async def one_start(
    estate: Estate, env: dict[str, str], events: int, prefix: str
) -> tuple[float, float, float]:
    service = ServiceProcess(env, name="idle")
    try:
        service.start()
        ready, _ = await service.wait_ready()
        await asyncio.sleep(2.0)
        idle = service.rss() / MB
        visits = estate.plugins["visits"]
        for index in range(events):
            await visits.act(f"{prefix}{index}", "book", {"prisonerId": "A1234BC"})

        async def handled() -> bool:
            return sum(1 for row in visits.mappings.rows if str(row["vsipId"]).startswith(prefix)) >= events

        await wait_until(handled, 120, f"{events} visits mapped")
        await asyncio.sleep(2.0)
        after = service.rss() / MB
        await service.stop_gracefully()
        return ready, idle, after
    finally:
        service.close()


async def main(args: argparse.Namespace) -> None:
    estate = Estate()
    ingestion = FakeIngestion()
    await estate.start()
    await ingestion.start()
    try:
        print(
            f"{'mode':22} {'ready s (median)':>17} {'idle RSS MB (min/median/max)':>30} {'after events MB':>16}"
        )
        for name, extra in modes(ingestion).items():
            results = []
            for start in range(args.starts):
                prefix = f"i{uuid.uuid4().hex[:6]}_"
                env = service_env(estate, prefix, ["visit"], HMPPS_SQS_WAIT_TIME_SECONDS="1", **extra)
                results.append(await one_start(estate, env, args.events, f"{prefix}{start}v"))
            ready = statistics.median(r[0] for r in results)
            idle = sorted(r[1] for r in results)
            after = statistics.median(r[2] for r in results)
            print(
                f"{name:22} {ready:17.2f} {idle[0]:10.1f} / {statistics.median(idle):5.1f} / {idle[-1]:5.1f}"
                f" {after:16.1f}"
            )
        print(
            f"(fake ingestion received {len(ingestion.envelopes)} App Insights items, "
            f"{len(ingestion.otlp_spans)} OTLP spans, {len(ingestion.otlp_logs)} OTLP log records)"
        )
    finally:
        await ingestion.stop()
        await estate.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--starts", type=int, default=3, help="service starts per mode")
    parser.add_argument("--events", type=int, default=100, help="visits handled after the idle reading")
    asyncio.run(main(parser.parse_args()))
