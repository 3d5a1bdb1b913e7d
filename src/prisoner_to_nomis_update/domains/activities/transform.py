"""Pure DPS -> NOMIS conversions of the activities domain (activities.md 3.1-3.5), kept apart to unit test."""

from __future__ import annotations

import re
from datetime import date, time
from typing import TypedDict

from prisoner_to_nomis_update.domains.activities.models import (
    Activity,
    ActivityMappingDto,
    ActivityPay,
    ActivitySchedule,
    ActivityScheduleMappingDto,
    ActivityScheduleSlot,
    Allocation,
    AllocationExclusion,
    AttendanceSync,
    CreateActivityResponse,
    PayRateRequest,
    ScheduleRuleRequest,
    UpsertAllocationRequest,
    UpsertAttendanceRequest,
)
from prisoner_to_nomis_update.framework.errors import ValidationFailure

DESCRIPTION_LENGTH = 40
SUSPENDED_STATUSES = ("SUSPENDED", "AUTO_SUSPENDED", "SUSPENDED_WITH_PAY")
WHOLE_DAY = {"AM", "PM", "ED"}


def time_of_day(value: str) -> time:
    """`9:00`, `09:00` and `09:00:00` are the same time of day (DPS and NOMIS spell them differently)."""
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*", value)
    if not match:
        raise ValueError(f"not a time of day: {value!r}")
    return time(int(match.group(1)), int(match.group(2)), int(match.group(3) or 0))


def pay_rates(pay: list[ActivityPay]) -> list[PayRateRequest]:
    rates = []
    for item in pay:
        if item.rate is None:
            raise ValidationFailure(f"Pay rate for {item.incentiveNomisCode} has no rate")
        rates.append(
            PayRateRequest(
                incentiveLevel=item.incentiveNomisCode,
                payBand=str(item.prisonPayBand.nomisPayBand),
                rate=round(item.rate / 100, 2),
                startDate=item.startDate,
            )
        )
    return rates


def schedule_rules(slots: list[ActivityScheduleSlot]) -> list[ScheduleRuleRequest]:
    return [
        ScheduleRuleRequest(
            startTime=slot.startTime,
            endTime=slot.endTime,
            monday=slot.mondayFlag,
            tuesday=slot.tuesdayFlag,
            wednesday=slot.wednesdayFlag,
            thursday=slot.thursdayFlag,
            friday=slot.fridayFlag,
            saturday=slot.saturdayFlag,
            sunday=slot.sundayFlag,
        )
        for slot in slots
    ]


def build_mapping(
    schedule: ActivitySchedule,
    response: CreateActivityResponse,
    mapping_type: str,
    existing: ActivityMappingDto | None = None,
) -> ActivityMappingDto:
    """The activity mapping for a NOMIS answer, instance ids matched as activities.md 3.1.2 says."""
    instance_mappings = []
    for course_schedule in response.courseSchedules:
        known = next(
            (
                m
                for m in (existing.scheduledInstanceMappings if existing else [])
                if m.nomisCourseScheduleId == course_schedule.courseScheduleId
            ),
            None,
        )
        instance_id = known.scheduledInstanceId if known else None
        if instance_id is None:
            instance_id = next(
                (
                    instance.id
                    for instance in schedule.instances
                    if instance.date == course_schedule.date
                    and time_of_day(instance.startTime) == time_of_day(course_schedule.startTime)
                    and time_of_day(instance.endTime) == time_of_day(course_schedule.endTime)
                ),
                None,
            )
        if instance_id is None:
            raise ValidationFailure(
                "Unable to find an Activities scheduled instance for the Nomis course schedule - "
                f"this should not happen: {course_schedule.courseScheduleId}"
            )
        instance_mappings.append(
            ActivityScheduleMappingDto(
                scheduledInstanceId=instance_id,
                nomisCourseScheduleId=course_schedule.courseScheduleId,
                mappingType=mapping_type,
            )
        )
    return ActivityMappingDto(
        nomisCourseActivityId=response.courseActivityId,
        activityScheduleId=schedule.id,
        activityId=schedule.activity.id,
        mappingType=mapping_type,
        scheduledInstanceMappings=instance_mappings,
    )


