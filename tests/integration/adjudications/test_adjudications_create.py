"""adjudication.report.created: the NOMIS adjudication, its request body, duplicates and mapping retries
(adjudications scenarios 1-18)."""

from __future__ import annotations

import pytest
from adjudications_support import (
    INCIDENT_LOCATION,
    NOMIS_INCIDENT_LOCATION,
    OFFENDER,
    PRISON,
    QUEUE,
    SPEC,
    AdjudicationsWorld,
    charge,
    dps_get,
    event,
    publish_and_wait,
    publish_until_dlq,
    requests,
)

from hmpps_sandbox.harness import ServiceHarness

CREATED = "adjudication.report.created"
NOMIS_CREATE = f"/prisoners/{OFFENDER}/adjudications"


@pytest.mark.scenario(SPEC, 1)
@pytest.mark.scenario(SPEC, 2)
@pytest.mark.scenario(SPEC, 3)
@pytest.mark.scenario(SPEC, 4)
@pytest.mark.scenario(SPEC, 9)
@pytest.mark.scenario(SPEC, 10)
async def test_report_is_created_in_nomis_and_mapped(
    service: ServiceHarness, world: AdjudicationsWorld
) -> None:
    world.dps(charge("12345"))
    success = await publish_and_wait(
        service, event(CREATED, "12345", prisoner="A9999ZZ"), "adjudication-create-success"
    )

    [dps_call] = requests(world.dps_api, "GET", dps_get("12345"))
    assert dps_call.headers["Active-Caseload"] == PRISON
    [create] = requests(service.estate.nomis, "POST", NOMIS_CREATE)
    assert create.body == {
        "incident": {
            "reportingStaffUsername": "TWRIGHT",
            "incidentDate": "2023-07-28",
            "incidentTime": "01:12",
            "reportedDate": "2023-07-29",
            "reportedTime": "12:01",
            "internalLocationId": NOMIS_INCIDENT_LOCATION,
            "details": "Prisoner assaulted another prisoner",
            "prisonId": PRISON,
            "prisonerVictimsOffenderNumbers": [],
            "staffWitnessesUsernames": [],
            "staffVictimsUsernames": [],
            "repairs": [],
        },
        "charges": [{"offenceCode": "51:1B"}],
        "evidence": [],
    }
    [nomis] = world.nomis_adjudications()
    [mapping] = requests(service.estate.mapping, "POST", "/mapping/adjudications")
    assert mapping.body == {
        "adjudicationNumber": nomis["adjudicationNumber"],
        "chargeSequence": 1,
        "chargeNumber": "12345",
    }
    # offenderNo comes from DPS, not from the event's prisonerNumber (spec 11.2).
    assert success == {
        "chargeNumber": "12345",
        "prisonId": PRISON,
        "offenderNo": OFFENDER,
        "adjudicationNumber": str(nomis["adjudicationNumber"]),
        "chargeSequence": "1",
    }


