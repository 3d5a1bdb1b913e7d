"""NOMIS prisoner API operations shared by several domains (framework.md 6.7)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from prisoner_to_nomis_update.framework.http import ApiClient, with_transient_retries
from prisoner_to_nomis_update.settings import Settings


@dataclass(frozen=True)
class PrisonerIds:
    bookingId: int
    offenderNo: str


@dataclass(frozen=True)
class PrisonerIdsPage:
    content: list[PrisonerIds]
    totalElements: int
    number: int
    size: int


@dataclass(frozen=True)
class Prison:
    id: str
    description: str


class NomisApi:
    """Reads used for reconciliation paging are retried on transient errors; writes never are."""

    def __init__(self, client: ApiClient, settings: Settings) -> None:
        self.client = client
        self.max_retries = int(
            settings.env.get("HMPPS_WEB-CLIENT_NOMIS_MAX-RETRIES", settings.web_client_max_retries)
        )
        self.backoff_ms = int(
            settings.env.get("HMPPS_WEB-CLIENT_NOMIS_BACKOFF-MILLIS", settings.web_client_backoff_ms)
        )

    async def _read(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return await with_transient_retries(
            lambda: self.client.get_json(path, params),
            max_retries=self.max_retries,
            backoff_ms=self.backoff_ms,
            context=f"nomis GET {path} {params or ''}",
        )

    async def is_agency_switch_on_for_prisoner(self, service_code: str, prison_number: str) -> bool:
        return await self.client.exists(f"/agency-switches/{service_code}/prisoner/{prison_number}")

    async def is_agency_switch_on_for_agency(self, service_code: str, agency_id: str) -> bool:
        return await self.client.exists(f"/agency-switches/{service_code}/agency/{agency_id}")

    async def active_prisons(self) -> list[Prison]:
        return [Prison(id=p["id"], description=p["description"]) for p in await self._read("/prisons")]

    async def active_prisoners_page(self, page: int, size: int) -> PrisonerIdsPage:
        data = await self._read("/prisoners/ids/active", {"page": page, "size": size})
        return PrisonerIdsPage(
            content=[
                PrisonerIds(bookingId=int(p["bookingId"]), offenderNo=p["offenderNo"])
                for p in data["content"]
            ],
            totalElements=int(data.get("totalElements", 0)),
            number=int(data.get("number", page)),
            size=int(data.get("size", size)),
        )

    async def all_prisoners_page(self, page: int, size: int) -> tuple[list[str], int]:
        data = await self._read("/prisoners/ids/all", {"page": page, "size": size})
        return [p["offenderNo"] for p in data["content"]], int(data.get("totalElements", 0))

    async def all_prisoners_from_id(self, offender_id: int, page_size: int) -> tuple[list[str], int]:
        data = await self._read(
            "/prisoners/ids/all-from-id", {"offenderId": offender_id, "pageSize": page_size}
        )
        ids = [p["offenderNo"] if isinstance(p, dict) else str(p) for p in data.get("prisonerIds", [])]
        return ids, int(data.get("lastOffenderId", offender_id))

    async def prisoners_in_range(
        self, from_root_offender_id: int, to_root_offender_id: int, active: bool | None = None
    ) -> list[tuple[int, str]]:
        data = await self.client.get_json(
            "/prisoners/ids-in-range",
            {
                "fromRootOffenderId": from_root_offender_id,
                "toRootOffenderId": to_root_offender_id,
                "active": active,
            },
        )
        return [(int(p["rootOffenderId"]), p["prisonNumber"]) for p in data]

    async def id_ranges(self, size: int, active: bool | None = None) -> list[tuple[int, int]]:
        data = await self.client.get_json("/prisoners/id-ranges", {"size": size, "active": active})
        return [(int(r["fromRootOffenderId"]), int(r["toRootOffenderId"])) for r in data]

    async def prisoner_details(self, offender_no: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = await self.client.get_json_or_none(f"/prisoners/{offender_no}")
        return found

    async def latest_bookings_from_id(
        self, booking_id: int, active_only: bool, page_size: int
    ) -> tuple[list[PrisonerIds], int]:
        data = await self._read(
            "/bookings/ids/latest-from-id",
            {"bookingId": booking_id, "activeOnly": active_only, "pageSize": page_size},
        )
        ids = [
            PrisonerIds(bookingId=int(p["bookingId"]), offenderNo=p["offenderNo"])
            for p in data["prisonerIds"]
        ]
        return ids, int(data.get("lastBookingId", booking_id))

    async def merges_since(self, offender_no: str, from_date: date) -> list[dict[str, Any]]:
        merges: list[dict[str, Any]] = await self.client.get_json(
            f"/prisoners/{offender_no}/merges", {"fromDate": from_date.isoformat()}
        )
        return merges
