"""Issue 2: the visits flow under failure, with the real moto server and the HTTP fakes.

Exactly-once results despite redelivery, retries that end on the DLQ without anything deleted early,
garbage that does not stop the listener, and a shutdown mid-call that loses nothing.
"""

from __future__ import annotations

import asyncio

import pytest
from visits_world import VisitsWorld, visits_harness, visits_service

from hmpps_sandbox.estate import Estate
from prisoner_to_nomis_update.framework.messages import notification_body

NOMIS_CREATE = r"/prisoners/[^/]+/visits"
QUEUE_ADMIN = "ROLE_SYSCON__QUEUE_ADMIN"


@pytest.mark.scenario("visits-and-incentives", 1)
async def test_booked_visit_is_one_nomis_visit_and_one_mapping(
    clean_estate: Estate, world: VisitsWorld
) -> None:
    world.dps_visit("12")
    async with visits_service(clean_estate) as harness:
        await clean_estate.publish(world.event())
        await harness.wait_for_event("visit-create-success")
        await harness.wait_for_depth("visit", 0)
        assert await harness.depth("visit", dlq=True) == 0

    assert len(world.fakes.nomis_visits) == 1
    assert len(clean_estate.nomis.requests("POST", NOMIS_CREATE)) == 1
    [nomis_id] = world.fakes.nomis_visits
    assert world.fakes.mappings.rows == [
        {"nomisId": nomis_id, "vsipId": "12", "label": None, "mappingType": "ONLINE"}
    ]


async def test_same_event_twice_creates_one_visit(clean_estate: Estate, world: VisitsWorld) -> None:
    world.dps_visit("12")
    async with visits_service(clean_estate) as harness:
        await clean_estate.publish(world.event())
        await harness.wait_for_event("visit-create-success")
        await clean_estate.publish(world.event())
        await harness.wait_for_event("visit-create-duplicate")
        await harness.wait_for_depth("visit", 0)

    assert len(world.fakes.nomis_visits) == 1
    assert len(world.fakes.mappings.rows) == 1
    assert len(clean_estate.nomis.requests("POST", NOMIS_CREATE)) == 1


@pytest.mark.scenario("framework", 33)
async def test_same_event_twice_concurrently_creates_one_visit(
    clean_estate: Estate, world: VisitsWorld
) -> None:
    """Two deliveries racing (two pods): both miss the mapping, both call NOMIS. NOMIS refuses the second
    (409 with the first visit's id), so both end up holding the same mapping; one POST stores it, the other
    sees a 409 for the identical row, which counts as already saved. One visit, one mapping, no DLQ."""
    world.dps_visit("12")
    # slow DPS so both deliveries are in flight before either reaches NOMIS
    clean_estate.dps["visits"].inject_fault(path_pattern="/visits/12", status=0, delay_seconds=0.5, count=2)
    # both copies wait on the queue before any listener runs, so they are taken and handled together
    provisioner = visits_harness(clean_estate)
    await provisioner.start(listen=False, http=False)  # creates the queue and its subscription
    await asyncio.gather(clean_estate.publish(world.event()), clean_estate.publish(world.event()))
    await provisioner.stop()
    async with visits_service(clean_estate, prefix=provisioner.prefix) as harness:
        await harness.wait_for_event("visit-create-success")
        await harness.wait_for_depth("visit", 0)
        assert await harness.depth("visit", dlq=True) == 0
        assert harness.events("visit-create-failed") == []
        assert harness.events("to-nomis-synch-visit-duplicate") == []

    assert len(clean_estate.dps["visits"].requests("GET", "/visits/12")) == 2  # really concurrent
    assert len(world.fakes.nomis_visits) == 1
    assert len(world.fakes.mappings.rows) == 1


@pytest.mark.scenario("visits-and-incentives", 4)
@pytest.mark.scenario("framework", 27)
@pytest.mark.scenario("framework", 32)
async def test_mapping_failure_is_retried_then_redriven_from_the_dlq(
    clean_estate: Estate, world: VisitsWorld
) -> None:
    world.dps_visit("12")
    mapping_down = clean_estate.mapping.inject_fault(
        path_pattern="/mapping/visits", method="POST", status=500, count=None
    )
    env = {"HMPPS_SQS_QUEUES_VISIT_DLQ_MAX_RECEIVE_COUNT": "1"}
    async with visits_service(clean_estate, env=env, http=True) as harness:
        await clean_estate.publish(world.event())
        [retry] = await harness.wait_for_event("visit-create-mapping-retry")
        await harness.wait_for_event("create-mapping-retry-failure")
        await harness.wait_for_depth("visit", 1, dlq=True)
        await harness.wait_for_depth("visit", 0)
        [failed] = harness.events("visit-mapping-create-failed")
        assert harness.events("visit-create-success") == []
        assert len(clean_estate.nomis.requests("POST", NOMIS_CREATE)) == 1
        assert len(clean_estate.mapping.requests("POST", "/mapping/visits")) == 2

        clean_estate.mapping.faults.remove(mapping_down)  # the mapping service recovers
        status, body, _ = await harness.request("PUT", "/queue-admin/retry-all-dlqs", roles=[QUEUE_ADMIN])
        assert status == 200
        assert {"messagesFoundCount": 1} in body
        await harness.wait_for_event("visit-retry-success")
        await harness.wait_for_depth("visit", 0)
        assert await harness.depth("visit", dlq=True) == 0

    [nomis_id] = world.fakes.nomis_visits
    url = f"{clean_estate.mapping.url}/mapping/visits"
    assert failed["reason"] == f"500 Internal Server Error from POST {url}"
    assert retry["messageId"] and {k: retry[k] for k in ("visitId", "nomisId", "vsipId")} == {
        "visitId": "12",
        "nomisId": str(nomis_id),
        "vsipId": "12",
    }
    assert len(clean_estate.mapping.requests("POST", "/mapping/visits")) == 3
    assert len(clean_estate.nomis.requests("POST", NOMIS_CREATE)) == 1
    assert len(world.fakes.mappings.rows) == 1


