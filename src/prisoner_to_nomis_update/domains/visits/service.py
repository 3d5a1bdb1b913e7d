"""Visits: booked, changed and cancelled DPS visits applied to NOMIS (visits-and-incentives.md part A)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from prisoner_to_nomis_update.domains.visits.clients import (
    DuplicateNomisVisit,
    NomisVisitsApi,
    VisitMappingApi,
    VisitsApi,
)
from prisoner_to_nomis_update.domains.visits.models import (
    CancelVisitRequest,
    CreateVisitRequest,
    UpdateVisitRequest,
    VisitDto,
    VisitEvent,
    VisitMappingDto,
    iso_local_date_time,
    local_date_time,
    shortest_iso_time,
    time_with_seconds,
)
from prisoner_to_nomis_update.framework.errors import ValidationFailure
from prisoner_to_nomis_update.framework.messages import MalformedMessage, RetryMessage
from prisoner_to_nomis_update.framework.synchronise import RetryQueue, synchronise
from prisoner_to_nomis_update.framework.telemetry import Telemetry

log = logging.getLogger(__name__)

NAME = "visit"

OUTCOMES: dict[str, str] = {
    "ADMINISTRATIVE_CANCELLATION": "ADMIN",
    "ADMINISTRATIVE_ERROR": "ADMIN",
    "BATCH_CANCELLATION": "ADMIN",
    "ESTABLISHMENT_CANCELLED": "HMP",
    "VISITOR_FAILED_SECURITY_CHECKS": "NO_ID",
    "NO_VISITING_ORDER": "NO_VO",
    "VISITOR_DID_NOT_ARRIVE": "NSHOW",
    "PRISONER_CANCELLED": "OFFCANC",
    "PRISONER_REFUSED_TO_ATTEND": "REFUSED",
    "VISITOR_CANCELLED": "VISCANC",
    "VISIT_ORDER_CANCELLED": "VO_CANCEL",
}

VISIT_TYPES: dict[str, str] = {"SOCIAL": "SCON", "FAMILY": "SCON"}
RESTRICTIONS = ("OPEN", "CLOSED")


def nomis_outcome(outcome_status: str | None) -> str:
    """Every status NOMIS has no code for (absent, unknown, or completion states) becomes ADMIN."""
    return OUTCOMES.get(outcome_status or "", "ADMIN")


def nomis_visit_type(visit_type: str) -> str:
    try:
        return VISIT_TYPES[visit_type]
    except KeyError:
        raise ValidationFailure(f"Invalid visit type {visit_type}") from None


def visit_comment(visit: VisitDto) -> str:
    comment = f"DPS booking reference: {visit.reference}"
    if visit.visitorSupport is not None:
        comment += f" - {visit.visitorSupport.description}"
    return comment


def end_of(visit: VisitDto) -> datetime:
    # The original defaults a missing end to an hour from now; kept so such visits still sync.
    return visit.endTimestamp or datetime.now() + timedelta(hours=1)


class VisitsService:
    def __init__(
        self,
        visits: VisitsApi,
        nomis: NomisVisitsApi,
        mappings: VisitMappingApi,
        telemetry: Telemetry,
        retry_queue: RetryQueue,
    ) -> None:
        self.visits = visits
        self.nomis = nomis
        self.mappings = mappings
        self.telemetry = telemetry
        self.retry_queue = retry_queue

    async def create_visit(self, event: VisitEvent) -> None:
        """prison-visit.booked: create the NOMIS visit and its mapping, unless the mapping exists."""
        reference = event.reference
        telemetry_map: dict[str, Any] = {"visitId": reference, "offenderNo": event.prisonerId}

        async def transform() -> VisitMappingDto | None:
            visit = await self.visits.get_visit(reference)
            end = end_of(visit)
            telemetry_map["prisonId"] = visit.prisonId
            telemetry_map["startDateTime"] = iso_local_date_time(visit.startTimestamp)
            telemetry_map["endTime"] = time_with_seconds(end.time())
            if visit.visitRestriction not in RESTRICTIONS:
                # Bad DPS data, not a bad request: the resynchronise endpoint answers 500 for it (spec A8).
                raise ValueError(f"Invalid visit restriction {visit.visitRestriction}")
            request = CreateVisitRequest(
                prisonId=visit.prisonId,
                startDateTime=local_date_time(visit.startTimestamp),
                endTime=shortest_iso_time(end.time()),
                visitorPersonIds=[visitor.nomisPersonId for visitor in visit.visitors],
                issueDate=event.booking_date,
                visitType=nomis_visit_type(visit.visitType),
                visitComment=visit_comment(visit),
                visitOrderComment=f"DPS booking reference: {reference}",
                room=visit.visitRoom,
                openClosedStatus=visit.visitRestriction,
            )
            try:
                nomis_id = await self.nomis.create_visit(visit.prisonerId, request)
            except DuplicateNomisVisit as duplicate:
                # NOMIS already holds it: a redelivery after a lost mapping, or a concurrent create.
                # Reported, so a duplicate attempt is never silent (the chaos tests count these).
                self.telemetry.track_event(
                    "visit-create-nomis-duplicate",
                    {**telemetry_map, "nomisVisitId": duplicate.nomis_visit_id},
                )
                if await self.mappings.find_by_vsip_id(reference) is not None:
                    return None
                nomis_id = duplicate.nomis_visit_id
            return VisitMappingDto(nomisId=nomis_id, vsipId=reference)

        await synchronise(
            name=NAME,
            telemetry=self.telemetry,
            event_telemetry=telemetry_map,
            check_mapping_exists=lambda: self.mappings.find_by_vsip_id(reference),
            transform=transform,
            save_mapping=self.mappings.create,
            retry_queue=self.retry_queue,
        )

    async def cancel_visit(self, event: VisitEvent) -> None:
        telemetry_map: dict[str, Any] = {"offenderNo": event.prisonerId, "visitId": event.reference}
        try:
            mapping = await self.mappings.get_by_vsip_id(event.reference)
            telemetry_map["nomisVisitId"] = mapping.nomisId
            visit = await self.visits.get_visit(event.reference)
            await self.nomis.cancel_visit(
                event.prisonerId,
                mapping.nomisId,
                CancelVisitRequest(
                    offenderNo=event.prisonerId,
                    nomisVisitId=mapping.nomisId,
                    outcome=nomis_outcome(visit.outcomeStatus),
                ),
            )
        except Exception:
            self.telemetry.track_event("visit-cancelled-failed", telemetry_map)
            raise
        self.telemetry.track_event("visit-cancelled-success", telemetry_map)

    async def update_visit(self, event: VisitEvent) -> None:
        telemetry_map: dict[str, Any] = {"offenderNo": event.prisonerId, "visitId": event.reference}
        try:
            mapping = await self.mappings.get_by_vsip_id(event.reference)
            telemetry_map["nomisVisitId"] = mapping.nomisId
            visit = await self.visits.get_visit(event.reference)
            await self.nomis.update_visit(
                event.prisonerId,
                mapping.nomisId,
                UpdateVisitRequest(
                    startDateTime=local_date_time(visit.startTimestamp),
                    endTime=time_with_seconds(end_of(visit).time()),
                    visitorPersonIds=[visitor.nomisPersonId for visitor in visit.visitors],
                    room=visit.visitRoom,
                    openClosedStatus=visit.visitRestriction,
                    visitComment=visit_comment(visit),
                ),
            )
        except Exception:
            self.telemetry.track_event("visit-changed-failed", telemetry_map)
            raise
        self.telemetry.track_event("visit-changed-success", telemetry_map)

    async def retry_create_mapping(self, message: RetryMessage) -> None:
        try:
            mapping = VisitMappingDto(
                nomisId=str(message.mapping["nomisId"]), vsipId=str(message.mapping["vsipId"])
            )
        except KeyError as missing:
            raise MalformedMessage(f"visit retry mapping has no {missing}") from None
        await self.mappings.create(mapping)
        self.telemetry.track_event("visit-retry-success", {"id": mapping.vsipId, "nomisId": mapping.nomisId})

    async def resynchronise(self, offender_no: str, visit_id: str) -> None:
        """Repair: run the booked flow for a visit as if its event had just arrived."""
        await self.create_visit(
            VisitEvent.model_validate(
                {
                    "prisonerId": offender_no,
                    "occurredAt": datetime.now(UTC).astimezone(),
                    "additionalInformation": {"reference": visit_id},
                }
            )
        )
        self.telemetry.track_event(
            "to-nomis-synch-visit-resynchronisation-repair", {"offenderNo": offender_no, "visitId": visit_id}
        )
