"""Listener dispatch (framework.md 3.2, 3.4, 5.2) and the per-message operation id (issue 2 item 7)."""

from __future__ import annotations

import io
import logging

import orjson
import pytest
from fw_support import WIDGET_QUEUE, ScriptedFakes, Widgets

from hmpps_sandbox.estate import Estate
from hmpps_sandbox.harness import running_service
from prisoner_to_nomis_update.framework.logs import JsonFormatter
from prisoner_to_nomis_update.framework.messages import notification_body
from prisoner_to_nomis_update.framework.telemetry import operation_id_for_message

RECORDED = "widget.recorded"


@pytest.mark.scenario("framework", 22)
@pytest.mark.scenario("framework", 24)
async def test_notifications_and_retries_reach_the_domain(
    clean_estate: Estate, fakes: ScriptedFakes, widgets: Widgets
) -> None:
    event = {
        "eventType": RECORDED,
        "occurredAt": "2021-03-08T11:23:56.031Z",
        "additionalInformation": {"widgetId": "99", "offenderNo": "A1234BC"},
        "unknownField": {"ignored": True},
    }
    retry = {"mapping": {"dpsWidgetId": "99", "nomisWidgetId": 12345}}
    async with running_service(
        clean_estate, queues=[WIDGET_QUEUE], domains=[widgets.factory], env=fakes.env
    ) as harness:
        await harness.send_raw(WIDGET_QUEUE, notification_body(event), RECORDED)
        # Minimal retry message as the original's tests send it: no telemetryAttributes, no entityName.
        await harness.send_raw(
            WIDGET_QUEUE,
            orjson.dumps({"Type": "RETRY_CREATE_MAPPING", "Message": orjson.dumps(retry).decode()}).decode(),
            "RETRY_CREATE_MAPPING",
        )
        # Any other envelope type is acknowledged without a call.
        await harness.send_raw(
            WIDGET_QUEUE, orjson.dumps({"Type": "SubscriptionConfirmation", "Message": "x"}).decode()
        )
        # An event type the domain does not handle is acknowledged too.
        await harness.send_raw(
            WIDGET_QUEUE, notification_body({"eventType": "widget.unknown"}), "widget.unknown"
        )
        await harness.wait_for_event("widget-mapping-create-success")
        await harness.wait_for_event("widget-recorded")
        await harness.wait_for_depth(WIDGET_QUEUE, 0)
        assert await harness.depth(WIDGET_QUEUE, dlq=True) == 0
    assert widgets.received == [(RECORDED, event)]
    [message] = widgets.retries
    assert message.mapping == retry["mapping"]
    assert message.telemetry_attributes == {}
    assert message.entity_name is None
    assert widgets.mappings.rows == [retry["mapping"]]


@pytest.mark.scenario("framework", 22)
@pytest.mark.scenario("framework", 23)
async def test_feature_switch_off_consumes_the_event_without_processing(clean_estate: Estate) -> None:
    """The real visits domain: switched off for `visits`, the booked event is dropped (quirk 1)."""
    visits = clean_estate.plugins["visits"]
    env = {"FEATURE_EVENT_VISITS_PRISON-VISIT_BOOKED": "false"}
    async with running_service(clean_estate, queues=["visit"], env=env) as harness:
        event = await visits.act("99", "book", {"prisonerId": "A32323Y"}, publish=False)
        await harness.send_raw("visit", notification_body(event), event["eventType"])
        await harness.wait_for_depth("visit", 0)
        assert await harness.depth("visit", dlq=True) == 0
    # Consumed (the queue drained, nothing on the DLQ) but never processed.
    assert clean_estate.dps["visits"].journal == []
    assert clean_estate.nomis.journal == []
    assert clean_estate.mapping.journal == []
    assert harness.recorder.names() == []


@pytest.mark.scenario("framework", 25)
async def test_failing_retry_is_reported_and_follows_the_dlq_path(
    clean_estate: Estate, fakes: ScriptedFakes, widgets: Widgets
) -> None:
    fakes.mapping.inject_fault(path_pattern="/mapping/widgets", method="POST", status=500, count=None)
    retry_message = orjson.dumps({"mapping": {"dpsWidgetId": "1", "nomisWidgetId": 2}}).decode()
    env = {**fakes.env, "HMPPS_SQS_QUEUES_WIDGET_DLQ_MAX_RECEIVE_COUNT": "1"}
    async with running_service(
        clean_estate, queues=[WIDGET_QUEUE], domains=[widgets.factory], env=env
    ) as harness:
        await harness.send_raw(
            WIDGET_QUEUE,
            orjson.dumps({"Type": "RETRY_CREATE_MAPPING", "Message": retry_message}).decode(),
            "RETRY_CREATE_MAPPING",
        )
        [failure] = await harness.wait_for_event("create-mapping-retry-failure")
        [dlq] = await harness.wait_for_event("RETRY_CREATE_MAPPING-sent-to-dlq")
        await harness.wait_for_depth(WIDGET_QUEUE, 1, dlq=True)
    assert failure == {"retryMessage": retry_message}
    assert dlq["queueName"] == harness.settings.queues[WIDGET_QUEUE].queue_name
    assert dlq["dlqName"] == harness.settings.queues[WIDGET_QUEUE].dlq_name


async def test_each_message_has_its_own_operation_id_shared_by_its_logs_and_telemetry(
    clean_estate: Estate, fakes: ScriptedFakes, widgets: Widgets
) -> None:
    """Issue 2 item 7: one operation id per message, carried by its log lines and its telemetry."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("fwtest.widgets")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        async with running_service(
            clean_estate, queues=[WIDGET_QUEUE], domains=[widgets.factory], env=fakes.env
        ) as harness:
            first = await harness.send_raw(
                WIDGET_QUEUE, notification_body(Widgets.event(RECORDED, "W1")), RECORDED
            )
            second = await harness.send_raw(
                WIDGET_QUEUE, notification_body(Widgets.event(RECORDED, "W2")), RECORDED
            )
            await harness.wait_for_event("widget-recorded", 2)
    finally:
        logger.removeHandler(handler)
    events = {
        e.properties["dpsWidgetId"]: e.operation_id
        for e in harness.recorder.events
        if e.name == "widget-recorded"
    }
    assert events["W1"] != events["W2"]
    # The operation id is the SQS message id's 128 bits (its hex digits without dashes), the same on
    # every delivery, so a message can be followed across redeliveries; it is also its trace id.
    assert {events["W1"], events["W2"]} == {operation_id_for_message(first), operation_id_for_message(second)}
    assert operation_id_for_message(first) == first.replace("-", "")
    lines = [orjson.loads(line) for line in stream.getvalue().splitlines()]
    logged = {line["message"].rsplit(" ", 1)[-1]: line["operationId"] for line in lines}
    assert logged == events
