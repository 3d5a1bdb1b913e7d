"""Sentencing adjustments: DPS adjustments applied to NOMIS sentence and key-date adjustments.

Spec: sentencing-and-non-associations.md part A. A duplicate adjustment moves a release date, so the
create flow is made safe to run twice (see `_unmapped_twin` and `_save_mapping`): a redelivered event
reuses the NOMIS adjustment an earlier, interrupted attempt wrote, and a NOMIS adjustment this attempt
wrote for an already mapped DPS adjustment is removed again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import ValidationError

from prisoner_to_nomis_update.domains.sentencing.clients import (
    AdjustmentMappingApi,
    AdjustmentsApi,
    NomisAdjustmentsApi,
)
from prisoner_to_nomis_update.domains.sentencing.models import (
    KEY_DATE,
    KEY_DATE_TYPES,
    SENTENCE,
    SENTENCE_TYPES,
    AdjustmentEvent,
    AdjustmentRequest,
    LegacyAdjustment,
    NomisAdjustment,
    SentencingAdjustmentMappingDto,
)
from prisoner_to_nomis_update.framework.errors import Conflict, NotFound
from prisoner_to_nomis_update.framework.http import HttpError, do_api_call_with_retries
from prisoner_to_nomis_update.framework.messages import MalformedMessage, RetryMessage
from prisoner_to_nomis_update.framework.synchronise import (
    RetryQueue,
    duplicate_error_from,
    is_own_duplicate,
    reason_of,
    synchronise,
)
from prisoner_to_nomis_update.framework.telemetry import Telemetry

log = logging.getLogger(__name__)

NAME = "sentencing-adjustment"
# What makes two adjustment mappings the same link (labels and timestamps aside).
SAME_LINK = ("adjustmentId", "nomisAdjustmentId", "nomisAdjustmentCategory")


class MappingOrAdjustmentNotFound(NotFound):
    """One of the two is missing: a repair answers 404 naming the adjustment (the original 500)."""

    def __init__(self, adjustment_id: str) -> None:
        super().__init__(f"Mapping or adjustment not found for adjustment {adjustment_id}")


class InvalidAdjustmentType(ValueError):
    """A type code NOMIS does not accept for the chosen kind (the original fails the conversion)."""


@dataclass(frozen=True)
class RepairFlags:
    force_status: bool = False
    set_active: bool = False

    def active(self, adjustment: LegacyAdjustment) -> bool | None:
        """What `active` to send: only repairs send it, normal events leave NOMIS's flag alone."""
        if self.set_active:
            return True
        if self.force_status:
            return adjustment.active
        return None


NO_FLAGS = RepairFlags()


def nomis_request(
    adjustment: LegacyAdjustment, active: bool | None = None, update: bool = False
) -> AdjustmentRequest:
    """The NOMIS body for a DPS adjustment (spec A3): key-date dates fall back, sentence from-dates do not."""
    today = date.today()
    allowed = KEY_DATE_TYPES if adjustment.is_key_date else SENTENCE_TYPES
    if adjustment.adjustmentType not in allowed:
        kind = "key-date" if adjustment.is_key_date else "sentence"
        raise InvalidAdjustmentType(
            f"{adjustment.adjustmentType} is not a {kind} adjustment type ({', '.join(sorted(allowed))})"
        )
    adjustment_date = adjustment.adjustmentDate or today
    from_date: date | None = adjustment.adjustmentFromDate
    sequence: int | None = None
    if adjustment.is_key_date:
        from_date = from_date or adjustment_date
    elif update:
        sequence = adjustment.sentenceSequence
    return AdjustmentRequest(
        adjustmentTypeCode=adjustment.adjustmentType,
        adjustmentDate=adjustment_date,
        adjustmentFromDate=from_date,
        adjustmentDays=adjustment.adjustmentDays,
        comment=adjustment.comment,
        sentenceSequence=sequence,
        active=active,
    )


def same_adjustment(
    record: NomisAdjustment, request: AdjustmentRequest, adjustment: LegacyAdjustment
) -> bool:
    """Whether a NOMIS record holds exactly what creating `adjustment` would have written."""
    return (
        record.active
        and record.adjustmentType.code == request.adjustmentTypeCode
        and record.adjustmentDate == request.adjustmentDate
        and record.adjustmentFromDate == request.adjustmentFromDate
        and record.adjustmentDays == request.adjustmentDays
        and (record.comment or None) == (request.comment or None)
        and (adjustment.is_key_date or record.sentenceSequence == adjustment.sentenceSequence)
    )


