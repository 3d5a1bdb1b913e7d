"""`/health` and its probes against the real moto server and the fakes (framework 8-11, 60-64, 94)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import orjson
import pytest
import uvicorn
from ops_support import VISITS_ONLY

from hmpps_sandbox.estate import Estate
from hmpps_sandbox.harness import ServiceHarness, running_service
from hmpps_sandbox.moto_server import MotoServer
from hmpps_sandbox.ports import free_port

# framework.md 8.1: every health component name the original has for a downstream API.
KNOWN_API_COMPONENTS = {
    "nomisApi", "mappingApi", "hmppsAuthApi", "activitiesApi", "adjudicationsApi", "agencyApi", "alertsApi",
    "appointmentsApi", "caseNotesApi", "corePersonApi", "courtSchedulerApi", "courtSentencingApi", "csipApi",
    "csraApi", "financeApi", "incentivesApi", "incidentsApi", "locationsApi", "nonAssociationsApi",
    "officialVisitsApi", "organisationsApi", "personalRelationshipsApi", "propertyApi",
    "sentenceAdjustmentsApi", "staff", "tapsApi", "visitBalanceApi", "visitsApi",
}  # fmt: skip


def api_components(body: dict[str, Any]) -> dict[str, Any]:
    return {
        name: component
        for name, component in body["components"].items()
        if not name.endswith("-health") and name != "ping"
    }


@pytest.mark.scenario("framework", 8)
async def test_health_is_up_with_a_component_per_configured_api(clean_estate: Estate) -> None:
    async with running_service(clean_estate, domains=VISITS_ONLY, queues=["visit"]) as harness:
        status, body, _ = await harness.request("GET", "/health")
        assert status == 200
        assert body["status"] == "UP"
        apis = api_components(body)
        # One component per configured API, named as the original names them, and only those.
        expected = {api.health_component for api in harness.settings.apis.values()} | {"hmppsAuthApi"}
        assert set(apis) == expected
        assert expected <= KNOWN_API_COMPONENTS
        assert {"nomisApi", "mappingApi", "visitsApi", "hmppsAuthApi"} <= expected
        for component in apis.values():
            assert component == {"status": "UP", "details": {"HttpStatus": "OK"}}


@pytest.mark.scenario("framework", 9)
async def test_health_is_down_when_every_ping_answers_404(clean_estate: Estate) -> None:
    async with running_service(clean_estate, domains=VISITS_ONLY, queues=["visit"]) as harness:
        for fake in clean_estate.fakes():
            fake.inject_fault(path_pattern=r".*/health/ping", status=404, count=None)
        status, body, _ = await harness.request("GET", "/health")
        assert status == 503
        assert body["status"] == "DOWN"
        nomis = body["components"]["nomisApi"]
        assert nomis["status"] == "DOWN"
        assert nomis["details"]["HttpStatus"] == "NOT_FOUND"
        assert nomis["details"]["error"] == (
            f"HttpError: 404 Not Found from GET {clean_estate.nomis.url}/health/ping"
        )
        assert orjson.loads(nomis["details"]["body"]) == {"status": 404, "userMessage": "injected fault"}
        assert all(c["status"] == "DOWN" for c in api_components(body).values())
        # The queues are fine and still say so.
        assert body["components"]["visit-health"]["status"] == "UP"


async def test_health_answers_promptly_when_an_api_hangs(clean_estate: Estate) -> None:
    """A ping that never answers is DOWN after the health timeout; the page does not wait for it."""
    async with running_service(
        clean_estate, domains=VISITS_ONLY, queues=["visit"], env={"API_HEALTH_TIMEOUT": "1500ms"}
    ) as harness:
        clean_estate.mapping.inject_fault(
            path_pattern=r".*/health/ping", status=0, delay_seconds=8, count=None
        )
        started = time.monotonic()
        status, body, _ = await harness.request("GET", "/health")
        elapsed = time.monotonic() - started
        assert elapsed < 3.5, f"/health took {elapsed:.1f}s"
        assert status == 503
        mapping = body["components"]["mappingApi"]
        assert mapping["status"] == "DOWN"
        assert mapping["details"]["error"].startswith("TimeoutError: no answer from GET ")
        assert body["components"]["nomisApi"]["status"] == "UP", body["components"]["nomisApi"]
        clean_estate.mapping.clear_faults()


@pytest.mark.scenario("framework", 10)
async def test_ping_is_up_whatever_the_dependencies_say(clean_estate: Estate) -> None:
    async with running_service(clean_estate, domains=VISITS_ONLY, queues=["visit"]) as harness:
        clean_estate.nomis.inject_fault(path_pattern=r".*/health/ping", status=500, count=None)
        status, body, _ = await harness.request("GET", "/health/ping")
        assert (status, body) == (200, {"status": "UP"})


@pytest.mark.scenario("framework", 11)
async def test_liveness_and_readiness_once_listeners_run(clean_estate: Estate) -> None:
    async with running_service(clean_estate, domains=VISITS_ONLY, queues=["visit"]) as harness:
        assert harness.service.listeners, "the visit listener should be running"
        for path in ("/health/liveness", "/health/readiness"):
            status, body, _ = await harness.request("GET", path)
            assert (status, body) == (200, {"status": "UP"}), path


async def test_readiness_waits_for_the_listeners(clean_estate: Estate) -> None:
    """The HTTP server answers before the listeners start; readiness says OUT_OF_SERVICE until they do."""
    harness = ServiceHarness(clean_estate, domains=VISITS_ONLY, queues=["visit"])
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(harness.service.app, host="127.0.0.1", port=port, log_config=None, lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.01)
        async with aiohttp.ClientSession() as client:

            async def get(path: str) -> tuple[int, Any]:
                async with client.get(f"http://127.0.0.1:{port}{path}") as response:
                    return response.status, await response.json()

            assert await get("/health/readiness") == (503, {"status": "OUT_OF_SERVICE"})
            assert await get("/health/liveness") == (200, {"status": "UP"})
            await harness.service.start()
            assert harness.service.listeners
            assert await get("/health/readiness") == (200, {"status": "UP"})
            await harness.service.stop()
            assert await get("/health/readiness") == (503, {"status": "OUT_OF_SERVICE"})
    finally:
        server.should_exit = True
        await task


# ---- queue and topic components -----------------------------------------------------------------


@pytest.mark.scenario("framework", 60)
@pytest.mark.scenario("framework", 94)
async def test_healthy_queue_component(clean_estate: Estate) -> None:
    async with running_service(clean_estate, domains=VISITS_ONLY, queues=["visit"]) as harness:
        await harness.send_raw("visit", "{}", dlq=True)
        status, body, _ = await harness.request("GET", "/health")
        assert status == 200
        queue = harness.service.queues.by_id("visit")
        assert body["components"]["visit-health"] == {
            "status": "UP",
            "details": {
                "queueName": queue.name,
                "messagesOnQueue": "0",
                "messagesInFlight": "0",
                "dlqName": queue.dlq_name,
                "dlqStatus": "UP",
                "messagesOnDlq": "1",
            },
        }
        # Component names are `<queueId>-health` and `<topicId>-health`.
        assert {"visit-health", "domainevents-health"} <= set(body["components"])


@pytest.mark.scenario("framework", 61)
@pytest.mark.scenario("framework", 62)
async def test_queue_component_down_when_queue_and_dlq_are_gone(clean_estate: Estate) -> None:
    """Python exception classes name the failure (`QueueDoesNotExist: ...`), not Java's `...Exception`."""
    async with running_service(clean_estate, domains=VISITS_ONLY, queues=["visit"]) as harness:
        queues = harness.service.queues
        queue = queues.by_id("visit")
        await queues.sqs.delete_queue(QueueUrl=queue.url)
        await queues.sqs.delete_queue(QueueUrl=queue.dlq_url)
        status, body, _ = await harness.request("GET", "/health")
        assert status == 503
        assert body["status"] == "DOWN"
        component = body["components"]["visit-health"]
        assert component["status"] == "DOWN"
        details = component["details"]
        assert details["queueName"] == queue.name
        assert details["dlqName"] == queue.dlq_name
        assert details["dlqStatus"] == "DOWN"
        assert details["error"].startswith("QueueDoesNotExist: ")
        assert "GetQueueAttributes" in details["error"]
        assert "messagesOnQueue" not in details


