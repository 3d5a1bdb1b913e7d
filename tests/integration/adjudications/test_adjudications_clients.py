"""The DPS, NOMIS and mapping clients against the sandbox fakes, the queue wiring and health
(adjudications scenarios 8 and 122-124)."""

from __future__ import annotations

from datetime import date

import pytest
from adjudications_support import (
    ADJUDICATION,
    ADJUDICATION_PATH,
    BOOKING,
    CHARGE_PATH,
    DOMAINS,
    HEARING_PATH,
    NOMIS_HEARING,
    PRISON,
    QUEUE,
    SPEC,
    AdjudicationsWorld,
    charge,
    dps_get,
)

from hmpps_sandbox.domains.adjudications import EVENTS
from hmpps_sandbox.estate import Estate
from hmpps_sandbox.harness import ServiceHarness, running_service
from prisoner_to_nomis_update.domains.adjudications.clients import (
    AdjudicationMappingApi,
    AdjudicationsApi,
    NomisAdjudicationsApi,
)
from prisoner_to_nomis_update.domains.adjudications.models import (
    AdjudicationPunishmentBatchMappingDto,
    AdjudicationPunishmentBatchUpdateMappingDto,
    AdjudicationPunishmentMappingDto,
    AdjudicationPunishmentNomisIdDto,
    CreateHearingRequest,
    CreateHearingResultAwardRequest,
    CreateHearingResultRequest,
    ExistingHearingResultAwardRequest,
    HearingResultAwardRequest,
    UnquashHearingResultAwardRequest,
    UpdateEvidenceRequest,
    UpdateHearingRequest,
    UpdateHearingResultAwardRequest,
    UpdateRepairsRequest,
)
from prisoner_to_nomis_update.framework.http import HttpError
from prisoner_to_nomis_update.framework.synchronise import DuplicateMappingError, post_mapping

CC = HearingResultAwardRequest(sanctionType="CC", sanctionStatus="IMMEDIATE", effectiveDate=date(2023, 10, 4), sanctionDays=3)  # fmt: skip


def bearer(entry: object) -> bool:
    return str(getattr(entry, "headers", {}).get("Authorization", "")).startswith("Bearer ")


@pytest.mark.scenario(SPEC, 8)
async def test_dps_charge_call_carries_the_caseload_and_a_token(
    idle_service: ServiceHarness, world: AdjudicationsWorld
) -> None:
    world.dps(charge())
    api = AdjudicationsApi(idle_service.service.apis.get("adjudications"))
    found = await api.get_charge("12345-1", PRISON)

    assert found.chargeNumber == "12345-1" and found.prisonerNumber == "A1234AA"
    [call] = world.dps_api.requests("GET", dps_get())
    assert call.headers["Active-Caseload"] == PRISON and bearer(call)
    with pytest.raises(HttpError) as missing:
        await api.get_charge("nope", PRISON)
    assert missing.value.status == 404
    world.dps_api.inject_fault(path_pattern=dps_get(), status=503)
    with pytest.raises(HttpError) as unavailable:
        await api.get_charge("12345-1", PRISON)
    assert unavailable.value.status == 503


@pytest.mark.scenario(SPEC, 122)
async def test_punishment_mapping_client(idle_service: ServiceHarness, world: AdjudicationsWorld) -> None:
    api = AdjudicationMappingApi(idle_service.service.apis.get("mapping"))
    mapping = idle_service.estate.mapping
    row = AdjudicationPunishmentMappingDto(
        dpsPunishmentId="634", nomisBookingId=BOOKING, nomisSanctionSequence=10
    )
    await api.create_punishments(AdjudicationPunishmentBatchMappingDto(punishments=[row]))
    [post] = mapping.requests("POST", "/mapping/punishments")
    assert bearer(post)
    assert post.body == {
        "punishments": [{"dpsPunishmentId": "634", "nomisBookingId": BOOKING, "nomisSanctionSequence": 10}]
    }

    with pytest.raises(DuplicateMappingError) as duplicate:
        await post_mapping(
            lambda: api.create_punishments(AdjudicationPunishmentBatchMappingDto(punishments=[row]))
        )
    assert duplicate.value.existing["dpsPunishmentId"] == "634"
    mapping.inject_fault(path_pattern="/mapping/punishments", status=500, count=2)
    with pytest.raises(HttpError):
        await api.create_punishments(AdjudicationPunishmentBatchMappingDto(punishments=[]))
    update = AdjudicationPunishmentBatchUpdateMappingDto(
        punishmentsToCreate=[row.model_copy(update={"dpsPunishmentId": "667", "nomisSanctionSequence": 11})],
        punishmentsToDelete=[
            AdjudicationPunishmentNomisIdDto(nomisBookingId=BOOKING, nomisSanctionSequence=10)
        ],
    )
    with pytest.raises(HttpError):
        await api.update_punishments(update)
    await api.update_punishments(update)
    [put] = mapping.requests("PUT", "/mapping/punishments")[-1:]
    assert bearer(put) and put.body["punishmentsToDelete"] == [
        {"nomisBookingId": BOOKING, "nomisSanctionSequence": 10}
    ]
    with pytest.raises(DuplicateMappingError):
        await post_mapping(lambda: api.update_punishments(update))

    found = await api.find_punishment("667")
    assert found is not None and found.nomisSanctionSequence == 11
    assert await api.find_punishment("634") is None
    mapping.inject_fault(path_pattern="/mapping/punishments/667", status=500)
    with pytest.raises(HttpError):
        await api.find_punishment("667")


