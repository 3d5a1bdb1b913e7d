"""The incentive calls to the DPS Incentives API, the NOMIS prisoner API and the mapping API."""

from __future__ import annotations

from typing import Any

from prisoner_to_nomis_update.domains.incentives.models import (
    CreateGlobalIncentiveRequest,
    CreateIncentiveRequest,
    CreateIncentiveResponse,
    IncentiveLevel,
    IncentiveMappingDto,
    IncentiveResponse,
    IncentiveReviewDetail,
    IncentiveReviewSummary,
    PrisonIncentiveLevel,
    PrisonIncentiveLevelRequest,
    ReorderRequest,
    UpdateGlobalIncentiveRequest,
)
from prisoner_to_nomis_update.framework.http import ApiClient


class IncentivesApi:
    """DPS Incentives API."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client

    async def review(self, review_id: int) -> IncentiveReviewDetail:
        """A review by id; a 404 raises (the event named a review DPS should have)."""
        return IncentiveReviewDetail.model_validate(
            await self.client.get_json(f"/incentive-reviews/id/{review_id}")
        )

    async def current_review(self, prisoner_number: str) -> IncentiveReviewSummary | None:
        """The prisoner's current review, None when DPS has none (404)."""
        found = await self.client.get_json_or_none(f"/incentive-reviews/prisoner/{prisoner_number}")
        return IncentiveReviewSummary.model_validate(found) if found is not None else None

    async def global_level(self, code: str) -> IncentiveLevel:
        return IncentiveLevel.model_validate(await self.client.get_json(f"/incentive/levels/{code}"))

    async def all_levels(self) -> list[IncentiveLevel]:
        """Every global level in DPS order, inactive ones included."""
        data = await self.client.get_json("/incentive/levels", {"with-inactive": "true"})
        return [IncentiveLevel.model_validate(level) for level in data]

    async def prison_level(self, prison_id: str, level_code: str) -> PrisonIncentiveLevel:
        return PrisonIncentiveLevel.model_validate(
            await self.client.get_json(f"/incentive/prison-levels/{prison_id}/level/{level_code}")
        )


class NomisIncentivesApi:
    """NOMIS prisoner API: IEPs, global incentive levels (reference codes) and prison levels."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client

    async def create_incentive(
        self, prison_number: str, request: CreateIncentiveRequest
    ) -> CreateIncentiveResponse:
        return CreateIncentiveResponse.model_validate(
            await self.client.post_json(f"/prisoners/{prison_number}/incentives", request.model_dump())
        )

    async def current_incentive(self, booking_id: int) -> IncentiveResponse | None:
        found = await self.client.get_json_or_none(f"/incentives/booking-id/{booking_id}/current")
        return IncentiveResponse.model_validate(found) if found is not None else None

    async def global_level(self, code: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = await self.client.get_json_or_none(
            f"/incentives/reference-codes/{code}"
        )
        return found

    async def create_global_level(self, request: CreateGlobalIncentiveRequest) -> None:
        await self.client.post_json("/incentives/reference-codes", request.model_dump())

    async def update_global_level(self, code: str, request: UpdateGlobalIncentiveRequest) -> None:
        await self.client.put_json(f"/incentives/reference-codes/{code}", request.model_dump())

    async def reorder_global_levels(self, request: ReorderRequest) -> None:
        await self.client.post_json("/incentives/reference-codes/reorder", request.model_dump())

    async def prison_level(self, prison_id: str, code: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = await self.client.get_json_or_none(
            f"/incentives/prison/{prison_id}/code/{code}"
        )
        return found

    async def create_prison_level(self, prison_id: str, request: PrisonIncentiveLevelRequest) -> None:
        await self.client.post_json(f"/incentives/prison/{prison_id}", request.model_dump())

    async def update_prison_level(
        self, prison_id: str, code: str, request: PrisonIncentiveLevelRequest
    ) -> None:
        await self.client.put_json(f"/incentives/prison/{prison_id}/code/{code}", request.model_dump())


class IncentiveMappingApi:
    def __init__(self, client: ApiClient) -> None:
        self.client = client

    async def find(self, incentive_id: int) -> IncentiveMappingDto | None:
        found = await self.client.get_json_or_none(f"/mapping/incentives/incentive-id/{incentive_id}")
        return IncentiveMappingDto.model_validate(found) if found is not None else None

    async def find_by_nomis(self, booking_id: int, sequence: int) -> IncentiveMappingDto | None:
        found = await self.client.get_json_or_none(
            f"/mapping/incentives/nomis-booking-id/{booking_id}/nomis-incentive-sequence/{sequence}"
        )
        return IncentiveMappingDto.model_validate(found) if found is not None else None

    async def create(self, mapping: IncentiveMappingDto) -> None:
        await self.client.post_json("/mapping/incentives", mapping.model_dump(exclude_none=True))
