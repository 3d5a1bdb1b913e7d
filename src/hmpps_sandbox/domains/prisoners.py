"""NOMIS prisoners in the sandbox: the seeded population that reconciliation reports page through.

Several domains' reports read `GET /prisoners/ids/active`, so the population lives here once and each
domain's fake reads it (`estate.plugins["prisoners"]`). Seed it with `seed(...)`; reset wipes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from hmpps_sandbox.fake import FakeApi, error_response, json_response

if TYPE_CHECKING:
    from hmpps_sandbox.estate import Estate

# Spring's defaults for a Pageable with no page/size given.
DEFAULT_PAGE_SIZE = 20


@dataclass
class Prisoner:
    bookingId: int
    offenderNo: str
    active: bool = True


def offender_no(index: int, suffix: str = "TZ") -> str:
    """A well-formed prisoner number for the n-th seeded prisoner: A0001TZ, A0002TZ ... Z9999TZ."""
    letter = chr(ord("A") + (index // 10000) % 26)
    return f"{letter}{index % 10000:04d}{suffix}"


class PrisonersFake:
    def __init__(self, nomis: FakeApi) -> None:
        self.nomis = nomis
        self.prisoners: list[Prisoner] = []
        # booking id -> prisoner and prisoner number -> latest booking, kept in step with the list
        self.by_booking: dict[int, Prisoner] = {}
        self.by_offender: dict[str, Prisoner] = {}
        self._active: list[Prisoner] | None = None
        # page number -> [status, remaining answers or None for ever]: the journal-level faults
        # match paths only, and reports need "page 2 fails" whatever order pages are asked in.
        self.page_faults: dict[int, list[int | None]] = {}
        nomis.route("GET", "/prisoners/ids/active", self._active_page)
        nomis.on_reset(self.clear)

    # ---- seeding -------------------------------------------------------------------------------

    def seed(self, prisoners: Iterable[Mapping[str, Any] | Prisoner]) -> list[Prisoner]:
        """Add prisoners ({bookingId, offenderNo, active=True}); a booking id seen before is replaced."""
        added: list[Prisoner] = []
        for item in prisoners:
            prisoner = (
                item
                if isinstance(item, Prisoner)
                else Prisoner(
                    bookingId=int(item["bookingId"]),
                    offenderNo=str(item["offenderNo"]),
                    active=bool(item.get("active", True)),
                )
            )
            existing = self.by_booking.get(prisoner.bookingId)
            if existing is not None:
                self.prisoners.remove(existing)
            self.prisoners.append(prisoner)
            self.by_booking[prisoner.bookingId] = prisoner
            latest = self.by_offender.get(prisoner.offenderNo)
            if latest is None or latest.bookingId <= prisoner.bookingId:
                self.by_offender[prisoner.offenderNo] = prisoner
            added.append(prisoner)
        self._active = None
        return added

    def seed_range(self, count: int, first_booking_id: int = 1, suffix: str = "TZ") -> list[Prisoner]:
        """`count` active prisoners with booking ids from `first_booking_id` and numbers A0001TZ..."""
        return self.seed(
            Prisoner(bookingId=first_booking_id + i, offenderNo=offender_no(first_booking_id + i, suffix))
            for i in range(count)
        )

    def ensure(self, offender: str, booking_id: int | None = None) -> Prisoner:
        """The prisoner's latest booking, seeding an active one when NOMIS does not know them yet."""
        known = self.by_offender.get(offender)
        if known is not None and (booking_id is None or known.bookingId == booking_id):
            return known
        if booking_id is None:
            booking_id = max(self.by_booking, default=0) + 1
        return self.seed([Prisoner(bookingId=booking_id, offenderNo=offender)])[0]

    def fail_page(self, page: int, status: int = 500, count: int | None = None) -> None:
        """Answer `status` for `GET /prisoners/ids/active?page=<page>` (`count` times; None: always)."""
        self.page_faults[page] = [status, count]

    def clear(self) -> None:
        self.page_faults.clear()
        self.prisoners.clear()
        self.by_booking.clear()
        self.by_offender.clear()
        self._active = None

    def active(self) -> list[Prisoner]:
        if self._active is None:
            self._active = [p for p in self.prisoners if p.active]
        return self._active

    # ---- NOMIS route ---------------------------------------------------------------------------

    async def _active_page(self, request: web.Request) -> web.StreamResponse:
        try:
            page = int(request.query.get("page", "0"))
            size = int(request.query.get("size", str(DEFAULT_PAGE_SIZE)))
        except ValueError:
            return error_response(400, "page and size must be whole numbers")
        if page < 0 or size < 1:
            return error_response(400, "page must be >= 0 and size >= 1")
        fault = self.page_faults.get(page)
        if fault is not None:
            status, remaining = fault
            if remaining is not None:
                fault[1] = remaining - 1
                if remaining <= 1:
                    del self.page_faults[page]
            return error_response(int(status or 500), f"injected fault for page {page}")
        active = self.active()
        content = active[page * size : (page + 1) * size]
        total = len(active)
        total_pages = (total + size - 1) // size
        return json_response(
            {
                "content": [{"bookingId": p.bookingId, "offenderNo": p.offenderNo} for p in content],
                "pageable": {
                    "pageNumber": page,
                    "pageSize": size,
                    "offset": page * size,
                    "paged": True,
                    "unpaged": False,
                    "sort": {"empty": True, "sorted": False, "unsorted": True},
                },
                "totalElements": total,
                "totalPages": total_pages,
                "last": page >= total_pages - 1,
                "first": page == 0,
                "size": size,
                "number": page,
                "numberOfElements": len(content),
                "empty": not content,
                "sort": {"empty": True, "sorted": False, "unsorted": True},
            }
        )


def install(estate: Estate) -> PrisonersFake:
    return PrisonersFake(estate.nomis)
