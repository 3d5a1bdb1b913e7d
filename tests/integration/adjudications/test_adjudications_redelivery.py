"""Safe to run twice (docs/architecture.md): a second delivery of an event creates nothing new in NOMIS.

The original creates a second NOMIS adjudication, hearing or set of awards when an event is delivered
again after its NOMIS write but before its mapping was saved; punishments are even created twice on any
repeat. These tests make that happen for real: NOMIS answers after the service has given up waiting (a
lost answer), so the write lands but the attempt fails and SQS delivers the message again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from adjudications_support import (
    BOOKING,
    CHARGE_PATH,
    DLQ_AFTER_3,
    DOMAINS,
    OFFENDER,
    QUEUE,
    AdjudicationsWorld,
    charge,
    event,
    hearing,
    hearing_outcome,
    outcome_entry,
    publish_and_wait,
    punishment,
    requests,
)

from hmpps_sandbox.estate import Estate
from hmpps_sandbox.harness import ServiceHarness, running_service
from prisoner_to_nomis_update.framework.messages import NOTIFICATION

LOST_ANSWER = {
    **DLQ_AFTER_3,
    # NOMIS answers 1.5 s after the service stopped waiting; the redelivery comes after the write.
    "API_TIMEOUT": "1s",
    "HMPPS_SQS_QUEUES_ADJUDICATION_ERROR_VISIBILITY_TIMEOUT": "2",
}


@pytest.fixture
async def slow_nomis_service(clean_estate: Estate) -> AsyncIterator[ServiceHarness]:
    async with running_service(clean_estate, queues=[QUEUE], env=LOST_ANSWER, domains=DOMAINS) as harness:
        yield harness


def lose_next_answer(service: ServiceHarness, method: str, path: str) -> None:
    service.estate.nomis.inject_fault(path_pattern=path, method=method, status=0, delay_seconds=1.5, count=1)


async def test_creates_whose_answer_was_lost_are_adopted_on_redelivery(
    slow_nomis_service: ServiceHarness, world: AdjudicationsWorld
) -> None:
    service = slow_nomis_service
    completed = hearing(345, outcome=hearing_outcome("COMPLETE", "GUILTY"))
    ccs = [punishment(634, "CONFINEMENT", 3, start="2023-10-04"), punishment(635, "PAYBACK", 2)]
    world.dps(
        charge(
            "12345",
            hearings=[completed],
            outcomes=[outcome_entry(completed, "CHARGE_PROVED")],
            punishments=ccs,
        )
    )

    lose_next_answer(service, "POST", f"/prisoners/{OFFENDER}/adjudications")
    created = await publish_and_wait(
        service, event("adjudication.report.created", "12345"), "adjudication-create-success"
    )
    [nomis] = world.nomis_adjudications()
    number = nomis["adjudicationNumber"]
    assert len(requests(service.estate.nomis, "POST", f"/prisoners/{OFFENDER}/adjudications")) == 1
    assert created["adjudicationNumber"] == str(number)
    [reused] = service.events("adjudication-create-reused-nomis-adjudication")
    assert reused["adjudicationNumber"] == str(number)
    [failed] = service.events("adjudication-create-failed")
    assert "TimeoutError" in failed["reason"]

    hearings = f"/adjudications/adjudication-number/{number}/hearings"
    lose_next_answer(service, "POST", hearings)
    await publish_and_wait(
        service, event("adjudication.hearing.created", "12345", 345), "hearing-create-success"
    )
    assert len(world.fakes.nomis.adjudications[number]["hearings"]) == 1
    assert len(requests(service.estate.nomis, "POST", hearings)) == 1
    assert len(service.events("hearing-create-reused-nomis-hearing")) == 1

    await publish_and_wait(
        service,
        event("adjudication.hearingCompleted.created", "12345", 345),
        "hearing-result-upserted-success",
    )
    awards = f"/adjudications/adjudication-number/{number}/charge/1/awards"
    lose_next_answer(service, "POST", awards)
    success = await publish_and_wait(
        service, event("adjudication.punishments.created", "12345"), "punishment-create-success"
    )
    assert len(world.awards(number)) == 2
    assert len(requests(service.estate.nomis, "POST", awards)) == 1
    assert success["punishmentsCount"] == "0"
    [reused_awards] = service.events("punishment-create-reused-nomis-awards")
    assert reused_awards["punishmentsReusedCount"] == "2"
    assert sorted(m["nomisSanctionSequence"] for m in world.punishment_mappings()) == sorted(
        a["sanctionSequence"] for a in world.awards(number)
    )
    await service.wait_for_depth(QUEUE, 0)
    assert await service.depth(QUEUE, dlq=True) == 0


async def test_events_published_twice_create_nothing_new(
    service: ServiceHarness, world: AdjudicationsWorld
) -> None:
    """An SNS duplicate (two SQS messages, each a first delivery) of every create, one after the other."""
    completed = hearing(345, outcome=hearing_outcome("COMPLETE", "GUILTY"))
    world.dps(
        charge(
            "12345",
            hearings=[completed],
            outcomes=[outcome_entry(completed, "CHARGE_PROVED")],
            punishments=[punishment(634, "CONFINEMENT", 3, start="2023-10-04")],
        )
    )
    for event_type, hearing_id, done in (
        ("adjudication.report.created", None, "adjudication-create-success"),
        ("adjudication.hearing.created", 345, "hearing-create-success"),
        ("adjudication.hearingCompleted.created", 345, "hearing-result-upserted-success"),
        ("adjudication.punishments.created", None, "punishment-create-success"),
    ):
        await publish_and_wait(service, event(event_type, "12345", hearing_id), done)
        await service.estate.publish(event(event_type, "12345", hearing_id))
    await service.wait_for_event("adjudication-create-duplicate")
    await service.wait_for_event("hearing-create-duplicate")
    await service.wait_for_event("punishment-create-success", 2)

    [nomis] = world.nomis_adjudications()
    assert len(nomis["hearings"]) == 1
    assert len(world.awards(nomis["adjudicationNumber"])) == 1
    assert len(requests(service.estate.nomis, "POST", r".*/awards")) == 1
    assert len(world.punishment_mappings()) == 1
    assert service.events("to-nomis-synch-punishment-duplicate") == []
    assert [name for name in service.recorder.names() if name.endswith("-failed")] == []


async def test_dlq_retry_of_a_message_whose_last_attempt_wrote_nomis_adopts_the_write(
    service: ServiceHarness, world: AdjudicationsWorld
) -> None:
    """A message moved back from the DLQ is a new SQS message (receive count 1): the service recognises it
    by its SNS publish time, long before SQS took it, and looks for the earlier attempt's adjudication."""
    world.dps(charge("12345"))
    # What the failed last attempt left: the NOMIS adjudication it wrote, never mapped.
    earlier = world.fakes.nomis.seed_adjudication(
        OFFENDER,
        BOOKING,
        777,
        incidentTime="01:12",
        reportedTime="12:01",
        internalLocationId=1234,
        details="Prisoner assaulted another prisoner",
    )
    published = (datetime.now(UTC) - timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    body = orjson.dumps(
        {
            "Type": NOTIFICATION,
            "MessageId": "dead-lettered-1",
            "Timestamp": published,
            "Message": orjson.dumps(event("adjudication.report.created", "12345")).decode(),
        }
    ).decode()
    await service.send_raw(QUEUE, body, "adjudication.report.created", dlq=True)
    dlq = service.settings.queues[QUEUE].dlq_name
    token = service.token("ROLE_SYSCON__QUEUE_ADMIN")
    status, _, _ = await service.request("PUT", f"/queue-admin/retry-dlq/{dlq}", token=token)
    assert status == 200
    success = await service.wait_for_event("adjudication-create-success")

    assert success[0]["adjudicationNumber"] == str(earlier["adjudicationNumber"])
    assert requests(service.estate.nomis, "POST", f"/prisoners/{OFFENDER}/adjudications") == []
    assert len(world.nomis_adjudications()) == 1


async def test_repeated_updates_and_unquash_update_rather_than_churn(
    slow_nomis_service: ServiceHarness, world: AdjudicationsWorld
) -> None:
    """punishments.updated whose NOMIS answer was lost: the redelivery updates the award the first attempt
    created instead of letting NOMIS delete it and create another."""
    service = slow_nomis_service
    world.dps(charge(punishments=[punishment(634, "CONFINEMENT", 3, start="2023-10-04")]))
    world.heard_charge()
    lose_next_answer(service, "PUT", CHARGE_PATH + "/awards")
    await publish_and_wait(service, event("adjudication.punishments.updated"), "punishment-update-success")

    [award] = world.awards()
    puts = requests(service.estate.nomis, "PUT", CHARGE_PATH + "/awards")
    assert len(puts) == 2
    assert puts[1].body["awardsToCreate"] == []
    assert puts[1].body["awardsToUpdate"][0]["sanctionSequence"] == award["sanctionSequence"]
    assert [(m["dpsPunishmentId"], m["nomisSanctionSequence"]) for m in world.punishment_mappings()] == [
        ("634", award["sanctionSequence"])
    ]
