"""Pure conversions of the activities domain: scenarios 12, 34, 48, 49 and the comparison of 76/82."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from prisoner_to_nomis_update.domains.activities.models import Allocation, BookingCount
from prisoner_to_nomis_update.domains.activities.reconciliation import compare
from prisoner_to_nomis_update.domains.activities.transform import (
    attendance_outcome,
    attendance_status,
    description,
    exclusions,
    time_of_day,
)
from prisoner_to_nomis_update.framework.errors import ValidationFailure


def allocation(slots: list[tuple[str, list[str]]]) -> Allocation:
    return Allocation.model_validate(
        {"id": 1, "prisonerNumber": "A1234AA", "bookingId": 1, "scheduleId": 1, "startDate": "2023-01-01",
         "status": "ACTIVE", "exclusions": [{"timeSlot": t, "daysOfWeek": days} for t, days in slots]}
    )  # fmt: skip


def pairs(slots: list[tuple[str, list[str]]]) -> list[tuple[str, str | None]]:
    return [(e.day, e.slot) for e in exclusions(allocation(slots))]


@pytest.mark.scenario("activities", 34)
def test_exclusions() -> None:
    assert pairs([]) == []
    assert pairs([("AM", ["MONDAY"])]) == [("MON", "AM")]
    assert pairs([("AM", ["MONDAY"]), ("PM", ["TUESDAY", "WEDNESDAY"])]) == [
        ("MON", "AM"),
        ("TUE", "PM"),
        ("WED", "PM"),
    ]
    assert pairs([("AM", ["MONDAY"]), ("PM", ["MONDAY"]), ("ED", ["MONDAY"])]) == [("MON", None)]
    mixed = [("AM", ["MONDAY", "WEDNESDAY", "THURSDAY"]), ("PM", ["MONDAY", "THURSDAY", "SATURDAY"]),
             ("ED", ["MONDAY", "THURSDAY", "SUNDAY"])]  # fmt: skip
    assert pairs(mixed) == [("MON", None), ("WED", "AM"), ("THU", None), ("SAT", "PM"), ("SUN", "ED")]


OUTCOMES: list[tuple[str, Any, tuple[str, bool, bool]]] = [
    ("ATTENDED", None, ("ATT", False, False)), ("CANCELLED", None, ("CANC", False, True)),
    ("SUSPENDED", None, ("SUS", False, True)), ("AUTO_SUSPENDED", True, ("SUS", False, True)),
    ("SICK", True, ("ACCAB", False, True)), ("SICK", False, ("REST", False, True)),
    ("REFUSED", None, ("UNACAB", True, False)), ("NOT_REQUIRED", None, ("NREQ", False, True)),
    ("REST", True, ("ACCAB", False, True)), ("REST", None, ("REST", False, True)),
    ("CLASH", False, ("ACCAB", False, True)), ("OTHER", True, ("ACCAB", False, True)),
    ("OTHER", False, ("UNACAB", True, False)), ("OTHER", None, ("UNACAB", True, False)),
]  # fmt: skip


@pytest.mark.scenario("activities", 48)
@pytest.mark.parametrize(("reason", "paid", "expected"), OUTCOMES)
def test_attendance_outcomes(reason: str, paid: bool | None, expected: tuple[str, bool, bool]) -> None:
    assert attendance_outcome(reason, paid) == expected


@pytest.mark.scenario("activities", 48)
def test_unknown_reason() -> None:
    assert attendance_outcome(None, True) == (None, False, False)
    with pytest.raises(
        ValidationFailure, match="Unable to handle attendance reason code=INVALID_CODE and paid=true"
    ):
        attendance_outcome("INVALID_CODE", True)


@pytest.mark.scenario("activities", 49)
def test_attendance_status() -> None:
    today = date.today()
    assert attendance_status("WAITING", None, today, today) == "SCH"
    assert attendance_status("WAITING", None, today - timedelta(days=1), today) == "EXP"
    assert attendance_status("COMPLETED", "CANCELLED", today, today) == "CANC"
    assert attendance_status("COMPLETED", "ATTENDED", today, today) == "COMP"
    with pytest.raises(ValidationFailure, match="code=INVALID and attendance reason code=null"):
        attendance_status("INVALID", None, today, today)


@pytest.mark.scenario("activities", 12)
def test_description_and_times() -> None:
    assert description("x" * 60) == "x" * 40
    assert time_of_day("9:00") == time_of_day("09:00:00")


@pytest.mark.scenario("activities", 76)
@pytest.mark.scenario("activities", 82)
def test_comparison_order() -> None:
    nomis = [
        BookingCount(bookingId=b, count=c)
        for b, c in ((19, 1), (11, 1), (12, 1), (14, 1), (15, 2), (16, 1), (17, 1))
    ]
    dps = [
        BookingCount(bookingId=b, count=c)
        for b, c in ((11, 1), (13, 1), (14, 1), (15, 1), (16, 1), (18, 1), (19, 3))
    ]
    differences = compare(nomis, dps)
    assert (differences.nomis_only, differences.dps_only, differences.different_count) == (
        [12, 17],
        [13, 18],
        [15, 19],
    )
    assert [differences.type_of(b) for b in sorted(differences.all)] == [
        "NOMIS_only", "DPS_only", "different_count", "NOMIS_only", "DPS_only", "different_count"
    ]  # fmt: skip