class SentencingService:
    def __init__(
        self,
        adjustments: AdjustmentsApi,
        nomis: NomisAdjustmentsApi,
        mappings: AdjustmentMappingApi,
        telemetry: Telemetry,
        retry_queue: RetryQueue,
    ) -> None:
        self.adjustments = adjustments
        self.nomis = nomis
        self.mappings = mappings
        self.telemetry = telemetry
        self.retry_queue = retry_queue

    # ---- inserted ------------------------------------------------------------------------------

    async def create_adjustment(self, event: AdjustmentEvent) -> None:
        adjustment_id = event.adjustment_id
        telemetry_map: dict[str, Any] = {"adjustmentId": adjustment_id, "offenderNo": event.offender_no}
        if event.from_nomis:
            self.telemetry.track_event(f"{NAME}-create-ignored", telemetry_map)
            return
        # The NOMIS adjustment this very attempt created (not reused): the only one we may remove.
        created: list[SentencingAdjustmentMappingDto] = []
        surplus: list[SentencingAdjustmentMappingDto] = []

        async def transform() -> SentencingAdjustmentMappingDto | None:
            adjustment = await self.adjustments.find_adjustment(adjustment_id)
            if adjustment is None:
                self.telemetry.track_event(f"{NAME}-create-skipped", telemetry_map)
                return None
            request = nomis_request(adjustment)
            category = KEY_DATE if adjustment.is_key_date else SENTENCE
            reused = await self._unmapped_twin(adjustment, request, category)
            if reused is not None:
                self.telemetry.track_event(
                    f"{NAME}-create-reused-nomis-adjustment",
                    {**telemetry_map, "nomisAdjustmentId": reused, "nomisAdjustmentCategory": category},
                )
                return SentencingAdjustmentMappingDto(
                    nomisAdjustmentId=reused, nomisAdjustmentCategory=category, adjustmentId=adjustment_id
                )
            if adjustment.sentenceSequence is None:
                nomis_id = await self.nomis.create_key_date_adjustment(adjustment.bookingId, request)
            else:
                nomis_id = await self.nomis.create_sentence_adjustment(
                    adjustment.bookingId, adjustment.sentenceSequence, request
                )
            mapping = SentencingAdjustmentMappingDto(
                nomisAdjustmentId=nomis_id, nomisAdjustmentCategory=category, adjustmentId=adjustment_id
            )
            created.append(mapping)
            return mapping

        async def save(mapping: SentencingAdjustmentMappingDto) -> None:
            await self._save_mapping(mapping, surplus if created else None)

        await synchronise(
            name=NAME,
            telemetry=self.telemetry,
            event_telemetry=telemetry_map,
            check_mapping_exists=lambda: self.mappings.find(adjustment_id),
            transform=transform,
            save_mapping=save,
            retry_queue=self.retry_queue,
        )
        for mapping in surplus:
            await self._remove_surplus(mapping, telemetry_map)

    async def _unmapped_twin(
        self, adjustment: LegacyAdjustment, request: AdjustmentRequest, category: str
    ) -> int | None:
        """The id of an identical NOMIS adjustment no mapping claims: left by an interrupted earlier attempt.

        NOMIS has no idempotency key and answers no 409, so a redelivery after the NOMIS write but
        before the mapping save would otherwise write the adjustment twice.
        """
        existing = await self.nomis.adjustments(adjustment.bookingId, active_only=False)
        candidates = existing.keyDateAdjustments if category == KEY_DATE else existing.sentenceAdjustments
        for record in candidates:
            if (
                same_adjustment(record, request, adjustment)
                and await self.mappings.find_by_nomis_id(category, record.id) is None
            ):
                return record.id
        return None

    async def _save_mapping(
        self,
        mapping: SentencingAdjustmentMappingDto,
        surplus: list[SentencingAdjustmentMappingDto] | None,
    ) -> None:
        """POST the mapping; a 409 naming this very link is success (a repeated POST whose answer was lost).

        A 409 showing the DPS adjustment already mapped to another NOMIS adjustment means another
        delivery won the race: when `surplus` is given (we created ours in this attempt) ours is
        recorded for removal. The 409 is re-raised so the duplicate telemetry is still emitted.
        """
        try:
            await self.mappings.create(mapping)
        except HttpError as error:
            if is_own_duplicate(error, mapping, SAME_LINK):
                log.info("Mapping %s already saved", mapping)
                return
            if error.status != 409:
                raise
            try:
                existing = SentencingAdjustmentMappingDto.model_validate(duplicate_error_from(error).existing)
            except ValidationError:
                raise error from None
            if surplus is not None and existing.adjustmentId == mapping.adjustmentId:
                surplus.append(mapping)
            raise

    async def _remove_surplus(
        self, mapping: SentencingAdjustmentMappingDto, telemetry_map: dict[str, Any]
    ) -> None:
        properties = {
            **telemetry_map,
            "nomisAdjustmentId": mapping.nomisAdjustmentId,
            "nomisAdjustmentCategory": mapping.nomisAdjustmentCategory,
        }
        try:
            await do_api_call_with_retries(
                lambda: self.nomis.delete_adjustment(
                    mapping.nomisAdjustmentCategory, mapping.nomisAdjustmentId
                )
            )
        except Exception as error:
            # Left for an operator (docs/operations.md): the event is consumed either way, since a
            # redelivery would find the mapping and could no longer tell which NOMIS record is surplus.
            log.error("Could not remove duplicate NOMIS adjustment %s: %s", mapping, error)
            self.telemetry.track_event(
                f"{NAME}-duplicate-removal-failed", {**properties, "reason": reason_of(error)}
            )
            return
        self.telemetry.track_event(f"{NAME}-duplicate-removed", properties)

    # ---- updated -------------------------------------------------------------------------------

    async def update_adjustment(self, event: AdjustmentEvent, flags: RepairFlags = NO_FLAGS) -> None:
        adjustment_id = event.adjustment_id
        telemetry_map: dict[str, Any] = {"adjustmentId": adjustment_id, "offenderNo": event.offender_no}
        if event.from_nomis:
            self.telemetry.track_event(f"{NAME}-updated-ignored", telemetry_map)
            return
        try:
            mapping = await self.mappings.find(adjustment_id)
            adjustment = await self.adjustments.find_adjustment(adjustment_id)
            if mapping is None and adjustment is None:
                # Created and deleted in DPS before we got to the update: nothing to do.
                self.telemetry.track_event(f"{NAME}-updated-skipped", telemetry_map)
                return
            if mapping is None or adjustment is None:
                raise MappingOrAdjustmentNotFound(adjustment_id)
            telemetry_map["nomisAdjustmentId"] = mapping.nomisAdjustmentId
            request = nomis_request(adjustment, active=flags.active(adjustment), update=True)
            # The kind comes from the current DPS record, not from the mapping (spec A5.6).
            if adjustment.is_key_date:
                await self.nomis.update_key_date_adjustment(mapping.nomisAdjustmentId, request)
            else:
                await self.nomis.update_sentence_adjustment(mapping.nomisAdjustmentId, request)
        except Exception:
            self.telemetry.track_event(f"{NAME}-updated-failed", telemetry_map)
            raise
        self.telemetry.track_event(f"{NAME}-updated-success", telemetry_map)

    # ---- deleted -------------------------------------------------------------------------------

    async def delete_adjustment(self, event: AdjustmentEvent) -> None:
        adjustment_id = event.adjustment_id
        telemetry_map: dict[str, Any] = {"adjustmentId": adjustment_id, "offenderNo": event.offender_no}
        if event.from_nomis:
            self.telemetry.track_event(f"{NAME}-deleted-ignored", telemetry_map)
            return
        try:
            mapping = await self.mappings.find(adjustment_id)
            if mapping is None:
                # Already deleted (or never created); the original then also reports success.
                self.telemetry.track_event(
                    f"{NAME}-deleted-ignored", {**telemetry_map, "reason": "mapping-already-deleted"}
                )
            else:
                telemetry_map["nomisAdjustmentId"] = mapping.nomisAdjustmentId
                telemetry_map["nomisAdjustmentCategory"] = mapping.nomisAdjustmentCategory
                await self.nomis.delete_adjustment(mapping.nomisAdjustmentCategory, mapping.nomisAdjustmentId)
                await self.mappings.delete(adjustment_id)
        except Exception:
            self.telemetry.track_event(f"{NAME}-deleted-failed", telemetry_map)
            raise
        self.telemetry.track_event(f"{NAME}-deleted-success", telemetry_map)

    # ---- RETRY_CREATE_MAPPING ------------------------------------------------------------------

    async def retry_create_mapping(self, message: RetryMessage) -> None:
        try:
            mapping = SentencingAdjustmentMappingDto.model_validate(message.mapping)
        except ValidationError as error:
            raise MalformedMessage(f"sentencing retry mapping is invalid: {error}") from None
        # A 409 for this same link means an earlier POST did land: done. Any other 409 fails (DLQ).
        await self._save_mapping(mapping, None)
        self.telemetry.track_event(f"{NAME}-create-success", message.telemetry_attributes)

    # ---- repair --------------------------------------------------------------------------------

    async def repair(self, offender_no: str, adjustment_id: str, flags: RepairFlags) -> None:
        """Create the adjustment if it has no mapping, else update it (with the repair's `active`)."""
        event = AdjustmentEvent.model_validate(
            {"additionalInformation": {"id": adjustment_id, "offenderNo": offender_no, "source": "DPS"}}
        )
        if await self.mappings.find(adjustment_id) is None:
            await self.create_adjustment(event)
        else:
            await self.update_adjustment(event, flags)
        self.telemetry.track_event(
            "to-nomis-synch-adjustment-repair", {"offenderNo": offender_no, "adjustmentId": adjustment_id}
        )

    async def delete_unmapped_nomis_adjustment(self, category: str, nomis_id: int) -> None:
        """Operator clean-up of a duplicate: only a NOMIS adjustment that no mapping claims may go."""
        claimed = await self.mappings.find_by_nomis_id(category, nomis_id)
        if claimed is not None:
            raise Conflict(
                f"NOMIS {category} adjustment {nomis_id} is mapped to DPS adjustment {claimed.adjustmentId}"
            )
        await self.nomis.delete_adjustment(category, nomis_id)
        self.telemetry.track_event(
            "to-nomis-synch-adjustment-duplicate-deleted",
            {"nomisAdjustmentId": nomis_id, "nomisAdjustmentCategory": category},
        )
