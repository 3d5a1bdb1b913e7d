"""Property-based fuzzing of the service's own OpenAPI document with schemathesis, against the sandbox.

`python -m hmpps_sandbox.fuzz` (what `make fuzz` runs) starts the estate and the real service on free
ports (never the fixed `make run` ones), writes a schemathesis configuration that gives every operation a
token carrying the role it requires (none for the open health, info and docs routes), and runs
`schemathesis run` over `/v3/api-docs`. The checks are: no 5xx, no status the document does not list,
content types and bodies as documented. The exit status is schemathesis's: 0 when nothing was found.

The same runner, with few examples, is the fuzz smoke test of the normal suite.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hmpps_sandbox.estate import Estate
from hmpps_sandbox.harness import ServiceHarness
from prisoner_to_nomis_update.framework.auth import required_roles
from prisoner_to_nomis_update.web.routes import api_endpoints

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)
# The service's listeners run during fuzzing (reconciliations and DLQ retries the fuzzer starts go
# through them), with the fuzzer's requests as the only traffic.
FUZZ_ENV = {"API_TIMEOUT": "10s"}
# `make fuzz` keeps its JSON report here (git-ignored, beside `make run`'s service.env).
REPORT = Path("sandbox-data/fuzz-report.json")


@dataclass(frozen=True)
class FuzzResult:
    exit_code: int
    report: dict[str, Any]
    output: str


# The prisoner number the document gives as its example (schemathesis sends it), and the id the
# coverage phase tries first for an id whose minimum is 1.
EXAMPLE_PRISONER = "A1234BC"
EXAMPLE_BOOKING = 1
SEEDED_ID = 1


async def seed_records(estate: Estate) -> None:
    """A record of each kind the endpoints read, so fuzzing reaches their success paths, not only 404s.

    DPS changes only: no events are published, so the records reach NOMIS only through the endpoints.
    """
    estate.plugins["prisoners"].seed([{"bookingId": EXAMPLE_BOOKING, "offenderNo": EXAMPLE_PRISONER}])
    activities = estate.plugins["activities"]
    schedule = activities.seed_schedule(SEEDED_ID)
    activities.seed_prisoner(EXAMPLE_BOOKING, EXAMPLE_PRISONER, "MDI-1-1")
    activities.seed_allocation(SEEDED_ID, SEEDED_ID, EXAMPLE_BOOKING, EXAMPLE_PRISONER)
    activities.seed_attendance(SEEDED_ID, schedule["instances"][0]["id"], EXAMPLE_BOOKING, EXAMPLE_PRISONER)
    estate.plugins["incentives"].create_review(EXAMPLE_PRISONER, booking_id=EXAMPLE_BOOKING)
    estate.plugins["nonassociations"].put_dps(SEEDED_ID, firstPrisonerNumber=EXAMPLE_PRISONER)
    estate.plugins["sentencing"].seed_dps(
        {"id": str(SEEDED_ID), "offenderNo": EXAMPLE_PRISONER, "bookingId": EXAMPLE_BOOKING}
    )
    await estate.plugins["visits"].act(
        str(SEEDED_ID), "book", {"prisonerId": EXAMPLE_PRISONER}, publish=False
    )


def operation_roles(harness: ServiceHarness) -> dict[str, frozenset[str]]:
    """Operation id -> the roles that route admits (empty: open), read from the app itself."""
    document = harness.service.app.openapi()
    roles_by_route = {
        (route.path_format, method.lower()): required_roles(route)
        for route in api_endpoints(harness.service.app)
        for method in route.methods or ()
    }
    found: dict[str, frozenset[str]] = {}
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            found[str(operation["operationId"])] = roles_by_route.get((path, method), frozenset())
    return found


def toml_string(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def config_text(harness: ServiceHarness) -> str:
    """A schemathesis.toml: one `[[operations]]` block per role, with a token carrying that role."""
    by_role: dict[str, list[str]] = {}
    for operation_id, roles in sorted(operation_roles(harness).items()):
        if roles:
            by_role.setdefault(sorted(roles)[0], []).append(operation_id)
    lines: list[str] = []
    for role, operation_ids in sorted(by_role.items()):
        token = harness.token(role)
        lines += [
            "",
            "[[operations]]",
            f"include-operation-id = [{', '.join(toml_string(i) for i in operation_ids)}]",
            f"headers = {{ Authorization = {toml_string('Bearer ' + token)} }}",
        ]
    return "\n".join(lines) + "\n"


async def run_schemathesis(
    harness: ServiceHarness,
    arguments: Sequence[str] = (),
    echo: bool = False,
    report_path: Path | None = None,
) -> FuzzResult:
    """Run `schemathesis run` over the harness's document; the service keeps serving meanwhile.

    The JSON report is written to `report_path` (absolute; kept) or to a temporary file (read, then removed).
    """
    with tempfile.TemporaryDirectory(prefix="fuzz-") as directory:
        config = Path(directory) / "schemathesis.toml"
        report_path = report_path or Path(directory) / "report.json"
        config.write_text(config_text(harness))
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "schemathesis.cli",
            "--config-file",
            str(config),
            "run",
            f"{harness.url}/v3/api-docs",
            "--no-color",
            "--generation-database",
            "none",
            "--report",
            "json",
            "--report-json-path",
            str(report_path),
            "--checks",
            ",".join(CHECKS),
            *arguments,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            cwd=directory,
        )
        assert process.stdout is not None
        output: list[str] = []
        async for raw in process.stdout:
            line = raw.decode(errors="replace")
            output.append(line)
            if echo:
                print(line, end="", flush=True)
        exit_code = await process.wait()
        report = json.loads(report_path.read_text()) if report_path.exists() else {}
    return FuzzResult(exit_code, report, "".join(output))


async def fuzz(arguments: Sequence[str], report_path: Path) -> int:
    """The whole run; non-zero when schemathesis found something or the service broke a request contract."""
    # The NOMIS and mapping fakes check what the fuzzed endpoints make the service send them, too.
    estate = Estate(check_contracts=True)
    await estate.start()
    await seed_records(estate)
    harness = ServiceHarness(estate, env=FUZZ_ENV)
    try:
        await harness.start()
        print(f"Fuzzing {harness.url}/v3/api-docs (sandbox estate on free ports)", flush=True)
        result = await run_schemathesis(harness, arguments, echo=True, report_path=report_path)
    finally:
        await harness.stop()
        await estate.stop()
    violations = list(dict.fromkeys(str(violation) for violation in estate.contract_violations()))
    print(f"Requests to NOMIS and the mapping API departing from their OpenAPI documents: {len(violations)}")
    for violation in violations:
        print(f"  {violation}")
    return result.exit_code or (1 if violations else 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m hmpps_sandbox.fuzz",
        description="Fuzz the service's OpenAPI with schemathesis against a sandbox on free ports. "
        "Further arguments go to `schemathesis run` (e.g. --max-examples 200 --seed 1).",
    )
    _, extra = parser.parse_known_args(argv)
    report_path = REPORT.resolve()
    report_path.parent.mkdir(exist_ok=True)
    return asyncio.run(fuzz(extra, report_path))


if __name__ == "__main__":
    sys.exit(main())
