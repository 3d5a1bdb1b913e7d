"""`visit book|change|cancel REF`: change a DPS visit, publish its event, show what reached NOMIS."""

from __future__ import annotations

import argparse
from typing import Any

from hmpps_sandbox.cli import add_wait_option, fake_url, field_changes, publish_and_show


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    visit = commands.add_parser("visit", help="book, change or cancel a DPS visit and publish its event")
    visit.add_argument("action", choices=["book", "change", "cancel"])
    visit.add_argument("reference")
    visit.add_argument("--prisoner", default=None, help="prisoner number (default A1234BC)")
    visit.add_argument(
        "--set", action="append", default=[], metavar="FIELD=VALUE", help="change a visit field"
    )
    add_wait_option(visit)
    visit.set_defaults(handler=_visit)


def _visit(args: argparse.Namespace) -> int:
    changes: dict[str, Any] = field_changes(args.set)
    if args.prisoner:
        changes["prisonerId"] = args.prisoner
    url = f"{fake_url('visits')}/__visits/{args.reference}/{args.action}"
    return publish_and_show(url, changes, args.wait)
