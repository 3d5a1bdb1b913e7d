"""The create flow (`synchronise`, `create_mapping`, RETRY_CREATE_MAPPING) end to end, framework.md 4-5.

Most scenarios are written for domains this service does not have (property, alerts, court charges);
they are proven here with the `widgets` test domain (see conftest.py), which uses the same framework
helpers those domains would. Scenarios 32 and 33 use the real visits domain.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from fw_support import WIDGET_QUEUE, ScriptedFakes, Widgets

from hmpps_sandbox.estate import Estate
from hmpps_sandbox.harness import running_service
from prisoner_to_nomis_update.framework.messages import notification_body

CREATED = "widget.created"


def run_widgets(estate: Estate, fakes: ScriptedFakes, widgets: Widgets, **env: str) -> Any:
    return running_service(estate, queues=[WIDGET_QUEUE], domains=[widgets.factory], env={**fakes.env, **env})


@pytest.mark.scenario("framework", 27)
@pytest.mark.scenario("framework", 28)
@pytest.mark.scenario("framework", 31)
async def test_mapping_failure_queues_a_retry_that_saves_the_mapping(
    clean_estate: Estate, fakes: ScriptedFakes, widgets: Widgets
) -> None:
    """Alerts' `alert-create-success` after a retried mapping (31) is domain-specific; the framework part
    is that NOMIS is written once and the retry's success event carries every create attribute."""
    widgets.dps_widgets["W1"] = {"type": "SPROCKET"}
    fakes.mapping.inject_fault(path_pattern="/mapping/widgets", method="POST", status=503)
    async with run_widgets(clean_estate, fakes, widgets) as harness:
        await harness.send_raw(WIDGET_QUEUE, notification_body(Widgets.event(CREATED)), CREATED)
        [success] = await harness.wait_for_event("widget-mapping-create-success")
        await harness.wait_for_depth(WIDGET_QUEUE, 0)
        await harness.wait_for_depth(WIDGET_QUEUE, 0, dlq=True)
        names = harness.recorder.names()

    attributes = {
        "dpsWidgetId": "W1",
        "offenderNo": "A1234BC",
        "widgetType": "SPROCKET",
        "nomisWidgetId": "500",
        "mappingType": "DPS_CREATED",
    }
    [failed] = harness.events("widget-mapping-create-failed")
    assert failed == {
        "reason": f"503 Service Unavailable from POST {fakes.mapping.url}/mapping/widgets",
        **attributes,
    }
    [retry] = harness.events("widget-create-mapping-retry")
    assert retry.pop("messageId")
    assert retry == attributes
    assert success == attributes
    # The original event is acknowledged without a create-success: the retry reports its own success.
    assert "widget-create-success" not in names
    # The retry message came back on the domain's own queue carrying the mapping and the telemetry.
    [message] = widgets.retries
    assert message.entity_name == "widget"
    assert message.mapping == {"dpsWidgetId": "W1", "nomisWidgetId": 500, "mappingType": "DPS_CREATED"}
    assert message.telemetry_attributes == attributes
    assert len(fakes.mapping.requests("POST", "/mapping/widgets")) == 2
    assert len(fakes.nomis.requests("POST")) == 1
    assert widgets.mappings.rows == [
        {"dpsWidgetId": "W1", "nomisWidgetId": 500, "mappingType": "DPS_CREATED"}
    ]


@pytest.mark.scenario("framework", 29)
@pytest.mark.scenario("framework", 30)
async def test_mapping_that_never_saves_ends_on_the_dlq_without_a_second_nomis_write(
    clean_estate: Estate, fakes: ScriptedFakes, widgets: Widgets
) -> None:
    widgets.dps_widgets["W1"] = {"type": "SPROCKET"}
    fakes.mapping.inject_fault(path_pattern="/mapping/widgets", method="POST", status=500, count=None)
    env = {"HMPPS_SQS_QUEUES_WIDGET_DLQ_MAX_RECEIVE_COUNT": "2"}
    async with run_widgets(clean_estate, fakes, widgets, **env) as harness:
        await harness.send_raw(WIDGET_QUEUE, notification_body(Widgets.event(CREATED)), CREATED)
        [dlq_event] = await harness.wait_for_event("RETRY_CREATE_MAPPING-sent-to-dlq")
        await harness.wait_for_depth(WIDGET_QUEUE, 1, dlq=True)
        await harness.wait_for_depth(WIDGET_QUEUE, 0)
    # 1 original attempt + 2 deliveries of the retry message.
    assert len(fakes.mapping.requests("POST", "/mapping/widgets")) == 3
    assert len(fakes.nomis.requests("POST")) == 1
    assert harness.events("widget-mapping-create-success") == []
    assert len(harness.events("create-mapping-retry-failure")) == 2
    assert dlq_event["maxReceiveCount"] == "2"
    assert widgets.mappings.rows == []


