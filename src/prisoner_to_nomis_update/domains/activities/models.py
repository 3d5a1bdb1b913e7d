"""The fields we use of activities-api, the NOMIS activity endpoints and the activity mapping (activities.md 3, 7).

Models are named after the OpenAPI schemas; DPS ones ignore extra fields so DPS can add fields freely.
Ids may arrive as numeric strings in events (pydantic's lax mode turns "123" into 123).
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from prisoner_to_nomis_update.framework.models import Lenient

# ---- domain events ---------------------------------------------------------------------------------


class ScheduleInfo(Lenient):
    activityScheduleId: int


class ScheduleEvent(Lenient):
    additionalInformation: ScheduleInfo


class ScheduledInstanceInfo(Lenient):
    scheduledInstanceId: int


class ScheduledInstanceEvent(Lenient):
    additionalInformation: ScheduledInstanceInfo


class AllocationInfo(Lenient):
    allocationId: int


class AllocationEvent(Lenient):
    additionalInformation: AllocationInfo


class AttendanceInfo(Lenient):
    attendanceId: int


class AttendanceEvent(Lenient):
    eventType: str
    additionalInformation: AttendanceInfo


class AttendanceDeletedInfo(Lenient):
    scheduledInstanceId: int
    bookingId: int


class AttendanceDeletedEvent(Lenient):
    additionalInformation: AttendanceDeletedInfo


# ---- activities-api (DPS) --------------------------------------------------------------------------


class ActivityCategory(Lenient):
    code: str


class PrisonPayBand(Lenient):
    nomisPayBand: int


class ActivityPay(Lenient):
    incentiveNomisCode: str
    prisonPayBand: PrisonPayBand
    rate: int | None = None
    startDate: date | None = None


class ActivityLite(Lenient):
    id: int
    prisonCode: str
    payPerSession: str
    summary: str | None = None


class InternalLocation(Lenient):
    id: int | None = None
    dpsLocationId: str | None = None


class ScheduledInstance(Lenient):
    id: int
    date: date
    startTime: str
    endTime: str
    cancelled: bool = False


class ActivityScheduleSlot(Lenient):
    startTime: str
    endTime: str
    mondayFlag: bool = False
    tuesdayFlag: bool = False
    wednesdayFlag: bool = False
    thursdayFlag: bool = False
    fridayFlag: bool = False
    saturdayFlag: bool = False
    sundayFlag: bool = False


class ActivitySchedule(Lenient):
    id: int
    description: str
    capacity: int
    internalLocation: InternalLocation | None = None
    activity: ActivityLite
    instances: list[ScheduledInstance] = Field(default_factory=list)
    slots: list[ActivityScheduleSlot] = Field(default_factory=list)
    startDate: date
    endDate: date | None = None
    runsOnBankHoliday: bool = False


class Activity(Lenient):
    id: int
    prisonCode: str
    summary: str
    category: ActivityCategory
    outsideWork: bool = False
    pay: list[ActivityPay] = Field(default_factory=list)
    startDate: date
    endDate: date | None = None


class ActivityScheduleLite(Lenient):
    id: int
    activity: ActivityLite


class ActivityScheduleInstance(Lenient):
    id: int
    date: date
    startTime: str
    endTime: str
    cancelled: bool = False
    activitySchedule: ActivityScheduleLite


class DeallocationReason(Lenient):
    description: str | None = None


class PlannedDeallocation(Lenient):
    plannedBy: str | None = None
    plannedAt: str | None = None
    plannedReason: DeallocationReason | None = None


class Slot(Lenient):
    timeSlot: str
    daysOfWeek: list[str] = Field(default_factory=list)


class Allocation(Lenient):
    id: int
    prisonerNumber: str
    bookingId: int
    scheduleId: int
    prisonPayBand: PrisonPayBand | None = None
    startDate: date
    endDate: date | None = None
    status: str
    deallocatedBy: str | None = None
    deallocatedTime: str | None = None
    deallocatedReason: DeallocationReason | None = None
    plannedDeallocation: PlannedDeallocation | None = None
    suspendedBy: str | None = None
    suspendedTime: str | None = None
    suspendedReason: str | None = None
    exclusions: list[Slot] = Field(default_factory=list)


class AttendanceSync(Lenient):
    attendanceId: int
    scheduledInstanceId: int
    activityScheduleId: int
    sessionDate: date
    sessionStartTime: str
    sessionEndTime: str
    prisonerNumber: str
    bookingId: int
    attendanceReasonCode: str | None = None
    comment: str | None = None
    status: str
    bonusAmount: int | None = None
    issuePayment: bool | None = None


class BookingCount(Lenient):
    bookingId: int
    count: int


class BookingCounts(Lenient):
    """Either side's reconciliation answer; only the bookings are compared."""

    bookings: list[BookingCount] = Field(default_factory=list)


