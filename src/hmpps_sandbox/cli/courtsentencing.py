"""`court-case [--prisoner AB12345]`: create a DPS court case with a charge, an appearance and a sentence.

Each record is created in the Remand and Sentencing fake and its event published, one at a time, waiting for
the service to map it before the next (a child event would otherwise wait for its parent); then what NOMIS
and the mapping API hold for the case is printed.
"""

from __future__ import annotations

import argparse
import time
import uuid
from typing import Any

from hmpps_sandbox.cli import SandboxError, call, fake_url, print_json

MAPPING = "/mapping/court-sentencing"
WAIT_SECONDS = 30.0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    case = commands.add_parser(
        "court-case",
        help="create a DPS court case with a charge, an appearance and a sentence, publishing each event",
    )
    case.add_argument("--prisoner", default="AB12345", help="prisoner number (default AB12345)")
    case.set_defaults(handler=_court_case)


def _act(entity: str, record_id: str, changes: dict[str, Any]) -> None:
    call("POST", f"{fake_url('court-sentencing')}/__court-sentencing/{entity}/{record_id}/insert", changes)


def _mapped(path: str) -> dict[str, Any]:
    """The mapping at `path` once the service has saved it."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            found: dict[str, Any] = call("GET", f"{fake_url('mapping')}{MAPPING}{path}")
            return found
        except SandboxError as error:
            if error.status != 404 or time.monotonic() > deadline:
                raise SystemExit(
                    f"the service did not map {path} within {WAIT_SECONDS:.0f}s: {error}"
                ) from None
        time.sleep(0.2)


def _court_case(args: argparse.Namespace) -> int:
    prisoner = args.prisoner
    case_id, charge_id, appearance_id, sentence_id = (str(uuid.uuid4()) for _ in range(4))
    _act("court-case", case_id, {"prisonerId": prisoner})
    case = _mapped(f"/court-cases/dps-court-case-id/{case_id}")
    _act("charge", charge_id, {"prisonerId": prisoner, "courtCaseUuid": case_id})
    charge = _mapped(f"/court-charges/dps-court-charge-id/{charge_id}")
    _act(
        "appearance",
        appearance_id,
        {"prisonerId": prisoner, "courtCaseUuid": case_id, "chargeIds": [charge_id]},
    )
    appearance = _mapped(f"/court-appearances/dps-court-appearance-id/{appearance_id}")
    _act(
        "sentence",
        sentence_id,
        {
            "prisonerId": prisoner,
            "courtCaseId": case_id,
            "chargeLifetimeUuid": charge_id,
            "appearanceUuid": appearance_id,
        },
    )
    sentence = _mapped(f"/sentences/dps-sentence-id/{sentence_id}")
    nomis_case = call(
        "GET", f"{fake_url('nomis')}/prisoners/{prisoner}/sentencing/court-cases/{case['nomisCourtCaseId']}"
    )
    print_json(
        {
            "mappings": {"courtCase": case, "charge": charge, "appearance": appearance, "sentence": sentence},
            "nomisCourtCase": nomis_case,
        }
    )
    return 0