@pytest.mark.scenario("framework", 32)
async def test_visit_mapping_retry_on_the_dlq_is_recovered_by_retry_all_dlqs(clean_estate: Estate) -> None:
    visits = clean_estate.plugins["visits"]
    clean_estate.mapping.inject_fault(path_pattern="/mapping/visits", method="POST", status=500, count=2)
    env = {"HMPPS_SQS_QUEUES_VISIT_DLQ_MAX_RECEIVE_COUNT": "1"}
    async with running_service(clean_estate, queues=["visit"], env=env) as harness:
        await visits.act("12", "book", {"prisonerId": "A32323Y"})
        await harness.wait_for_event("RETRY_CREATE_MAPPING-sent-to-dlq")
        await harness.wait_for_depth("visit", 1, dlq=True)
        await harness.wait_for_depth("visit", 0)
        status, body, _ = await harness.request(
            "PUT", "/queue-admin/retry-all-dlqs", roles=["ROLE_SYSCON__QUEUE_ADMIN"]
        )
        assert status == 200
        assert body == [{"messagesFoundCount": 1}]
        await harness.wait_for_event("visit-retry-success")
        await harness.wait_for_depth("visit", 0, dlq=True)
        await harness.wait_for_depth("visit", 0)
    assert len(clean_estate.mapping.requests("POST", "/mapping/visits")) == 3
    assert len(clean_estate.nomis.requests("POST", r"/prisoners/.*/visits")) == 1
    assert len(visits.mappings.rows) == 1


@pytest.mark.scenario("framework", 33)
async def test_duplicate_visit_mapping_is_reported_and_not_retried(clean_estate: Estate) -> None:
    visits = clean_estate.plugins["visits"]
    conflict = {
        "status": 409,
        "errorCode": 1409,
        "userMessage": "Conflict: Visit mapping already exist",
        "moreInfo": {
            "existing": {"vsipId": "12", "nomisId": 12345, "mappingType": "ONLINE"},
            "duplicate": {"vsipId": "12", "nomisId": 54321, "mappingType": "ONLINE"},
        },
    }
    clean_estate.mapping.inject_fault(
        path_pattern="/mapping/visits", method="POST", status=409, body=conflict
    )
    async with running_service(clean_estate, queues=["visit"]) as harness:
        await visits.act("12", "book", {"prisonerId": "A32323Y"})
        [duplicate] = await harness.wait_for_event("to-nomis-synch-visit-duplicate")
        await harness.wait_for_depth("visit", 0)
        dlq_depth = await harness.depth("visit", dlq=True)
    assert duplicate["existingVsipId"] == "12"
    assert duplicate["existingNomisId"] == "12345"
    assert duplicate["duplicateVsipId"] == "12"
    assert duplicate["duplicateNomisId"] == "54321"
    [failed] = harness.events("visit-mapping-create-failed")
    assert failed["reason"].startswith("409 Conflict from POST ")
    assert len(clean_estate.mapping.requests("POST", "/mapping/visits")) == 1
    assert harness.events("visit-create-mapping-retry") == []
    assert harness.events("visit-create-success") == []
    assert dlq_depth == 0


@pytest.mark.scenario("framework", 34)
async def test_missing_parent_waits_and_the_nomis_create_happens_once(
    clean_estate: Estate, fakes: ScriptedFakes, widgets: Widgets
) -> None:
    widgets.dps_widgets["W3"] = {"type": "COG", "gadgetId": "G9"}
    widgets.gadgets.add({"dpsGadgetId": "G9", "nomisGadgetId": 99})
    # The parent mapping is not there on the first attempt, and is on the redelivery.
    fakes.mapping.inject_fault(path_pattern="/mapping/gadgets/dps-gadget-id/G9", status=404)
    async with run_widgets(clean_estate, fakes, widgets) as harness:
        await harness.send_raw(WIDGET_QUEUE, notification_body(Widgets.event(CREATED, "W3")), CREATED)
        [success] = await harness.wait_for_event("widget-create-success")
        await harness.wait_for_depth(WIDGET_QUEUE, 0)
        names = harness.recorder.names()
    [awaiting] = harness.events("widget-create-awaiting-parent")
    assert awaiting == {
        "dpsWidgetId": "W3",
        "offenderNo": "A1234BC",
        "widgetType": "COG",
        "reason": "Missing DPS gadget: G9",
    }
    assert names.index("widget-create-awaiting-parent") < names.index("widget-create-success")
    assert success["nomisGadgetId"] == "99"
    assert len(fakes.nomis.requests("POST")) == 1
    assert len(fakes.mapping.requests("GET", "/mapping/gadgets/dps-gadget-id/G9")) == 2


