"""The incentive queue: feature switches, retry messages and health of the incentive APIs."""

from __future__ import annotations

import orjson
import pytest
from incentives_support import fakes, incentives_service, inserted_event, seed_spec_review

from hmpps_sandbox.estate import Estate
from hmpps_sandbox.harness import running_service
from prisoner_to_nomis_update.framework.messages import notification_body


@pytest.mark.scenario("visits-and-incentives", 47)
@pytest.mark.parametrize(
    "switch",
    [
        "FEATURE_EVENT_INCENTIVES_IEP-REVIEW_INSERTED",
        "FEATURE_EVENT_INCENTIVES_INCENTIVES_IEP-REVIEW_INSERTED",
    ],
)
async def test_switched_off_event_is_consumed_without_calling_anything(
    clean_estate: Estate, switch: str
) -> None:
    seed_spec_review(clean_estate)
    async with incentives_service(clean_estate, **{switch: "false"}) as harness:
        await harness.send_raw(
            "incentive", notification_body(inserted_event(12)), "incentives.iep-review.inserted"
        )
        await harness.wait_for_depth("incentive", 0)
        # the level event is still switched on: once it is done, the switched-off one was seen first
        await harness.send_raw(
            "incentive",
            notification_body({"eventType": "incentives.levels.reordered", "additionalInformation": {}}),
            "incentives.levels.reordered",
        )
        await harness.wait_for_event("global-incentive-levels-reordered")
    assert not clean_estate.dps["incentives"].requests("GET", "/incentive-reviews/id/12")
    assert not clean_estate.mapping.requests()
    assert not clean_estate.nomis.requests("POST", "/prisoners/A1234AA/incentives")


@pytest.mark.scenario("visits-and-incentives", 45)
@pytest.mark.scenario("visits-and-incentives", 48)
async def test_retry_message_creates_only_the_mapping(clean_estate: Estate) -> None:
    message = orjson.dumps(
        {"mapping": {"nomisBookingId": 456, "nomisIncentiveSequence": 1, "incentiveId": 1234}}
    ).decode()
    body = orjson.dumps({"Type": "RETRY_CREATE_MAPPING", "Message": message}).decode()
    async with incentives_service(clean_estate) as harness:
        await harness.send_raw("incentive", body, "RETRY_CREATE_MAPPING")
        [success] = await harness.wait_for_event("incentive-retry-success")
        # Redelivered (e.g. the delete was lost): the mapping exists with the same ids -> success again.
        await harness.send_raw("incentive", body, "RETRY_CREATE_MAPPING")
        await harness.wait_for_event("incentive-retry-success", count=2)
        await harness.wait_for_depth("incentive", 0)
    first = clean_estate.mapping.requests("POST", "/mapping/incentives")[0]
    assert first.body == {
        "nomisBookingId": 456,
        "nomisIncentiveSequence": 1,
        "incentiveId": 1234,
        "mappingType": "INCENTIVE_CREATED",
    }
    assert success == {
        "id": "IncentiveMapping(nomisBookingId=456, nomisIncentiveSequence=1, incentiveId=1234)"
    }
    assert not clean_estate.nomis.requests() and len(fakes(clean_estate).mappings.rows) == 1


async def test_failing_retry_reports_and_goes_to_the_dlq(clean_estate: Estate) -> None:
    fakes(clean_estate).mappings.rows.append(
        {"nomisBookingId": 456, "nomisIncentiveSequence": 1, "incentiveId": 999, "mappingType": "MIGRATED"}
    )
    message = orjson.dumps(
        {"mapping": {"nomisBookingId": 456, "nomisIncentiveSequence": 1, "incentiveId": 1234}}
    ).decode()
    body = orjson.dumps({"Type": "RETRY_CREATE_MAPPING", "Message": message}).decode()
    env = {"HMPPS_SQS_QUEUES_INCENTIVE_DLQ_MAX_RECEIVE_COUNT": "1"}
    async with incentives_service(clean_estate, **env) as harness:
        await harness.send_raw("incentive", body, "RETRY_CREATE_MAPPING")
        [failure] = await harness.wait_for_event("create-mapping-retry-failure")
        await harness.wait_for_depth("incentive", 1, dlq=True)
    assert failure == {"retryMessage": message}
    assert not harness.events("incentive-retry-success")


@pytest.mark.scenario("visits-and-incentives", 64)
async def test_health_reports_the_visits_and_incentives_apis(clean_estate: Estate) -> None:
    async with running_service(clean_estate, queues=["incentive"], domains=[]) as harness:
        status, body, _ = await harness.request("GET", "/health")
        assert status == 200 and body["status"] == "UP"
        assert body["components"]["visitsApi"]["status"] == "UP"
        assert body["components"]["incentivesApi"]["status"] == "UP"
        for api in ("visits", "incentives"):
            clean_estate.dps[api].inject_fault(path_pattern="/health/ping", status=404, count=None)
        status, body, _ = await harness.request("GET", "/health")
        assert status == 503 and body["status"] == "DOWN"
        assert body["components"]["visitsApi"]["status"] == "DOWN"
        assert body["components"]["incentivesApi"]["status"] == "DOWN"
