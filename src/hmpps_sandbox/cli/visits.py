"""`visit book|change|cancel REF`: change a DPS visit and publish its event."""

from __future__ import annotations

import argparse
from typing import Any

from hmpps_sandbox.cli import call, fake_url, field_changes, print_json


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    visit = commands.add_parser("visit", help="book, change or cancel a DPS visit and publish its event")
    visit.add_argument("action", choices=["book", "change", "cancel"])
    visit.add_argument("reference")
    visit.add_argument("--prisoner", default=None, help="prisoner number (default A1234BC)")
    visit.add_argument(
        "--set", action="append", default=[], metavar="FIELD=VALUE", help="change a visit field"
    )
    visit.set_defaults(handler=_visit)


def _visit(args: argparse.Namespace) -> int:
    changes: dict[str, Any] = field_changes(args.set)
    if args.prisoner:
        changes["prisonerId"] = args.prisoner
    print_json(call("POST", f"{fake_url('visits')}/__visits/{args.reference}/{args.action}", changes))
    return 0
