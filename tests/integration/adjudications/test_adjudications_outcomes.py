"""Hearing outcome upserts with a hearing (adjudications scenarios 36-47) and referrals without one (57-58)."""

from __future__ import annotations

from typing import Any

import pytest
from adjudications_support import (
    OFFENDER,
    PRISON,
    QUEUE,
    SPEC,
    AdjudicationsWorld,
    charge,
    dps_get,
    event,
    hearing,
    hearing_outcome,
    outcome_entry,
    requests,
)

from hmpps_sandbox.harness import ServiceHarness

# scenario -> (event type, hearing type, hearing outcome, outcome code, referral outcome, expected body)
CASES: dict[int, tuple[str, str, dict[str, Any], str | None, str | None, dict[str, str]]] = {
    36: (
        "adjudication.hearingAdjourn.created",
        "GOV_ADULT",
        hearing_outcome("ADJOURN", "UNFIT"),
        None,
        None,
        {"pleaFindingCode": "UNFIT", "findingCode": "ADJOURNED", "adjudicatorUsername": "JBULLENGEN"},
    ),
    37: (
        "adjudication.hearingReferral.created",
        "GOV_ADULT",
        hearing_outcome("REFER_POLICE"),
        "REFER_POLICE",
        None,
        {"pleaFindingCode": "NOT_ASKED", "findingCode": "REF_POLICE", "adjudicatorUsername": "JBULLENGEN"},
    ),
    38: (
        "adjudication.hearingReferral.created",
        "GOV_ADULT",
        hearing_outcome("REFER_INAD"),
        "REFER_INAD",
        None,
        {"pleaFindingCode": "NOT_ASKED", "findingCode": "ADJOURNED", "adjudicatorUsername": "JBULLENGEN"},
    ),
    39: (
        "adjudication.referral.outcome.prosecution",
        "INAD_ADULT",
        hearing_outcome("REFER_POLICE", adjudicator="jack_b"),
        "REFER_POLICE",
        "PROSECUTION",
        {"pleaFindingCode": "NOT_ASKED", "findingCode": "PROSECUTED"},
    ),
    40: (
        "adjudication.referral.outcome.notProceed",
        "GOV_ADULT",
        hearing_outcome("REFER_POLICE", adjudicator="jack_b"),
        "REFER_POLICE",
        "NOT_PROCEED",
        {"pleaFindingCode": "NOT_ASKED", "findingCode": "NOT_PROCEED", "adjudicatorUsername": "jack_b"},
    ),
    41: (
        "adjudication.referral.outcome.referGov",
        "GOV_ADULT",
        hearing_outcome("REFER_INAD", adjudicator="jack_b"),
        "REFER_INAD",
        "REFER_GOV",
        {"pleaFindingCode": "NOT_ASKED", "findingCode": "ADJOURNED", "adjudicatorUsername": "jack_b"},
    ),
    42: (
        "adjudication.referral.outcome.referGov",
        "GOV_ADULT",
        hearing_outcome("REFER_INAD", adjudicator="jack_b"),
        "REFER_INAD",
        "SCHEDULE_HEARING",
        {"pleaFindingCode": "NOT_ASKED", "findingCode": "ADJOURNED", "adjudicatorUsername": "jack_b"},
    ),
    43: (
        "adjudication.hearingCompleted.created",
        "GOV_ADULT",
        hearing_outcome("COMPLETE", "GUILTY", adjudicator="SWATSON_GEN"),
        "CHARGE_PROVED",
        None,
        {"pleaFindingCode": "GUILTY", "findingCode": "PROVED", "adjudicatorUsername": "SWATSON_GEN"},
    ),
    45: (
        "adjudication.hearingOutcome.updated",
        "GOV_ADULT",
        hearing_outcome("ADJOURN", "UNFIT"),
        None,
        None,
        {"pleaFindingCode": "UNFIT", "findingCode": "ADJOURNED", "adjudicatorUsername": "JBULLENGEN"},
    ),
    46: (
        "adjudication.hearingOutcome.updated",
        "GOV_ADULT",
        hearing_outcome("REFER_POLICE"),
        "REFER_POLICE",
        None,
        {"pleaFindingCode": "NOT_ASKED", "findingCode": "REF_POLICE", "adjudicatorUsername": "JBULLENGEN"},
    ),
    # An independent adjudicator's blank-named YOI hearing and a governor's blank name: no adjudicator.
    47: (
        "adjudication.hearingCompleted.created",
        "GOV_YOI",
        hearing_outcome("COMPLETE", "NOT_GUILTY", adjudicator="  "),
        "DISMISSED",
        None,
        {"pleaFindingCode": "NOT_GUILTY", "findingCode": "D"},
    ),
}