def _comment_time(value: str | None) -> str:
    """`yyyy-MM-dd HH:mm:ss` of the wall-clock value as given (no zone conversion); null stays `null`."""
    if value is None:
        return "null"
    match = re.match(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(?::(\d{2}))?", value)
    if not match:
        return value
    return f"{match.group(1)} {match.group(2)}:{match.group(3) or '00'}"


def _text(value: str | None) -> str:
    return "null" if value is None else value


def end_comment(allocation: Allocation) -> str:
    planned = allocation.plannedDeallocation
    if planned is not None:
        by, at = planned.plannedBy, planned.plannedAt
        reason = planned.plannedReason.description if planned.plannedReason else None
    else:
        by, at = allocation.deallocatedBy, allocation.deallocatedTime
        reason = allocation.deallocatedReason.description if allocation.deallocatedReason else None
    return f"Deallocated in DPS by {_text(by)} at {_comment_time(at)} for reason {_text(reason)}"


def suspended_comment(allocation: Allocation) -> str:
    return (
        f"{allocation.status} in DPS by {_text(allocation.suspendedBy)} at "
        f"{_comment_time(allocation.suspendedTime)} for reason {_text(allocation.suspendedReason)}"
    )


def exclusions(allocation: Allocation) -> list[AllocationExclusion]:
    """Per day (first-seen order): AM+PM+ED becomes one whole-day exclusion with a null slot."""
    by_day: dict[str, list[str]] = {}
    for slot in allocation.exclusions:
        for day in slot.daysOfWeek:
            slots = by_day.setdefault(day.upper()[:3], [])
            if slot.timeSlot not in slots:
                slots.append(slot.timeSlot)
    result = []
    for day, slots in by_day.items():
        if set(slots) >= WHOLE_DAY:
            result.append(AllocationExclusion(day=day, slot=None))
        else:
            result.extend(AllocationExclusion(day=day, slot=slot) for slot in slots)
    return result


def allocation_request(allocation: Allocation) -> UpsertAllocationRequest:
    ended = allocation.status == "ENDED"
    suspended = allocation.status in SUSPENDED_STATUSES
    return UpsertAllocationRequest(
        bookingId=allocation.bookingId,
        payBandCode=str(allocation.prisonPayBand.nomisPayBand) if allocation.prisonPayBand else None,
        startDate=allocation.startDate,
        endDate=allocation.endDate,
        endReason="OTH" if ended else None,
        endComment=end_comment(allocation) if ended else None,
        suspended=suspended,
        suspendedComment=suspended_comment(allocation) if suspended else None,
        programStatusCode="END" if ended else "ALLOC",
        exclusions=exclusions(allocation),
    )


# reason code -> (outcome when paid, outcome when not paid, unexcused, authorised)
_OUTCOMES: dict[str, tuple[str, str, bool, bool]] = {
    "ATTENDED": ("ATT", "ATT", False, False),
    "CANCELLED": ("CANC", "CANC", False, True),
    "SUSPENDED": ("SUS", "SUS", False, True),
    "AUTO_SUSPENDED": ("SUS", "SUS", False, True),
    "SICK": ("ACCAB", "REST", False, True),
    "NOT_REQUIRED": ("NREQ", "NREQ", False, True),
    "REST": ("ACCAB", "REST", False, True),
    "CLASH": ("ACCAB", "ACCAB", False, True),
}


def attendance_outcome(reason_code: str | None, issue_payment: bool | None) -> tuple[str | None, bool, bool]:
    """(eventOutcomeCode, unexcusedAbsence, authorisedAbsence)."""
    if reason_code is None:
        return None, False, False
    paid = issue_payment is True
    if reason_code == "REFUSED":
        return "UNACAB", True, False
    if reason_code == "OTHER":
        return ("ACCAB", False, True) if paid else ("UNACAB", True, False)
    outcome = _OUTCOMES.get(reason_code)
    if outcome is None:
        raise ValidationFailure(
            f"Unable to handle attendance reason code={reason_code} and paid={_paid_text(issue_payment)}"
        )
    return (outcome[0] if paid else outcome[1]), outcome[2], outcome[3]


def _paid_text(value: bool | None) -> str:
    return "null" if value is None else ("true" if value else "false")


def attendance_status(status: str, reason_code: str | None, session_date: date, today: date) -> str:
    if status == "WAITING":
        return "SCH" if session_date >= today else "EXP"
    if status == "COMPLETED":
        return "CANC" if reason_code == "CANCELLED" else "COMP"
    raise ValidationFailure(
        f"Unable to handle attendance status code={status} and attendance reason code={_text(reason_code)}"
    )


def attendance_request(sync: AttendanceSync, today: date) -> UpsertAttendanceRequest:
    # The outcome is worked out first, so a bad reason code is reported before a bad status.
    outcome, unexcused, authorised = attendance_outcome(sync.attendanceReasonCode, sync.issuePayment)
    status = attendance_status(sync.status, sync.attendanceReasonCode, sync.sessionDate, today)
    return UpsertAttendanceRequest(
        scheduleDate=sync.sessionDate,
        startTime=sync.sessionStartTime,
        endTime=sync.sessionEndTime,
        eventStatusCode=status,
        eventOutcomeCode=outcome,
        comments=sync.comment,
        unexcusedAbsence=unexcused,
        authorisedAbsence=authorised,
        paid=sync.issuePayment is True,
        bonusPay=float(sync.bonusAmount) if sync.bonusAmount is not None else None,
    )


def description(text: str) -> str:
    return text[:DESCRIPTION_LENGTH]


class SharedActivityFields(TypedDict):
    capacity: int
    payRates: list[PayRateRequest]
    programCode: str
    payPerSession: str
    scheduleRules: list[ScheduleRuleRequest]
    excludeBankHolidays: bool
    outsideWork: bool


def create_request_parts(schedule: ActivitySchedule, activity: Activity) -> SharedActivityFields:
    """The fields create and update share (pay and category from the activity, rules from the schedule)."""
    return {
        "capacity": schedule.capacity,
        "payRates": pay_rates(activity.pay),
        "programCode": activity.category.code,
        "payPerSession": schedule.activity.payPerSession,
        "scheduleRules": schedule_rules(schedule.slots),
        "excludeBankHolidays": not schedule.runsOnBankHoliday,
        "outsideWork": activity.outsideWork,
    }
