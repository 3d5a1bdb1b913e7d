"""`adjustment insert|update|delete ID`: change a DPS sentence adjustment, publish it, show NOMIS's side."""

from __future__ import annotations

import argparse
from typing import Any

from hmpps_sandbox.cli import add_wait_option, fake_url, field_changes, publish_and_show


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    adjustment = commands.add_parser(
        "adjustment", help="insert, update or delete a DPS sentencing adjustment and publish its event"
    )
    adjustment.add_argument("action", choices=["insert", "update", "delete"])
    adjustment.add_argument("id", help="the DPS adjustment id, e.g. ADJ-1")
    adjustment.add_argument("--prisoner", default=None, help="prisoner number (default A1234AA)")
    adjustment.add_argument("--booking", type=int, default=None, help="NOMIS booking id (default 12345)")
    adjustment.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="change an adjustment field, e.g. adjustmentDays=10 or adjustmentType=UAL (a key date)",
    )
    add_wait_option(adjustment)
    adjustment.set_defaults(handler=_adjustment)


def _adjustment(args: argparse.Namespace) -> int:
    changes: dict[str, Any] = field_changes(args.set)
    if args.prisoner:
        changes["offenderNo"] = args.prisoner
    if args.booking is not None:
        changes["bookingId"] = args.booking
    url = f"{fake_url('sentence-adjustments')}/__adjustments/{args.id}/{args.action}"
    return publish_and_show(url, changes, args.wait)