@pytest.mark.scenario("framework", 35)
async def test_failed_dependency_waits_for_dependent_state(
    clean_estate: Estate, fakes: ScriptedFakes, widgets: Widgets
) -> None:
    widgets.dps_widgets["W4"] = {"type": "COG"}
    widgets.mappings.add({"dpsWidgetId": "W5", "nomisWidgetId": 42, "mappingType": "DPS_CREATED"})
    widgets.nomis_widgets[42] = {"type": "COG"}
    body = {"status": 424, "userMessage": "Booking not yet active"}
    fakes.nomis.inject_fault(path_pattern="/prisoners/.*/widgets", method="POST", status=424, body=body)
    fakes.nomis.inject_fault(path_pattern="/prisoners/.*/widgets/42", method="PUT", status=424, body=body)
    async with run_widgets(clean_estate, fakes, widgets) as harness:
        await harness.send_raw(WIDGET_QUEUE, notification_body(Widgets.event(CREATED, "W4")), CREATED)
        await harness.send_raw(
            WIDGET_QUEUE, notification_body(Widgets.event("widget.updated", "W5")), "widget.updated"
        )
        await harness.wait_for_event("widget-create-success")
        await harness.wait_for_event("widget-update-success")
        await harness.wait_for_depth(WIDGET_QUEUE, 0)
    reason = "Expected dependent state not yet correct, retrying: " + orjson.dumps(body).decode()
    [awaiting] = harness.events("widget-create-awaiting-dependent-state")
    assert awaiting == {"dpsWidgetId": "W4", "offenderNo": "A1234BC", "widgetType": "COG", "reason": reason}
    # `track` names its event without `create`.
    [tracked] = harness.events("widget-update-awaiting-dependent-state")
    assert tracked == {"dpsWidgetId": "W5", "nomisWidgetId": "42", "reason": reason}
    assert harness.events("widget-update-success") == [{"dpsWidgetId": "W5", "nomisWidgetId": "42"}]
    assert widgets.nomis_widgets[42]["updated"] is True


@pytest.mark.scenario("framework", 26)
@pytest.mark.scenario("framework", 36)
@pytest.mark.scenario("framework", 37)
async def test_already_mapped_ignored_and_failing_creates(
    clean_estate: Estate, fakes: ScriptedFakes, widgets: Widgets
) -> None:
    widgets.mappings.add({"dpsWidgetId": "W1", "nomisWidgetId": 7, "mappingType": "DPS_CREATED"})
    widgets.dps_widgets["W6"] = {"type": "COG", "ignore": True}
    widgets.dps_widgets["W7"] = {"type": "COG", "explode": "gears jammed"}
    widgets.dps_widgets["W8"] = {"type": "COG", "explode": ""}
    env = {"HMPPS_SQS_QUEUES_WIDGET_DLQ_MAX_RECEIVE_COUNT": "1"}
    async with run_widgets(clean_estate, fakes, widgets, **env) as harness:
        for widget_id in ("W1", "W6", "W7", "W8", "W404"):
            await harness.send_raw(
                WIDGET_QUEUE, notification_body(Widgets.event(CREATED, widget_id)), CREATED
            )
        await harness.wait_for_event("widget-create-failed", 3)
        await harness.wait_for_depth(WIDGET_QUEUE, 3, dlq=True)
        await harness.wait_for_depth(WIDGET_QUEUE, 0)

    # 26: an existing mapping means nothing else is called.
    assert harness.events("widget-create-duplicate") == [{"dpsWidgetId": "W1", "offenderNo": "A1234BC"}]
    assert fakes.dps.requests("GET", "/widgets/W1") == []
    # 36: a transform returning nothing is ignored, and no mapping is created.
    assert harness.events("widget-create-ignored") == [
        {"dpsWidgetId": "W6", "offenderNo": "A1234BC", "widgetType": "COG"}
    ]
    assert fakes.mapping.requests("POST") == []
    # 37: any other failure is reported with its message (or class name) and the message fails.
    reasons = {event["dpsWidgetId"]: event["reason"] for event in harness.events("widget-create-failed")}
    assert reasons == {
        "W7": "gears jammed",
        "W8": "RuntimeError",
        "W404": f"404 Not Found from GET {fakes.dps.url}/widgets/W404",
    }
    assert len(harness.events("widget.created-sent-to-dlq")) == 3
    assert fakes.nomis.journal == []
