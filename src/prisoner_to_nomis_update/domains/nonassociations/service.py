"""Non-associations created, amended, closed and deleted in DPS, applied to NOMIS (spec B4-B8).

Every handler is safe to run twice (a redelivery after a crash, or two pods taking the same event):
* create adopts an open, unmapped NOMIS detail identical to the DPS record instead of adding a second
  one, and removes the detail it has just added if another run won the race to save the mapping;
* a mapping POST answered 409 with the very same mapping is success, not a duplicate;
* close treats NOMIS's "already closed" 400 as done when NOMIS shows the detail closed;
* delete treats NOMIS's 404 as already deleted, so the mapping is still removed.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from prisoner_to_nomis_update.domains.nonassociations.clients import (
    NomisNonAssociationsApi,
    NonAssociationMappingApi,
    NonAssociationsApi,
)
from prisoner_to_nomis_update.domains.nonassociations.models import (
    CreateNonAssociationRequest,
    LegacyNonAssociation,
    NonAssociationEvent,
    NonAssociationMappingDto,
    NonAssociationResponse,
    UpdateNonAssociationRequest,
)
from prisoner_to_nomis_update.framework.http import HttpError
from prisoner_to_nomis_update.framework.messages import MalformedMessage, RetryMessage
from prisoner_to_nomis_update.framework.synchronise import (
    RetryQueue,
    duplicate_error_from,
    is_own_duplicate,
    synchronise,
)
from prisoner_to_nomis_update.framework.telemetry import Telemetry

log = logging.getLogger(__name__)

NAME = "non-association"
# What makes two non-association mappings the same link (labels and timestamps aside).
SAME_LINK = ("nonAssociationId", "firstOffenderNo", "secondOffenderNo", "nomisTypeSequence")


def create_request(legacy: LegacyNonAssociation) -> CreateNonAssociationRequest:
    return CreateNonAssociationRequest(
        offenderNo=legacy.offenderNo,
        nsOffenderNo=legacy.offenderNonAssociation.offenderNo,
        reason=legacy.reasonCode,
        recipReason=legacy.offenderNonAssociation.reasonCode,
        type=legacy.typeCode,
        effectiveDate=legacy.effectiveDate.date(),
        authorisedBy=legacy.authorisedBy,
        comment=legacy.comments,
    )


def update_request(legacy: LegacyNonAssociation) -> UpdateNonAssociationRequest:
    return UpdateNonAssociationRequest(
        reason=legacy.reasonCode,
        recipReason=legacy.offenderNonAssociation.reasonCode,
        type=legacy.typeCode,
        effectiveDate=legacy.effectiveDate.date(),
        authorisedBy=legacy.authorisedBy,
        comment=legacy.comments,
    )


def is_copy_of(detail: NonAssociationResponse, request: CreateNonAssociationRequest, today: date) -> bool:
    """An open NOMIS detail carrying exactly what this create would write."""
    return (
        not detail.closed_on(today)
        and detail.reason == request.reason
        and detail.recipReason == request.recipReason
        and detail.type == request.type
        and detail.effectiveDate == request.effectiveDate
        and (detail.authorisedBy or None) == (request.authorisedBy or None)
        and (detail.comment or None) == (request.comment or None)
    )


def ordered(offender_no: str, ns_offender_no: str) -> tuple[str, str]:
    """Mappings hold the pair lexicographically sorted."""
    return (offender_no, ns_offender_no) if offender_no <= ns_offender_no else (ns_offender_no, offender_no)


class NonAssociationsService:
    def __init__(
        self,
        dps: NonAssociationsApi,
        nomis: NomisNonAssociationsApi,
        mappings: NonAssociationMappingApi,
        telemetry: Telemetry,
        retry_queue: RetryQueue,
    ) -> None:
        self.dps = dps
        self.nomis = nomis
        self.mappings = mappings
        self.telemetry = telemetry
        self.retry_queue = retry_queue

    # ---- created -------------------------------------------------------------------------------

    async def created(self, event: NonAssociationEvent) -> None:
        telemetry_map: dict[str, Any] = {"nonAssociationId": event.id}
        if event.from_nomis:
            self.telemetry.track_event(f"{NAME}-create-ignored", telemetry_map)
            return
        await self.create(event.id, telemetry_map)

    async def create(
        self, nonassociation_id: int, telemetry_map: dict[str, Any]
    ) -> NonAssociationMappingDto | None:
        created_sequence: list[int] = []

        async def transform() -> NonAssociationMappingDto:
            legacy = await self.dps.get_legacy(nonassociation_id)
            request = create_request(legacy)
            telemetry_map["offenderNo"] = request.offenderNo
            telemetry_map["nsOffenderNo"] = request.nsOffenderNo
            first, second = ordered(request.offenderNo, request.nsOffenderNo)
            sequence = await self._unmapped_copy(request, first, second)
            if sequence is None:
                sequence = await self.nomis.create(request)
                created_sequence.append(sequence)
            return NonAssociationMappingDto(
                nonAssociationId=nonassociation_id,
                firstOffenderNo=first,
                secondOffenderNo=second,
                nomisTypeSequence=sequence,
            )

        async def save(mapping: NonAssociationMappingDto) -> None:
            try:
                await self.mappings.create(mapping)
            except HttpError as error:
                if error.status != 409:
                    raise
                if is_own_duplicate(error, mapping, SAME_LINK):
                    return
                await self._undo_lost_race(error, mapping, created_sequence, telemetry_map)
                raise

        return await synchronise(
            name=NAME,
            telemetry=self.telemetry,
            event_telemetry=telemetry_map,
            check_mapping_exists=lambda: self.mappings.find(nonassociation_id),
            transform=transform,
            save_mapping=save,
            retry_queue=self.retry_queue,
        )

    async def _unmapped_copy(
        self, request: CreateNonAssociationRequest, first: str, second: str
    ) -> int | None:
        """The sequence of an open NOMIS detail identical to `request` that no mapping claims.

        Such a detail is what an earlier run of this very event left behind when it died between the
        NOMIS write and the mapping save; adopting it keeps NOMIS to one non-association.
        """
        today = date.today()
        details = await self.nomis.all_details_or_empty(request.offenderNo, request.nsOffenderNo)
        for detail in sorted(details, key=lambda d: d.typeSequence, reverse=True):
            if not is_copy_of(detail, request, today):
                continue
            if await self.mappings.find_by_nomis(first, second, detail.typeSequence) is None:
                log.warning(
                    "Adopting unmapped NOMIS non-association %s/%s sequence %s",
                    request.offenderNo,
                    request.nsOffenderNo,
                    detail.typeSequence,
                )
                return detail.typeSequence
        return None

    async def _undo_lost_race(
        self,
        error: HttpError,
        mapping: NonAssociationMappingDto,
        created_sequence: list[int],
        telemetry_map: dict[str, Any],
    ) -> None:
        """Another run mapped this DPS id to a different NOMIS detail: delete the one we just added."""
        existing = duplicate_error_from(error).existing
        if not created_sequence or str(existing.get("nonAssociationId")) != str(mapping.nonAssociationId):
            return
        sequence = created_sequence[0]
        if str(existing.get("nomisTypeSequence")) == str(sequence):
            return
        offender_no = str(telemetry_map["offenderNo"])
        ns_offender_no = str(telemetry_map["nsOffenderNo"])
        try:
            await self.nomis.delete(offender_no, ns_offender_no, sequence)
        except Exception as delete_error:
            log.error("Could not remove duplicate NOMIS non-association: %s", delete_error)
            return
        self.telemetry.track_event(
            f"{NAME}-create-duplicate-removed",
            {
                "nonAssociationId": mapping.nonAssociationId,
                "offenderNo": offender_no,
                "nsOffenderNo": ns_offender_no,
                "nomisTypeSequence": sequence,
                "existingNomisTypeSequence": existing.get("nomisTypeSequence"),
            },
        )

    async def retry_create_mapping(self, message: RetryMessage) -> None:
        try:
            mapping = NonAssociationMappingDto.model_validate(message.mapping)
        except ValueError as error:
            raise MalformedMessage(f"non-association retry mapping is invalid: {error}") from None
        try:
            await self.mappings.create(mapping)
        except HttpError as error:
            # The first POST may have been stored after all (a timeout): the same mapping is success.
            if not is_own_duplicate(error, mapping, SAME_LINK):
                raise
        self.telemetry.track_event(f"{NAME}-create-mapping-retry-success", message.telemetry_attributes)

    # ---- amended / closed / deleted ------------------------------------------------------------

    async def amended(self, event: NonAssociationEvent) -> None:
        telemetry_map: dict[str, Any] = {"nonAssociationId": event.id}
        if event.from_nomis:
            self.telemetry.track_event(f"{NAME}-amend-ignored", telemetry_map)
            return
        try:
            await self.amend(event.id, telemetry_map)
        except Exception:
            self.telemetry.track_event(f"{NAME}-amend-failed", telemetry_map)
            raise
        self.telemetry.track_event(f"{NAME}-amend-success", telemetry_map)

    async def amend(self, nonassociation_id: int, telemetry_map: dict[str, Any]) -> LegacyNonAssociation:
        legacy = await self.dps.get_legacy(nonassociation_id)
        mapping = await self._mapping(nonassociation_id, telemetry_map)
        await self.nomis.amend(
            mapping.firstOffenderNo,
            mapping.secondOffenderNo,
            mapping.nomisTypeSequence,
            update_request(legacy),
        )
        return legacy

    async def closed(self, event: NonAssociationEvent) -> None:
        telemetry_map: dict[str, Any] = {"nonAssociationId": event.id}
        if event.from_nomis:
            self.telemetry.track_event(f"{NAME}-close-ignored", telemetry_map)
            return
        try:
            mapping = await self._mapping(event.id, telemetry_map)
            await self.close(mapping)
        except Exception:
            self.telemetry.track_event(f"{NAME}-close-failed", telemetry_map)
            raise
        self.telemetry.track_event(f"{NAME}-close-success", telemetry_map)

    async def close(self, mapping: NonAssociationMappingDto) -> None:
        first, second, sequence = mapping.firstOffenderNo, mapping.secondOffenderNo, mapping.nomisTypeSequence
        try:
            await self.nomis.close(first, second, sequence)
        except HttpError as error:
            # 400 is NOMIS's "already closed": done by an earlier run of this event, or in NOMIS.
            if error.status != 400 or not await self._closed_in_nomis(first, second, sequence):
                raise
            log.info("NOMIS non-association %s/%s/%s was already closed", first, second, sequence)

    async def _closed_in_nomis(self, first: str, second: str, sequence: int) -> bool:
        details = await self.nomis.all_details_or_empty(first, second)
        detail = next((d for d in details if d.typeSequence == sequence), None)
        return detail is not None and detail.expiryDate is not None

    async def deleted(self, event: NonAssociationEvent) -> None:
        telemetry_map: dict[str, Any] = {"nonAssociationId": event.id}
        if event.from_nomis:
            self.telemetry.track_event(f"{NAME}-delete-ignored", telemetry_map)
            return
        try:
            mapping = await self._mapping(event.id, telemetry_map)
            try:
                await self.nomis.delete(
                    mapping.firstOffenderNo, mapping.secondOffenderNo, mapping.nomisTypeSequence
                )
            except HttpError as error:
                # Already gone: an earlier run died before removing the mapping. Finish its work.
                if error.status != 404:
                    raise
                log.info("NOMIS non-association for %s was already deleted", event.id)
            await self.mappings.delete(mapping.nonAssociationId)
        except Exception:
            self.telemetry.track_event(f"{NAME}-delete-failed", telemetry_map)
            raise
        self.telemetry.track_event(f"{NAME}-delete-success", telemetry_map)

    async def _mapping(
        self, nonassociation_id: int, telemetry_map: dict[str, Any]
    ) -> NonAssociationMappingDto:
        mapping = await self.mappings.get(nonassociation_id)
        telemetry_map["offender1"] = mapping.firstOffenderNo
        telemetry_map["offender2"] = mapping.secondOffenderNo
        telemetry_map["sequence"] = mapping.nomisTypeSequence
        return mapping

    # ---- repair --------------------------------------------------------------------------------

    async def repair(self, nonassociation_id: int) -> dict[str, Any]:
        """Bring NOMIS in line with one DPS non-association: create it, or amend it and close it if DPS has.

        What the original left to hand-written calls against NOMIS and the mapping API.
        """
        telemetry_map: dict[str, Any] = {"nonAssociationId": nonassociation_id}
        mapping = await self.mappings.find(nonassociation_id)
        if mapping is None:
            created = await self.create(nonassociation_id, telemetry_map)
            action = "created" if created is not None else "create-not-completed"
        else:
            amend_map: dict[str, Any] = {"nonAssociationId": nonassociation_id}
            legacy = await self.amend(nonassociation_id, amend_map)
            action = "amended"
            if legacy.closed_on(date.today()) and not await self._closed_in_nomis(
                mapping.firstOffenderNo, mapping.secondOffenderNo, mapping.nomisTypeSequence
            ):
                await self.close(mapping)
                action = "amended-and-closed"
        result = {"nonAssociationId": nonassociation_id, "action": action}
        self.telemetry.track_event(f"to-nomis-synch-{NAME}-repair", result)
        return result