@pytest.mark.scenario("framework", 63)
async def test_dlq_status_down_without_redrive_policy(clean_estate: Estate) -> None:
    async with running_service(clean_estate, domains=VISITS_ONLY, queues=["visit"]) as harness:
        queues = harness.service.queues
        queue = queues.by_id("visit")
        await queues.sqs.set_queue_attributes(QueueUrl=queue.url, Attributes={"RedrivePolicy": ""})
        status, body, _ = await harness.request("GET", "/health")
        assert status == 503
        component = body["components"]["visit-health"]
        assert component["status"] == "DOWN"
        assert component["details"]["dlqStatus"] == "DOWN"
        assert component["details"]["error"] == "The main queue for visit is missing a RedrivePolicy"
        assert component["details"]["messagesOnQueue"] == "0"


@pytest.mark.scenario("framework", 63)
async def test_dlq_status_down_when_dlq_is_gone(clean_estate: Estate) -> None:
    async with running_service(clean_estate, domains=VISITS_ONLY, queues=["visit"]) as harness:
        queues = harness.service.queues
        queue = queues.by_id("visit")
        await queues.sqs.delete_queue(QueueUrl=queue.dlq_url)
        status, body, _ = await harness.request("GET", "/health")
        assert status == 503
        details = body["components"]["visit-health"]["details"]
        assert body["components"]["visit-health"]["status"] == "DOWN"
        assert details["dlqStatus"] == "DOWN"
        assert details["messagesOnQueue"] == "0"
        assert details["error"].startswith("QueueDoesNotExist: ")
        assert "messagesOnDlq" not in details


