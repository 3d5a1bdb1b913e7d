"""Shared givens for the incentives tests: the spec's review, events and the reconciliation estate.

Everything is seeded into the real sandbox fakes that the service talks to over HTTP.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from hmpps_sandbox.domains.incentives import IncentivesFakes
from hmpps_sandbox.domains.prisoners import PrisonersFake
from hmpps_sandbox.estate import Estate
from hmpps_sandbox.harness import ServiceHarness, running_service
from prisoner_to_nomis_update.domains import incentives
from prisoner_to_nomis_update.framework.domain import DomainFactory

INCENTIVES_ONLY: list[DomainFactory] = [incentives.build]
UPDATE_ROLE = "ROLE_PRISONER_TO_NOMIS__UPDATE__RW"
RECON = "incentives-reports-reconciliation"


def fakes(estate: Estate) -> IncentivesFakes:
    found: IncentivesFakes = estate.plugins["incentives"]
    return found


def prisoners(estate: Estate) -> PrisonersFake:
    found: PrisonersFake = estate.plugins["prisoners"]
    return found


def seed_spec_review(estate: Estate, review_id: int = 12, **overrides: Any) -> dict[str, Any]:
    """Scenario 33's DPS review (and its prisoner/booking in NOMIS)."""
    values: dict[str, Any] = {
        "prisoner_number": "A1234AA",
        "iep_code": "STD",
        "agency_id": "MDI",
        "booking_id": 456,
        "when": datetime(2022, 12, 2, 10, 0),
        "comments": "A review took place",
        "user_id": "BILLYBOB",
        "review_id": review_id,
    }
    values.update(overrides)
    return fakes(estate).create_review(**values)


def inserted_event(
    review_id: Any = 12, noms_number: str | None = "A1234AA", reason: str | None = None
) -> dict[str, Any]:
    info: dict[str, Any] = {"id": review_id}
    if noms_number is not None:
        info["nomsNumber"] = noms_number
    if reason is not None:
        info["reason"] = reason
    return {
        "eventType": "incentives.iep-review.inserted",
        "version": 1,
        "occurredAt": "2022-12-02T10:00:01.123Z",
        "additionalInformation": info,
    }


def event(event_type: str, **info: Any) -> dict[str, Any]:
    return {
        "eventType": event_type,
        "version": 1,
        "occurredAt": "2023-06-05T11:23:56.031Z",
        "additionalInformation": info,
    }


@contextlib.asynccontextmanager
async def incentives_service(estate: Estate, **env: str) -> AsyncIterator[ServiceHarness]:
    """The real service with only the incentive queue and domain (fast, and isolated from others)."""
    async with running_service(
        estate,
        queues=["incentive"],
        domains=INCENTIVES_ONLY,
        env={"HMPPS_WEB-CLIENT_BACKOFF-MILLIS": "1", **env},
    ) as harness:
        yield harness


def seed_spec_reconciliation(estate: Estate, count: int = 34) -> None:
    """Section E's reconciliation: bookings 1..34, A0001TZ..A0034TZ, NOMIS STD for all, DPS ENH for
    every 10th prisoner and STD otherwise."""
    seeded = prisoners(estate).seed_range(count)
    fakes(estate).seed_levels(seeded, "STD", {p.offenderNo: "ENH" for p in seeded if p.bookingId % 10 == 0})


async def run_report(harness: ServiceHarness) -> None:
    """The INCENTIVES_RECON batch job of the service under test (its telemetry is recorded)."""
    await harness.service.batch_job("INCENTIVES_RECON")()


def report(harness: ServiceHarness) -> dict[str, str]:
    reports = harness.events(f"{RECON}-report")
    assert len(reports) == 1, reports
    return reports[0]
