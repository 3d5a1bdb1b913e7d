"""Calls to Manage Adjudications (DPS), the NOMIS adjudication endpoints and the adjudication mappings."""

from __future__ import annotations

from datetime import date
from typing import Any

from prisoner_to_nomis_update.domains.adjudications.models import (
    AdjudicationADAAwardSummaryResponse,
    AdjudicationChargeIdResponse,
    AdjudicationDeleteMappingDto,
    AdjudicationHearingMappingDto,
    AdjudicationMappingDto,
    AdjudicationPunishmentBatchMappingDto,
    AdjudicationPunishmentBatchUpdateMappingDto,
    AdjudicationPunishmentMappingDto,
    AdjudicationResponse,
    AwardsResponse,
    ChargeSummaryDto,
    CreateAdjudicationRequest,
    CreateAdjudicationResponse,
    CreateHearingRequest,
    CreateHearingResultAwardRequest,
    CreateHearingResultRequest,
    LocationMappingDto,
    ReportedAdjudicationDto,
    ReportedAdjudicationResponse,
    UnquashHearingResultAwardRequest,
    UpdateEvidenceRequest,
    UpdateHearingRequest,
    UpdateHearingResultAwardRequest,
    UpdateRepairsRequest,
)
from prisoner_to_nomis_update.framework.http import ApiClient


class AdjudicationsApi:
    """DPS Manage Adjudications."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client

    async def get_charge(self, charge_number: str, prison_id: str) -> ReportedAdjudicationDto:
        """Strict (a 404 is an error); DPS answers only for charges in the caller's active caseload."""
        data = await self.client.get_json(
            f"/reported-adjudications/{charge_number}/v2", headers={"Active-Caseload": prison_id}
        )
        return ReportedAdjudicationResponse.model_validate(data).reportedAdjudication

    async def charges_for_booking(self, booking_id: int) -> list[ChargeSummaryDto]:
        data = await self.client.get_json(f"/reported-adjudications/all-by-booking/{booking_id}")
        return [ChargeSummaryDto.model_validate(item) for item in data or []]


def _adjudication(adjudication_number: int) -> str:
    return f"/adjudications/adjudication-number/{adjudication_number}"


def _charge(adjudication_number: int, charge_sequence: int) -> str:
    return f"{_adjudication(adjudication_number)}/charge/{charge_sequence}"