def seed_case(world: AdjudicationsWorld, number: int, hearing_type: str, outcome: dict[str, Any],
              code: str | None, referral: str | None) -> None:  # fmt: skip
    dps_hearing = hearing(100 + number, hearing_type, outcome=outcome)
    world.dps(
        charge(str(number), hearings=[dps_hearing], outcomes=[outcome_entry(dps_hearing, code, referral)])
    )
    world.mapped_charge(str(number), number)
    world.fakes.nomis.seed_hearing(number, 2000 + number)
    world.fakes.mappings.map_hearing(str(100 + number), 2000 + number)


@pytest.mark.scenario(SPEC, 36)
@pytest.mark.scenario(SPEC, 37)
@pytest.mark.scenario(SPEC, 38)
@pytest.mark.scenario(SPEC, 39)
@pytest.mark.scenario(SPEC, 40)
@pytest.mark.scenario(SPEC, 41)
@pytest.mark.scenario(SPEC, 42)
@pytest.mark.scenario(SPEC, 43)
@pytest.mark.scenario(SPEC, 45)
@pytest.mark.scenario(SPEC, 46)
@pytest.mark.scenario(SPEC, 47)
async def test_hearing_outcomes_become_nomis_hearing_results(
    service: ServiceHarness, world: AdjudicationsWorld
) -> None:
    for number, (_, hearing_type, outcome, code, referral, _) in CASES.items():
        seed_case(world, number, hearing_type, outcome, code, referral)
    for number, (event_type, *_) in CASES.items():
        await service.estate.publish(event(event_type, str(number), hearing_id=100 + number))
    successes = await service.wait_for_event("hearing-result-upserted-success", len(CASES))

    for number, (*_, expected) in CASES.items():
        path = f"/adjudications/adjudication-number/{number}/hearings/{2000 + number}/charge/1/result"
        [result] = requests(service.estate.nomis, "POST", path)
        assert result.body == expected, number
        [success] = [s for s in successes if s["chargeNumber"] == str(number)]
        assert success == {
            "chargeNumber": str(number),
            "prisonId": PRISON,
            "offenderNo": OFFENDER,
            "dpsHearingId": str(100 + number),
            "adjudicationNumber": str(number),
            "chargeSequence": "1",
            "nomisHearingId": str(2000 + number),
            "findingCode": expected["findingCode"],
            "plea": expected["pleaFindingCode"],
        }
        assert world.fakes.nomis.adjudications[number]["hearings"][2000 + number]["results"][1] == expected


