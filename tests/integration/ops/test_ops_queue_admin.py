"""Queue admin endpoints against the real moto server (framework 65-74, 85-88)."""

from __future__ import annotations

import uuid

import orjson
import pytest
from ops_support import ADMIN_ROLE, VISITS_ONLY, park_booked_visits_on_dlq

from hmpps_sandbox.estate import Estate, queue_name
from hmpps_sandbox.harness import running_service
from prisoner_to_nomis_update.framework.messages import notification_body


def not_found(name: str) -> dict[str, object]:
    return {
        "status": 404,
        "errorCode": None,
        "userMessage": f"Not Found: {name} not found",
        "developerMessage": f"{name} not found",
        "moreInfo": None,
    }


@pytest.mark.scenario("framework", 65)
@pytest.mark.scenario("framework", 71)
async def test_admin_endpoints_need_a_token_and_the_role(clean_estate: Estate) -> None:
    async with running_service(clean_estate, domains=VISITS_ONLY, queues=["visit"]) as harness:
        for method, path in [
            ("PUT", "/queue-admin/retry-dlq/x"),
            ("PUT", "/queue-admin/purge-queue/x"),
            ("PUT", "/queue-admin/retry-all-dlqs"),
            ("GET", "/queue-admin/get-dlq-messages/x"),
        ]:
            status, body, headers = await harness.request(method, path)
            assert (status, body) == (401, None), path
            assert headers["WWW-Authenticate"].startswith("Bearer")
            status, body, _ = await harness.request(
                method, path, roles=["ROLE_PRISONER_TO_NOMIS__UPDATE__RW"]
            )
            assert status == 403, path
            assert body["userMessage"] == "Access Denied"


@pytest.mark.scenario("framework", 66)
@pytest.mark.scenario("framework", 71)
async def test_unknown_queue_names_are_not_found(clean_estate: Estate) -> None:
    async with running_service(clean_estate, domains=VISITS_ONLY, queues=["visit"]) as harness:
        for method, path, name in [
            ("PUT", "/queue-admin/retry-dlq/UNKNOWN_DLQ", "UNKNOWN_DLQ"),
            ("GET", "/queue-admin/get-dlq-messages/UNKNOWN_DLQ", "UNKNOWN_DLQ"),
            ("PUT", "/queue-admin/purge-queue/UNKNOWN_QUEUE", "UNKNOWN_QUEUE"),
        ]:
            status, body, _ = await harness.request(method, path, roles=[ADMIN_ROLE])
            assert (status, body) == (404, not_found(name)), path
        # A main queue name is not a DLQ name.
        main = harness.service.queues.by_id("visit").name
        status, body, _ = await harness.request("PUT", f"/queue-admin/retry-dlq/{main}", roles=[ADMIN_ROLE])
        assert (status, body) == (404, not_found(main))


@pytest.mark.scenario("framework", 67)
@pytest.mark.scenario("framework", 85)
async def test_retry_dlq_moves_messages_back_and_the_listener_syncs_them(clean_estate: Estate) -> None:
    async with running_service(clean_estate, domains=VISITS_ONLY, queues=["visit"]) as harness:
        dlq = harness.service.queues.by_id("visit").dlq_name
        status, body, _ = await harness.request("PUT", f"/queue-admin/retry-dlq/{dlq}", roles=[ADMIN_ROLE])
        # Nothing there: no move, no telemetry.
        assert (status, body) == (200, {"messagesFoundCount": 0})
        assert harness.events("RetryDLQ") == []

        references = ["101", "102", "103"]
        await park_booked_visits_on_dlq(clean_estate, harness, references)
        await harness.wait_for_depth("visit", 3, dlq=True)
        status, body, _ = await harness.request("PUT", f"/queue-admin/retry-dlq/{dlq}", roles=[ADMIN_ROLE])
        assert (status, body) == (200, {"messagesFoundCount": 3})
        assert harness.events("RetryDLQ") == [{"dlq-name": dlq, "messages-found": "3"}]

        await harness.wait_for_event("visit-create-success", 3)
        await harness.wait_for_depth("visit", 0)
        await harness.wait_for_depth("visit", 0, dlq=True)
        visits = clean_estate.plugins["visits"]
        # Each message processed exactly once: one NOMIS visit and one mapping per DPS visit.
        assert len(clean_estate.nomis.requests("POST", r"/prisoners/A1234BC/visits")) == 3
        assert sorted(row["vsipId"] for row in visits.mappings.rows) == references
        assert len(harness.events("visit-create-success")) == 3