class NomisAdjudicationsApi:
    """Every NOMIS error raises, 404 included (spec 3.2)."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client

    async def create_adjudication(
        self, offender_no: str, request: CreateAdjudicationRequest
    ) -> CreateAdjudicationResponse:
        data = await self.client.post_json(f"/prisoners/{offender_no}/adjudications", request.body())
        return CreateAdjudicationResponse.model_validate(data)

    async def get_adjudication(self, adjudication_number: int) -> AdjudicationResponse:
        return AdjudicationResponse.model_validate(
            await self.client.get_json(_adjudication(adjudication_number))
        )

    async def charge_ids(
        self, prison_id: str, from_date: date, page: int, size: int
    ) -> tuple[list[AdjudicationChargeIdResponse], bool]:
        """One page of the charges created in a prison since a date, and whether it was the last."""
        data = await self.client.get_json(
            "/adjudications/charges/ids",
            {"fromDate": from_date.isoformat(), "prisonIds": prison_id, "page": page, "size": size},
        )
        content = [AdjudicationChargeIdResponse.model_validate(item) for item in data.get("content", [])]
        last = bool(data.get("last", len(content) < size))
        return content, last

    async def update_repairs(self, adjudication_number: int, request: UpdateRepairsRequest) -> int:
        data = await self.client.put_json(f"{_adjudication(adjudication_number)}/repairs", request.body())
        return len(data.get("repairs", []))

    async def update_evidence(self, adjudication_number: int, request: UpdateEvidenceRequest) -> int:
        data = await self.client.put_json(f"{_adjudication(adjudication_number)}/evidence", request.body())
        return len(data.get("evidence", []))

    async def create_hearing(self, adjudication_number: int, request: CreateHearingRequest) -> int:
        data = await self.client.post_json(f"{_adjudication(adjudication_number)}/hearings", request.body())
        return int(data["hearingId"])

    async def update_hearing(
        self, adjudication_number: int, nomis_hearing_id: int, request: UpdateHearingRequest
    ) -> None:
        await self.client.put_json(
            f"{_adjudication(adjudication_number)}/hearings/{nomis_hearing_id}", request.body()
        )

    async def delete_hearing(self, adjudication_number: int, nomis_hearing_id: int) -> None:
        await self.client.delete(f"{_adjudication(adjudication_number)}/hearings/{nomis_hearing_id}")

    async def upsert_hearing_result(
        self,
        adjudication_number: int,
        nomis_hearing_id: int,
        charge_sequence: int,
        request: CreateHearingResultRequest,
    ) -> None:
        await self.client.post_json(
            f"{_adjudication(adjudication_number)}/hearings/{nomis_hearing_id}/charge/{charge_sequence}/result",
            request.body(),
        )

    async def delete_hearing_result(
        self, adjudication_number: int, nomis_hearing_id: int, charge_sequence: int
    ) -> AwardsResponse:
        _, body = await self.client.request(
            "DELETE",
            f"{_adjudication(adjudication_number)}/hearings/{nomis_hearing_id}/charge/{charge_sequence}/result",
        )
        return _awards(body)

    async def upsert_referral_result(
        self, adjudication_number: int, charge_sequence: int, request: CreateHearingResultRequest
    ) -> None:
        await self.client.post_json(f"{_charge(adjudication_number, charge_sequence)}/result", request.body())

    async def delete_referral_result(self, adjudication_number: int, charge_sequence: int) -> None:
        await self.client.delete(f"{_charge(adjudication_number, charge_sequence)}/result")

    async def create_awards(
        self, adjudication_number: int, charge_sequence: int, request: CreateHearingResultAwardRequest
    ) -> AwardsResponse:
        data = await self.client.post_json(
            f"{_charge(adjudication_number, charge_sequence)}/awards", request.body()
        )
        return AwardsResponse.model_validate(data or {})

    async def update_awards(
        self, adjudication_number: int, charge_sequence: int, request: UpdateHearingResultAwardRequest
    ) -> AwardsResponse:
        data = await self.client.put_json(
            f"{_charge(adjudication_number, charge_sequence)}/awards", request.body()
        )
        return AwardsResponse.model_validate(data or {})

    async def delete_awards(self, adjudication_number: int, charge_sequence: int) -> AwardsResponse:
        _, body = await self.client.request(
            "DELETE", f"{_charge(adjudication_number, charge_sequence)}/awards"
        )
        return _awards(body)

    async def quash(self, adjudication_number: int, charge_sequence: int) -> None:
        await self.client.put_json(f"{_charge(adjudication_number, charge_sequence)}/quash")

    async def unquash(
        self, adjudication_number: int, charge_sequence: int, request: UnquashHearingResultAwardRequest
    ) -> AwardsResponse:
        data = await self.client.put_json(
            f"{_charge(adjudication_number, charge_sequence)}/unquash", request.body()
        )
        return AwardsResponse.model_validate(data or {})

    async def ada_summary(self, booking_id: int) -> AdjudicationADAAwardSummaryResponse:
        data = await self.client.get_json(f"/prisoners/booking-id/{booking_id}/awards/ada/summary")
        return AdjudicationADAAwardSummaryResponse.model_validate(data)


def _awards(body: bytes) -> AwardsResponse:
    return AwardsResponse.model_validate_json(body) if body else AwardsResponse()


class AdjudicationMappingApi:
    """Adjudication (charge), hearing, punishment and location mappings."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client

    # ---- charges

    async def find_adjudication(self, charge_number: str) -> AdjudicationMappingDto | None:
        data = await self.client.get_json_or_none(f"/mapping/adjudications/charge-number/{charge_number}")
        return None if data is None else AdjudicationMappingDto.model_validate(data)

    async def get_adjudication(self, charge_number: str) -> AdjudicationMappingDto:
        data = await self.client.get_json(f"/mapping/adjudications/charge-number/{charge_number}")
        return AdjudicationMappingDto.model_validate(data)

    async def find_adjudication_by_nomis_id(
        self, adjudication_number: int, charge_sequence: int
    ) -> AdjudicationMappingDto | None:
        data = await self.client.get_json_or_none(
            f"/mapping/adjudications/adjudication-number/{adjudication_number}/charge-sequence/{charge_sequence}"
        )
        return None if data is None else AdjudicationMappingDto.model_validate(data)

    async def create_adjudication(self, mapping: AdjudicationMappingDto) -> None:
        await self.client.post_json("/mapping/adjudications", mapping.body())

    async def delete_all_for_charge(self, request: AdjudicationDeleteMappingDto) -> None:
        await self.client.post_json("/mapping/adjudications/delete-mappings", request.body())

    # ---- hearings

    async def find_hearing(self, dps_hearing_id: str) -> AdjudicationHearingMappingDto | None:
        data = await self.client.get_json_or_none(f"/mapping/hearings/dps/{dps_hearing_id}")
        return None if data is None else AdjudicationHearingMappingDto.model_validate(data)

    async def get_hearing(self, dps_hearing_id: str) -> AdjudicationHearingMappingDto:
        data = await self.client.get_json(f"/mapping/hearings/dps/{dps_hearing_id}")
        return AdjudicationHearingMappingDto.model_validate(data)

    async def find_hearing_by_nomis_id(self, nomis_hearing_id: int) -> AdjudicationHearingMappingDto | None:
        data = await self.client.get_json_or_none(f"/mapping/hearings/nomis/{nomis_hearing_id}")
        return None if data is None else AdjudicationHearingMappingDto.model_validate(data)

    async def create_hearing(self, mapping: AdjudicationHearingMappingDto) -> None:
        await self.client.post_json("/mapping/hearings", mapping.body())

    async def delete_hearing(self, dps_hearing_id: str) -> None:
        await self.client.delete(f"/mapping/hearings/dps/{dps_hearing_id}")

    # ---- punishments

    async def find_punishment(self, dps_punishment_id: str) -> AdjudicationPunishmentMappingDto | None:
        data = await self.client.get_json_or_none(f"/mapping/punishments/{dps_punishment_id}")
        return None if data is None else AdjudicationPunishmentMappingDto.model_validate(data)

    async def create_punishments(self, mapping: AdjudicationPunishmentBatchMappingDto) -> None:
        await self.client.post_json("/mapping/punishments", mapping.body())

    async def update_punishments(self, mapping: AdjudicationPunishmentBatchUpdateMappingDto) -> None:
        await self.client.put_json("/mapping/punishments", mapping.body())

    # ---- locations

    async def nomis_location_id(self, dps_location_id: str) -> int:
        """Strict: a DPS location NOMIS does not know fails the event."""
        data: Any = await self.client.get_json(f"/mapping/locations/dps/{dps_location_id}")
        return LocationMappingDto.model_validate(data).nomisLocationId