async def test_nomis_500_is_retried_then_dead_lettered(clean_estate: Estate, world: VisitsWorld) -> None:
    world.dps_visit("12")
    clean_estate.nomis.inject_fault(path_pattern=NOMIS_CREATE, method="POST", status=500, count=None)
    env = {"HMPPS_SQS_QUEUES_VISIT_DLQ_MAX_RECEIVE_COUNT": "3"}
    async with visits_service(clean_estate, env=env) as harness:
        await clean_estate.publish(world.event())
        await harness.wait_for_depth("visit", 1, dlq=True)
        await harness.wait_for_depth("visit", 0)
        assert len(harness.events("visit-create-failed")) == 3
        [sent] = harness.events("prison-visit.booked-sent-to-dlq")
        assert sent["maxReceiveCount"] == "3"
        dlq = await harness.service.queues.sqs.receive_message(
            QueueUrl=harness.queue_url("visit", dlq=True), MaxNumberOfMessages=10
        )

    assert len(clean_estate.nomis.requests("POST", NOMIS_CREATE)) == 3
    [message] = dlq["Messages"]
    assert '\\"reference\\":\\"12\\"' in message["Body"]  # the original event, intact
    assert world.fakes.mappings.rows == []


async def test_garbage_goes_to_the_dlq_and_the_listener_carries_on(
    clean_estate: Estate, world: VisitsWorld
) -> None:
    world.dps_visit("12")
    env = {"HMPPS_SQS_QUEUES_VISIT_DLQ_MAX_RECEIVE_COUNT": "2"}
    async with visits_service(clean_estate, env=env) as harness:
        await harness.send_raw("visit", "this is not JSON {", "prison-visit.booked")
        bad_event = {"eventType": "prison-visit.booked", "prisonerId": "AB12345"}  # no occurredAt/reference
        await harness.send_raw("visit", notification_body(bad_event), "prison-visit.booked")
        await clean_estate.publish(world.event())
        await harness.wait_for_event("visit-create-success")
        await harness.wait_for_depth("visit", 2, dlq=True)
        await harness.wait_for_depth("visit", 0)
        dlq = await harness.service.queues.sqs.receive_message(
            QueueUrl=harness.queue_url("visit", dlq=True), MaxNumberOfMessages=10
        )

    bodies = sorted(message["Body"] for message in dlq["Messages"])
    assert bodies == sorted(["this is not JSON {", notification_body(bad_event)])
    assert len(world.fakes.nomis_visits) == 1


@pytest.mark.scenario("framework", 33)
async def test_shutdown_mid_call_loses_nothing(clean_estate: Estate, world: VisitsWorld) -> None:
    """The NOMIS create is in flight when the service stops with a short grace: the message is abandoned,
    not deleted, and a new service on the same queues picks it up after its visibility timeout. Whether the
    first NOMIS call landed or not, the end state is one visit with its mapping and an empty queue."""
    world.dps_visit("12")
    clean_estate.nomis.inject_fault(path_pattern=NOMIS_CREATE, method="POST", status=0, delay_seconds=2.0)
    env = {"HMPPS_SQS_QUEUES_VISIT_VISIBILITY_TIMEOUT": "2"}
    first = visits_harness(clean_estate, env=env, shutdown_grace_seconds=0.2)
    await first.start(http=False)
    try:
        await clean_estate.publish(world.event())
        await wait_for_request(clean_estate, NOMIS_CREATE)
    finally:
        await first.stop()
    assert first.events("visit-create-success") == []
    assert first.events("visit-create-failed") == []  # cancelled, not failed: no retry bookkeeping

    async with visits_service(clean_estate, env=env, prefix=first.prefix) as second:
        await second.wait_for_event("visit-create-success")
        await second.wait_for_depth("visit", 0)
        assert await second.depth("visit", dlq=True) == 0

    assert len(world.fakes.nomis_visits) == 1
    [nomis_id] = world.fakes.nomis_visits
    assert [(row["vsipId"], str(row["nomisId"])) for row in world.fakes.mappings.rows] == [
        ("12", str(nomis_id))
    ]


async def wait_for_request(estate: Estate, path_pattern: str, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not estate.nomis.requests("POST", path_pattern):
        assert loop.time() < deadline, f"no POST {path_pattern} within {timeout}s"
        await asyncio.sleep(0.02)
