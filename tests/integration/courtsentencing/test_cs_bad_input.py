"""Bad input and failing dependencies: each has its defined outcome (issue 12, "Bad input").

Unknown records at DPS (404) fail a create and dead-letter it; an unmapped parent waits (awaiting parent)
and dead-letters when it never appears; NOMIS 400/404/409 fail and dead-letter, a NOMIS 500 is retried;
malformed messages dead-letter with the reason logged; unknown event types are dropped.
"""

from __future__ import annotations

import orjson
import pytest
from cs_support import (
    APPEARANCE_ID,
    CASE_ID,
    CASES_PATH,
    CHARGE_ID,
    QUEUE,
    SENTENCE_ID,
    World,
    publish_and_wait,
    requests,
    settled,
    wait_for_dlq,
)

from hmpps_sandbox.harness import ServiceHarness
from prisoner_to_nomis_update.framework.messages import notification_body, retry_message_body


async def test_records_unknown_to_dps_fail_the_create_and_dead_letter(
    service: ServiceHarness, world: World
) -> None:
    world.mapped_case()
    await service.estate.publish(world.event("court-case.inserted", courtCaseId="unknown-case"))
    await service.estate.publish(
        world.event(
            "court-appearance.inserted",
            courtAppearanceId="unknown-appearance",
            courtCaseId=CASE_ID,
            isOnFutureCourtAppearance=False,
        )
    )
    await service.estate.publish(
        world.event("charge.inserted", courtChargeId="unknown-charge", courtCaseId=CASE_ID)
    )
    for name in ("court-case-create-failed", "court-appearance-create-failed", "charge-create-failed"):
        failures = await service.wait_for_event(name, 3)
        assert all(f["reason"].startswith("404 Not Found from GET ") for f in failures), failures
    await wait_for_dlq(service, 3)
    assert requests(service.estate.nomis, "POST", ".*") == []
    assert service.estate.mapping.requests("POST") == []


async def test_sentence_whose_charge_is_never_mapped_waits_then_dead_letters(
    service: ServiceHarness, world: World
) -> None:
    await world.dps_case()
    await world.dps_appearance()
    await world.dps_sentence()
    world.mapped_case()
    world.mapped_appearance()
    await service.estate.publish(
        world.event(
            "sentence.inserted", sentenceId=SENTENCE_ID, courtAppearanceId=APPEARANCE_ID, courtCaseId=CASE_ID
        )
    )
    waiting = await service.wait_for_event("sentence-create-awaiting-parent", 3)
    await wait_for_dlq(service)
    assert {w["reason"] for w in waiting} == {f"Missing DPS Charge: {CHARGE_ID}"}
    assert requests(service.estate.nomis, "POST", ".*/sentences") == []


@pytest.mark.parametrize("status", [400, 409])
async def test_nomis_refusing_a_create_dead_letters_it(
    service: ServiceHarness, world: World, status: int
) -> None:
    await world.dps_case()
    await world.dps_appearance()
    world.mapped_case()
    service.estate.nomis.inject_fault(
        method="POST", path_pattern=f"{CASES_PATH}/7/charges", status=status, count=None
    )
    await service.estate.publish(
        world.event(
            "charge.inserted", courtChargeId=CHARGE_ID, courtCaseId=CASE_ID, courtAppearanceId=APPEARANCE_ID
        )
    )
    failures = await service.wait_for_event("charge-create-failed", 3)
    await wait_for_dlq(service)
    assert failures[0]["reason"].startswith(f"{status} ")
    assert world.mappings.charges.rows == []


async def test_nomis_no_longer_holding_the_case_fails_the_update(
    service: ServiceHarness, world: World
) -> None:
    await world.dps_case()
    world.mappings.seed_case(CASE_ID, 99)
    await service.estate.publish(world.event("court-case.updated", courtCaseId=CASE_ID))
    errors = await service.wait_for_event("court-case-updated-error", 3)
    await wait_for_dlq(service)
    assert errors[0]["error"].startswith("404 Not Found from PUT ")
    assert errors[0]["nomisCourtCaseId"] == "99"


async def test_nomis_server_error_is_retried_and_creates_once(service: ServiceHarness, world: World) -> None:
    await world.dps_case()
    service.estate.nomis.inject_fault(method="POST", path_pattern=CASES_PATH, status=500)
    await publish_and_wait(
        service, world.event("court-case.inserted", courtCaseId=CASE_ID), "court-case-create-success"
    )
    assert len(service.events("court-case-create-failed")) == 1
    assert len(world.nomis.case_ids_of("AB12345")) == 1
    await service.wait_for_depth(QUEUE, 0)


async def test_malformed_messages_dead_letter_and_unknown_events_are_dropped(
    service: ServiceHarness, world: World
) -> None:
    await service.send_raw(QUEUE, "this is not JSON")
    await service.send_raw(
        QUEUE,
        notification_body({"eventType": "court-case.inserted", "additionalInformation": {}}),
        "court-case.inserted",
    )
    no_prisoner = world.event("court-case.inserted", courtCaseId=CASE_ID)
    no_prisoner["personReference"] = {"identifiers": [{"type": "CRO", "value": "123/45"}]}
    await service.send_raw(QUEUE, notification_body(no_prisoner), "court-case.inserted")
    no_source = world.event("court-case.inserted", source=None, courtCaseId=CASE_ID)
    await service.send_raw(QUEUE, notification_body(no_source), "court-case.inserted")
    await service.send_raw(QUEUE, notification_body(world.event("court-case.archived", courtCaseId=CASE_ID)))
    await wait_for_dlq(service, 4)
    await service.wait_for_depth(QUEUE, 0)
    assert service.estate.dps["court-sentencing"].requests() == []
    assert service.estate.nomis.requests() == []


async def test_retry_with_an_unknown_entity_dead_letters(service: ServiceHarness) -> None:
    body = retry_message_body({"dpsId": "x"}, {"offenderNo": "AB12345"}, "court-charge-typo")
    await service.send_raw(QUEUE, body, "RETRY_CREATE_MAPPING")
    failures = await service.wait_for_event("create-mapping-retry-failure", 3)
    await wait_for_dlq(service)
    assert orjson.loads(failures[0]["retryMessage"])["entityName"] == "court-charge-typo"


async def test_charge_update_without_an_appearance_dead_letters(
    service: ServiceHarness, world: World
) -> None:
    """`charge.updated` needs the appearance the charge changed on (spec 2.9)."""
    await world.standard()
    await service.estate.publish(world.event("charge.updated", courtChargeId=CHARGE_ID, courtCaseId=CASE_ID))
    await wait_for_dlq(service)
    await settled(service)
    assert requests(service.estate.nomis, "PUT", ".*") == []
