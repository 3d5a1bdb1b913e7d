"""Court appearance events with their charges, clones to the latest booking (court-sentencing 17-36)."""

from __future__ import annotations

from typing import Any

import pytest
from cs_support import (
    APPEARANCE_ID,
    CASE_ID,
    CASES_PATH,
    CHARGE_IDS,
    MAPPING,
    OFFENDER_NO,
    SPEC,
    FromNomisQueue,
    World,
    publish_and_wait,
    requests,
    settled,
    wait_for_dlq,
)

from hmpps_sandbox.harness import ServiceHarness

UPDATE_CREATE = f"{MAPPING}/court-cases/update-create"
CHARGE_MAPPINGS = f"{MAPPING}/court-charges"


def appearance_event(
    world: World, event_type: str, source: str = "DPS", future: bool = False
) -> dict[str, Any]:
    return world.event(
        event_type,
        source=source,
        courtAppearanceId=APPEARANCE_ID,
        courtCaseId=CASE_ID,
        isOnFutureCourtAppearance=future,
    )


async def four_charge_appearance(world: World, **fields: Any) -> None:
    """The fixture appearance: 4 charges with outcomes 4531, 4531, 1002 and none, next appearance 2027-10-15."""
    await world.dps_case()
    for charge_id, outcome in zip(CHARGE_IDS, ["4531", "4531", "1002", None], strict=True):
        await world.dps_charge(charge_id, nomisOutcomeCode=outcome)
    await world.dps_appearance(
        charge_ids=CHARGE_IDS,
        nextCourtAppearance={"appearanceDate": "2027-10-15", "appearanceTime": "10:30", "courtId": "LEEDYC"},
        **fields,
    )


@pytest.mark.scenario(SPEC, 17)
@pytest.mark.scenario(SPEC, 30)
async def test_appearances_created_or_updated_in_nomis_are_ignored(
    service: ServiceHarness, world: World
) -> None:
    await world.standard()
    await service.estate.publish(appearance_event(world, "court-appearance.inserted", source="NOMIS"))
    await service.estate.publish(appearance_event(world, "court-appearance.updated", source="NOMIS"))
    [created] = await service.wait_for_event("court-appearance-create-ignored")
    [updated] = await service.wait_for_event("court-appearance-updated-ignored")
    base = {"dpsCourtCaseId": CASE_ID, "dpsCourtAppearanceId": APPEARANCE_ID, "offenderNo": OFFENDER_NO}
    assert created == {**base, "reason": "Court appearance created in NOMIS"}
    assert updated == {**base, "reason": "Court appearance updated in NOMIS"}
    await settled(service)
    assert service.estate.nomis.requests() == []