# ---- NOMIS prisoner API ----------------------------------------------------------------------------


class PayRateRequest(BaseModel):
    incentiveLevel: str
    payBand: str
    rate: float
    startDate: date | None = None


class CourseScheduleRequest(BaseModel):
    id: int | None = None
    date: date
    startTime: str
    endTime: str
    cancelled: bool


class ScheduleRuleRequest(BaseModel):
    startTime: str
    endTime: str
    monday: bool
    tuesday: bool
    wednesday: bool
    thursday: bool
    friday: bool
    saturday: bool
    sunday: bool


class CreateActivityRequest(BaseModel):
    code: str
    startDate: date
    endDate: date | None
    prisonId: str
    internalLocationId: int | None
    capacity: int
    payRates: list[PayRateRequest]
    description: str
    programCode: str
    payPerSession: str
    schedules: list[CourseScheduleRequest]
    scheduleRules: list[ScheduleRuleRequest]
    excludeBankHolidays: bool
    outsideWork: bool


class UpdateActivityRequest(BaseModel):
    startDate: date
    endDate: date | None
    internalLocationId: int | None
    capacity: int
    payRates: list[PayRateRequest]
    description: str
    payPerSession: str
    scheduleRules: list[ScheduleRuleRequest]
    excludeBankHolidays: bool
    outsideWork: bool
    programCode: str
    schedules: list[CourseScheduleRequest]


class CreateScheduledInstanceResponse(Lenient):
    courseScheduleId: int
    date: date
    startTime: str
    endTime: str


class CreateActivityResponse(Lenient):
    courseActivityId: int
    courseSchedules: list[CreateScheduledInstanceResponse] = Field(default_factory=list)


class AllocationExclusion(BaseModel):
    day: str
    slot: str | None


class UpsertAllocationRequest(BaseModel):
    bookingId: int
    payBandCode: str | None
    startDate: date
    endDate: date | None
    endReason: str | None
    endComment: str | None
    suspended: bool
    suspendedComment: str | None
    programStatusCode: str
    exclusions: list[AllocationExclusion]


class UpsertAllocationResponse(Lenient):
    offenderProgramReferenceId: int
    created: bool
    prisonId: str


class UpsertAttendanceRequest(BaseModel):
    scheduleDate: date
    startTime: str
    endTime: str
    eventStatusCode: str
    eventOutcomeCode: str | None
    comments: str | None
    unexcusedAbsence: bool
    authorisedAbsence: bool
    paid: bool
    bonusPay: float | None


class UpsertAttendanceResponse(Lenient):
    eventId: int
    courseScheduleId: int
    created: bool
    prisonId: str


class PrisonerDetails(Lenient):
    offenderNo: str
    bookingId: int
    location: str | None = None


# ---- mapping API -----------------------------------------------------------------------------------


class ActivityScheduleMappingDto(BaseModel):
    scheduledInstanceId: int
    nomisCourseScheduleId: int
    mappingType: str


class ActivityMappingDto(BaseModel):
    nomisCourseActivityId: int
    activityScheduleId: int
    activityId: int | None
    mappingType: str
    scheduledInstanceMappings: list[ActivityScheduleMappingDto] = Field(default_factory=list)
    whenCreated: str | None = None

    def instance_mapping(self, scheduled_instance_id: int) -> ActivityScheduleMappingDto | None:
        return next(
            (m for m in self.scheduledInstanceMappings if m.scheduledInstanceId == scheduled_instance_id),
            None,
        )
