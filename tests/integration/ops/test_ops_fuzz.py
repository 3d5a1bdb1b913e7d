"""A short schemathesis run over our own OpenAPI document against the sandbox (`make fuzz` is the long one).

Every operation, with a token for its role, in a fixed seed's bounded examples: no 5xx, no status the
document does not list, bodies and content types as documented.
"""

from __future__ import annotations

from hmpps_sandbox.estate import Estate
from hmpps_sandbox.fuzz import FUZZ_ENV, run_schemathesis, seed_records
from hmpps_sandbox.harness import running_service

SMOKE = ("--max-examples", "4", "--phases", "examples,coverage,fuzzing", "--seed", "14", "--no-shrink")


async def test_fuzzing_finds_no_server_error_and_no_undocumented_status(clean_estate: Estate) -> None:
    await seed_records(clean_estate)
    async with running_service(clean_estate, env=FUZZ_ENV) as harness:
        result = await run_schemathesis(harness, SMOKE)
    assert result.exit_code == 0, result.output[-6000:]
    report = result.report
    assert (report["failures"], report["errors"]) == ([], [])
    assert report["operations"]["tested"] == report["operations"]["total"] >= 27
    assert report["test_cases"]["generated"] >= 100