@pytest.mark.scenario(SPEC, 18)
@pytest.mark.scenario(SPEC, 19)
@pytest.mark.scenario(SPEC, 20)
@pytest.mark.scenario(SPEC, 21)
async def test_appearance_is_created_with_its_charges_and_mapped(
    service: ServiceHarness, world: World, from_nomis: FromNomisQueue
) -> None:
    await four_charge_appearance(world)
    world.mapped_case()
    world.mapped_charges()
    success = await publish_and_wait(
        service, appearance_event(world, "court-appearance.inserted"), "court-appearance-create-success"
    )

    dps = service.estate.dps["court-sentencing"]
    assert len(requests(dps, "GET", f"/legacy/court-appearance/{APPEARANCE_ID}")) == 1
    [event_id] = world.nomis.cases[7]["eventIds"]
    assert success["nomisCourtCaseId"] == "7"
    assert success["nomisCourtAppearanceId"] == str(event_id)
    assert success["courtEventCharges"] == "[11, 12, 13, 14]"
    assert success["courtEventChargesWithOutcomes"] == (
        "[CourtEventChargeRequest(offenderChargeId=11, resultCode1=4531), "
        "CourtEventChargeRequest(offenderChargeId=12, resultCode1=4531), "
        "CourtEventChargeRequest(offenderChargeId=13, resultCode1=1002), "
        "CourtEventChargeRequest(offenderChargeId=14, resultCode1=null)]"
    )
    assert success["nomisOutcomeCode"] == "4531"
    assert success["nextAppearanceDate"] == "2027-10-15"
    [create] = requests(service.estate.nomis, "POST", f"{CASES_PATH}/7/court-appearances")
    assert create.body == {
        "eventDateTime": "2024-09-23T10:00:00",
        "courtEventType": "CRT",
        "courtId": "DDOC",
        "outcomeReasonCode": "4531",
        "nextEventDateTime": "2027-10-15T10:30:00",
        "nextCourtId": "LEEDYC",
        "courtEventChargesWithOutcomes": [
            {"offenderChargeId": 11, "resultCode1": "4531"},
            {"offenderChargeId": 12, "resultCode1": "4531"},
            {"offenderChargeId": 13, "resultCode1": "1002"},
            {"offenderChargeId": 14},
        ],
        "comment": "a comment",
        "futureAppearance": False,
        "forceClone": False,
        "forcePreventClone": False,
    }
    [update_create] = requests(service.estate.mapping, "PUT", UPDATE_CREATE)
    assert update_create.body == {
        "mappingsToCreate": {
            "courtCases": [],
            "courtAppearances": [
                {
                    "nomisCourtAppearanceId": event_id,
                    "dpsCourtAppearanceId": APPEARANCE_ID,
                    "mappingType": "DPS_CREATED",
                }
            ],
            "courtCharges": [],
            "sentences": [],
            "sentenceTerms": [],
            "mappingType": "DPS_CREATED",
        },
        "mappingsToUpdate": {
            "courtCases": [],
            "courtAppearances": [],
            "courtCharges": [],
            "sentences": [],
            "sentenceTerms": [],
        },
    }
    assert (
        world.mappings.appearances.find("dpsCourtAppearanceId", APPEARANCE_ID)["nomisCourtAppearanceId"]
        == event_id
    )
    assert service.events("court-appearance-create-cases-cloned") == []
    assert await from_nomis.messages() == []


async def old_booking_case(world: World) -> dict[str, Any]:
    """DPS case mapped to NOMIS case 101 on booking 1 while the prisoner is now on booking 2 (scenario 22)."""
    await world.dps_case()
    await world.dps_appearance(charge_ids=CHARGE_IDS[:2])
    world.booking(1)
    case = world.mapped_case(nomis_id=101)
    world.booking(2)
    world.mapped_charges(101, CHARGE_IDS[:2], [1003, 1004])
    world.nomis.add_event(101, [{"offenderChargeId": 1003, "resultCode1": "4531"}], id=1001)
    world.nomis.add_event(101, [{"offenderChargeId": 1004, "resultCode1": "4531"}], id=1002)
    world.nomis.add_sentence(101, sentenceSeq=10, chargeIds=[1003], eventId=1001)
    world.nomis.add_term(1, 10, termSequence=1)
    world.nomis.add_term(1, 10, termSequence=2)
    world.nomis.adjustments[(1, 10)] = [501, 502]
    return case


def clone_of(world: World, source_id: int) -> dict[str, Any]:
    [clone] = [c for c in world.nomis.cases.values() if c["id"] != source_id and c["bookingId"] == 2]
    return clone


