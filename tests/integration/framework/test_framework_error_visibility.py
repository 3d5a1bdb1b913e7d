"""Escalating error visibility with the real listener, moto and a redrive policy (framework.md 14.7)."""

from __future__ import annotations

import asyncio
import logging
import re

import pytest
from fw_support import WIDGET_QUEUE, ScriptedFakes, Widgets

from hmpps_sandbox.estate import Estate
from hmpps_sandbox.harness import running_service
from prisoner_to_nomis_update.framework.messages import notification_body

BROKEN = "widget.broken"
FAST_LANE = "widget.broken.fast-lane"
SETTING = re.compile(
    r"Setting error visibility timeout (?:for event type (?P<type>\S+) on queue widget with receive count "
    r"(?P<count>\d) to (?P<delay>\d+) seconds|to 0 for event type (?P<last_type>\S+) on queue widget with "
    r"receive count (?P<last_count>\d) because this is the last retry)"
)


@pytest.mark.scenario("framework", 83)
@pytest.mark.scenario("framework", 84)
async def test_failures_back_off_per_receive_count_then_reach_the_dlq(
    clean_estate: Estate, fakes: ScriptedFakes, widgets: Widgets, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="prisoner_to_nomis_update.framework.listener")
    env = {
        **fakes.env,
        "HMPPS_SQS_QUEUES_WIDGET_ERROR_VISIBILITY_TIMEOUT": "1,2",
        "HMPPS_SQS_QUEUES_WIDGET_DLQ_MAX_RECEIVE_COUNT": "3",
        # The env spelling of the event type `widget.broken.fast-lane` (dots as underscores, hyphen kept).
        "HMPPS_SQS_QUEUES_WIDGET_EVENT_ERROR_VISIBILITY_TIMEOUT_WIDGET_BROKEN_FAST-LANE": "0,1",
    }
    async with running_service(
        clean_estate, queues=[WIDGET_QUEUE], domains=[widgets.factory], env=env
    ) as harness:
        assert harness.settings.queues[WIDGET_QUEUE].event_error_visibility_timeout == {FAST_LANE: [0, 1]}
        loop = asyncio.get_running_loop()
        started = loop.time()
        await harness.send_raw(WIDGET_QUEUE, notification_body(Widgets.event(FAST_LANE, "W2")), FAST_LANE)
        await harness.send_raw(WIDGET_QUEUE, notification_body(Widgets.event(BROKEN, "W1")), BROKEN)
        [fast_dlq] = await harness.wait_for_event(f"{FAST_LANE}-sent-to-dlq")
        fast_elapsed = loop.time() - started
        [slow_dlq] = await harness.wait_for_event(f"{BROKEN}-sent-to-dlq", timeout=20)
        await harness.wait_for_depth(WIDGET_QUEUE, 2, dlq=True)
        slow_elapsed = loop.time() - started
        await harness.wait_for_depth(WIDGET_QUEUE, 0)

    queue = harness.settings.queues[WIDGET_QUEUE]
    assert slow_dlq == {
        "queueName": queue.queue_name,
        "dlqName": queue.dlq_name,
        "timeouts": "[1, 2]",
        "maxReceiveCount": "3",
    }
    assert fast_dlq == {**slow_dlq, "timeouts": "[0, 1]"}
    # 1 s + 2 s of back-off before the third (last) delivery; the fast lane only waits 0 s + 1 s.
    assert slow_elapsed >= 3.0
    assert 1.0 <= fast_elapsed < slow_elapsed
    assert [t for t, _ in widgets.received].count(BROKEN) == 3
    assert [t for t, _ in widgets.received].count(FAST_LANE) == 3

    steps: dict[str, list[tuple[int, int | str]]] = {BROKEN: [], FAST_LANE: []}
    for record in caplog.records:
        match = SETTING.search(record.getMessage())
        if match is None:
            continue
        if match["type"]:
            steps[match["type"]].append((int(match["count"]), int(match["delay"])))
        else:
            steps[match["last_type"]].append((int(match["last_count"]), "last retry"))
    assert steps[BROKEN] == [(1, 1), (2, 2), (3, "last retry")]
    assert steps[FAST_LANE] == [(1, 0), (2, 1), (3, "last retry")]
