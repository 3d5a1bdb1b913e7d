"""`activity schedule|amend-schedule|allocate|amend-allocation|attend ...`: DPS activities changes.

Each changes the DPS record through the activities fake, publishes its event and shows what reached
NOMIS and the mapping API. A newcomer's path: `activity schedule 1` (NOMIS course activity and its
mapping), `activity allocate 1 --schedule 1 --booking 1234` (a NOMIS allocation), then
`activity attend 1 --instance 11 --booking 1234` (an attendance of the schedule's first session:
instance ids are the schedule id times ten plus 1 and 2).
"""

from __future__ import annotations

import argparse
from typing import Any

from hmpps_sandbox.cli import add_wait_option, fake_url, field_changes, publish_and_show


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    activity = commands.add_parser(
        "activity", help="create or change a DPS activity schedule, allocation or attendance"
    )
    actions = activity.add_subparsers(dest="action", required=True)

    schedule = actions.add_parser("schedule", help="a new DPS activity schedule (activity-schedule.created)")
    schedule.add_argument("id", type=int, help="the DPS activity schedule id")
    schedule.add_argument("--prison", default="MDI")
    _common(schedule)
    schedule.set_defaults(handler=_schedule)

    amend = actions.add_parser("amend-schedule", help="change a DPS schedule (activity-schedule.amended)")
    amend.add_argument("id", type=int, help="the DPS activity schedule id")
    _common(amend, "e.g. capacity=20 or description=Woodwork")
    amend.set_defaults(handler=_amend_schedule)

    for name, event, what in (
        ("allocate", "allocated", "allocate a prisoner to a schedule (prisoner.allocated)"),
        ("amend-allocation", "allocation-amended", "change an allocation, e.g. --set status=ENDED"),
    ):
        allocation = actions.add_parser(name, help=what)
        allocation.add_argument("id", type=int, help="the DPS allocation id")
        allocation.add_argument("--schedule", type=int, required=True, help="the DPS activity schedule id")
        allocation.add_argument("--booking", type=int, required=True, help="the prisoner's NOMIS booking id")
        allocation.add_argument("--prisoner", default="A1234AA", help="prisoner number (default A1234AA)")
        _common(allocation, "e.g. status=SUSPENDED")
        allocation.set_defaults(handler=_allocation, event=event)

    attend = actions.add_parser("attend", help="record an attendance (prisoner.attendance-created)")
    attend.add_argument("id", type=int, help="the DPS attendance id")
    attend.add_argument("--instance", type=int, required=True, help="the DPS scheduled instance id")
    attend.add_argument("--booking", type=int, required=True, help="the prisoner's NOMIS booking id")
    attend.add_argument("--prisoner", default="A1234AA", help="prisoner number (default A1234AA)")
    attend.add_argument(
        "--amend", action="store_true", help="publish attendance-amended instead (a change to one recorded)"
    )
    _common(attend, "e.g. status=COMPLETED attendanceReasonCode=ATTENDED issuePayment=true")
    attend.set_defaults(handler=_attendance)


def _common(parser: argparse.ArgumentParser, example: str = "") -> None:
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="change a DPS field" + (f", {example}" if example else ""),
    )
    add_wait_option(parser)


def _control(event: str, body: dict[str, Any], args: argparse.Namespace) -> int:
    return publish_and_show(f"{fake_url('activities')}/__activities/{event}", body, args.wait)


def _schedule(args: argparse.Namespace) -> int:
    body: dict[str, Any] = {"id": args.id, "prison": args.prison}
    if args.set:
        body["schedule"] = field_changes(args.set)
    return _control("schedule-created", body, args)


def _amend_schedule(args: argparse.Namespace) -> int:
    return _control("schedule-amended", {"id": args.id, **field_changes(args.set)}, args)


def _allocation(args: argparse.Namespace) -> int:
    body = {
        "id": args.id,
        "scheduleId": args.schedule,
        "bookingId": args.booking,
        "prisoner": args.prisoner,
        **field_changes(args.set),
    }
    return _control(args.event, body, args)


def _attendance(args: argparse.Namespace) -> int:
    body = {
        "attendanceId": args.id,
        "scheduledInstanceId": args.instance,
        "bookingId": args.booking,
        "prisoner": args.prisoner,
        **field_changes(args.set),
    }
    return _control("attendance-amended" if args.amend else "attendance-created", body, args)
