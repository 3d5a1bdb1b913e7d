"""Helpers shared by the operations-surface tests (health, queue admin, security, docs)."""

from __future__ import annotations

from hmpps_sandbox.estate import Estate
from hmpps_sandbox.harness import ServiceHarness
from prisoner_to_nomis_update.domains import visits
from prisoner_to_nomis_update.framework.domain import DomainFactory
from prisoner_to_nomis_update.framework.messages import notification_body

ADMIN_ROLE = "ROLE_SYSCON__QUEUE_ADMIN"


async def park_booked_visits_on_dlq(
    estate: Estate, harness: ServiceHarness, references: list[str]
) -> list[str]:
    """Book DPS visits without publishing, and put their notifications straight onto the visit DLQ.

    Returns the SQS message ids, so tests can check nothing is lost or duplicated.
    """
    visits = estate.plugins["visits"]
    ids = []
    for reference in references:
        event = await visits.act(reference, "book", {"prisonerId": "A1234BC"}, publish=False)
        body = notification_body(event, message_id=f"sns-{reference}")
        ids.append(await harness.send_raw("visit", body, dlq=True))
    return ids


# Most operations tests need one domain only; this keeps them independent of the others' start-up.
VISITS_ONLY: list[DomainFactory] = [visits.build]


REPAIR_ROLE = "ROLE_PRISONER_TO_NOMIS__UPDATE__RW"
VISIT_ALERT = "to-nomis-synch-visit-duplicate"


async def raise_visit_duplicate(estate: Estate, harness: ServiceHarness, reference: str = "12") -> None:
    """A real `to-nomis-synch-visit-duplicate`: DPS visit `reference` is mapped to NOMIS visit 456 by
    another delivery just after this one's mapping check, so this one creates NOMIS visit 10000 and its
    mapping POST is refused with 409."""
    fakes = estate.plugins["visits"]
    fakes.nomis_visits[456] = {"visitId": 456, "offenderNo": "A1234BC", "status": "SCH"}
    fakes.mappings.rows.append({"vsipId": reference, "nomisId": 456, "label": None, "mappingType": "ONLINE"})
    estate.mapping.inject_fault(path_pattern=f"/mapping/visits/vsipId/{reference}", method="GET", status=404)
    await fakes.act(reference, "book", {"prisonerId": "A1234BC"})
    await harness.wait_for_event(VISIT_ALERT)
