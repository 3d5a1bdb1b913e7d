"""The visits service's handlers called directly (no listener), against the HTTP fakes
(visits-and-incentives.md E 8-17): the domain object is the one the real service built.
"""

from __future__ import annotations

from typing import Any

import pytest
from visits_world import VisitsWorld

from hmpps_sandbox.estate import Estate
from hmpps_sandbox.harness import ServiceHarness
from prisoner_to_nomis_update.framework.domain import Domain
from prisoner_to_nomis_update.framework.http import HttpError
from prisoner_to_nomis_update.framework.messages import parse_retry_message


def visits_domain(harness: ServiceHarness) -> Domain:
    [domain] = [d for d in harness.service.domains if d.name == "visits"]
    return domain


async def handle(harness: ServiceHarness, event: dict[str, Any]) -> None:
    await visits_domain(harness).handlers[event["eventType"]](event)


def cancel_body(estate: Estate, path: str = "/prisoners/AB123D/visits/456/cancel") -> Any:
    [cancel] = estate.nomis.requests("PUT", path)
    return cancel.body


@pytest.mark.scenario("visits-and-incentives", 8)
async def test_create_success_telemetry(
    estate: Estate, world: VisitsWorld, idle_service: ServiceHarness
) -> None:
    world.dps_visit(
        "123",
        prisonerId="AB123D",
        startTimestamp="2023-09-08T08:30:00",
        endTimestamp="2023-09-08T09:30:00",
    )
    await handle(idle_service, world.event(reference="123", prisoner_id="AB123D"))

    [success] = idle_service.events("visit-create-success")
    [nomis_id] = world.fakes.nomis_visits
    assert success == {
        "offenderNo": "AB123D",
        "visitId": "123",
        "nomisId": str(nomis_id),
        "vsipId": "123",
        "mappingType": "ONLINE",
        "prisonId": "MDI",
        "startDateTime": "2023-09-08T08:30:00",
        "endTime": "09:30:00",
    }


@pytest.mark.scenario("visits-and-incentives", 9)
@pytest.mark.scenario("framework", 26)
async def test_existing_mapping_is_a_duplicate(
    estate: Estate, world: VisitsWorld, idle_service: ServiceHarness
) -> None:
    world.dps_visit("123")
    world.mapping("123", 456)
    await handle(idle_service, world.event(reference="123", prisoner_id="AB123D"))

    assert idle_service.events("visit-create-duplicate") == [{"visitId": "123", "offenderNo": "AB123D"}]
    assert estate.nomis.requests() == []
    assert estate.dps["visits"].requests() == []


@pytest.mark.scenario("visits-and-incentives", 10)
async def test_mapping_failure_is_reported_and_queued_not_raised(
    estate: Estate, world: VisitsWorld, idle_service: ServiceHarness
) -> None:
    world.dps_visit(
        "123", startTimestamp="2023-09-08T08:30:00", endTimestamp="2023-09-08T09:30:00", prisonerId="AB123D"
    )
    estate.mapping.inject_fault(path_pattern="/mapping/visits", method="POST", status=500)
    await handle(idle_service, world.event(reference="123", prisoner_id="AB123D"))  # does not raise

    [failed] = idle_service.events("visit-mapping-create-failed")
    [nomis_id] = world.fakes.nomis_visits
    url = f"{estate.mapping.url}/mapping/visits"
    assert failed == {
        "reason": f"500 Internal Server Error from POST {url}",
        "offenderNo": "AB123D",
        "visitId": "123",
        "nomisId": str(nomis_id),
        "vsipId": "123",
        "mappingType": "ONLINE",
        "prisonId": "MDI",
        "startDateTime": "2023-09-08T08:30:00",
        "endTime": "09:30:00",
    }
    [retry] = idle_service.events("visit-create-mapping-retry")
    assert retry["messageId"] and retry["nomisId"] == str(nomis_id)
    assert idle_service.events("visit-create-success") == []
    assert await idle_service.depth("visit") == 1  # the RETRY_CREATE_MAPPING message


