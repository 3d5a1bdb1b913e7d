"""Queue lookups by id, name and DLQ name (framework.md 14.4, scenarios 87 and 93)."""

from __future__ import annotations

import pytest

from prisoner_to_nomis_update.framework.queues import QueueNotFound, QueueService, topic_name_from_arn
from prisoner_to_nomis_update.framework.telemetry import Telemetry
from prisoner_to_nomis_update.settings import load_settings

ENV = {
    "HMPPS_SQS_QUEUES_VISIT_QUEUE_NAME": "visit_queue",
    "HMPPS_SQS_QUEUES_VISIT_DLQ_NAME": "visit_dlq",
    "HMPPS_SQS_QUEUES_AUDIT_QUEUE_NAME": "audit_queue",
    "HMPPS_SQS_QUEUES_FROMNOMISCOURTSENTENCING_QUEUE_NAME": "from_nomis_queue",
}


@pytest.fixture
def queues() -> QueueService:
    service = QueueService(load_settings(ENV), Telemetry([]))
    for queue in service.queues.values():
        queue.url, queue.dlq_url = f"url/{queue.name}", f"url/{queue.dlq_name}"
    return service


@pytest.mark.scenario("framework", 93)
def test_lookups_by_id_name_and_dlq_name(queues: QueueService) -> None:
    visit = queues.by_id("visit")
    assert (visit.queue_id, visit.name, visit.dlq_name) == ("visit", "visit_queue", "visit_dlq")
    assert queues.find_by_name("visit_queue") is visit
    assert queues.find_by_dlq_name("visit_dlq") is visit
    assert queues.find_by_name("visit_dlq") is None
    assert queues.find_by_dlq_name("visit_queue") is None
    assert queues.find_by_name("nope") is None
    assert queues.find_by_dlq_name("nope") is None
    # A queue without a DLQ is never found by an empty DLQ name.
    assert queues.find_by_dlq_name("") is None
    with pytest.raises(QueueNotFound, match=r"^nope not found$"):
        queues.by_id("nope")


def test_find_queue_to_purge(queues: QueueService) -> None:
    """Scenario 87 belongs to the operations tests; this pins the lookup the PURGE batch job relies on."""
    visit = queues.by_id("visit")
    assert queues.find_queue_to_purge("visit_queue") == (visit, "url/visit_queue")
    assert queues.find_queue_to_purge("visit_dlq") == (visit, "url/visit_dlq")
    assert queues.find_queue_to_purge("audit_queue") is None
    assert queues.find_queue_to_purge("unknown") is None


@pytest.mark.scenario("framework", 89)
def test_topic_name_is_the_last_arn_segment() -> None:
    assert (
        topic_name_from_arn("arn:aws:sns:eu-west-2:000000000000:hmpps_domain_events") == "hmpps_domain_events"
    )