@pytest.mark.scenario(SPEC, 44)
async def test_outcome_for_an_unmapped_hearing_ends_on_the_dlq(
    service: ServiceHarness, world: AdjudicationsWorld
) -> None:
    """An outcome for a hearing with no mapping; (no scenario) a DPS 404, which fails before the failure
    telemetry scope, as the original does (spec 11.7); and a hearing-less referral event while DPS has no
    outcome at all (`Referral not found ...`)."""
    completed = hearing(345, outcome=hearing_outcome("COMPLETE", "GUILTY"))
    world.dps(charge(hearings=[completed], outcomes=[outcome_entry(completed, "CHARGE_PROVED")]))
    world.mapped_charge()
    world.mapped_charge("404", 404)
    world.dps(charge("none"))
    world.mapped_charge("none", 9)
    await service.estate.publish(event("adjudication.hearingCompleted.created", hearing_id=345))
    await service.estate.publish(event("adjudication.hearingCompleted.created", "404", hearing_id=345))
    await service.estate.publish(event("adjudication.outcome.referPolice", "none"))
    await service.wait_for_depth(QUEUE, 3, dlq=True)

    failed = service.events("hearing-result-upserted-failed")
    assert failed == 3 * [
        {
            "chargeNumber": "12345-1",
            "prisonId": PRISON,
            "offenderNo": OFFENDER,
            "dpsHearingId": "345",
            "adjudicationNumber": "12345",
            "chargeSequence": "1",
        }
    ]
    assert len(requests(world.dps_api, "GET", dps_get("404"))) == 3
    referral = service.events("adjudication-referral-upserted-failed")
    assert [f["chargeNumber"] for f in referral] == ["none"] * 3
    assert requests(service.estate.nomis, "POST", r".*/result") == []


@pytest.mark.scenario(SPEC, 57)
@pytest.mark.scenario(SPEC, 58)
async def test_referrals_without_a_hearing_are_charge_results(
    service: ServiceHarness, world: AdjudicationsWorld
) -> None:
    world.dps(charge("57", outcomes=[outcome_entry(None, "REFER_POLICE")]))
    world.mapped_charge("57", 57)
    world.dps(charge("58", outcomes=[outcome_entry(None, "NOT_PROCEED")]))
    world.mapped_charge("58", 58)
    await service.estate.publish(event("adjudication.outcome.referPolice", "57"))
    await service.estate.publish(event("adjudication.outcome.notProceed", "58"))
    successes = await service.wait_for_event("adjudication-referral-upserted-success", 2)

    for number, finding in ((57, "REF_POLICE"), (58, "NOT_PROCEED")):
        [result] = requests(
            service.estate.nomis, "POST", f"/adjudications/adjudication-number/{number}/charge/1/result"
        )
        assert result.body == {"pleaFindingCode": "NOT_ASKED", "findingCode": finding}
        [success] = [s for s in successes if s["chargeNumber"] == str(number)]
        assert success == {
            "chargeNumber": str(number),
            "prisonId": PRISON,
            "offenderNo": OFFENDER,
            "adjudicationNumber": str(number),
            "chargeSequence": "1",
            "findingCode": finding,
            "plea": "NOT_ASKED",
        }
    assert requests(service.estate.nomis, "POST", r".*/hearings/.*") == []


@pytest.mark.scenario(SPEC, 47)
async def test_adjudicator_omitted_for_independent_adjudicator_hearings(
    service: ServiceHarness, world: AdjudicationsWorld
) -> None:
    """INAD_YOI carries no adjudicatorUsername; GOV carries it (the field is absent, not null)."""
    seed_case(world, 1, "INAD_YOI", hearing_outcome("ADJOURN", "GUILTY", "ANY_NAME"), None, None)
    seed_case(world, 2, "GOV", hearing_outcome("ADJOURN", "ABSTAIN", "GOV_NAME"), None, None)
    await service.estate.publish(event("adjudication.hearingAdjourn.created", "1", hearing_id=101))
    await service.estate.publish(event("adjudication.hearingAdjourn.created", "2", hearing_id=102))
    await service.wait_for_event("hearing-result-upserted-success", 2)
    [first] = requests(
        service.estate.nomis, "POST", "/adjudications/adjudication-number/1/hearings/2001/charge/1/result"
    )
    [second] = requests(
        service.estate.nomis, "POST", "/adjudications/adjudication-number/2/hearings/2002/charge/1/result"
    )
    assert first.body == {"pleaFindingCode": "GUILTY", "findingCode": "ADJOURNED"}
    assert second.body == {
        "pleaFindingCode": "REFUSED",
        "findingCode": "ADJOURNED",
        "adjudicatorUsername": "GOV_NAME",
    }