@pytest.mark.scenario(SPEC, 11)
@pytest.mark.scenario(SPEC, 12)
@pytest.mark.scenario(SPEC, 13)
@pytest.mark.scenario(SPEC, 14)
@pytest.mark.scenario(SPEC, 15)
@pytest.mark.scenario(SPEC, 16)
@pytest.mark.scenario(SPEC, 17)
@pytest.mark.scenario(SPEC, 18)
async def test_create_request_transformations(service: ServiceHarness, world: AdjudicationsWorld) -> None:
    """Offence code fallbacks, evidence and damage codes and victims, one charge (and prisoner) each."""
    rule = {"paragraphNumber": "51:12A", "paragraphDescription": "Assault", "nomisCode": None}
    role = {"roleCode": "25c"}
    offences = {
        "11": {"offenceRule": {**rule, "withOthersNomisCode": "51:25D"}},
        "12": {"offenceRule": {**rule, "nomisCode": "51:1B", "withOthersNomisCode": "51:25D"}},
        "13": {"offenceRule": {**rule, "withOthersNomisCode": None}},
        "16": {"offenceRule": {**rule, "nomisCode": "51:1B"}, "victimPrisonersNumber": "A1111AA"},
        "17": {"offenceRule": {**rule, "nomisCode": "51:1B"}, "victimPrisonersNumber": "A0017AA"},
        "18": {"offenceRule": {**rule, "nomisCode": "51:1B"}, "victimStaffUsername": "ABC12D"},
    }
    for number, offence in offences.items():
        fields = {
            "offenceDetails": {"protectedCharacteristics": [], **offence},
            "prisonerNumber": f"A00{number}AA",
        }
        if number in ("12", "13"):
            fields["incidentRole"] = role
        world.dps(charge(number, **fields))
    evidence = [
        {"code": "PHOTO", "details": "photo of weapon", "reporter": "A"},
        {"code": "BAGGED_AND_TAGGED", "details": "drugs", "reporter": "A"},
        {"code": "CCTV", "details": "fight", "reporter": "A"},
        {"code": "BODY_WORN_CAMERA", "details": "camera", "reporter": "A"},
    ]
    damages = [
        {"code": code, "details": f"{code} details", "reporter": "A"}
        for code in (
            "ELECTRICAL_REPAIR",
            "CLEANING",
            "LOCK_REPAIR",
            "PLUMBING_REPAIR",
            "FURNITURE_OR_FABRIC_REPAIR",
            "REDECORATION",
            "REPLACE_AN_ITEM",
        )
    ]
    world.dps(charge("14", prisonerNumber="A0014AA", evidence=evidence, damages=damages))
    for number in (*offences, "14"):
        await service.estate.publish(event(CREATED, number))
    await service.wait_for_event("adjudication-create-success", len(offences) + 1)

    def body(number: str) -> dict[str, object]:
        [create] = requests(service.estate.nomis, "POST", f"/prisoners/A00{number}AA/adjudications")
        sent: dict[str, object] = create.body
        return sent

    assert body("11")["charges"] == [{"offenceCode": "51:12A"}]  # no NOMIS code: paragraph number
    assert body("12")["charges"] == [{"offenceCode": "51:25D"}]  # incited others: the with-others code
    assert body("13")["charges"] == [{"offenceCode": "51:12A"}]
    assert body("14")["evidence"] == [
        {"typeCode": "PHOTO", "detail": "photo of weapon"},
        {"typeCode": "EVI_BAG", "detail": "drugs"},
        {"typeCode": "OTHER", "detail": "fight"},
        {"typeCode": "OTHER", "detail": "camera"},
    ]
    incident = body("14")["incident"]
    assert isinstance(incident, dict)
    assert incident["repairs"] == [
        {"typeCode": code, "comment": f"{dps} details"}
        for code, dps in zip(
            ("ELEC", "CLEA", "LOCK", "PLUM", "FABR", "DECO", "DECO"),
            (d["code"] for d in damages),
            strict=True,
        )
    ]
    victims = {
        number: (incident_of["prisonerVictimsOffenderNumbers"], incident_of["staffVictimsUsernames"])
        for number in ("16", "17", "18")
        if isinstance(incident_of := body(number)["incident"], dict)
    }
    assert victims == {"16": (["A1111AA"], []), "17": ([], []), "18": ([], ["ABC12D"])}


@pytest.mark.scenario(SPEC, 5)
async def test_missing_location_mapping_fails_to_the_dlq(
    service: ServiceHarness, world: AdjudicationsWorld
) -> None:
    del world.fakes.locations[INCIDENT_LOCATION]
    world.dps(charge("12345"))
    await publish_until_dlq(service, event(CREATED, "12345"))

    failed = service.events("adjudication-create-failed")
    assert len(failed) == 3
    assert all(
        f["chargeNumber"] == "12345" and f["offenderNo"] == OFFENDER and f["prisonId"] == PRISON
        for f in failed
    )
    assert failed[0]["reason"].startswith("404 Not Found from GET ")
    assert requests(service.estate.nomis, "POST", NOMIS_CREATE) == []


@pytest.mark.scenario(SPEC, 6)
async def test_existing_mapping_is_a_duplicate(service: ServiceHarness, world: AdjudicationsWorld) -> None:
    world.dps(charge("12345"))
    world.mapped_charge("12345")
    duplicate = await publish_and_wait(service, event(CREATED, "12345"), "adjudication-create-duplicate")

    assert duplicate == {"chargeNumber": "12345", "prisonId": PRISON}
    assert requests(service.estate.nomis, "POST", NOMIS_CREATE) == []
    assert world.dps_api.requests() == []


@pytest.mark.scenario(SPEC, 7)
async def test_mapping_failure_is_retried_without_a_second_nomis_create(
    service: ServiceHarness, world: AdjudicationsWorld
) -> None:
    world.dps(charge("12345"))
    service.estate.mapping.inject_fault(path_pattern="/mapping/adjudications", method="POST", status=500)
    retried = await publish_and_wait(
        service, event(CREATED, "12345"), "adjudication-create-mapping-retry-success"
    )

    assert len(requests(service.estate.nomis, "POST", NOMIS_CREATE)) == 1
    assert len(requests(service.estate.mapping, "POST", "/mapping/adjudications")) == 2
    [queued] = service.events("adjudication-create-mapping-retry")
    assert queued["messageId"] and queued["chargeNumber"] == "12345"
    assert retried["chargeNumber"] == "12345" and retried["offenderNo"] == OFFENDER
    [failed] = service.events("adjudication-mapping-create-failed")
    assert failed["reason"].startswith("500 Internal Server Error from POST ")
    assert service.events("adjudication-create-success") == []
    await service.wait_for_depth(QUEUE, 0)
