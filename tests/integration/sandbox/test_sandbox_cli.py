"""`python -m hmpps_sandbox <domain command>` against an estate and service started on free ports.

Each command changes a DPS record through its fake, publishes the event, and prints what the service
then asked of NOMIS and the mapping API. The fakes are found through the service's `API_BASE_URL_*`
variables, as they would be from `sandbox-data/service.env` after `make run`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hmpps_sandbox.__main__ import main
from hmpps_sandbox.cli import ENV_FILE, fake_url
from hmpps_sandbox.estate import Estate
from hmpps_sandbox.harness import running_service

# command -> lines its output must contain (what reached NOMIS and the mapping API)
COMMANDS: list[tuple[list[str], list[str]]] = [
    (
        ["incentive", "review", "A1234BC", "--level", "ENH"],
        ["POST /prisoners/A1234BC/incentives", '"iepLevel":"ENH"', "POST /mapping/incentives"],
    ),
    (
        ["adjustment", "insert", "ADJ-1", "--prisoner", "A1234BC", "--set", "adjustmentDays=10"],
        [
            "POST /prisoners/booking-id/12345/sentences/1/adjustments",
            '"adjustmentDays":10',
            "POST /mapping/sentencing/adjustments",
            '"adjustmentId":"ADJ-1"',
        ],
    ),
    (
        ["non-association", "create", "7", "--first", "A1234BC", "--second", "B1234BC"],
        ["POST /non-associations", '"nsOffenderNo":"B1234BC"', "POST /mapping/non-associations"],
    ),
    (
        ["non-association", "close", "7"],
        ["PUT /non-associations/offender/A1234BC/ns-offender/B1234BC/sequence/1/close"],
    ),
    (["activity", "schedule", "5"], ["POST /activities", '"code":"5"', "POST /mapping/activities"]),
    (
        ["activity", "allocate", "8", "--schedule", "5", "--booking", "1234"],
        ["PUT /activities/300/allocation", '"bookingId":1234'],
    ),
    (
        ["activity", "attend", "9", "--instance", "51", "--booking", "1234"],
        ["PUT /schedules/900/booking/1234/attendance"],
    ),
    (
        [
            "activity",
            "amend-allocation",
            "8",
            "--schedule",
            "5",
            "--booking",
            "1234",
            "--set",
            "status=ENDED",
        ],
        ['"programStatusCode":"END"'],
    ),
    (
        ["visit", "book", "VSIP-1", "--prisoner", "A1234BC"],
        ["POST /prisoners/A1234BC/visits", "POST /mapping/visits"],
    ),
]


async def test_every_domain_command_shows_what_reached_nomis_and_the_mapping_api(
    clean_estate: Estate, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in clean_estate.service_env().items():
        if name.startswith("API_BASE_URL_"):
            monkeypatch.setenv(name, value)
    async with running_service(clean_estate):
        for command, expected in COMMANDS:
            # The commands block on HTTP calls: a thread, so the fakes and the service keep serving.
            assert await asyncio.to_thread(main, [*command, "--wait", "10"]) == 0, command
            output = capsys.readouterr().out
            assert output.startswith("DPS:\n"), output
            for line in expected:
                assert line in output, f"{command}: {line!r} not in\n{output}"
        # The court-sentencing command (its own module) waits on the mapping API's 404s itself.
        assert await asyncio.to_thread(main, ["court-case", "--prisoner", "A1234BC"]) == 0
        output = capsys.readouterr().out
        assert '"nomisCourtCase"' in output and '"dpsCourtCaseId"' in output, output
        # So does the adjudications one, for the NOMIS adjudication it waits for.
        assert await asyncio.to_thread(main, ["adjudication", "story", "MDI-1"]) == 0
        assert "adjudicationNumber" in capsys.readouterr().out
    token = await asyncio.to_thread(main, ["token", "ROLE_X"])
    assert token == 0 and capsys.readouterr().out.count(".") == 2  # a JWT


async def test_urls_come_from_the_environment_then_service_env_then_the_make_run_ports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("API_BASE_URL_NOMIS", raising=False)
    monkeypatch.delenv("API_BASE_URL_ACTIVITIES", raising=False)
    assert fake_url("nomis") == "http://127.0.0.1:8082"
    assert fake_url("hmpps-auth", environment={}) == "http://127.0.0.1:8090/auth"
    ENV_FILE.parent.mkdir()
    ENV_FILE.write_text(
        "API_BASE_URL_NOMIS=http://127.0.0.1:1234\nAPI_BASE_URL_ACTIVITIES=http://127.0.0.1:9/\n"
    )
    assert fake_url("nomis") == "http://127.0.0.1:1234"
    assert fake_url("activities") == "http://127.0.0.1:9"
    monkeypatch.setenv("API_BASE_URL_NOMIS", "http://127.0.0.1:9")
    assert fake_url("nomis") == "http://127.0.0.1:9"
    # Nothing listens on port 9 (discard): a one-line reason and exit status 1, not a traceback.
    assert await asyncio.to_thread(main, ["activity", "schedule", "1"]) == 1
    assert capsys.readouterr().err.startswith("cannot reach http://127.0.0.1:9/__journal (")
