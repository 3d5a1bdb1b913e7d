"""Incentives: DPS reviews and incentive level reference data applied to NOMIS (spec part B, B3-B8)."""

from __future__ import annotations

import logging
from typing import Any

from prisoner_to_nomis_update.domains.incentives.clients import (
    IncentiveMappingApi,
    IncentivesApi,
    NomisIncentivesApi,
)
from prisoner_to_nomis_update.domains.incentives.models import (
    INCENTIVE_CREATED,
    USER_CREATED_NOMIS,
    CreateGlobalIncentiveRequest,
    IncentiveMappingDto,
    IncentiveReviewDetail,
    LevelChangedEvent,
    PrisonIncentiveLevelRequest,
    PrisonLevelChangedEvent,
    ReorderRequest,
    ReviewInsertedEvent,
    UpdateGlobalIncentiveRequest,
    nomis_iep_date_time,
    telemetry_time,
    to_nomis_incentive,
)
from prisoner_to_nomis_update.framework.errors import BadRequest, NotFound
from prisoner_to_nomis_update.framework.http import HttpError
from prisoner_to_nomis_update.framework.messages import MalformedMessage, RetryMessage
from prisoner_to_nomis_update.framework.synchronise import (
    DuplicateMappingError,
    RetryQueue,
    post_mapping,
    synchronise,
)
from prisoner_to_nomis_update.framework.telemetry import Telemetry

log = logging.getLogger(__name__)

NAME = "incentive"


class NoCurrentIncentive(NotFound):
    """DPS has no current review for the prisoner: the repair answers 404 (the original answered 500)."""


def mapping_dump(mapping: IncentiveMappingDto) -> str:
    """The original's Kotlin data-class rendering, kept because operators search for it."""
    return (
        f"IncentiveMapping(nomisBookingId={mapping.nomisBookingId}, "
        f"nomisIncentiveSequence={mapping.nomisIncentiveSequence}, incentiveId={mapping.incentiveId})"
    )


