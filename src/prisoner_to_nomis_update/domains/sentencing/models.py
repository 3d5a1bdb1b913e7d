"""The fields we use of the Adjustments API, the NOMIS adjustment endpoints and the adjustment mapping.

Model names follow the OpenAPI schemas (sentencing-adjustments, nomis-prisoner, nomis-mapping-service).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from prisoner_to_nomis_update.framework.models import Lenient

SENTENCE = "SENTENCE"
KEY_DATE = "KEY-DATE"
SENTENCING_CREATED = "SENTENCING_CREATED"

# NOMIS accepts these codes per kind (CreateSentenceAdjustmentRequest / CreateKeyDateAdjustmentRequest).
SENTENCE_TYPES = frozenset({"RSR", "UR", "S240A", "RST", "RX", "TCA", "TSA"})
KEY_DATE_TYPES = frozenset({"LAL", "UAL", "RADA", "ADA", "SREM"})


class AdjustmentAdditionalInformation(Lenient):
    # All three are required, as in the original: an event without them is malformed (retried, DLQ).
    id: str
    offenderNo: str
    source: str


class AdjustmentEvent(Lenient):
    """`release-date-adjustments.adjustment.inserted` / `.updated` / `.deleted`."""

    additionalInformation: AdjustmentAdditionalInformation

    @property
    def adjustment_id(self) -> str:
        return self.additionalInformation.id

    @property
    def offender_no(self) -> str:
        return self.additionalInformation.offenderNo

    @property
    def from_nomis(self) -> bool:
        """Only the exact text NOMIS marks an event as NOMIS-created (spec 0.2)."""
        return self.additionalInformation.source == "NOMIS"


class LegacyAdjustment(Lenient):
    """DPS `GET /legacy/adjustments/{id}`: the adjustment in NOMIS terms."""

    bookingId: int
    sentenceSequence: int | None = None
    offenderNo: str | None = None
    adjustmentType: str
    adjustmentDate: date | None = None
    adjustmentFromDate: date | None = None
    adjustmentDays: int
    comment: str | None = None
    active: bool = True

    @property
    def is_key_date(self) -> bool:
        """A record without a sentence sequence is a key-date adjustment in NOMIS."""
        return self.sentenceSequence is None


class AdjustmentDto(Lenient):
    """DPS `GET /adjustments?person=`: only what reconciliation counts."""

    id: str | None = None
    bookingId: int | None = None
    adjustmentType: str
    days: int | None = None
    effectiveDays: int | None = None


class SentencingAdjustmentMappingDto(BaseModel):
    nomisAdjustmentId: int
    nomisAdjustmentCategory: Literal["SENTENCE", "KEY-DATE"]
    adjustmentId: str
    mappingType: str = SENTENCING_CREATED
    label: str | None = None
    whenCreated: str | None = None

    model_config = ConfigDict(extra="ignore")


class AdjustmentRequest(BaseModel):
    """The body of every NOMIS adjustment create/update; None fields are left out of the JSON."""

    adjustmentTypeCode: str
    adjustmentDate: date | None = None
    adjustmentFromDate: date | None = None
    adjustmentDays: int
    comment: str | None = None
    sentenceSequence: int | None = None
    active: bool | None = None

    def body(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


class AdjustmentTypeResponse(Lenient):
    code: str
    description: str | None = None


class NomisAdjustment(Lenient):
    """A SentenceAdjustmentResponse or KeyDateAdjustmentResponse (the fields we compare)."""

    id: int
    bookingId: int | None = None
    sentenceSequence: int | None = None
    adjustmentType: AdjustmentTypeResponse
    adjustmentDate: date | None = None
    adjustmentFromDate: date | None = None
    adjustmentDays: int
    comment: str | None = None
    active: bool = True


class SentencingAdjustmentsResponse(Lenient):
    keyDateAdjustments: list[NomisAdjustment] = Field(default_factory=list)
    sentenceAdjustments: list[NomisAdjustment] = Field(default_factory=list)
