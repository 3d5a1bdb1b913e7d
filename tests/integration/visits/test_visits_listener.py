"""The visit queue listener: real SNS notifications and raw SQS messages on moto, observed through the
calls the service then makes (visits-and-incentives.md E 18-20, 0.1, 0.2).
"""

from __future__ import annotations

import orjson
import pytest
from visits_world import VisitsWorld, visits_service

from hmpps_sandbox.estate import Estate
from prisoner_to_nomis_update.framework.messages import notification_body


@pytest.mark.scenario("visits-and-incentives", 18)
@pytest.mark.scenario("framework", 22)
async def test_notification_reaches_the_create_handler(clean_estate: Estate, world: VisitsWorld) -> None:
    world.dps_visit("99")
    async with visits_service(clean_estate) as harness:
        await clean_estate.publish(world.event(reference="99", occurred_at="2021-03-08T11:23:56.031Z"))
        await harness.wait_for_event("visit-create-success")
        await harness.wait_for_depth("visit", 0)

    assert len(clean_estate.dps["visits"].requests("GET", "/visits/99")) == 1
    [create] = clean_estate.nomis.requests("POST", "/prisoners/A32323Y/visits")
    assert create.body["issueDate"] == "2021-03-08"


async def test_booking_date_is_taken_in_the_events_own_offset(
    clean_estate: Estate, world: VisitsWorld
) -> None:
    """Spec F3: 2021-03-08T00:30+01:00 is 2021-03-07 in UTC, but the issue date is the 8th."""
    world.dps_visit("99")
    async with visits_service(clean_estate) as harness:
        await harness.send_raw(
            "visit",
            notification_body(world.event(reference="99", occurred_at="2021-03-08T00:30:00+01:00")),
            "prison-visit.booked",
        )
        await harness.wait_for_event("visit-create-success")

    [create] = clean_estate.nomis.requests("POST", "/prisoners/A32323Y/visits")
    assert create.body["issueDate"] == "2021-03-08"


@pytest.mark.scenario("visits-and-incentives", 19)
@pytest.mark.scenario("framework", 23)
@pytest.mark.parametrize(
    "switch", ["FEATURE_EVENT_PRISON-VISIT_BOOKED", "FEATURE_EVENT_VISITS_PRISON-VISIT_BOOKED"]
)
async def test_switched_off_event_is_consumed_without_calls(
    clean_estate: Estate, world: VisitsWorld, switch: str
) -> None:
    world.dps_visit("99")
    async with visits_service(clean_estate, env={switch: "false"}) as harness:
        await clean_estate.publish(world.event(reference="99"))
        await harness.wait_for_depth("visit", 0)
        # a switched-on event type behind it is still handled, so the listener did see the first one
        world.mapped_visit("98", 456, "AB12345")
        await clean_estate.publish(world.event("prison-visit.changed", reference="98"))
        await harness.wait_for_event("visit-changed-success")
        await harness.wait_for_depth("visit", 0)
        assert await harness.depth("visit", dlq=True) == 0
        assert harness.events("visit-create-success") == []

    assert clean_estate.dps["visits"].requests("GET", "/visits/99") == []
    assert clean_estate.nomis.requests("POST") == []
    assert clean_estate.mapping.requests("GET", "/mapping/visits/vsipId/99") == []


@pytest.mark.scenario("visits-and-incentives", 20)
@pytest.mark.scenario("framework", 24)
async def test_retry_message_reaches_the_retry_handler(clean_estate: Estate) -> None:
    # as the original's tests send it: only the mapping, no telemetryAttributes/entityName
    message = orjson.dumps({"mapping": {"nomisId": "12345", "vsipId": "12"}}).decode()
    body = orjson.dumps({"Type": "RETRY_CREATE_MAPPING", "Message": message}).decode()
    async with visits_service(clean_estate) as harness:
        await harness.send_raw("visit", body, "RETRY_CREATE_MAPPING")
        await harness.wait_for_event("visit-retry-success")
        await harness.wait_for_depth("visit", 0)

    [create] = clean_estate.mapping.requests("POST", "/mapping/visits")
    assert create.body == {"nomisId": 12345, "vsipId": "12", "mappingType": "ONLINE"}


@pytest.mark.scenario("framework", 25)
async def test_failing_retry_reports_and_goes_to_the_dlq(clean_estate: Estate) -> None:
    message = orjson.dumps({"mapping": {"nomisId": "12345", "vsipId": "12"}}).decode()
    body = orjson.dumps({"Type": "RETRY_CREATE_MAPPING", "Message": message}).decode()
    clean_estate.mapping.inject_fault(path_pattern="/mapping/visits", method="POST", status=500, count=None)
    env = {"HMPPS_SQS_QUEUES_VISIT_DLQ_MAX_RECEIVE_COUNT": "1"}
    async with visits_service(clean_estate, env=env) as harness:
        await harness.send_raw("visit", body, "RETRY_CREATE_MAPPING")
        await harness.wait_for_depth("visit", 1, dlq=True)
        await harness.wait_for_depth("visit", 0)
        assert harness.events("create-mapping-retry-failure") == [{"retryMessage": message}]
        assert harness.events("visit-retry-success") == []


async def test_unknown_event_type_and_message_type_are_consumed(clean_estate: Estate) -> None:
    """Spec 0.1: an unexpected event type, or an envelope Type other than Notification/RETRY, is consumed."""
    async with visits_service(clean_estate) as harness:
        await harness.send_raw("visit", notification_body({"eventType": "prison-visit.unheard-of"}), "x")
        await harness.send_raw(
            "visit", orjson.dumps({"Type": "SubscriptionConfirmation", "Message": "{}"}).decode()
        )
        await harness.wait_for_depth("visit", 0)
        assert await harness.depth("visit", dlq=True) == 0

    assert clean_estate.dps["visits"].requests() == []
