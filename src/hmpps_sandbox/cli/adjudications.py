"""`adjudication report|hearing|outcome|punishment|story CHARGE`: change a DPS charge, publish its event
and print what reached the mapping API and NOMIS."""

from __future__ import annotations

import argparse
import time
from typing import Any

from hmpps_sandbox.cli import SandboxError, call, fake_url, print_json

STEPS = ("report", "hearing", "outcome", "punishment")
WAIT_SECONDS = 15.0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    adjudication = commands.add_parser(
        "adjudication",
        help="report a DPS adjudication, add a hearing, an outcome or a punishment, and watch it reach NOMIS",
    )
    adjudication.add_argument("step", choices=[*STEPS, "story"], help="story runs the four steps in turn")
    adjudication.add_argument("charge", help="the DPS charge number, e.g. MDI-000123")
    adjudication.add_argument("--prisoner", default="A1234AA", help="prisoner number (report only)")
    adjudication.add_argument("--prison", default="MDI", help="prison id (report only)")
    adjudication.add_argument("--type", default="CONFINEMENT", help="punishment type (punishment only)")
    adjudication.add_argument(
        "--days", type=int, default=3, help="punishment length in days (punishment only)"
    )
    adjudication.set_defaults(handler=_adjudication)


def _adjudication(args: argparse.Namespace) -> int:
    for step in STEPS if args.step == "story" else (args.step,):
        body: dict[str, Any] = {}
        if step == "report":
            body = {"prisonerNumber": args.prisoner, "prisonId": args.prison}
        elif step == "punishment":
            body = {"type": args.type, "days": args.days}
        changed = call("POST", f"{fake_url('adjudications')}/__adjudications/{args.charge}/{step}", body)
        print(f"# DPS published {changed['event']['eventType']}")
        print_json(changed["event"])
        print_json(_reached_nomis(step, changed["charge"]))
    return 0


def _reached_nomis(step: str, charge: dict[str, Any]) -> dict[str, Any]:
    """Wait for the step's mapping, then show it with the NOMIS records it points at."""
    mapping = fake_url("mapping")
    charge_mapping = _wait_for(f"{mapping}/mapping/adjudications/charge-number/{charge['chargeNumber']}")
    if charge_mapping is None:
        return {"error": "no adjudication mapping yet: is the service running (make run)?"}
    number = charge_mapping["adjudicationNumber"]
    shown: dict[str, Any] = {"adjudicationMapping": charge_mapping}
    if step == "hearing":
        shown["hearingMapping"] = _wait_for(f"{mapping}/mapping/hearings/dps/{charge['hearings'][-1]['id']}")
    elif step == "punishment":
        shown["punishmentMapping"] = _wait_for(
            f"{mapping}/mapping/punishments/{charge['punishments'][-1]['id']}"
        )
    elif step == "outcome":
        _wait_until_result(number)
    nomis = call("GET", f"{fake_url('nomis')}/adjudications/adjudication-number/{number}")
    shown["nomis"] = {
        "adjudicationNumber": nomis["adjudicationNumber"],
        "offenderNo": nomis["offenderNo"],
        "charges": [c["offence"]["code"] for c in nomis["charges"]],
        "hearings": [
            {
                "hearingId": h["hearingId"],
                "type": h["type"]["code"],
                "date": f"{h['hearingDate']} {h['hearingTime']}",
                "results": [
                    {
                        "finding": r["findingType"]["code"],
                        "plea": r["pleaFindingType"]["code"],
                        "awards": [
                            f"{a['sanctionType']['code']} {a['sanctionDays']} days" for a in r["resultAwards"]
                        ],
                    }
                    for r in h["hearingResults"]
                ],
            }
            for h in nomis["hearings"]
        ],
    }
    return shown


def _wait_for(url: str) -> Any:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            return call("GET", url)
        except SandboxError as error:
            if error.status != 404 or time.monotonic() > deadline:
                return None
        time.sleep(0.2)


def _wait_until_result(adjudication_number: int) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    url = f"{fake_url('nomis')}/adjudications/adjudication-number/{adjudication_number}"
    while time.monotonic() < deadline:
        if any(h["hearingResults"] for h in call("GET", url)["hearings"]):
            return
        time.sleep(0.2)
