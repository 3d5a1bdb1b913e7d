"""The repair endpoints (adjudications scenarios 82-101), called over HTTP with real tokens."""

from __future__ import annotations

import pytest
from adjudications_support import (
    ADJUDICATION,
    BOOKING,
    CHARGE_PATH,
    HEARING_PATH,
    NOMIS_HEARING,
    NOMIS_HEARING_LOCATION,
    OFFENDER,
    PRISON,
    SPEC,
    UPDATE_ROLE,
    AdjudicationsWorld,
    charge,
    dps_get,
    hearing,
    hearing_outcome,
    outcome_entry,
    punishment,
    requests,
)

from hmpps_sandbox.harness import ServiceHarness

BASE = f"/prisons/{PRISON}/prisoners/{OFFENDER}/adjudication/dps-charge-number"
FULL = f"{BASE}/12345-1/repair"
PUNISHMENTS = f"{BASE}/12345-1/punishments/repair"
DELETE_RESULT = f"{BASE}/12345-1/hearing/dps-hearing-id/654321/result"
OUTCOME = f"{BASE}/12345-1/hearing/dps-hearing-id/654321/outcome"
HEARING = f"{BASE}/12345-1/hearing/dps-hearing-id/654321"
ENDPOINTS = (
    ("POST", FULL),
    ("POST", PUNISHMENTS),
    ("DELETE", DELETE_RESULT),
    ("POST", OUTCOME),
    ("POST", HEARING),
)


@pytest.mark.scenario(SPEC, 82)
@pytest.mark.scenario(SPEC, 83)
@pytest.mark.scenario(SPEC, 84)
@pytest.mark.scenario(SPEC, 85)
@pytest.mark.scenario(SPEC, 86)
@pytest.mark.scenario(SPEC, 87)
@pytest.mark.scenario(SPEC, 88)
@pytest.mark.scenario(SPEC, 89)
@pytest.mark.scenario(SPEC, 90)
@pytest.mark.scenario(SPEC, 91)
@pytest.mark.scenario(SPEC, 92)
@pytest.mark.scenario(SPEC, 93)
@pytest.mark.scenario(SPEC, 94)
@pytest.mark.scenario(SPEC, 95)
@pytest.mark.scenario(SPEC, 96)
async def test_every_repair_needs_the_update_role(service: ServiceHarness, world: AdjudicationsWorld) -> None:
    """For each endpoint in turn: no role 403, ROLE_BANANAS 403, no token 401."""
    for method, path in ENDPOINTS:
        assert (await service.request(method, path, roles=[]))[0] == 403, path
        assert (await service.request(method, path, roles=["ROLE_BANANAS"]))[0] == 403, path
        assert (await service.request(method, path))[0] == 401, path
    assert world.dps_api.requests() == []
    assert service.estate.nomis.requests() == []
    assert service.estate.mapping.requests() == []


def full_charge() -> dict[str, object]:
    adjourned = hearing(
        634775, when="2013-12-02T10:00:00", outcome=hearing_outcome("ADJOURN", "NOT_ASKED", "")
    )
    completed = hearing(634798, when="2013-12-03T14:30:00", outcome=hearing_outcome("COMPLETE", "ABSTAIN"))
    return charge(
        hearings=[adjourned, completed],
        outcomes=[outcome_entry(adjourned), outcome_entry(completed, "CHARGE_PROVED")],
        punishments=[punishment(838308, "ADDITIONAL_DAYS", 5)],
    )