@pytest.mark.scenario("visits-and-incentives", 11)
async def test_retry_posts_the_mapping(estate: Estate, idle_service: ServiceHarness) -> None:
    retry = visits_domain(idle_service).retry_create_mapping
    assert retry is not None
    await retry(
        parse_retry_message(
            '{"mapping":{"nomisId":"456","vsipId":"24"},"entityName":"visit","telemetryAttributes":{}}'
        )
    )

    [create] = estate.mapping.requests("POST", "/mapping/visits")
    assert create.body == {"nomisId": 456, "vsipId": "24", "mappingType": "ONLINE"}
    assert idle_service.events("visit-retry-success") == [{"id": "24", "nomisId": "456"}]


@pytest.mark.scenario("visits-and-incentives", 12)
async def test_cancel_success_telemetry(
    estate: Estate, world: VisitsWorld, idle_service: ServiceHarness
) -> None:
    world.mapped_visit("123", 456, "AB123D")
    await handle(idle_service, world.event("prison-visit.cancelled", reference="123", prisoner_id="AB123D"))

    assert len(estate.dps["visits"].requests("GET", "/visits/123")) == 1
    assert idle_service.events("visit-cancelled-success") == [
        {"offenderNo": "AB123D", "visitId": "123", "nomisVisitId": "456"}
    ]


@pytest.mark.scenario("visits-and-incentives", 13)
async def test_cancel_request_body(estate: Estate, world: VisitsWorld, idle_service: ServiceHarness) -> None:
    world.mapped_visit("123", 456, "AB123D", outcomeStatus="ESTABLISHMENT_CANCELLED")
    await handle(idle_service, world.event("prison-visit.cancelled", reference="123", prisoner_id="AB123D"))

    assert cancel_body(estate) == {"offenderNo": "AB123D", "nomisVisitId": "456", "outcome": "HMP"}


OUTCOMES = [
    ("ADMINISTRATIVE_CANCELLATION", "ADMIN"),
    ("ADMINISTRATIVE_ERROR", "ADMIN"),
    ("ESTABLISHMENT_CANCELLED", "HMP"),
    ("VISITOR_FAILED_SECURITY_CHECKS", "NO_ID"),
    ("NO_VISITING_ORDER", "NO_VO"),
    ("VISITOR_DID_NOT_ARRIVE", "NSHOW"),
    ("PRISONER_CANCELLED", "OFFCANC"),
    ("PRISONER_REFUSED_TO_ATTEND", "REFUSED"),
    ("VISITOR_CANCELLED", "VISCANC"),
    ("VISIT_ORDER_CANCELLED", "VO_CANCEL"),
    ("BATCH_CANCELLATION", "ADMIN"),
    # known to DPS but with no NOMIS code
    ("CANCELLATION", "ADMIN"),
    ("COMPLETED_NORMALLY", "ADMIN"),
    ("NOT_RECORDED", "ADMIN"),
    ("PRISONER_COMPLETED_EARLY", "ADMIN"),
    ("TERMINATED_BY_STAFF", "ADMIN"),
    ("VISITOR_COMPLETED_EARLY", "ADMIN"),
    ("VISITOR_DECLINED_ENTRY", "ADMIN"),
]


async def cancel_with_outcome(
    estate: Estate,
    world: VisitsWorld,
    harness: ServiceHarness,
    reference: str,
    outcome: str | None,
    absent: bool = False,
) -> str:
    """Cancel a fresh mapped visit whose DPS outcome is `outcome` (or has no outcome field at all)."""
    nomis_id = 1000 + len(world.fakes.nomis_visits)
    world.mapped_visit(reference, nomis_id, "AB123D", outcomeStatus=outcome)
    if absent:
        del world.fakes.dps_visits[reference]["outcomeStatus"]
    await handle(harness, world.event("prison-visit.cancelled", reference=reference, prisoner_id="AB123D"))
    return str(cancel_body(estate, f"/prisoners/AB123D/visits/{nomis_id}/cancel")["outcome"])


@pytest.mark.scenario("visits-and-incentives", 14)
async def test_cancel_without_outcome_is_admin(
    estate: Estate, world: VisitsWorld, idle_service: ServiceHarness
) -> None:
    assert await cancel_with_outcome(estate, world, idle_service, "r1", None, absent=True) == "ADMIN"
    assert await cancel_with_outcome(estate, world, idle_service, "r2", None) == "ADMIN"


