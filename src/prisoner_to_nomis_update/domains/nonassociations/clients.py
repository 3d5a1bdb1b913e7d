"""The non-association calls to the DPS non-associations API, the NOMIS prisoner API and the mapping API.

Only the reconciliation reads (pair details, id pages, DPS lists) are retried on transient errors, as
the original does; event-driven calls fail fast so SQS redelivery does the retrying.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import orjson

from prisoner_to_nomis_update.domains.nonassociations.models import (
    CreateNonAssociationRequest,
    LegacyNonAssociation,
    NonAssociation,
    NonAssociationIdResponse,
    NonAssociationMappingDto,
    NonAssociationResponse,
    UpdateNonAssociationRequest,
)
from prisoner_to_nomis_update.framework.http import ApiClient, with_transient_retries
from prisoner_to_nomis_update.settings import Settings

T = TypeVar("T")


def _setting(settings: Settings, api: str, key: str, default: int) -> int:
    """`hmpps.web-client.<api>.<key>` in either env spelling, falling back to the global default."""
    for name in (
        f"HMPPS_WEB-CLIENT_{api.upper()}_{key.upper()}",
        f"HMPPS_WEB_CLIENT_{api.upper().replace('-', '_')}_{key.upper().replace('-', '_')}",
    ):
        value = settings.env.get(name)
        if value is not None and value.strip().isdigit():
            return int(value)
    return default


class TransientRetries:
    def __init__(self, settings: Settings, api: str) -> None:
        self.api = api
        self.max_retries = _setting(settings, api, "max-retries", settings.web_client_max_retries)
        self.backoff_ms = _setting(settings, api, "backoff-millis", settings.web_client_backoff_ms)

    async def __call__(self, call: Callable[[], Awaitable[T]], context: str) -> T:
        return await with_transient_retries(
            call, max_retries=self.max_retries, backoff_ms=self.backoff_ms, context=f"{self.api} {context}"
        )


class NonAssociationsApi:
    """DPS non-associations."""

    def __init__(self, client: ApiClient, settings: Settings) -> None:
        self.client = client
        self.retry = TransientRetries(settings, "non-associations")

    async def get_legacy(self, nonassociation_id: int) -> LegacyNonAssociation:
        """Any error, 404 included, raises: the caller cannot proceed without the record."""
        data = await self.client.get_json(f"/legacy/api/non-associations/{nonassociation_id}")
        return LegacyNonAssociation.model_validate(data)

    async def between(self, offender_no1: str, offender_no2: str) -> list[NonAssociation]:
        async def call() -> Any:
            _, body = await self.client.request(
                "POST",
                "/non-associations/between",
                json=[offender_no1, offender_no2],
                params={"includeClosed": True},
            )
            return orjson.loads(body) if body else []

        data = await self.retry(call, f"between {offender_no1} {offender_no2}")
        return [NonAssociation.model_validate(item) for item in data]

    async def page(self, page: int, size: int) -> tuple[list[NonAssociation], int]:
        """One page of every non-association, open and closed, and the total."""
        data = await self.retry(
            lambda: self.client.get_json(
                "/non-associations", {"includeClosed": True, "page": page, "size": size}
            ),
            f"page {page}",
        )
        return (
            [NonAssociation.model_validate(item) for item in data.get("content", [])],
            int(data.get("totalElements", 0)),
        )


class NomisNonAssociationsApi:
    def __init__(self, client: ApiClient, settings: Settings) -> None:
        self.client = client
        self.retry = TransientRetries(settings, "nomis")

    @staticmethod
    def _path(offender_no: str, ns_offender_no: str, type_sequence: int) -> str:
        return (
            f"/non-associations/offender/{offender_no}/ns-offender/{ns_offender_no}/sequence/{type_sequence}"
        )

    async def create(self, request: CreateNonAssociationRequest) -> int:
        response = await self.client.post_json(
            "/non-associations", request.model_dump(mode="json", exclude_none=True)
        )
        return int(response["typeSequence"])

    async def amend(
        self, offender_no: str, ns_offender_no: str, type_sequence: int, request: UpdateNonAssociationRequest
    ) -> None:
        await self.client.put_json(
            self._path(offender_no, ns_offender_no, type_sequence),
            request.model_dump(mode="json", exclude_none=True),
        )

    async def close(self, offender_no: str, ns_offender_no: str, type_sequence: int) -> None:
        await self.client.request("PUT", self._path(offender_no, ns_offender_no, type_sequence) + "/close")

    async def delete(self, offender_no: str, ns_offender_no: str, type_sequence: int) -> None:
        await self.client.delete(self._path(offender_no, ns_offender_no, type_sequence))

    async def all_details(self, offender_no: str, ns_offender_no: str) -> list[NonAssociationResponse]:
        """Every detail (open and closed) between the two; raises on 404 like the original."""
        data = await self.retry(
            lambda: self.client.get_json(
                f"/non-associations/offender/{offender_no}/ns-offender/{ns_offender_no}/all"
            ),
            f"all {offender_no} {ns_offender_no}",
        )
        return [NonAssociationResponse.model_validate(item) for item in data or []]

    async def all_details_or_empty(
        self, offender_no: str, ns_offender_no: str
    ) -> list[NonAssociationResponse]:
        """As `all_details`, but a pair NOMIS has never linked (404) is simply an empty list."""
        data = await self.client.get_json_or_none(
            f"/non-associations/offender/{offender_no}/ns-offender/{ns_offender_no}/all"
        )
        return [NonAssociationResponse.model_validate(item) for item in data or []]

    async def ids_page(self, page: int, size: int) -> tuple[list[NonAssociationIdResponse], int]:
        data = await self.retry(
            lambda: self.client.get_json("/non-associations/ids", {"page": page, "size": size}),
            f"ids page {page}",
        )
        return (
            [NonAssociationIdResponse.model_validate(item) for item in data.get("content", [])],
            int(data.get("totalElements", 0)),
        )

    async def for_booking(self, booking_id: str) -> list[NonAssociationIdResponse]:
        data = await self.client.get_json(f"/non-associations/booking/{booking_id}")
        return [NonAssociationIdResponse.model_validate(item) for item in data or []]


class NonAssociationMappingApi:
    BASE = "/mapping/non-associations"

    def __init__(self, client: ApiClient) -> None:
        self.client = client

    async def find(self, nonassociation_id: int) -> NonAssociationMappingDto | None:
        data = await self.client.get_json_or_none(f"{self.BASE}/non-association-id/{nonassociation_id}")
        return NonAssociationMappingDto.model_validate(data) if data is not None else None

    async def get(self, nonassociation_id: int) -> NonAssociationMappingDto:
        """Strict: a missing mapping (404) raises."""
        data = await self.client.get_json(f"{self.BASE}/non-association-id/{nonassociation_id}")
        return NonAssociationMappingDto.model_validate(data)

    async def find_by_nomis(
        self, first_offender_no: str, second_offender_no: str, type_sequence: int
    ) -> NonAssociationMappingDto | None:
        data = await self.client.get_json_or_none(
            f"{self.BASE}/first-offender-no/{first_offender_no}/second-offender-no/{second_offender_no}"
            f"/type-sequence/{type_sequence}"
        )
        return NonAssociationMappingDto.model_validate(data) if data is not None else None

    async def create(self, mapping: NonAssociationMappingDto) -> None:
        await self.client.post_json(self.BASE, mapping.model_dump(mode="json", exclude_none=True))

    async def delete(self, nonassociation_id: int) -> None:
        await self.client.delete(f"{self.BASE}/non-association-id/{nonassociation_id}")

    async def merge(self, old_offender_no: str, new_offender_no: str) -> None:
        await self.client.request("PUT", f"{self.BASE}/merge/from/{old_offender_no}/to/{new_offender_no}")

    async def common_between(self, offender_no1: str, offender_no2: str) -> list[NonAssociationMappingDto]:
        data = await self.client.get_json(
            f"{self.BASE}/find/common-between/{offender_no1}/and/{offender_no2}"
        )
        return [NonAssociationMappingDto.model_validate(item) for item in data or []]

    async def update_list(self, old_offender_no: str, new_offender_no: str, others: list[str]) -> None:
        await self.client.put_json(
            f"{self.BASE}/update-list/from/{old_offender_no}/to/{new_offender_no}", others
        )

    async def reset_sequence(self, nonassociation_id: int, new_sequence: int) -> None:
        await self.client.request(
            "PUT", f"{self.BASE}/non-association-id/{nonassociation_id}/sequence/{new_sequence}"
        )
