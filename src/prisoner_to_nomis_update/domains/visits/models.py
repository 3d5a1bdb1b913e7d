"""The fields we use of the visit-scheduler API, the NOMIS visit endpoints and the visit mapping."""

from __future__ import annotations

from datetime import date, datetime, time

from pydantic import BaseModel, Field

from prisoner_to_nomis_update.framework.models import Lenient


class VisitAdditionalInformation(Lenient):
    reference: str


class VisitEvent(Lenient):
    """`prison-visit.booked` / `.changed` / `.cancelled`."""

    prisonerId: str
    occurredAt: datetime
    additionalInformation: VisitAdditionalInformation

    @property
    def reference(self) -> str:
        return self.additionalInformation.reference

    @property
    def booking_date(self) -> date:
        """The calendar date of `occurredAt` in the offset it was given with (no zone conversion)."""
        return self.occurredAt.date()


class VisitorSupport(Lenient):
    description: str | None = None


class Visitor(Lenient):
    nomisPersonId: int


class VisitDto(Lenient):
    """DPS visit (visit-scheduler `GET /visits/{reference}`)."""

    reference: str
    prisonerId: str
    prisonId: str
    visitType: str
    startTimestamp: datetime
    endTimestamp: datetime | None = None
    visitStatus: str | None = None
    outcomeStatus: str | None = None
    visitRoom: str
    visitRestriction: str
    visitorSupport: VisitorSupport | None = None
    visitors: list[Visitor] = Field(default_factory=list)


class CreateVisitRequest(BaseModel):
    prisonId: str
    startDateTime: str
    endTime: str
    visitorPersonIds: list[int]
    issueDate: date
    visitType: str
    visitComment: str
    visitOrderComment: str
    room: str
    openClosedStatus: str


class UpdateVisitRequest(BaseModel):
    startDateTime: str
    endTime: str
    visitorPersonIds: list[int]
    room: str
    openClosedStatus: str
    visitComment: str


class CancelVisitRequest(BaseModel):
    offenderNo: str
    nomisVisitId: str
    outcome: str


class NomisVisit(Lenient):
    """The fields of NOMIS's VisitResponse the duplicate resolver needs."""

    visitId: int
    offenderNo: str


class VisitMappingDto(BaseModel):
    """NOMIS to VSIP visit id mapping. `nomisId` is held as text, as the original does."""

    nomisId: str
    vsipId: str
    label: str | None = None
    mappingType: str = "ONLINE"


def local_date_time(value: datetime) -> str:
    """`yyyy-MM-ddTHH:mm:ss`, the form NOMIS expects."""
    return value.strftime("%Y-%m-%dT%H:%M:%S")


def iso_local_date_time(value: datetime) -> str:
    """ISO local date-time, fraction only when non-zero (telemetry form)."""
    return value.replace(tzinfo=None).isoformat()


def time_with_seconds(value: time) -> str:
    return value.strftime("%H:%M:%S")


def shortest_iso_time(value: time) -> str:
    """`HH:mm` when seconds and fraction are zero, else `HH:mm:ss[.ffffff]` (ISO shortest form)."""
    if value.second == 0 and value.microsecond == 0:
        return value.strftime("%H:%M")
    return value.replace(tzinfo=None).isoformat()