async def assert_cloned(
    service: ServiceHarness, world: World, from_nomis: FromNomisQueue, appearance_creates: int = 1
) -> dict[str, Any]:
    """Scenarios 22-25: the clone's telemetry, resync messages and mapping moves."""
    clone = clone_of(world, 101)
    [sentence_key] = clone["sentenceKeys"]
    [cloned] = service.events("court-appearance-create-cases-cloned")
    assert cloned["offenderNo"] == OFFENDER_NO
    assert cloned["nomisCourtCaseIds"] == "101"
    names = [e.name for e in service.recorder.events if e.name.startswith("court-appearance-create-")]
    assert names[-2:] == ["court-appearance-create-cases-cloned", "court-appearance-create-success"]

    [booking] = await from_nomis.wait_for(1, "courtsentencing.resync.case.booking")
    assert booking["message"] == {
        "offenderNo": OFFENDER_NO,
        "fromBookingId": 1,
        "toBookingId": 2,
        "caseIds": [101],
        "casesMoved": [{"caseId": clone["id"], "sentences": [{"sentenceSequence": sentence_key[1]}]}],
    }
    adjustments = await from_nomis.wait_for(2, "courtsentencing.resync.sentence-adjustments")
    new_ids = world.nomis.adjustments[sentence_key]
    assert sorted(m["message"]["sentences"][0]["adjustmentIds"][0] for m in adjustments) == sorted(new_ids)
    for message in adjustments:
        [entry] = message["message"]["sentences"]
        assert entry["sentenceId"] == {"offenderBookingId": 2, "sentenceSequence": sentence_key[1]}
        assert len(entry["adjustmentIds"]) == 1

    update_creates = requests(service.estate.mapping, "PUT", UPDATE_CREATE)
    assert len(update_creates) == appearance_creates
    body = update_creates[-1].body
    new_event = clone["eventIds"][-1]
    assert body["mappingsToCreate"]["courtAppearances"] == [
        {
            "nomisCourtAppearanceId": new_event,
            "dpsCourtAppearanceId": APPEARANCE_ID,
            "mappingType": "DPS_CREATED",
        }
    ]
    c1, c2 = clone["eventIds"][:2]
    ch1, ch2 = clone["chargeIds"]
    assert body["mappingsToUpdate"] == {
        "courtCases": [{"fromNomisId": 101, "toNomisId": clone["id"]}],
        "courtAppearances": [{"fromNomisId": 1001, "toNomisId": c1}, {"fromNomisId": 1002, "toNomisId": c2}],
        "courtCharges": [{"fromNomisId": 1003, "toNomisId": ch1}, {"fromNomisId": 1004, "toNomisId": ch2}],
        "sentences": [
            {
                "fromNomisId": {"nomisBookingId": 1, "nomisSequence": 10},
                "toNomisId": {"nomisBookingId": 2, "nomisSequence": sentence_key[1]},
            }
        ],
        "sentenceTerms": [
            {
                "fromNomisId": {
                    "nomisSentenceId": {"nomisBookingId": 1, "nomisSequence": 10},
                    "nomisSequence": term,
                },
                "toNomisId": {
                    "nomisSentenceId": {"nomisBookingId": 2, "nomisSequence": sentence_key[1]},
                    "nomisSequence": term,
                },
            }
            for term in (1, 2)
        ],
    }
    assert world.mappings.cases.find("dpsCourtCaseId", CASE_ID)["nomisCourtCaseId"] == clone["id"]
    assert world.mappings.charges.find("dpsCourtChargeId", CHARGE_IDS[0])["nomisCourtChargeId"] == ch1
    return clone


@pytest.mark.scenario(SPEC, 22)
@pytest.mark.scenario(SPEC, 23)
@pytest.mark.scenario(SPEC, 24)
@pytest.mark.scenario(SPEC, 25)
async def test_appearance_on_an_old_booking_clones_the_case_and_moves_its_mappings(
    service: ServiceHarness, world: World, from_nomis: FromNomisQueue
) -> None:
    await old_booking_case(world)
    await publish_and_wait(
        service, appearance_event(world, "court-appearance.inserted"), "court-appearance-create-success"
    )
    clone = await assert_cloned(service, world, from_nomis)
    [create] = requests(service.estate.nomis, "POST", f"{CASES_PATH}/101/court-appearances")
    assert create.body["courtEventChargesWithOutcomes"] == [
        {"offenderChargeId": 1003, "resultCode1": "4531"},
        {"offenderChargeId": 1004, "resultCode1": "4531"},
    ]
    assert len(clone["eventIds"]) == 3


