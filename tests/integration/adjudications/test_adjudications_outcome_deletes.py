"""Outcome deletes: hearing results (adjudications scenarios 48-56) and referrals without a hearing (59-61)."""

from __future__ import annotations

import pytest
from adjudications_support import (
    ADJUDICATION,
    BOOKING,
    CHARGE_PATH,
    HEARING_PATH,
    NOMIS_HEARING,
    OFFENDER,
    PRISON,
    SPEC,
    AdjudicationsWorld,
    charge,
    event,
    hearing,
    hearing_outcome,
    outcome_entry,
    publish_and_wait,
    requests,
)

from hmpps_sandbox.harness import ServiceHarness

COMPLETED_DELETED = "adjudication.hearingCompleted.deleted"
RESULT = f"{HEARING_PATH}/charge/1/result"
EXPECTED = {
    "chargeNumber": "12345-1",
    "prisonId": PRISON,
    "offenderNo": OFFENDER,
    "dpsHearingId": "345",
    "adjudicationNumber": str(ADJUDICATION),
    "nomisHearingId": str(NOMIS_HEARING),
}


def with_result_and_awards(world: AdjudicationsWorld, awards: int) -> list[int]:
    world.mapped_charge()
    world.mapped_hearing(result=True)
    return [world.nomis_award(sanctionDays=day)["sanctionSequence"] for day in range(1, awards + 1)]


@pytest.mark.scenario(SPEC, 48)
@pytest.mark.scenario(SPEC, 52)
@pytest.mark.scenario(SPEC, 54)
async def test_deleted_outcomes_delete_the_nomis_result(
    service: ServiceHarness, world: AdjudicationsWorld
) -> None:
    world.dps(charge(hearings=[hearing(345)]))
    with_result_and_awards(world, 0)
    deletes = (
        COMPLETED_DELETED,
        "adjudication.hearingAdjourn.deleted",
        "adjudication.hearingReferral.deleted",
    )
    for count, event_type in enumerate(deletes, start=1):
        await service.estate.publish(event(event_type, hearing_id=345))
        await service.wait_for_event("hearing-result-deleted-success", count)

    successes = service.events("hearing-result-deleted-success")
    assert successes == 3 * [{**EXPECTED, "punishmentsDeletedCount": "0"}]
    assert len(requests(service.estate.nomis, "DELETE", RESULT)) == 3
    assert requests(service.estate.mapping, "PUT", "/mapping/punishments") == []
    assert world.fakes.nomis.adjudications[ADJUDICATION]["hearings"][NOMIS_HEARING]["results"] == {}


@pytest.mark.scenario(SPEC, 49)
async def test_deleted_result_takes_its_awards_and_their_mappings(
    service: ServiceHarness, world: AdjudicationsWorld
) -> None:
    world.dps(charge(hearings=[hearing(345)]))
    sequences = with_result_and_awards(world, 2)
    world.mapped_punishment(634, sequences[0])
    world.mapped_punishment(667, sequences[1])
    success = await publish_and_wait(
        service, event(COMPLETED_DELETED, hearing_id=345), "hearing-result-deleted-success"
    )

    assert success == {**EXPECTED, "punishmentsDeletedCount": "2"}
    [put] = requests(service.estate.mapping, "PUT", "/mapping/punishments")
    assert put.body == {
        "punishmentsToCreate": [],
        "punishmentsToDelete": [{"nomisBookingId": BOOKING, "nomisSanctionSequence": s} for s in sequences],
    }
    assert world.awards() == []
    assert world.punishment_mappings() == []


@pytest.mark.scenario(SPEC, 50)
@pytest.mark.scenario(SPEC, 53)
async def test_deleted_outcome_without_hearing_mapping_is_skipped(
    service: ServiceHarness, world: AdjudicationsWorld
) -> None:
    world.dps(charge(hearings=[hearing(345)]))
    world.mapped_charge()
    await service.estate.publish(event(COMPLETED_DELETED, hearing_id=345))
    await service.estate.publish(event("adjudication.hearingAdjourn.deleted", hearing_id=345))
    skipped = await service.wait_for_event("hearing-result-deleted-skipped", 2)

    expected = {key: value for key, value in EXPECTED.items() if key != "nomisHearingId"}
    assert skipped == [expected, expected]
    assert service.estate.nomis.requests("DELETE") == []
    assert world.dps_api.requests() == []
    assert service.events("hearing-result-deleted-success") == []


