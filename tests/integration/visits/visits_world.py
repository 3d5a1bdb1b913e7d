"""The spec's standard DPS visit and event (visits-and-incentives.md E), and seeding helpers.

Everything is seeded into the real sandbox fakes (DPS visit-scheduler, NOMIS, mapping) that the
service talks to over HTTP; nothing in the service is replaced.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from hmpps_sandbox.domains.visits import VisitsFakes
from hmpps_sandbox.estate import Estate
from hmpps_sandbox.harness import ServiceHarness
from prisoner_to_nomis_update.domains import visits
from prisoner_to_nomis_update.framework.domain import DomainFactory

VISITS_ONLY: list[DomainFactory] = [visits.build]


def spec_visit(reference: str = "12", **overrides: Any) -> dict[str, Any]:
    """The "DPS visit" of the spec's acceptance scenarios (section E)."""
    visit: dict[str, Any] = {
        "reference": reference,
        "prisonerId": "A32323Y",
        "prisonId": "MDI",
        "visitType": "SOCIAL",
        "visitStatus": "BOOKED",
        "outcomeStatus": None,
        "startTimestamp": "2019-12-02T09:00:00",
        "endTimestamp": "2019-12-02T10:00:00",
        "visitRoom": "Main visits room",
        "visitRestriction": "OPEN",
        "visitors": [{"nomisPersonId": 543524}, {"nomisPersonId": 344444}, {"nomisPersonId": 655656}],
    }
    visit.update(overrides)
    return visit


def visit_event(
    event_type: str = "prison-visit.booked",
    reference: str = "12",
    prisoner_id: str = "AB12345",
    occurred_at: str = "2021-03-05T11:23:56.031Z",
) -> dict[str, Any]:
    return {
        "eventType": event_type,
        "version": "1.0",
        "prisonerId": prisoner_id,
        "occurredAt": occurred_at,
        "additionalInformation": {"reference": reference, "visitType": "STANDARD_SOCIAL"},
    }


class VisitsWorld:
    """Seeds the visits fakes directly (the test's 'given')."""

    def __init__(self, fakes: VisitsFakes) -> None:
        self.fakes = fakes

    event = staticmethod(visit_event)

    def dps_visit(self, reference: str = "12", **overrides: Any) -> dict[str, Any]:
        visit = spec_visit(reference, **overrides)
        self.fakes.dps_visits[reference] = visit
        return visit

    def mapping(self, vsip_id: str, nomis_id: int) -> None:
        self.fakes.mappings.rows.append(
            {"nomisId": nomis_id, "vsipId": vsip_id, "label": None, "mappingType": "ONLINE"}
        )

    def nomis_visit(self, visit_id: int, offender_no: str, status: str = "SCH") -> dict[str, Any]:
        visit = {"visitId": visit_id, "offenderNo": offender_no, "status": status}
        self.fakes.nomis_visits[visit_id] = visit
        return visit

    def mapped_visit(
        self, reference: str = "12", nomis_id: int = 456, offender_no: str = "AB12345", **overrides: Any
    ) -> None:
        """A DPS visit, its NOMIS visit and the mapping between them (the cancel/change 'given')."""
        self.dps_visit(reference, **overrides)
        self.nomis_visit(nomis_id, offender_no)
        self.mapping(reference, nomis_id)


@contextlib.asynccontextmanager
async def visits_service(estate: Estate, http: bool = False, **kwargs: Any) -> AsyncIterator[ServiceHarness]:
    """The real service listening, with only the visits domain and its queue (other domains are not under
    test); its HTTP server only when the test calls an endpoint."""
    harness = visits_harness(estate, **kwargs)
    await harness.start(http=http)
    try:
        yield harness
    finally:
        await harness.stop()


def visits_harness(estate: Estate, **kwargs: Any) -> ServiceHarness:
    kwargs.setdefault("queues", ["visit"])
    kwargs.setdefault("domains", VISITS_ONLY)
    return ServiceHarness(estate, **kwargs)
