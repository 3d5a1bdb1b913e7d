"""`non-association create|amend|close|delete ID`: change a DPS non-association, publish, show NOMIS."""

from __future__ import annotations

import argparse
from typing import Any

from hmpps_sandbox.cli import add_wait_option, fake_url, field_changes, publish_and_show


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    pair = commands.add_parser(
        "non-association", help="create, amend, close or delete a DPS non-association and publish its event"
    )
    pair.add_argument("action", choices=["create", "amend", "close", "delete"])
    pair.add_argument("id", type=int, help="the DPS non-association id")
    pair.add_argument("--first", default=None, help="first prisoner number (default A1234AA)")
    pair.add_argument("--second", default=None, help="second prisoner number (default B1234BB)")
    pair.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="change a field, e.g. restrictionType=CELL or comment=...",
    )
    add_wait_option(pair)
    pair.set_defaults(handler=_non_association)


def _non_association(args: argparse.Namespace) -> int:
    changes: dict[str, Any] = field_changes(args.set)
    if args.first:
        changes["firstPrisonerNumber"] = args.first
    if args.second:
        changes["secondPrisonerNumber"] = args.second
    url = f"{fake_url('non-associations')}/__non-associations/{args.id}/{args.action}"
    return publish_and_show(url, changes, args.wait)