class IncentivesService:
    def __init__(
        self,
        incentives: IncentivesApi,
        nomis: NomisIncentivesApi,
        mappings: IncentiveMappingApi,
        telemetry: Telemetry,
        retry_queue: RetryQueue,
    ) -> None:
        self.incentives = incentives
        self.nomis = nomis
        self.mappings = mappings
        self.telemetry = telemetry
        self.retry_queue = retry_queue

    # ---- incentives.iep-review.inserted --------------------------------------------------------

    async def review_inserted(self, event: ReviewInsertedEvent) -> None:
        info = event.additionalInformation
        telemetry_map: dict[str, Any] = {"id": info.id, "offenderNo": info.nomsNumber or "unknown"}

        async def transform() -> IncentiveMappingDto | None:
            review = await self.incentives.review(info.id)
            if info.reason == USER_CREATED_NOMIS:
                # Created in NOMIS and synced to DPS by the other service: NOMIS already has it.
                return None
            telemetry_map["prisonId"] = review.agencyId
            telemetry_map["iep"] = review.iepCode
            telemetry_map["iepDate"] = review.iepDate.isoformat()
            telemetry_map["iepTime"] = telemetry_time(review)
            booking_id, sequence = await self._create_in_nomis_once(review)
            return IncentiveMappingDto(
                nomisBookingId=booking_id,
                nomisIncentiveSequence=sequence,
                incentiveId=info.id,
                mappingType=INCENTIVE_CREATED,
            )

        await synchronise(
            name=NAME,
            telemetry=self.telemetry,
            event_telemetry=telemetry_map,
            check_mapping_exists=lambda: self.mappings.find(info.id),
            transform=transform,
            save_mapping=self.mappings.create,
            retry_queue=self.retry_queue,
        )

    async def _create_in_nomis_once(self, review: IncentiveReviewDetail) -> tuple[int, int]:
        """Create the NOMIS IEP, unless a previous delivery of this event already did.

        NOMIS has no idempotency key for IEPs, so a redelivery after a crash between the NOMIS write
        and the mapping save would add a second IEP. If the booking's current NOMIS IEP is exactly
        this review (level, date-time, prison, comment, user) and no mapping claims it, it is ours.
        """
        current = await self.nomis.current_incentive(review.bookingId)
        if (
            current is not None
            and current.iepLevel.code == review.iepCode
            and current.iepDateTime is not None
            and current.iepDateTime.strftime("%Y-%m-%dT%H:%M:%S") == nomis_iep_date_time(review)
            and current.prisonId == review.agencyId
            and (current.commentText or None) == (review.comments or None)
            and current.userId == review.userId
            and await self.mappings.find_by_nomis(current.bookingId, current.incentiveSequence) is None
        ):
            log.warning(
                "NOMIS already holds incentive %s for booking %s sequence %s (an earlier delivery "
                "created it): saving the mapping only",
                review.id,
                current.bookingId,
                current.incentiveSequence,
            )
            return current.bookingId, current.incentiveSequence
        created = await self.nomis.create_incentive(review.prisonerNumber, to_nomis_incentive(review))
        return created.bookingId, created.sequence

    async def retry_create_mapping(self, message: RetryMessage) -> None:
        try:
            mapping = IncentiveMappingDto(
                nomisBookingId=int(message.mapping["nomisBookingId"]),
                nomisIncentiveSequence=int(message.mapping["nomisIncentiveSequence"]),
                incentiveId=int(message.mapping["incentiveId"]),
                mappingType=INCENTIVE_CREATED,
            )
        except (KeyError, TypeError, ValueError) as error:
            raise MalformedMessage(f"incentive retry mapping is not usable: {error!r}") from None
        try:
            await post_mapping(lambda: self.mappings.create(mapping))
        except DuplicateMappingError as duplicate:
            # A redelivered retry whose first attempt did save the mapping: nothing left to do.
            existing = duplicate.existing
            same = existing and IncentiveMappingDto.model_validate(existing).same_ids(mapping)
            if not same:
                raise
            log.info("Incentive mapping %s already exists", mapping_dump(mapping))
        self.telemetry.track_event("incentive-retry-success", {"id": mapping_dump(mapping)})

    # ---- reference data --------------------------------------------------------------------------

    async def level_changed(self, event: LevelChangedEvent) -> None:
        code = event.additionalInformation.incentiveLevel
        in_nomis = await self.nomis.global_level(code)
        level = await self.incentives.global_level(code)
        properties = {"code": level.code, "description": level.name, "active": level.active}
        if in_nomis is not None:
            await self.nomis.update_global_level(
                code, UpdateGlobalIncentiveRequest(description=level.name, active=level.active)
            )
            self.telemetry.track_event("global-incentive-level-updated", properties)
            return
        try:
            await self.nomis.create_global_level(
                CreateGlobalIncentiveRequest(code=level.code, description=level.name, active=level.active)
            )
        except HttpError as error:
            if error.status != 409:
                raise
            # Created meanwhile (another pod, or an earlier delivery): apply this change as an update.
            await self.nomis.update_global_level(
                level.code, UpdateGlobalIncentiveRequest(description=level.name, active=level.active)
            )
            self.telemetry.track_event("global-incentive-level-updated", properties)
            return
        self.telemetry.track_event("global-incentive-level-inserted", properties)

    async def prison_level_changed(self, event: PrisonLevelChangedEvent) -> None:
        info = event.additionalInformation
        in_nomis = await self.nomis.prison_level(info.prisonId, info.incentiveLevel)
        level = await self.incentives.prison_level(info.prisonId, info.incentiveLevel)
        request = PrisonIncentiveLevelRequest(
            levelCode=level.levelCode,
            active=level.active,
            defaultOnAdmission=level.defaultOnAdmission,
            visitOrderAllowance=level.visitOrders,
            privilegedVisitOrderAllowance=level.privilegedVisitOrders,
            remandTransferLimitInPence=level.remandTransferLimitInPence,
            remandSpendLimitInPence=level.remandSpendLimitInPence,
            convictedTransferLimitInPence=level.convictedTransferLimitInPence,
            convictedSpendLimitInPence=level.convictedSpendLimitInPence,
        )
        properties = {
            "code": level.levelCode,
            "prison": level.prisonId,
            "defaultOnAdmission": level.defaultOnAdmission,
            "active": level.active,
            "visitOrders": level.visitOrders,
            "privilegedVisitOrders": level.privilegedVisitOrders,
            "remandTransferLimitInPence": level.remandTransferLimitInPence,
            "remandSpendLimitInPence": level.remandSpendLimitInPence,
            "convictedSpendLimitInPence": level.convictedSpendLimitInPence,
            "convictedTransferLimitInPence": level.convictedTransferLimitInPence,
        }
        if in_nomis is None:
            try:
                await self.nomis.create_prison_level(info.prisonId, request)
            except HttpError as error:
                if error.status != 409:
                    raise
                # Created meanwhile: fall through to the update.
            else:
                self.telemetry.track_event("prison-incentive-level-inserted", properties)
                return
        await self.nomis.update_prison_level(info.prisonId, level.levelCode, request)
        self.telemetry.track_event("prison-incentive-level-updated", properties)

    async def levels_reordered(self) -> None:
        codes = [level.code for level in await self.incentives.all_levels()]
        await self.nomis.reorder_global_levels(ReorderRequest(codeList=codes))
        self.telemetry.track_event("global-incentive-levels-reordered", {"orderedIepCodes": codes})

    # ---- repair --------------------------------------------------------------------------------

    async def repair(self, prison_number: str, booking_id: int | None = None) -> None:
        """Re-send the prisoner's current DPS incentive to NOMIS as a new IEP (no mapping: a user action).

        With `booking_id`, the current review must belong to that booking, or nothing is written.
        """
        summary = await self.incentives.current_review(prison_number)
        if summary is None:
            raise NoCurrentIncentive(f"No current incentive for prisonNumber {prison_number}")
        review = await self.incentives.review(summary.id)
        if booking_id is not None and review.bookingId != booking_id:
            raise BadRequest(
                f"The current incentive of {prison_number} (review {review.id}) is for booking "
                f"{review.bookingId}, not booking {booking_id}"
            )
        created = await self.nomis.create_incentive(review.prisonerNumber, to_nomis_incentive(review))
        self.telemetry.track_event(
            "incentives-repair",
            {
                # DPS's booking id, not NOMIS's answer: kept as the original reports it.
                "nomisBookingId": review.bookingId,
                "nomisIncentiveSequence": created.sequence,
                "id": summary.id,
                "offenderNo": summary.prisonerNumber,
                "iep": review.iepCode,
            },
        )

    async def repair_booking(self, booking_id: int) -> None:
        """The same repair addressed by NOMIS booking id.

        NOMIS's `GET /incentives/booking-id/{bookingId}/current` names the booking's prisoner
        (`offenderNo`); it is the only NOMIS booking-id read in the incentive API family.
        """
        current = await self.nomis.current_incentive(booking_id)
        if current is None:
            raise NotFound(
                f"No NOMIS incentive for booking id {booking_id}, so its prisoner is unknown: "
                "use POST /incentives/prisoner/{prisonNumber}/repair"
            )
        await self.repair(current.offenderNo, booking_id=booking_id)
