"""The fields we use of the DPS non-associations API, the NOMIS non-association endpoints and the mapping.

Names follow the OpenAPI schemas (`LegacyNonAssociation`, `NonAssociation`, `NonAssociationResponse`,
`NonAssociationIdResponse`, `NonAssociationMappingDto`, `CreateNonAssociationRequest`,
`UpdateNonAssociationRequest`).
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from prisoner_to_nomis_update.framework.models import Lenient

# ---- events ----------------------------------------------------------------------------------------


class NonAssociationAdditionalInformation(Lenient):
    id: int
    """May arrive as a string ("12345"); pydantic's lax mode reads it as a number."""
    source: str | None = None


class NonAssociationEvent(Lenient):
    """`non-associations.created` / `.amended` / `.closed` / `.deleted`."""

    eventType: str
    additionalInformation: NonAssociationAdditionalInformation

    @property
    def id(self) -> int:
        return self.additionalInformation.id

    @property
    def from_nomis(self) -> bool:
        # Only the exact string NOMIS marks a NOMIS-made change; absent or anything else is DPS.
        return self.additionalInformation.source == "NOMIS"


class MergeInformation(Lenient):
    reason: str | None = None
    nomsNumber: str
    removedNomsNumber: str


class PrisonerMergedEvent(Lenient):
    """`prison-offender-events.prisoner.merged`."""

    additionalInformation: MergeInformation


class BookingMovedInformation(Lenient):
    bookingId: str
    movedFromNomsNumber: str
    movedToNomsNumber: str
    bookingStartDateTime: str


class BookingMovedEvent(Lenient):
    """`prison-offender-events.prisoner.booking.moved`."""

    additionalInformation: BookingMovedInformation


# ---- DPS -------------------------------------------------------------------------------------------


class LegacyNonAssociationOtherPrisonerDetails(Lenient):
    offenderNo: str
    reasonCode: str
    reasonDescription: str | None = None


class LegacyNonAssociation(Lenient):
    """DPS `GET /legacy/api/non-associations/{id}`: already in NOMIS codes."""

    id: int
    offenderNo: str
    reasonCode: str
    typeCode: str
    effectiveDate: datetime
    expiryDate: datetime | None = None
    authorisedBy: str | None = None
    comments: str | None = None
    offenderNonAssociation: LegacyNonAssociationOtherPrisonerDetails

    def closed_on(self, today: date) -> bool:
        """closedInDPS: expired on or before today, or not yet in effect."""
        expiry = self.expiryDate.date() if self.expiryDate is not None else None
        return (expiry is not None and expiry <= today) or self.effectiveDate.date() > today


class NonAssociation(Lenient):
    """DPS modern record (reconciliation)."""

    id: int
    firstPrisonerNumber: str
    firstPrisonerRole: str | None = None
    secondPrisonerNumber: str
    secondPrisonerRole: str | None = None
    reason: str | None = None
    restrictionType: str
    whenCreated: datetime
    isClosed: bool


# ---- NOMIS -----------------------------------------------------------------------------------------


class NonAssociationResponse(Lenient):
    """One NOMIS non-association detail (`offender_na_details` row)."""

    offenderNo: str
    nsOffenderNo: str
    typeSequence: int
    reason: str | None = None
    recipReason: str | None = None
    type: str
    authorisedBy: str | None = None
    updatedBy: str | None = None
    effectiveDate: date
    expiryDate: date | None = None
    comment: str | None = None

    def closed_on(self, today: date) -> bool:
        """closedInNomis: expired on or before today, or not yet in effect."""
        return (self.expiryDate is not None and self.expiryDate <= today) or self.effectiveDate > today


class NonAssociationIdResponse(Lenient):
    offenderNo1: str
    offenderNo2: str

    def text(self) -> str:
        """The Kotlin data-class form the report's summary keys use."""
        return f"NonAssociationIdResponse(offenderNo1={self.offenderNo1}, offenderNo2={self.offenderNo2})"


class CreateNonAssociationRequest(BaseModel):
    offenderNo: str
    nsOffenderNo: str
    reason: str
    recipReason: str
    type: str
    effectiveDate: date
    authorisedBy: str | None = None
    comment: str | None = None


class UpdateNonAssociationRequest(BaseModel):
    """Never carries `expiryDate`: closing happens only through the close event."""

    reason: str
    recipReason: str
    type: str
    effectiveDate: date
    authorisedBy: str | None = None
    comment: str | None = None


# ---- mapping ---------------------------------------------------------------------------------------

NON_ASSOCIATION_CREATED = "NON_ASSOCIATION_CREATED"


class NonAssociationMappingDto(Lenient):
    nonAssociationId: int
    firstOffenderNo: str
    secondOffenderNo: str
    nomisTypeSequence: int
    label: str | None = None
    mappingType: str = NON_ASSOCIATION_CREATED
    whenCreated: str | None = None