@pytest.mark.scenario(SPEC, 26)
async def test_future_appearance_waits_for_nomis_dependent_state_then_clones(
    service: ServiceHarness, world: World, from_nomis: FromNomisQueue
) -> None:
    await old_booking_case(world)
    service.estate.nomis.inject_fault(
        method="POST",
        path_pattern=f"{CASES_PATH}/101/court-appearances",
        status=424,
        body={"status": 424, "userMessage": "Court case must first be cloned to the latest booking"},
    )
    await publish_and_wait(
        service,
        appearance_event(world, "court-appearance.inserted", future=True),
        "court-appearance-create-success",
    )
    [waiting] = service.events("court-appearance-create-awaiting-dependent-state")
    assert waiting["reason"].startswith("Expected dependent state not yet correct, retrying: ")
    assert "Court case must first be cloned" in waiting["reason"]
    creates = requests(service.estate.nomis, "POST", f"{CASES_PATH}/101/court-appearances")
    assert [c.body["futureAppearance"] for c in creates] == [True, True]
    names = [e.name for e in service.recorder.events]
    assert names.index("court-appearance-create-awaiting-dependent-state") < names.index(
        "court-appearance-create-success"
    )
    await assert_cloned(service, world, from_nomis)


@pytest.mark.scenario(SPEC, 27)
async def test_existing_appearance_mapping_is_a_duplicate(service: ServiceHarness, world: World) -> None:
    await world.standard()
    await publish_and_wait(
        service, appearance_event(world, "court-appearance.inserted"), "court-appearance-create-duplicate"
    )
    assert requests(service.estate.nomis, "POST", f"{CASES_PATH}/.*/court-appearances") == []


@pytest.mark.scenario(SPEC, 28)
async def test_failed_mapping_save_is_retried_from_the_queue(service: ServiceHarness, world: World) -> None:
    await world.dps_case()
    await world.dps_appearance()
    world.mapped_case()
    world.mapped_charges(dps_ids=CHARGE_IDS[:1])
    service.estate.mapping.inject_fault(method="PUT", path_pattern=UPDATE_CREATE, status=500)
    retried = await publish_and_wait(
        service,
        appearance_event(world, "court-appearance.inserted"),
        "court-appearance-create-mapping-retry-success",
    )
    assert len(requests(service.estate.nomis, "POST", f"{CASES_PATH}/7/court-appearances")) == 1
    update_creates = requests(service.estate.mapping, "PUT", UPDATE_CREATE)
    assert len(update_creates) == 2
    [event_id] = world.nomis.cases[7]["eventIds"]
    created = update_creates[1].body["mappingsToCreate"]["courtAppearances"][0]
    assert (created["dpsCourtAppearanceId"], created["nomisCourtAppearanceId"]) == (APPEARANCE_ID, event_id)
    assert retried["nomisCourtAppearanceId"] == str(event_id)
    assert service.events("court-appearance-create-success") == []


@pytest.mark.scenario(SPEC, 29)
async def test_appearance_waits_for_a_charge_mapping(service: ServiceHarness, world: World) -> None:
    await world.dps_case()
    await world.dps_appearance()
    world.mapped_case()
    world.mapped_charges(dps_ids=CHARGE_IDS[:1])
    service.estate.mapping.inject_fault(
        method="GET", path_pattern=f"{MAPPING}/court-charges/dps-court-charge-id/{CHARGE_IDS[0]}", status=404
    )
    success = await publish_and_wait(
        service, appearance_event(world, "court-appearance.inserted"), "court-appearance-create-success"
    )
    [waiting] = service.events("court-appearance-create-awaiting-parent")
    assert waiting["nomisCourtCaseId"] == "7"
    assert waiting["reason"] == f"Missing DPS charge: {CHARGE_IDS[0]}"
    assert success["courtEventCharges"] == "[11]"
    assert len(requests(service.estate.nomis, "POST", f"{CASES_PATH}/7/court-appearances")) == 1