@pytest.mark.scenario("framework", 68)
async def test_retry_all_dlqs_retries_every_queue(clean_estate: Estate) -> None:
    """Two queues each with a DLQ message: both drain; the unconsumed queue keeps its moved message."""
    prefix = f"t{uuid.uuid4().hex[:8]}_"
    env = {
        "HMPPS_SQS_QUEUES_SPARE_QUEUE_NAME": queue_name("spare", prefix),
        "HMPPS_SQS_QUEUES_SPARE_DLQ_NAME": f"{prefix}spare_dlq",
    }
    async with running_service(clean_estate, domains=VISITS_ONLY, queues=["visit"], env=env) as harness:
        await park_booked_visits_on_dlq(clean_estate, harness, ["201"])
        spare_id = await harness.send_raw("spare", '{"hello": "world"}', "some.event", dlq=True)
        await harness.wait_for_depth("visit", 1, dlq=True)
        await harness.wait_for_depth("spare", 1, dlq=True)

        status, body, _ = await harness.request("PUT", "/queue-admin/retry-all-dlqs", roles=[ADMIN_ROLE])
        assert status == 200
        # One result per configured queue, in configuration order (ids sorted: spare, visit).
        assert list(harness.service.queues.queues) == ["spare", "visit"]
        assert body == [{"messagesFoundCount": 1}, {"messagesFoundCount": 1}]

        await harness.wait_for_event("visit-create-success")
        await harness.wait_for_depth("visit", 0)
        await harness.wait_for_depth("visit", 0, dlq=True)
        await harness.wait_for_depth("spare", 0, dlq=True)
        assert await harness.depth("spare") == 1
        moved = await harness.service.queues.sqs.receive_message(
            QueueUrl=harness.queue_url("spare"), MessageAttributeNames=["All"]
        )
        (message,) = moved["Messages"]
        # Body and attributes survive the move (a new SQS message id is unavoidable).
        assert message["Body"] == '{"hello": "world"}'
        assert message["MessageAttributes"]["eventType"]["StringValue"] == "some.event"
        assert message["MessageId"] != spare_id


@pytest.mark.scenario("framework", 69)
@pytest.mark.scenario("framework", 88)
async def test_purge_queue(clean_estate: Estate) -> None:
    async with running_service(clean_estate, domains=VISITS_ONLY, queues=["visit"]) as harness:
        queue = harness.service.queues.by_id("visit")
        status, body, _ = await harness.request(
            "PUT", f"/queue-admin/purge-queue/{queue.dlq_name}", roles=[ADMIN_ROLE]
        )
        assert (status, body) == (200, {"messagesFoundCount": 0})
        assert harness.events("PurgeQueue") == []

        await harness.send_raw("visit", "{}", dlq=True)
        await harness.send_raw("visit", "{}", dlq=True)
        await harness.wait_for_depth("visit", 2, dlq=True)
        status, body, _ = await harness.request(
            "PUT", f"/queue-admin/purge-queue/{queue.dlq_name}", roles=[ADMIN_ROLE]
        )
        assert (status, body) == (200, {"messagesFoundCount": 2})
        assert harness.events("PurgeQueue") == [{"queue-name": queue.dlq_name, "messages-found": "2"}]
        await harness.wait_for_depth("visit", 0, dlq=True)


@pytest.mark.scenario("framework", 70)
@pytest.mark.scenario("framework", 87)
async def test_the_audit_queue_is_never_purged_by_name(clean_estate: Estate) -> None:
    prefix = f"t{uuid.uuid4().hex[:8]}_"
    audit = queue_name("audit", prefix)
    env = {"HMPPS_SQS_QUEUES_AUDIT_QUEUE_NAME": audit}
    async with running_service(clean_estate, domains=VISITS_ONLY, queues=["visit"], env=env) as harness:
        await harness.send_raw("audit", "{}")
        status, body, _ = await harness.request(
            "PUT", f"/queue-admin/purge-queue/{audit}", roles=[ADMIN_ROLE]
        )
        assert (status, body) == (404, not_found(audit))
        assert await harness.depth("audit") == 1
        # A main queue is found by its name, a DLQ by its own.
        visit = harness.service.queues.by_id("visit")
        for name in (visit.name, visit.dlq_name):
            status, body, _ = await harness.request(
                "PUT", f"/queue-admin/purge-queue/{name}", roles=[ADMIN_ROLE]
            )
            assert (status, body) == (200, {"messagesFoundCount": 0})


