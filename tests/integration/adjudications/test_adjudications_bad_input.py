"""Bad input and failing dependencies: each has a defined outcome and nothing is deleted from the queue
before its work is done (issue 11, "Bad input"; spec 1.2, 1.5 and 5)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import orjson
import pytest
from adjudications_support import (
    DLQ_AFTER_3,
    DOMAINS,
    OFFENDER,
    QUEUE,
    UPDATE_ROLE,
    AdjudicationsWorld,
    charge,
    dps_get,
    event,
    publish_and_wait,
    requests,
)

from hmpps_sandbox.estate import Estate
from hmpps_sandbox.harness import ServiceHarness, running_service
from prisoner_to_nomis_update.framework.messages import RETRY_CREATE_MAPPING, notification_body

CREATED = "adjudication.report.created"


async def test_dps_404_and_nomis_400_409_end_on_the_dlq_and_500_is_retried(
    service: ServiceHarness, world: AdjudicationsWorld
) -> None:
    for number, prisoner in (("404", "A0404AA"), ("400", "A0400AA"), ("409", "A0409AA"), ("500", "A0500AA")):
        if number != "404":
            world.dps(charge(number, prisonerNumber=prisoner))
    nomis = service.estate.nomis
    nomis.inject_fault(path_pattern="/prisoners/A0400AA/adjudications", status=400, count=None)
    nomis.inject_fault(path_pattern="/prisoners/A0409AA/adjudications", status=409, count=None)
    nomis.inject_fault(path_pattern="/prisoners/A0500AA/adjudications", status=500, count=1)
    for number in ("404", "400", "409", "500"):
        await service.estate.publish(event(CREATED, number))
    await service.wait_for_depth(QUEUE, 3, dlq=True, timeout=30)
    await service.wait_for_event("adjudication-create-success")

    failed = service.events("adjudication-create-failed")
    reasons = {f["chargeNumber"]: f["reason"] for f in failed}
    assert sorted(f["chargeNumber"] for f in failed) == ["400"] * 3 + ["404"] * 3 + ["409"] * 3 + ["500"]
    assert reasons["404"].startswith("404 Not Found from GET ") and dps_get("404") in reasons["404"]
    assert reasons["400"].startswith("400 Bad Request from POST ")
    assert reasons["409"].startswith("409 Conflict from POST ")
    assert {f.get("offenderNo") for f in failed if f["chargeNumber"] == "404"} == {None}
    assert len(world.nomis_adjudications("A0500AA")) == 1
    await service.wait_for_depth(QUEUE, 0)


async def test_malformed_and_unknown_messages(service: ServiceHarness, world: AdjudicationsWorld) -> None:
    """A payload without its required fields is malformed (retried, DLQ); an unknown event type is
    consumed; a hearing event without hearingId is malformed too."""
    no_prisoner = event(CREATED)
    del no_prisoner["additionalInformation"]["prisonerNumber"]
    no_hearing = event("adjudication.hearing.created")
    await service.send_raw(QUEUE, notification_body(no_prisoner), CREATED)
    await service.send_raw(QUEUE, notification_body(no_hearing), "adjudication.hearing.created")
    await service.send_raw(QUEUE, notification_body(event("adjudication.unknown")), "adjudication.unknown")
    await service.send_raw(QUEUE, "not json")
    await service.wait_for_depth(QUEUE, 3, dlq=True, timeout=30)
    await service.wait_for_depth(QUEUE, 0)

    assert world.dps_api.requests() == []
    assert service.estate.nomis.requests() == []
    assert service.events("adjudication-create-failed") == []


async def test_mapping_409_for_another_charge_is_reported_as_a_duplicate(
    service: ServiceHarness, world: AdjudicationsWorld
) -> None:
    """NOMIS hands out an adjudication number already mapped to another charge: a duplicate alert, no retry."""
    world.dps(charge("12345"))
    next_number = world.fakes.nomis.numbers.start
    world.fakes.mappings.map_charge("OTHER-1", next_number)
    duplicate = await publish_and_wait(
        service, event(CREATED, "12345"), "to-nomis-synch-adjudication-duplicate"
    )

    assert duplicate["chargeNumber"] == "12345"
    assert duplicate["duplicateChargeNumber"] == "12345"
    assert duplicate["existingChargeNumber"] == "OTHER-1"
    assert duplicate["existingAdjudicationNumber"] == str(next_number)
    [failed] = service.events("adjudication-mapping-create-failed")
    assert failed["adjudicationNumber"] == str(next_number)
    assert service.events("adjudication-create-mapping-retry") == []
    assert service.events("adjudication-create-success") == []
    await service.wait_for_depth(QUEUE, 0)
    # Listed for operators; resolving is refused with the runbook's reason (the NOMIS team removes it).
    status, [listed], _ = await service.request("GET", "/duplicates", roles=[UPDATE_ROLE])
    assert (status, listed["domain"], listed["resolvable"]) == (200, "adjudications", False)
    status, body, _ = await service.request(
        "POST", f"/duplicates/{listed['id']}/resolve", roles=[UPDATE_ROLE]
    )
    assert status == 409 and body["userMessage"].startswith("Adjudication duplicates are reported only")


@pytest.fixture
async def slow_mapping_service(clean_estate: Estate) -> AsyncIterator[ServiceHarness]:
    env = {**DLQ_AFTER_3, "API_MAPPING_TIMEOUT": "1s"}
    async with running_service(clean_estate, queues=[QUEUE], env=env, domains=DOMAINS) as harness:
        yield harness


async def test_mapping_timeout_is_retried_and_the_late_save_counts(
    slow_mapping_service: ServiceHarness, world: AdjudicationsWorld
) -> None:
    """The mapping POST times out but the mapping service saves it anyway; the retry's 409 names the very
    same mapping, so it is success rather than a duplicate."""
    service = slow_mapping_service
    world.dps(charge("12345"))
    mapping = service.estate.mapping
    # The first save lands 1.2 s in, after the service gave up at 1 s; the retry's lands after that.
    mapping.inject_fault(path_pattern="/mapping/adjudications", method="POST", status=0, delay_seconds=1.2)
    mapping.inject_fault(path_pattern="/mapping/adjudications", method="POST", status=0, delay_seconds=0.5)
    await publish_and_wait(service, event(CREATED, "12345"), "adjudication-create-mapping-retry-success")

    [failed] = service.events("adjudication-mapping-create-failed")
    assert "TimeoutError" in failed["reason"]
    assert len(world.fakes.mappings.charges.rows) == 1
    assert len(requests(service.estate.nomis, "POST", f"/prisoners/{OFFENDER}/adjudications")) == 1
    assert service.events("create-mapping-retry-failure") == []
    assert service.events("to-nomis-synch-adjudication-duplicate") == []


async def test_failing_mapping_retries_are_reported_and_end_on_the_dlq(
    service: ServiceHarness, world: AdjudicationsWorld
) -> None:
    """RETRY_CREATE_MAPPING for an unknown entity, and for a mapping that clashes with another charge's."""
    world.fakes.mappings.map_charge("OTHER-1", 55)
    clash = {
        "mapping": {"adjudicationNumber": 55, "chargeSequence": 1, "chargeNumber": "12345"},
        "entityName": "adjudication",
    }
    unknown = {"mapping": {"anything": 1}, "telemetryAttributes": {}, "entityName": "bananas"}
    for message in (clash, unknown):
        body = {"Type": RETRY_CREATE_MAPPING, "Message": orjson.dumps(message).decode()}
        await service.send_raw(QUEUE, orjson.dumps(body).decode(), RETRY_CREATE_MAPPING)
    await service.wait_for_depth(QUEUE, 2, dlq=True, timeout=30)

    failures = service.events("create-mapping-retry-failure")
    assert len(failures) == 6
    assert {orjson.loads(f["retryMessage"])["entityName"] for f in failures} == {"adjudication", "bananas"}
    assert service.events("adjudication-create-mapping-retry-success") == []
    assert [r["chargeNumber"] for r in world.fakes.mappings.charges.rows] == ["OTHER-1"]


async def test_feature_switch_turns_an_event_off(clean_estate: Estate) -> None:
    """`adjudications` is the domain name of the switch: the create is consumed, unprocessed."""
    world = AdjudicationsWorld(clean_estate)
    world.dps(charge("12345"))
    env = {**DLQ_AFTER_3, "FEATURE_EVENT_ADJUDICATIONS_ADJUDICATION_REPORT_CREATED": "false"}
    async with running_service(clean_estate, queues=[QUEUE], env=env, domains=DOMAINS) as service:
        await service.estate.publish(event(CREATED, "12345"))
        await service.wait_for_depth(QUEUE, 0)
        assert await service.depth(QUEUE, dlq=True) == 0
        assert world.dps_api.requests() == []
        assert service.estate.nomis.requests() == []
        assert service.recorder.names() == []