@pytest.mark.scenario(SPEC, 123)
async def test_nomis_adjudication_client(idle_service: ServiceHarness, world: AdjudicationsWorld) -> None:
    api = NomisAdjudicationsApi(idle_service.service.apis.get("nomis"))
    nomis = idle_service.estate.nomis
    world.mapped_charge()
    world.nomis_hearing(result=True)

    assert await api.update_repairs(ADJUDICATION, UpdateRepairsRequest(repairs=[])) == 0
    assert await api.update_evidence(ADJUDICATION, UpdateEvidenceRequest(evidence=[])) == 0
    hearing_request = CreateHearingRequest(
        hearingType="GOV",
        hearingDate=date(2023, 8, 23),
        hearingTime="10:00",
        agencyId=PRISON,
        internalLocationId=1,
    )
    new_hearing = await api.create_hearing(ADJUDICATION, hearing_request)
    update = UpdateHearingRequest(
        hearingType="GOV", hearingDate=date(2023, 8, 24), hearingTime="11:00", internalLocationId=1
    )
    await api.update_hearing(ADJUDICATION, new_hearing, update)
    result = CreateHearingResultRequest(pleaFindingCode="GUILTY", findingCode="PROVED")
    await api.upsert_hearing_result(ADJUDICATION, NOMIS_HEARING, 1, result)
    created = await api.create_awards(ADJUDICATION, 1, CreateHearingResultAwardRequest(awards=[CC]))
    [sequence] = [a.sanctionSequence for a in created.awardsCreated]
    replaced = await api.update_awards(
        ADJUDICATION, 1, UpdateHearingResultAwardRequest(awardsToCreate=[CC], awardsToUpdate=[])
    )
    assert [a.sanctionSequence for a in replaced.awardsDeleted] == [sequence]
    await api.quash(ADJUDICATION, 1)
    unquash = UnquashHearingResultAwardRequest(
        findingCode="PROVED",
        awards=UpdateHearingResultAwardRequest(
            awardsToCreate=[],
            awardsToUpdate=[
                ExistingHearingResultAwardRequest(
                    award=CC, sanctionSequence=replaced.awardsCreated[0].sanctionSequence
                )
            ],
        ),
    )
    await api.unquash(ADJUDICATION, 1, unquash)
    assert len((await api.delete_awards(ADJUDICATION, 1)).awardsDeleted) == 1
    assert (await api.delete_hearing_result(ADJUDICATION, NOMIS_HEARING, 1)).awardsDeleted == []
    await api.upsert_referral_result(ADJUDICATION, 1, result)
    await api.delete_referral_result(ADJUDICATION, 1)
    await api.delete_hearing(ADJUDICATION, new_hearing)
    summary = await api.ada_summary(BOOKING)
    assert summary.adaSummaries == []

    calls = [(entry.method, entry.path) for entry in nomis.requests()]
    assert calls == [
        ("PUT", f"{ADJUDICATION_PATH}/repairs"),
        ("PUT", f"{ADJUDICATION_PATH}/evidence"),
        ("POST", f"{ADJUDICATION_PATH}/hearings"),
        ("PUT", f"{ADJUDICATION_PATH}/hearings/{new_hearing}"),
        ("POST", f"{HEARING_PATH}/charge/1/result"),
        ("POST", f"{CHARGE_PATH}/awards"),
        ("PUT", f"{CHARGE_PATH}/awards"),
        ("PUT", f"{CHARGE_PATH}/quash"),
        ("PUT", f"{CHARGE_PATH}/unquash"),
        ("DELETE", f"{CHARGE_PATH}/awards"),
        ("DELETE", f"{HEARING_PATH}/charge/1/result"),
        ("POST", f"{CHARGE_PATH}/result"),
        ("DELETE", f"{CHARGE_PATH}/result"),
        ("DELETE", f"{ADJUDICATION_PATH}/hearings/{new_hearing}"),
        ("GET", f"/prisoners/booking-id/{BOOKING}/awards/ada/summary"),
    ]
    assert all(bearer(entry) for entry in nomis.requests())
    [unquash_call] = nomis.requests("PUT", f"{CHARGE_PATH}/unquash")
    assert unquash_call.body["findingCode"] == "PROVED"
    assert unquash_call.body["awards"]["awardsToUpdate"][0]["award"]["sanctionType"] == "CC"

    with pytest.raises(HttpError) as missing:
        await api.update_repairs(99999, UpdateRepairsRequest(repairs=[]))
    assert missing.value.status == 404
    nomis.inject_fault(path_pattern=f"{CHARGE_PATH}/quash", status=503)
    with pytest.raises(HttpError) as unavailable:
        await api.quash(ADJUDICATION, 1)
    assert unavailable.value.status == 503


@pytest.mark.scenario(SPEC, 124)
async def test_health_reports_the_adjudications_api(clean_estate: Estate) -> None:
    async with running_service(clean_estate, queues=[QUEUE], domains=DOMAINS) as service:
        status, body, _ = await service.request("GET", "/health")
        assert status == 200 and body["components"]["adjudicationsApi"]["status"] == "UP"
        assert body["components"][f"{QUEUE}-health"]["status"] == "UP"
        clean_estate.dps["adjudications"].inject_fault(path_pattern="/health/ping", status=503, count=None)
        status, body, _ = await service.request("GET", "/health")
        assert status == 503 and body["components"]["adjudicationsApi"]["status"] == "DOWN"
        # Every event type of spec section 2 is subscribed, and nothing else.
        [domain] = service.service.domains
        assert domain.name == "adjudications" and domain.queue_id == "adjudication"
        assert domain.subscriptions == sorted(EVENTS) and len(EVENTS) == 26
