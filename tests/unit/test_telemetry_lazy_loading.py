"""OpenTelemetry is imported only when an exporter is configured (issue 13: idle RSS <= 80 MB without).

Each case runs in a fresh interpreter, because this test process may have imported it already. FastAPI
imports the small OpenTelemetry API package itself whenever it is installed; what must stay out is the
SDK, the instrumentations and the exporters.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

PROBE = """
import sys
from prisoner_to_nomis_update.app import Service
from prisoner_to_nomis_update.settings import load_settings
env = {name: "http://127.0.0.1:9" for name in (
    "API_BASE_URL_HMPPS_AUTH", "API_BASE_URL_NOMIS", "API_BASE_URL_MAPPING", "API_BASE_URL_VISITS",
    "API_BASE_URL_INCENTIVES", "API_BASE_URL_ACTIVITIES", "API_BASE_URL_SENTENCE_ADJUSTMENTS",
    "API_BASE_URL_NON_ASSOCIATIONS", "API_BASE_URL_ADJUDICATIONS", "API_BASE_URL_COURT_SENTENCING")}
env.update(dict(arg.split("=", 1) for arg in sys.argv[1:]))
service = Service(load_settings(env))
heavy = ("opentelemetry.sdk", "opentelemetry.instrumentation", "opentelemetry.exporter", "azure")
loaded = sorted({".".join(m.split(".")[:2]) for m in sys.modules if m.startswith(heavy)})
print(type(service.telemetry.tracing).__name__, ",".join(loaded))
"""


@pytest.mark.parametrize(
    ("variables", "tracing", "loaded"),
    [
        ([], "Tracing", ""),
        (
            ["OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:9"],
            "OpenTelemetry",
            "opentelemetry.exporter,opentelemetry.instrumentation,opentelemetry.sdk",
        ),
        (
            ["OTEL_SDK_DISABLED=true", "OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:9"],
            "Tracing",
            "",
        ),
    ],
)
def test_opentelemetry_is_loaded_only_with_an_exporter(
    variables: list[str], tracing: str, loaded: str
) -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *variables], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.split("\n")[0].split(" ") == [tracing, loaded]