@pytest.mark.scenario(SPEC, 31)
async def test_appearance_update_sends_charges_and_forgets_deleted_ones(
    service: ServiceHarness, world: World
) -> None:
    await four_charge_appearance(world, nomisAppearanceTypeCode="VL")
    world.mapped_case()
    world.mapped_charges()
    extra = world.mapped_charges(dps_ids=["removed-charge-1", "removed-charge-2"], nomis_ids=[15, 16])
    world.mapped_appearance(charge_ids=[11, 12, 13, 14, *(c["id"] for c in extra)])
    success = await publish_and_wait(
        service, appearance_event(world, "court-appearance.updated"), "court-appearance-updated-success"
    )
    [update] = requests(service.estate.nomis, "PUT", f"{CASES_PATH}/7/court-appearances/3")
    assert update.body["courtEventType"] == "VL"
    assert [
        (c["offenderChargeId"], c.get("resultCode1")) for c in update.body["courtEventChargesWithOutcomes"]
    ] == [
        (11, "4531"),
        (12, "4531"),
        (13, "1002"),
        (14, None),
    ]
    [charges_put] = requests(service.estate.mapping, "PUT", CHARGE_MAPPINGS)
    assert charges_put.body == {
        "courtChargesToCreate": [],
        "courtChargesToDelete": [{"nomisCourtChargeId": 15}, {"nomisCourtChargeId": 16}],
    }
    assert success["nomisCourtAppearanceId"] == "3"
    assert success["nomisOutcomeCode"] == "4531"
    assert success["deletedCourtChargeMappings"] == "[nomisCourtChargeId: 15, nomisCourtChargeId: 16]"
    assert world.mappings.charges.find("dpsCourtChargeId", "removed-charge-1") is None


@pytest.mark.scenario(SPEC, 32)
async def test_appearance_update_without_deleted_charges_saves_no_mappings(
    service: ServiceHarness, world: World
) -> None:
    await world.standard()
    success = await publish_and_wait(
        service, appearance_event(world, "court-appearance.updated"), "court-appearance-updated-success"
    )
    assert "deletedCourtChargeMappings" not in success
    assert success["dpsAppearanceDate"] == "2024-09-23"
    assert requests(service.estate.mapping, "PUT", CHARGE_MAPPINGS) == []


@pytest.mark.scenario(SPEC, 33)
async def test_appearance_update_for_an_appearance_gone_from_dps_is_ignored(
    service: ServiceHarness, world: World
) -> None:
    world.mapped_case()
    world.mapped_appearance()
    ignored = await publish_and_wait(
        service, appearance_event(world, "court-appearance.updated"), "court-appearance-updated-ignored"
    )
    await service.wait_for_event("court-appearance-updated-success")
    assert ignored["reason"] == f"DPS court appearance {APPEARANCE_ID} does not exist in RaS"
    assert requests(service.estate.nomis, "PUT", ".*") == []


@pytest.mark.scenario(SPEC, 34)
async def test_appearance_update_waits_for_the_appearance_mapping(
    service: ServiceHarness, world: World
) -> None:
    await world.dps_case()
    await world.dps_appearance()
    world.mapped_case()
    await service.estate.publish(appearance_event(world, "court-appearance.updated"))
    waiting = await service.wait_for_event("court-appearance-updated-awaiting-parent", 3)
    await wait_for_dlq(service)
    assert {e["reason"] for e in waiting} == {f"Missing Dps appearance id: {APPEARANCE_ID}"}
    assert requests(service.estate.nomis, "PUT", ".*") == []


@pytest.mark.scenario(SPEC, 35)
async def test_appearance_is_deleted_from_nomis_and_mapping(service: ServiceHarness, world: World) -> None:
    await world.standard()
    success = await publish_and_wait(
        service, appearance_event(world, "court-appearance.deleted"), "court-appearance-deleted-success"
    )
    assert success["dpsCourtAppearanceId"] == APPEARANCE_ID
    assert success["nomisCourtAppearanceId"] == "3"
    assert len(requests(service.estate.nomis, "DELETE", f"{CASES_PATH}/7/court-appearances/3")) == 1
    assert (
        len(
            requests(
                service.estate.mapping,
                "DELETE",
                f"{MAPPING}/court-appearances/dps-court-appearance-id/{APPEARANCE_ID}",
            )
        )
        == 1
    )
    assert 3 not in world.nomis.events


@pytest.mark.scenario(SPEC, 36)
async def test_appearance_delete_without_mapping_is_skipped(service: ServiceHarness, world: World) -> None:
    world.mapped_case()
    await publish_and_wait(
        service, appearance_event(world, "court-appearance.deleted"), "court-appearance-deleted-skipped"
    )
    await settled(service)
    assert len(service.events("court-appearance-deleted-skipped")) == 1
    assert requests(service.estate.nomis, "DELETE", ".*") == []