@pytest.mark.scenario(SPEC, 97)
async def test_full_repair_recreates_the_charge_in_nomis(
    service: ServiceHarness, world: AdjudicationsWorld
) -> None:
    world.dps(full_charge())
    # Mappings left from the NOMIS adjudication that was deleted.
    world.fakes.mappings.map_charge("12345-1", 99)
    world.fakes.mappings.map_hearing("634775", 99001)
    world.fakes.mappings.map_punishment("838308", BOOKING, 99)
    status, _, _ = await service.request("POST", FULL, roles=[UPDATE_ROLE])
    assert status == 200

    mapping = service.estate.mapping
    assert len(requests(world.dps_api, "GET", dps_get())) >= 1
    [delete] = requests(mapping, "POST", "/mapping/adjudications/delete-mappings")
    assert delete.body == {
        "dpsChargeNumber": "12345-1",
        "dpsHearingIds": ["634775", "634798"],
        "dpsPunishmentIds": ["838308"],
    }
    [nomis] = world.nomis_adjudications()
    number = nomis["adjudicationNumber"]
    [created] = service.events("adjudication-create-success")
    assert created["adjudicationNumber"] == str(number)
    hearing_ids = {dps: nomis_id for dps, nomis_id in ((m["dpsHearingId"], m["nomisHearingId"]) for m in world.fakes.mappings.hearings.rows)}  # fmt: skip
    assert sorted(hearing_ids) == ["634775", "634798"]
    assert len(service.events("hearing-create-success")) == 2
    results = {
        hearing_id: nomis["hearings"][nomis_id]["results"][1]["findingCode"]
        for hearing_id, nomis_id in hearing_ids.items()
    }
    assert results == {"634775": "ADJOURNED", "634798": "PROVED"}
    first_result = requests(
        service.estate.nomis, "POST", rf".*/hearings/{hearing_ids['634775']}/charge/1/result"
    )
    assert first_result[0].body == {"pleaFindingCode": "NOT_ASKED", "findingCode": "ADJOURNED"}
    assert len(service.events("hearing-result-upserted-success")) == 2
    [awards] = requests(
        service.estate.nomis, "POST", rf"/adjudications/adjudication-number/{number}/charge/1/awards"
    )
    assert awards.body["awards"] == [
        {
            "sanctionType": "ADA",
            "sanctionStatus": "IMMEDIATE",
            "commentText": "Added by DPS",
            "effectiveDate": "2013-12-03",
            "sanctionDays": 5,
        }
    ]
    [award] = world.awards(number)
    assert [(m["dpsPunishmentId"], m["nomisSanctionSequence"]) for m in world.punishment_mappings()] == [
        ("838308", award["sanctionSequence"])
    ]
    assert len(service.events("punishment-create-success")) == 1
    assert service.events("adjudication-adjudication-repair") == [
        {
            "prisonId": PRISON,
            "chargeNumber": "12345-1",
            "offenderNo": OFFENDER,
            "adjudicationNumber": str(number),
        }
    ]


async def test_full_repair_twice_writes_nothing_new(
    service: ServiceHarness, world: AdjudicationsWorld
) -> None:
    """A second full repair re-maps what the first one wrote instead of creating it all again."""
    world.dps(full_charge())
    for _ in range(2):
        status, _, _ = await service.request("POST", FULL, roles=[UPDATE_ROLE])
        assert status == 200
    [nomis] = world.nomis_adjudications()
    assert len(nomis["hearings"]) == 2
    assert len(world.awards(nomis["adjudicationNumber"])) == 1
    assert len(requests(service.estate.nomis, "POST", f"/prisoners/{OFFENDER}/adjudications")) == 1
    assert len(requests(service.estate.nomis, "POST", r".*/hearings")) == 2
    assert len(requests(service.estate.nomis, "POST", r".*/awards")) == 1
    assert len(service.events("adjudication-adjudication-repair")) == 2
    assert len(world.fakes.mappings.charges.rows) == 1 and len(world.punishment_mappings()) == 1


@pytest.mark.scenario(SPEC, 98)
async def test_punishments_repair_runs_the_punishments_update(
    service: ServiceHarness, world: AdjudicationsWorld
) -> None:
    world.dps(charge(punishments=[punishment(634, "CONFINEMENT", 3, start="2023-10-04"), punishment(667, "EXTRA_WORK", 12, suspended_until="2023-10-18")]))  # fmt: skip
    world.heard_charge()
    kept = world.nomis_award()["sanctionSequence"]
    world.nomis_award(sanctionDays=8)
    world.nomis_award(sanctionDays=9)
    world.mapped_punishment(634, kept)
    status, _, _ = await service.request("POST", PUNISHMENTS, roles=[UPDATE_ROLE])

    assert status == 200
    [success] = service.events("punishment-update-success")
    assert [
        success[k] for k in ("punishmentsCreatedCount", "punishmentsUpdatedCount", "punishmentsDeletedCount")
    ] == [
        "1",
        "1",
        "2",
    ]
    assert service.events("adjudication-punishment-repair") == [
        {"prisonId": PRISON, "chargeNumber": "12345-1", "offenderNo": OFFENDER}
    ]
    assert len(requests(service.estate.nomis, "PUT", CHARGE_PATH + "/awards")) == 1
    [put] = requests(service.estate.mapping, "PUT", "/mapping/punishments")
    assert len(put.body["punishmentsToCreate"]) == 1 and len(put.body["punishmentsToDelete"]) == 2


