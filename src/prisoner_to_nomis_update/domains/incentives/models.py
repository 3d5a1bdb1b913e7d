"""The fields we use of the DPS Incentives API, the NOMIS incentive endpoints and the incentive mapping.

Names follow the OpenAPI schemas (`../shared/openapi-specs/`); unknown fields are ignored so new
fields in either API never break a sync.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from prisoner_to_nomis_update.framework.models import Lenient

INCENTIVE_CREATED = "INCENTIVE_CREATED"
USER_CREATED_NOMIS = "USER_CREATED_NOMIS"


# ---- domain events ---------------------------------------------------------------------------


class ReviewInsertedInformation(Lenient):
    id: int
    """May arrive as a JSON string ("12"); pydantic's lax mode coerces it."""
    nomsNumber: str | None = None
    reason: str | None = None


class ReviewInsertedEvent(Lenient):
    """`incentives.iep-review.inserted`."""

    additionalInformation: ReviewInsertedInformation


class LevelInformation(Lenient):
    incentiveLevel: str


class LevelChangedEvent(Lenient):
    """`incentives.level.changed`."""

    additionalInformation: LevelInformation


class PrisonLevelInformation(Lenient):
    incentiveLevel: str
    prisonId: str


class PrisonLevelChangedEvent(Lenient):
    """`incentives.prison-level.changed`."""

    additionalInformation: PrisonLevelInformation


# ---- DPS Incentives API ----------------------------------------------------------------------


class IncentiveReviewDetail(Lenient):
    """`GET /incentive-reviews/id/{id}`."""

    id: int
    prisonerNumber: str
    bookingId: int
    agencyId: str
    iepCode: str
    iepLevel: str | None = None
    iepDate: date
    iepTime: datetime
    comments: str | None = None
    userId: str | None = None


class IncentiveReviewSummary(Lenient):
    """`GET /incentive-reviews/prisoner/{prisonerNumber}`: the prisoner's current review."""

    id: int
    prisonerNumber: str
    iepCode: str
    bookingId: int | None = None


class IncentiveLevel(Lenient):
    """A global level: `GET /incentive/levels/{code}`."""

    code: str
    name: str
    active: bool
    required: bool | None = None


class PrisonIncentiveLevel(Lenient):
    """`GET /incentive/prison-levels/{prisonId}/level/{levelCode}`."""

    levelCode: str
    prisonId: str
    active: bool
    defaultOnAdmission: bool
    visitOrders: int | None = None
    privilegedVisitOrders: int | None = None
    remandTransferLimitInPence: int | None = None
    remandSpendLimitInPence: int | None = None
    convictedTransferLimitInPence: int | None = None
    convictedSpendLimitInPence: int | None = None


# ---- NOMIS prisoner API ----------------------------------------------------------------------


class CreateIncentiveRequest(BaseModel):
    iepLevel: str
    comments: str | None
    iepDateTime: str
    prisonId: str
    userId: str | None


class CreateIncentiveResponse(Lenient):
    bookingId: int
    sequence: int


class CodeDescription(Lenient):
    code: str
    description: str | None = None


class IncentiveResponse(Lenient):
    """`GET /incentives/booking-id/{bookingId}/current` (only what we compare or repair from)."""

    bookingId: int
    offenderNo: str
    incentiveSequence: int
    iepLevel: CodeDescription
    iepDateTime: datetime | None = None
    prisonId: str | None = None
    commentText: str | None = None
    userId: str | None = None


class CreateGlobalIncentiveRequest(BaseModel):
    code: str
    description: str
    active: bool


class UpdateGlobalIncentiveRequest(BaseModel):
    description: str
    active: bool


class ReorderRequest(BaseModel):
    codeList: list[str]


class PrisonIncentiveLevelRequest(BaseModel):
    """Create and update body alike (the original sends `levelCode` on update too)."""

    levelCode: str
    active: bool
    defaultOnAdmission: bool
    visitOrderAllowance: int | None
    privilegedVisitOrderAllowance: int | None
    remandTransferLimitInPence: int | None
    remandSpendLimitInPence: int | None
    convictedTransferLimitInPence: int | None
    convictedSpendLimitInPence: int | None


# ---- mapping API -----------------------------------------------------------------------------


class IncentiveMappingDto(BaseModel):
    nomisBookingId: int
    nomisIncentiveSequence: int
    incentiveId: int
    label: str | None = None
    mappingType: str = INCENTIVE_CREATED
    whenCreated: str | None = None

    def same_ids(self, other: IncentiveMappingDto) -> bool:
        return (self.nomisBookingId, self.nomisIncentiveSequence, self.incentiveId) == (
            other.nomisBookingId,
            other.nomisIncentiveSequence,
            other.incentiveId,
        )


# ---- formats ---------------------------------------------------------------------------------


def nomis_iep_date_time(review: IncentiveReviewDetail) -> str:
    """Date from `iepDate`, time of day from `iepTime`, to the second: what NOMIS stores."""
    return datetime.combine(review.iepDate, review.iepTime.time()).strftime("%Y-%m-%dT%H:%M:%S")


def telemetry_time(review: IncentiveReviewDetail) -> str:
    """`HH:mm:ss`, with a fraction only when there is one (ISO shortest with seconds)."""
    return review.iepTime.time().replace(tzinfo=None).isoformat()


def to_nomis_incentive(review: IncentiveReviewDetail) -> CreateIncentiveRequest:
    return CreateIncentiveRequest(
        iepLevel=review.iepCode,
        comments=review.comments,
        iepDateTime=nomis_iep_date_time(review),
        prisonId=review.agencyId,
        userId=review.userId,
    )