@pytest.mark.scenario("visits-and-incentives", 15)
async def test_cancel_outcome_table(estate: Estate, world: VisitsWorld, idle_service: ServiceHarness) -> None:
    sent = [
        (dps, await cancel_with_outcome(estate, world, idle_service, f"r{i}", dps))
        for i, (dps, _) in enumerate(OUTCOMES)
    ]
    assert sent == OUTCOMES


@pytest.mark.scenario("visits-and-incentives", 16)
async def test_cancel_unknown_outcome_is_admin(
    estate: Estate, world: VisitsWorld, idle_service: ServiceHarness
) -> None:
    assert await cancel_with_outcome(estate, world, idle_service, "r1", "HMMMMMMM") == "ADMIN"


@pytest.mark.scenario("visits-and-incentives", 17)
async def test_cancel_mapping_lookup_failure_raises(
    estate: Estate, world: VisitsWorld, idle_service: ServiceHarness
) -> None:
    world.mapped_visit("123", 456, "AB123D")
    estate.mapping.inject_fault(path_pattern="/mapping/visits/vsipId/123", status=503)
    with pytest.raises(HttpError) as raised:
        await handle(
            idle_service, world.event("prison-visit.cancelled", reference="123", prisoner_id="AB123D")
        )

    assert raised.value.status == 503
    assert idle_service.events("visit-cancelled-failed") == [{"offenderNo": "AB123D", "visitId": "123"}]
    assert estate.nomis.requests() == []


async def test_failure_after_mapping_lookup_names_the_nomis_visit(
    estate: Estate, world: VisitsWorld, idle_service: ServiceHarness
) -> None:
    """Spec A6 step 4: once the mapping is known, the failure telemetry carries nomisVisitId."""
    world.mapped_visit("123", 456, "AB123D")
    estate.nomis.inject_fault(path_pattern="/prisoners/AB123D/visits/456", method="PUT", status=500)
    with pytest.raises(HttpError):
        await handle(idle_service, world.event("prison-visit.changed", reference="123", prisoner_id="AB123D"))

    assert idle_service.events("visit-changed-failed") == [
        {"offenderNo": "AB123D", "visitId": "123", "nomisVisitId": "456"}
    ]


async def test_invalid_restriction_fails_create(
    estate: Estate, world: VisitsWorld, idle_service: ServiceHarness
) -> None:
    """Spec A4 step 3: create only accepts OPEN/CLOSED (update passes anything through)."""
    world.dps_visit("123", visitRestriction="UNKNOWN")
    with pytest.raises(ValueError, match="Invalid visit restriction UNKNOWN"):
        await handle(idle_service, world.event(reference="123"))

    [failed] = idle_service.events("visit-create-failed")
    assert failed["reason"] == "Invalid visit restriction UNKNOWN"
    assert estate.nomis.requests() == []


async def test_dps_failure_has_only_event_telemetry(
    estate: Estate, world: VisitsWorld, idle_service: ServiceHarness
) -> None:
    """Spec A4: a DPS 404 gives visit-create-failed {visitId, offenderNo, reason} and raises."""
    with pytest.raises(HttpError):
        await handle(idle_service, world.event(reference="404"))

    [failed] = idle_service.events("visit-create-failed")
    assert failed == {
        "visitId": "404",
        "offenderNo": "AB12345",
        "reason": f"404 Not Found from GET {estate.dps['visits'].url}/visits/404",
    }


async def test_identical_mapping_409_is_treated_as_saved(
    estate: Estate, world: VisitsWorld, idle_service: ServiceHarness
) -> None:
    """Idempotency: a redelivered event whose NOMIS visit and mapping both exist already (the mapping
    lookup missed, e.g. a read replica lag) sees NOMIS 409 and mapping 409 with the same row: success,
    not a duplicate alert."""
    world.dps_visit("123")
    await handle(idle_service, world.event(reference="123"))
    [nomis_id] = world.fakes.nomis_visits
    estate.mapping.inject_fault(path_pattern="/mapping/visits/vsipId/123", method="GET", status=404, count=2)

    await handle(idle_service, world.event(reference="123"))

    assert len(idle_service.events("visit-create-success")) == 2
    assert idle_service.events("to-nomis-synch-visit-duplicate") == []
    assert list(world.fakes.nomis_visits) == [nomis_id]
    assert len(world.fakes.mappings.rows) == 1