@pytest.mark.scenario(SPEC, 51)
async def test_punishment_mapping_delete_is_retried(
    service: ServiceHarness, world: AdjudicationsWorld
) -> None:
    world.dps(charge(hearings=[hearing(345)]))
    sequences = with_result_and_awards(world, 2)
    world.mapped_punishment(634, sequences[0])
    world.mapped_punishment(667, sequences[1])
    service.estate.mapping.inject_fault(path_pattern="/mapping/punishments", method="PUT", status=500)
    retried = await publish_and_wait(
        service, event(COMPLETED_DELETED, hearing_id=345), "punishment-delete-mapping-retry-success"
    )

    assert len(requests(service.estate.nomis, "DELETE", RESULT)) == 1
    assert len(requests(service.estate.mapping, "PUT", "/mapping/punishments")) == 2
    assert retried["dpsHearingId"] == "345" and retried["punishmentsDeletedCount"] == "2"
    [failed] = service.events("punishment-delete-mapping-create-failed")
    assert failed["reason"].startswith("500 ")
    assert service.events("hearing-result-deleted-success") != []
    assert world.punishment_mappings() == []


@pytest.mark.scenario(SPEC, 55)
@pytest.mark.scenario(SPEC, 56)
async def test_deleted_outcome_rolls_nomis_back_to_the_last_dps_outcome(
    service: ServiceHarness, world: AdjudicationsWorld
) -> None:
    """55: the last outcome entry (hearing 816) has no outcome block: the NOMIS result is deleted.
    56: DPS still has REFER_POLICE on the hearing: the result is written back."""
    referral = outcome_entry(None, "REFER_POLICE", "SCHEDULE_HEARING")
    world.dps(charge("55", hearings=[hearing(816)], outcomes=[referral, outcome_entry(hearing(816))]))
    world.mapped_charge("55", 55)
    world.fakes.nomis.seed_hearing(55, 2816)
    world.fakes.nomis.seed_result(55, 2816)
    world.fakes.mappings.map_hearing("816", 2816)
    referred = hearing(345, outcome=hearing_outcome("REFER_POLICE"))
    world.dps(charge(hearings=[referred], outcomes=[outcome_entry(referred, "REFER_POLICE")]))
    with_result_and_awards(world, 0)
    await service.estate.publish(event("adjudication.hearingReferral.deleted", "55", hearing_id=816))
    await service.estate.publish(event("adjudication.referral.outcome.deleted", hearing_id=345))
    successes = await service.wait_for_event("hearing-result-deleted-success", 2)

    assert (
        len(
            requests(
                service.estate.nomis,
                "DELETE",
                "/adjudications/adjudication-number/55/hearings/2816/charge/1/result",
            )
        )
        == 1
    )
    [rolled_back] = requests(service.estate.nomis, "POST", RESULT)
    assert rolled_back.body == {
        "pleaFindingCode": "NOT_ASKED",
        "findingCode": "REF_POLICE",
        "adjudicatorUsername": "JBULLENGEN",
    }
    assert requests(service.estate.nomis, "DELETE", RESULT) == []
    assert {s["chargeNumber"] for s in successes} == {"55", "12345-1"}
    assert [s for s in successes if s["chargeNumber"] == "12345-1"] == [EXPECTED]


@pytest.mark.scenario(SPEC, 59)
@pytest.mark.scenario(SPEC, 60)
@pytest.mark.scenario(SPEC, 61)
async def test_deleted_referrals_without_a_hearing(
    service: ServiceHarness, world: AdjudicationsWorld
) -> None:
    world.dps(charge("59"))
    world.mapped_charge("59", 59)
    world.dps(charge("60"))
    world.mapped_charge("60", 60)
    world.dps(charge("61", outcomes=[outcome_entry(None, "REFER_POLICE", "PROSECUTION")]))
    world.mapped_charge("61", 61)
    await service.estate.publish(event("adjudication.referral.deleted", "59"))
    await service.estate.publish(event("adjudication.outcome.notProceed.deleted", "60"))
    await service.estate.publish(event("adjudication.referral.outcome.deleted", "61"))
    successes = await service.wait_for_event("hearing-result-deleted-success", 3)

    for number in (59, 60):
        assert (
            len(
                requests(
                    service.estate.nomis,
                    "DELETE",
                    f"/adjudications/adjudication-number/{number}/charge/1/result",
                )
            )
            == 1
        )
    # The outcome's own code is written back; its referral outcome is ignored here.
    [rolled_back] = requests(
        service.estate.nomis, "POST", "/adjudications/adjudication-number/61/charge/1/result"
    )
    assert rolled_back.body == {"pleaFindingCode": "NOT_ASKED", "findingCode": "REF_POLICE"}
    assert sorted(successes, key=lambda s: s["chargeNumber"]) == [
        {"chargeNumber": n, "prisonId": PRISON, "offenderNo": OFFENDER, "adjudicationNumber": n}
        for n in ("59", "60", "61")
    ]
    assert requests(service.estate.nomis, "DELETE", CHARGE_PATH + "/result") == []