@pytest.mark.scenario("framework", 72)
@pytest.mark.scenario("framework", 86)
async def test_get_dlq_messages_returns_parsed_bodies(clean_estate: Estate) -> None:
    async with running_service(clean_estate, domains=VISITS_ONLY, queues=["visit"]) as harness:
        dlq = harness.service.queues.by_id("visit").dlq_name
        status, body, _ = await harness.request(
            "GET", f"/queue-admin/get-dlq-messages/{dlq}", roles=[ADMIN_ROLE]
        )
        assert (status, body) == (200, {"messagesFoundCount": 0, "messagesReturnedCount": 0, "messages": []})

        events = [
            {
                "eventType": "prison-visit.booked",
                "additionalInformation": {"reference": str(n)},
                "version": 1.5,
            }
            for n in range(3)
        ]
        sqs_ids = [
            await harness.send_raw("visit", notification_body(event, message_id=f"sns-{n}"), dlq=True)
            for n, event in enumerate(events)
        ]
        status, body, _ = await harness.request(
            "GET", f"/queue-admin/get-dlq-messages/{dlq}", roles=[ADMIN_ROLE]
        )
        assert status == 200
        assert body["messagesFoundCount"] == 3
        assert body["messagesReturnedCount"] == 3
        assert sorted(m["body"]["MessageId"] for m in body["messages"]) == ["sns-0", "sns-1", "sns-2"]
        assert sorted(m["messageId"] for m in body["messages"]) == sorted(sqs_ids)
        first = next(m for m in body["messages"] if m["body"]["MessageId"] == "sns-0")
        assert orjson.loads(first["body"]["Message"]) == events[0]
        # Peeking does not remove anything.
        await harness.wait_for_depth("visit", 3, dlq=True)


@pytest.mark.scenario("framework", 73)
async def test_get_dlq_messages_honours_max_messages(clean_estate: Estate) -> None:
    async with running_service(clean_estate, domains=VISITS_ONLY, queues=["visit"]) as harness:
        dlq = harness.service.queues.by_id("visit").dlq_name
        for n in range(20):
            await harness.send_raw("visit", orjson.dumps({"n": n}).decode(), dlq=True)
        status, body, _ = await harness.request(
            "GET", f"/queue-admin/get-dlq-messages/{dlq}?maxMessages=12", roles=[ADMIN_ROLE]
        )
        assert status == 200
        assert body["messagesFoundCount"] == 20
        assert body["messagesReturnedCount"] == 12
        assert len(body["messages"]) == 12
        assert len({m["messageId"] for m in body["messages"]}) == 12
        assert all(isinstance(m["body"]["n"], int) for m in body["messages"])


async def test_get_dlq_messages_rejects_a_malformed_max_messages(clean_estate: Estate) -> None:
    async with running_service(clean_estate, domains=VISITS_ONLY, queues=["visit"]) as harness:
        dlq = harness.service.queues.by_id("visit").dlq_name
        for value in ("abc", "-1", "1.5", "100000"):
            status, body, _ = await harness.request(
                "GET", f"/queue-admin/get-dlq-messages/{dlq}?maxMessages={value}", roles=[ADMIN_ROLE]
            )
            assert status == 400, value
            assert body["status"] == 400
            assert body["userMessage"].startswith("Invalid Argument: query.maxMessages: "), body


@pytest.mark.scenario("framework", 74)
async def test_custom_queue_admin_role(clean_estate: Estate) -> None:
    custom = "ROLE_TEST_APP_QUEUE_ADMIN"
    env = {"HMPPS_SQS_QUEUE_ADMIN_ROLE": custom}
    async with running_service(clean_estate, domains=VISITS_ONLY, queues=["visit"], env=env) as harness:
        queue = harness.service.queues.by_id("visit")
        calls = [
            ("PUT", f"/queue-admin/purge-queue/{queue.name}"),
            ("PUT", f"/queue-admin/retry-dlq/{queue.dlq_name}"),
            ("PUT", "/queue-admin/retry-all-dlqs"),
            ("GET", f"/queue-admin/get-dlq-messages/{queue.dlq_name}"),
        ]
        for method, path in calls:
            status, _, _ = await harness.request(method, path, roles=[ADMIN_ROLE])
            assert status == 403, path
            status, _, _ = await harness.request(method, path, roles=[custom])
            assert status == 200, path
        status, _, _ = await harness.request("PUT", "/queue-admin/retry-all-dlqs")
        assert status == 401