@pytest.mark.scenario(SPEC, 99)
async def test_delete_hearing_result_repair(service: ServiceHarness, world: AdjudicationsWorld) -> None:
    world.dps(charge(hearings=[hearing(654321)]))
    world.mapped_charge()
    world.nomis_hearing(result=True)
    world.fakes.mappings.map_hearing("654321", NOMIS_HEARING)
    sequences = [world.nomis_award()["sanctionSequence"] for _ in range(2)]
    status, _, _ = await service.request("DELETE", DELETE_RESULT, roles=[UPDATE_ROLE])

    assert status == 204
    assert service.events("hearing-result-deleted-success") == [
        {
            "chargeNumber": "12345-1",
            "prisonId": PRISON,
            "offenderNo": OFFENDER,
            "dpsHearingId": "654321",
            "adjudicationNumber": str(ADJUDICATION),
            "nomisHearingId": str(NOMIS_HEARING),
            "punishmentsDeletedCount": "2",
        }
    ]
    assert len(requests(service.estate.nomis, "DELETE", HEARING_PATH + "/charge/1/result")) == 1
    [put] = requests(service.estate.mapping, "PUT", "/mapping/punishments")
    assert put.body["punishmentsToDelete"] == [
        {"nomisBookingId": BOOKING, "nomisSanctionSequence": s} for s in sequences
    ]
    assert service.events("adjudication-hearing-delete-result-repair") == [
        {"prisonId": PRISON, "chargeNumber": "12345-1", "hearingId": "654321", "offenderNo": OFFENDER}
    ]


@pytest.mark.scenario(SPEC, 100)
async def test_outcome_repair(service: ServiceHarness, world: AdjudicationsWorld) -> None:
    completed = hearing(654321, outcome=hearing_outcome("COMPLETE"))
    world.dps(charge(hearings=[completed], outcomes=[outcome_entry(completed, "NOT_PROCEED")]))
    world.mapped_charge()
    world.nomis_hearing()
    world.fakes.mappings.map_hearing("654321", NOMIS_HEARING)
    status, _, _ = await service.request("POST", OUTCOME, roles=[UPDATE_ROLE])

    assert status == 200
    assert service.events("hearing-result-upserted-success") == [
        {
            "chargeNumber": "12345-1",
            "prisonId": PRISON,
            "offenderNo": OFFENDER,
            "dpsHearingId": "654321",
            "adjudicationNumber": str(ADJUDICATION),
            "chargeSequence": "1",
            "nomisHearingId": str(NOMIS_HEARING),
            "findingCode": "NOT_PROCEED",
            "plea": "NOT_ASKED",
        }
    ]
    assert len(requests(service.estate.nomis, "POST", HEARING_PATH + "/charge/1/result")) == 1
    assert service.events("adjudication-outcome-repair") == [
        {"prisonId": PRISON, "chargeNumber": "12345-1", "offenderNo": OFFENDER, "hearingId": "654321"}
    ]


@pytest.mark.scenario(SPEC, 101)
async def test_hearing_repair(service: ServiceHarness, world: AdjudicationsWorld) -> None:
    world.dps(charge(hearings=[hearing(654321)]))
    world.mapped_charge()
    status, _, _ = await service.request("POST", HEARING, roles=[UPDATE_ROLE])

    assert status == 200
    [success] = service.events("hearing-create-success")
    [nomis_id] = world.fakes.nomis.adjudications[ADJUDICATION]["hearings"]
    assert success["nomisHearingId"] == str(nomis_id) and success["dpsHearingId"] == "654321"
    [post] = requests(
        service.estate.nomis, "POST", f"/adjudications/adjudication-number/{ADJUDICATION}/hearings"
    )
    assert post.body["internalLocationId"] == NOMIS_HEARING_LOCATION
    [mapping] = requests(service.estate.mapping, "POST", "/mapping/hearings")
    assert mapping.body == {"dpsHearingId": "654321", "nomisHearingId": nomis_id}
    assert service.events("adjudication-hearing-repair") == [
        {"prisonId": PRISON, "chargeNumber": "12345-1", "offenderNo": OFFENDER, "hearingId": "654321"}
    ]


async def test_repair_of_an_unknown_charge_answers_404_without_an_audit(
    service: ServiceHarness, world: AdjudicationsWorld
) -> None:
    """The original answers 500 `Unexpected error: 404 Not Found from GET …` when DPS has no such charge;
    we answer 404 naming it (issue 14: a repair of an unknown record is never a server error)."""
    status, body, _ = await service.request("POST", FULL, roles=[UPDATE_ROLE])
    assert status == 404
    assert body["userMessage"].startswith(
        f"Not Found: prisonId {PRISON}, offenderNo {OFFENDER}, chargeNumber 12345-1: the adjudications API "
        "has no such record (404 Not Found from GET"
    )
    assert service.events("adjudication-adjudication-repair") == []
    assert service.estate.mapping.requests("POST") == []
