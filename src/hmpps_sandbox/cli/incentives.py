"""`incentive review PRISONER`: record a DPS incentive review, publish it, show what reached NOMIS."""

from __future__ import annotations

import argparse
from typing import Any

from hmpps_sandbox.cli import add_wait_option, fake_url, publish_and_show


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    incentive = commands.add_parser(
        "incentive", help="record a DPS incentive review and publish incentives.iep-review.inserted"
    )
    actions = incentive.add_subparsers(dest="action", required=True)
    review = actions.add_parser("review", help="a new current review for the prisoner")
    review.add_argument("prisoner", help="prisoner number, e.g. A1234BC")
    review.add_argument("--level", default="STD", help="incentive level code (default STD)")
    review.add_argument("--prison", default="MDI", help="the prison that reviewed (default MDI)")
    review.add_argument(
        "--booking", type=int, default=None, help="NOMIS booking id (default: the prisoner's)"
    )
    review.add_argument("--comment", default=None)
    add_wait_option(review)
    review.set_defaults(handler=_review)


def _review(args: argparse.Namespace) -> int:
    body: dict[str, Any] = {"prisonerNumber": args.prisoner, "iepCode": args.level, "agencyId": args.prison}
    if args.booking is not None:
        body["bookingId"] = args.booking
    if args.comment is not None:
        body["comments"] = args.comment
    return publish_and_show(f"{fake_url('incentives')}/__incentives/reviews", body, args.wait)