@pytest.mark.scenario("framework", 64)
async def test_topic_component(clean_estate: Estate) -> None:
    async with running_service(clean_estate, domains=VISITS_ONLY, queues=["visit"]) as harness:
        queues = harness.service.queues
        status, body, _ = await harness.request("GET", "/health")
        assert status == 200
        topic = body["components"]["domainevents-health"]
        assert topic["status"] == "UP"
        # moto does not count subscriptions; the values are SNS's strings, passed through.
        assert set(topic["details"]) == {"topicArn", "subscriptionsConfirmed", "subscriptionsPending"}
        assert topic["details"]["topicArn"] == queues.topic_arn
        assert topic["details"]["subscriptionsConfirmed"].isdigit()
        assert topic["details"]["subscriptionsPending"].isdigit()
        await queues.sns.delete_topic(TopicArn=queues.topic_arn)
        status, body, _ = await harness.request("GET", "/health")
        assert status == 503
        topic = body["components"]["domainevents-health"]
        assert topic["status"] == "DOWN"
        assert topic["details"]["topicArn"] == queues.topic_arn
        assert topic["details"]["error"].startswith("NotFoundException: ")


async def _recreate_queues(harness: ServiceHarness) -> None:
    """What the infrastructure gives back after an outage: the same queues, DLQ and topic."""
    queues = harness.service.queues
    for queue in queues.queues.values():
        dlq = await queues.sqs.create_queue(QueueName=queue.dlq_name)
        attributes = await queues.sqs.get_queue_attributes(
            QueueUrl=dlq["QueueUrl"], AttributeNames=["QueueArn"]
        )
        policy = {"deadLetterTargetArn": attributes["Attributes"]["QueueArn"], "maxReceiveCount": "5"}
        await queues.sqs.create_queue(
            QueueName=queue.name, Attributes={"RedrivePolicy": orjson.dumps(policy).decode()}
        )
    await queues.sns.create_topic(Name=queues.topic_arn.rsplit(":", 1)[-1])


async def _wait_for_health(harness: ServiceHarness, wanted: int, timeout: float) -> tuple[float, Any]:
    started = time.monotonic()
    while True:
        before = time.monotonic()
        status, body, _ = await harness.request("GET", "/health")
        took = time.monotonic() - before
        assert took < 4.5, f"/health took {took:.1f}s"
        if status == wanted:
            return time.monotonic() - started, body
        assert time.monotonic() - started < timeout, f"/health never answered {wanted}: {body}"
        await asyncio.sleep(0.2)


async def test_health_follows_moto_going_away_and_coming_back() -> None:
    """A private moto on a fixed port (the shared one must keep running): stop it, DOWN; restart, UP."""
    estate = Estate(moto=MotoServer(port=free_port()))
    await estate.start()
    try:
        async with running_service(estate, domains=VISITS_ONLY, queues=["visit"]) as harness:
            await _wait_for_health(harness, 200, 10)
            await estate.moto.stop()
            went_down, body = await _wait_for_health(harness, 503, 10)
            assert went_down < 5.0
            component = body["components"]["visit-health"]
            assert component["status"] == "DOWN"
            assert component["details"]["queueName"] == harness.service.queues.by_id("visit").name
            assert component["details"]["dlqStatus"] == "DOWN"
            assert "error" in component["details"]
            assert body["components"]["domainevents-health"]["status"] == "DOWN"
            assert body["components"]["nomisApi"]["status"] == "UP"

            await estate.moto.start()
            await _recreate_queues(harness)
            came_back, body = await _wait_for_health(harness, 200, 15)
            assert came_back < 5.0
            assert body["components"]["visit-health"]["details"]["dlqStatus"] == "UP"
    finally:
        await estate.stop()
