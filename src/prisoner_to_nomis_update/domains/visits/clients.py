"""The visit calls to the visit-scheduler (DPS), NOMIS prisoner and mapping APIs."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from prisoner_to_nomis_update.domains.visits.models import (
    CancelVisitRequest,
    CreateVisitRequest,
    NomisVisit,
    UpdateVisitRequest,
    VisitDto,
    VisitMappingDto,
)
from prisoner_to_nomis_update.framework.http import ApiClient, HttpError
from prisoner_to_nomis_update.framework.synchronise import is_own_duplicate

log = logging.getLogger(__name__)


def segment(value: str) -> str:
    """A path segment from event data, escaped so a reference like `a/b` cannot reach another endpoint."""
    return quote(value, safe="")


class DuplicateNomisVisit(Exception):
    """NOMIS answered 409: it already holds this visit, whose id is `nomis_visit_id`."""

    def __init__(self, nomis_visit_id: str) -> None:
        self.nomis_visit_id = nomis_visit_id
        super().__init__(f"NOMIS already has this visit: {nomis_visit_id}")


class VisitsApi:
    def __init__(self, client: ApiClient) -> None:
        self.client = client

    async def get_visit(self, reference: str) -> VisitDto:
        return VisitDto.model_validate(await self.client.get_json(f"/visits/{segment(reference)}"))


class NomisVisitsApi:
    def __init__(self, client: ApiClient) -> None:
        self.client = client

    async def create_visit(self, offender_no: str, request: CreateVisitRequest) -> str:
        """The new NOMIS visit id; raises DuplicateNomisVisit on 409."""
        try:
            response = await self.client.post_json(
                f"/prisoners/{segment(offender_no)}/visits", request.model_dump(mode="json")
            )
        except HttpError as error:
            if error.status == 409:
                body = error.json()
                more_info = body.get("moreInfo") if isinstance(body, dict) else None
                if more_info is not None:
                    raise DuplicateNomisVisit(str(more_info)) from error
            raise
        return str(response["visitId"])

    async def cancel_visit(self, offender_no: str, nomis_visit_id: str, request: CancelVisitRequest) -> None:
        """409 (already cancelled or otherwise unchangeable) is treated as done."""
        try:
            await self.client.put_json(
                f"/prisoners/{segment(offender_no)}/visits/{segment(nomis_visit_id)}/cancel",
                request.model_dump(mode="json"),
            )
        except HttpError as error:
            if error.status != 409:
                raise
            log.warning(
                "Ignoring 409 cancelling NOMIS visit %s for %s: %s", nomis_visit_id, offender_no, error.text
            )

    async def find_visit(self, nomis_visit_id: str) -> NomisVisit | None:
        """The NOMIS visit, or None when NOMIS has no visit with that id."""
        found = await self.client.get_json_or_none(f"/visits/{segment(nomis_visit_id)}")
        return NomisVisit.model_validate(found) if found is not None else None

    async def update_visit(self, offender_no: str, nomis_visit_id: str, request: UpdateVisitRequest) -> None:
        await self.client.put_json(
            f"/prisoners/{segment(offender_no)}/visits/{segment(nomis_visit_id)}",
            request.model_dump(mode="json"),
        )


def _mapping_body(mapping: VisitMappingDto) -> dict[str, Any]:
    """The mapping API types nomisId as int64; a numeric id is sent as a number, anything else verbatim."""
    body: dict[str, Any] = mapping.model_dump(exclude_none=True)
    if mapping.nomisId.isdigit():
        body["nomisId"] = int(mapping.nomisId)
    return body


class VisitMappingApi:
    def __init__(self, client: ApiClient) -> None:
        self.client = client

    async def find_by_vsip_id(self, vsip_id: str) -> VisitMappingDto | None:
        found = await self.client.get_json_or_none(f"/mapping/visits/vsipId/{segment(vsip_id)}")
        return _parse_mapping(found) if found is not None else None

    async def get_by_vsip_id(self, vsip_id: str) -> VisitMappingDto:
        return _parse_mapping(await self.client.get_json(f"/mapping/visits/vsipId/{segment(vsip_id)}"))

    async def find_by_nomis_id(self, nomis_id: str) -> VisitMappingDto | None:
        found = await self.client.get_json_or_none(f"/mapping/visits/nomisId/{segment(nomis_id)}")
        return _parse_mapping(found) if found is not None else None

    async def create(self, mapping: VisitMappingDto) -> None:
        """POST the mapping. A 409 whose `existing` row is this very mapping counts as success.

        That 409 only happens when the same work ran twice (a redelivery after the mapping was saved but
        before the message was deleted, or two pods on one event), so the mapping we want is in place.
        Any other 409 is a real clash and is raised for the duplicate alert.
        """
        try:
            await self.client.post_json("/mapping/visits", _mapping_body(mapping))
        except HttpError as error:
            if not is_own_duplicate(error, mapping, ("vsipId", "nomisId")):
                raise
            log.info("Visit mapping %s -> %s already exists", mapping.vsipId, mapping.nomisId)


def _parse_mapping(data: dict[str, Any]) -> VisitMappingDto:
    return VisitMappingDto(
        nomisId=str(data["nomisId"]),
        vsipId=str(data["vsipId"]),
        label=data.get("label"),
        mappingType=str(data.get("mappingType") or "ONLINE"),
    )
