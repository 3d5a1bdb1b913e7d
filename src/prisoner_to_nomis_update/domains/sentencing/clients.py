"""Calls to the Adjustments API (DPS), the NOMIS adjustment endpoints and the adjustment mappings."""

from __future__ import annotations

from typing import Any

from prisoner_to_nomis_update.domains.sentencing.models import (
    KEY_DATE,
    AdjustmentDto,
    AdjustmentRequest,
    LegacyAdjustment,
    SentencingAdjustmentMappingDto,
    SentencingAdjustmentsResponse,
)
from prisoner_to_nomis_update.framework.http import ApiClient, HttpError

# The Adjustments API chooses its legacy (NOMIS-shaped) representation by this Content-Type, even on
# a GET without a body, so it must be sent as the original does.
LEGACY_HEADERS = {"Content-Type": "application/vnd.nomis-offence+json"}


class AdjustmentsApi:
    def __init__(self, client: ApiClient) -> None:
        self.client = client

    async def get_adjustment(self, adjustment_id: str) -> LegacyAdjustment:
        """Strict: a 404 is an error."""
        data = await self.client.get_json(f"/legacy/adjustments/{adjustment_id}", headers=LEGACY_HEADERS)
        return LegacyAdjustment.model_validate(data)

    async def find_adjustment(self, adjustment_id: str) -> LegacyAdjustment | None:
        """None when DPS answers 404 (the adjustment was deleted before we got to it)."""
        data = await self.client.get_json_or_none(
            f"/legacy/adjustments/{adjustment_id}", headers=LEGACY_HEADERS
        )
        return None if data is None else LegacyAdjustment.model_validate(data)

    async def adjustments_for(self, offender_no: str) -> list[AdjustmentDto] | None:
        """A prisoner's adjustments; None when DPS answers 404 or 422 (unknown prisoner)."""
        try:
            data = await self.client.get_json("/adjustments", {"person": offender_no}, headers=LEGACY_HEADERS)
        except HttpError as error:
            if error.status in (404, 422):
                return None
            raise
        return [AdjustmentDto.model_validate(item) for item in data or []]


class NomisAdjustmentsApi:
    def __init__(self, client: ApiClient) -> None:
        self.client = client

    async def create_sentence_adjustment(
        self, booking_id: int, sentence_sequence: int, request: AdjustmentRequest
    ) -> int:
        response = await self.client.post_json(
            f"/prisoners/booking-id/{booking_id}/sentences/{sentence_sequence}/adjustments", request.body()
        )
        return int(response["id"])

    async def create_key_date_adjustment(self, booking_id: int, request: AdjustmentRequest) -> int:
        response = await self.client.post_json(
            f"/prisoners/booking-id/{booking_id}/adjustments", request.body()
        )
        return int(response["id"])

    async def update_sentence_adjustment(self, nomis_id: int, request: AdjustmentRequest) -> None:
        await self.client.put_json(f"/sentence-adjustments/{nomis_id}", request.body())

    async def update_key_date_adjustment(self, nomis_id: int, request: AdjustmentRequest) -> None:
        await self.client.put_json(f"/key-date-adjustments/{nomis_id}", request.body())

    async def delete_sentence_adjustment(self, nomis_id: int) -> None:
        await self.client.delete(f"/sentence-adjustments/{nomis_id}")

    async def delete_key_date_adjustment(self, nomis_id: int) -> None:
        await self.client.delete(f"/key-date-adjustments/{nomis_id}")

    async def delete_adjustment(self, category: str, nomis_id: int) -> None:
        if category == KEY_DATE:
            await self.delete_key_date_adjustment(nomis_id)
        else:
            await self.delete_sentence_adjustment(nomis_id)

    async def adjustment_exists(self, category: str, nomis_id: int) -> bool:
        kind = "key-date" if category == KEY_DATE else "sentence"
        return await self.client.exists(f"/{kind}-adjustments/{nomis_id}")

    async def adjustments(self, booking_id: int, active_only: bool = True) -> SentencingAdjustmentsResponse:
        data = await self.client.get_json(
            f"/prisoners/booking-id/{booking_id}/sentencing-adjustments", {"active-only": active_only}
        )
        return SentencingAdjustmentsResponse.model_validate(data)


class AdjustmentMappingApi:
    def __init__(self, client: ApiClient) -> None:
        self.client = client

    async def find(self, adjustment_id: str) -> SentencingAdjustmentMappingDto | None:
        data = await self.client.get_json_or_none(
            f"/mapping/sentencing/adjustments/adjustment-id/{adjustment_id}"
        )
        return None if data is None else SentencingAdjustmentMappingDto.model_validate(data)

    async def get(self, adjustment_id: str) -> SentencingAdjustmentMappingDto:
        data = await self.client.get_json(f"/mapping/sentencing/adjustments/adjustment-id/{adjustment_id}")
        return SentencingAdjustmentMappingDto.model_validate(data)

    async def find_by_nomis_id(self, category: str, nomis_id: int) -> SentencingAdjustmentMappingDto | None:
        data = await self.client.get_json_or_none(
            f"/mapping/sentencing/adjustments/nomis-adjustment-category/{category}"
            f"/nomis-adjustment-id/{nomis_id}"
        )
        return None if data is None else SentencingAdjustmentMappingDto.model_validate(data)

    async def create(self, mapping: SentencingAdjustmentMappingDto) -> None:
        body: dict[str, Any] = mapping.model_dump(mode="json", exclude_none=True)
        await self.client.post_json("/mapping/sentencing/adjustments", body)

    async def delete(self, adjustment_id: str) -> None:
        await self.client.delete(f"/mapping/sentencing/adjustments/adjustment-id/{adjustment_id}")
