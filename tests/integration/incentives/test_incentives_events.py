"""Incentive events end to end: SNS -> incentive queue -> service -> DPS / NOMIS / mapping fakes."""

from __future__ import annotations

import orjson
import pytest
from incentives_support import (
    event,
    fakes,
    incentives_service,
    inserted_event,
    seed_spec_review,
)

from hmpps_sandbox.estate import Estate
from hmpps_sandbox.harness import wait_until
from prisoner_to_nomis_update.framework.messages import notification_body

SUCCESS_KEYS = {
    "id",
    "offenderNo",
    "prisonId",
    "iep",
    "iepDate",
    "iepTime",
    "nomisBookingId",
    "nomisIncentiveSequence",
    "incentiveId",
    "mappingType",
}


@pytest.mark.scenario("visits-and-incentives", 33)
async def test_inserted_review_creates_the_nomis_iep_and_its_mapping(clean_estate: Estate) -> None:
    seed_spec_review(clean_estate)
    async with incentives_service(clean_estate) as harness:
        await clean_estate.publish(inserted_event(12))
        [success] = await harness.wait_for_event("incentive-create-success")

    dps_reads = clean_estate.dps["incentives"].requests("GET", "/incentive-reviews/id/12")
    assert len(dps_reads) == 1
    [create] = clean_estate.nomis.requests("POST", "/prisoners/A1234AA/incentives")
    assert create.body == {
        "iepLevel": "STD",
        "comments": "A review took place",
        "iepDateTime": "2022-12-02T10:00:00",
        "prisonId": "MDI",
        "userId": "BILLYBOB",
    }
    assert create.headers["Authorization"].startswith("Bearer ")
    [mapping] = clean_estate.mapping.requests("POST", "/mapping/incentives")
    assert mapping.body == {
        "nomisBookingId": 456,
        "nomisIncentiveSequence": 1,
        "incentiveId": 12,
        "mappingType": "INCENTIVE_CREATED",
    }
    assert set(success) == SUCCESS_KEYS
    assert success["nomisBookingId"] == "456" and success["nomisIncentiveSequence"] == "1"
    assert fakes(clean_estate).current_iep(456)["iepLevel"]["code"] == "STD"  # type: ignore[index]


@pytest.mark.scenario("visits-and-incentives", 41)
@pytest.mark.scenario("visits-and-incentives", 46)
async def test_success_telemetry_and_an_id_sent_as_text(clean_estate: Estate) -> None:
    """The event's id arrives as the JSON string "123"; the handler still reads review 123."""
    seed_spec_review(
        clean_estate,
        review_id=123,
        prisoner_number="AB123D",
        booking_id=123,
        when=__import__("datetime").datetime(2023, 9, 8, 9, 30),
    )
    async with incentives_service(clean_estate) as harness:
        await clean_estate.publish(inserted_event("123", noms_number="AB123D"))
        [success] = await harness.wait_for_event("incentive-create-success")
    assert success == {
        "id": "123",
        "offenderNo": "AB123D",
        "prisonId": "MDI",
        "iep": "STD",
        "iepDate": "2023-09-08",
        "iepTime": "09:30:00",
        "nomisBookingId": "123",
        "nomisIncentiveSequence": "1",
        "incentiveId": "123",
        "mappingType": "INCENTIVE_CREATED",
    }
    assert len(clean_estate.dps["incentives"].requests("GET", "/incentive-reviews/id/123")) == 1


@pytest.mark.scenario("visits-and-incentives", 34)
@pytest.mark.scenario("visits-and-incentives", 44)
async def test_mapping_failures_retry_then_dlq_then_recover(clean_estate: Estate) -> None:
    seed_spec_review(clean_estate)
    clean_estate.mapping.inject_fault(path_pattern="/mapping/incentives", method="POST", count=None)
    env = {"HMPPS_SQS_QUEUES_INCENTIVE_DLQ_MAX_RECEIVE_COUNT": "2"}
    async with incentives_service(clean_estate, **env) as harness:
        await clean_estate.publish(inserted_event(12))
        [failed] = await harness.wait_for_event("incentive-mapping-create-failed")
        [retry] = await harness.wait_for_event("incentive-create-mapping-retry")
        await harness.wait_for_depth("incentive", 1, dlq=True)
        await harness.wait_for_depth("incentive", 0)
        assert len(harness.events("create-mapping-retry-failure")) == 2
        assert len(clean_estate.mapping.requests("POST", "/mapping/incentives")) == 3
        # The NOMIS IEP was written once: only the mapping is retried.
        assert len(clean_estate.nomis.requests("POST", "/prisoners/A1234AA/incentives")) == 1

        clean_estate.mapping.clear_faults()
        status, _, _ = await harness.request(
            "PUT", "/queue-admin/retry-all-dlqs", roles=["ROLE_SYSCON__QUEUE_ADMIN"]
        )
        assert status == 200
        await harness.wait_for_event("incentive-retry-success")
        await harness.wait_for_depth("incentive", 0)
        await harness.wait_for_depth("incentive", 0, dlq=True)

    assert len(clean_estate.mapping.requests("POST", "/mapping/incentives")) == 4
    assert fakes(clean_estate).mappings.rows[0]["incentiveId"] == 12
    assert {k: failed[k] for k in ("offenderNo", "prisonId", "id", "iepDate", "iepTime")} == {
        "offenderNo": "A1234AA",
        "prisonId": "MDI",
        "id": "12",
        "iepDate": "2022-12-02",
        "iepTime": "10:00:00",
    }
    assert failed["reason"].startswith("500 Internal Server Error from POST")
    assert set(retry) == {"messageId", *SUCCESS_KEYS}
    assert not harness.events("incentive-create-success")


@pytest.mark.scenario("visits-and-incentives", 35)
async def test_mapping_conflict_is_reported_as_a_duplicate_and_not_retried(clean_estate: Estate) -> None:
    seed_spec_review(clean_estate)
    existing = {
        "incentiveId": 12,
        "nomisBookingId": 456,
        "nomisIncentiveSequence": 1,
        "mappingType": "MIGRATED",
    }
    duplicate = {**existing, "nomisIncentiveSequence": 2, "mappingType": "INCENTIVE_CREATED"}
    clean_estate.mapping.inject_fault(
        path_pattern="/mapping/incentives",
        method="POST",
        status=409,
        body={
            "status": 409,
            "userMessage": "Conflict",
            "moreInfo": {"existing": existing, "duplicate": duplicate},
        },
    )
    async with incentives_service(clean_estate) as harness:
        await clean_estate.publish(inserted_event(12))
        [alert] = await harness.wait_for_event("to-nomis-synch-incentive-duplicate")
        await harness.wait_for_depth("incentive", 0)
        await harness.wait_for_depth("incentive", 0, dlq=True)
        assert len(harness.events("incentive-mapping-create-failed")) == 1
        assert not harness.events("incentive-create-mapping-retry")
    assert len(clean_estate.mapping.requests("POST", "/mapping/incentives")) == 1
    assert {k: v for k, v in alert.items() if k.startswith(("existing", "duplicate"))} == {
        "existingIncentiveId": "12",
        "existingNomisBookingId": "456",
        "existingNomisIncentiveSequence": "1",
        "existingMappingType": "MIGRATED",
        "duplicateIncentiveId": "12",
        "duplicateNomisBookingId": "456",
        "duplicateNomisIncentiveSequence": "2",
        "duplicateMappingType": "INCENTIVE_CREATED",
    }
    assert alert["offenderNo"] == "A1234AA" and alert["iep"] == "STD"


async def test_a_real_mapping_clash_from_the_fake_is_reported_too(clean_estate: Estate) -> None:
    """The fake's own uniqueness rule (booking + sequence) gives the same alert as the real API would."""
    seed_spec_review(clean_estate)
    # NOMIS will answer sequence 1 for booking 456; another incentive already maps to (456, 1).
    fakes(clean_estate).mappings.rows.append(
        {"nomisBookingId": 456, "nomisIncentiveSequence": 1, "incentiveId": 99, "mappingType": "MIGRATED"}
    )
    async with incentives_service(clean_estate) as harness:
        await clean_estate.publish(inserted_event(12))
        [alert] = await harness.wait_for_event("to-nomis-synch-incentive-duplicate")
    assert alert["existingIncentiveId"] == "99" and alert["duplicateIncentiveId"] == "12"


@pytest.mark.scenario("visits-and-incentives", 36)
async def test_new_global_level_is_inserted_in_nomis(clean_estate: Estate) -> None:
    dps = fakes(clean_estate)
    await dps.change_level("STD", name="Description for STD", active=True, publish=False)
    async with incentives_service(clean_estate) as harness:
        await clean_estate.publish(event("incentives.level.changed", incentiveLevel="STD"))
        [inserted] = await harness.wait_for_event("global-incentive-level-inserted")
    [create] = clean_estate.nomis.requests("POST", "/incentives/reference-codes")
    assert create.body == {"code": "STD", "description": "Description for STD", "active": True}
    assert inserted == {"code": "STD", "description": "Description for STD", "active": "true"}
    assert dps.reference_codes["STD"]["description"] == "Description for STD"


@pytest.mark.scenario("visits-and-incentives", 37)
async def test_existing_global_level_is_updated_in_nomis(clean_estate: Estate) -> None:
    dps = fakes(clean_estate)
    await dps.change_level("STD", name="Description for STD", active=True, publish=False)
    dps.reference_codes["STD"] = {"code": "STD", "domain": "IEP_LEVEL", "description": "Old", "active": False}
    async with incentives_service(clean_estate) as harness:
        await clean_estate.publish(event("incentives.level.changed", incentiveLevel="STD"))
        [updated] = await harness.wait_for_event("global-incentive-level-updated")
    [update] = clean_estate.nomis.requests("PUT", "/incentives/reference-codes/STD")
    assert update.body == {"description": "Description for STD", "active": True}
    assert updated == {"code": "STD", "description": "Description for STD", "active": "true"}
    assert not clean_estate.nomis.requests("POST", "/incentives/reference-codes")


async def test_level_created_meanwhile_is_updated_instead(clean_estate: Estate) -> None:
    """Two deliveries racing: NOMIS says absent, then the create answers 409; we apply an update."""
    dps = fakes(clean_estate)
    await dps.change_level("EN4", name="Enhanced 4", active=True, publish=False)
    clean_estate.nomis.inject_fault(path_pattern="/incentives/reference-codes", method="POST", status=409)
    dps.reference_codes["EN4"] = {"code": "EN4", "domain": "IEP_LEVEL", "description": "x", "active": True}
    clean_estate.nomis.inject_fault(path_pattern="/incentives/reference-codes/EN4", method="GET", status=404)
    async with incentives_service(clean_estate) as harness:
        await clean_estate.publish(event("incentives.level.changed", incentiveLevel="EN4"))
        await harness.wait_for_event("global-incentive-level-updated")
    assert dps.reference_codes["EN4"]["description"] == "Enhanced 4"


@pytest.mark.scenario("visits-and-incentives", 38)
async def test_reordered_levels_are_sent_to_nomis_in_dps_order(clean_estate: Estate) -> None:
    dps = fakes(clean_estate)
    await dps.reorder_levels(["BAS", "STD", "ENH", "EN2", "EN3", "ENT"], publish=False)
    async with incentives_service(clean_estate) as harness:
        await clean_estate.publish(event("incentives.levels.reordered"))
        [reordered] = await harness.wait_for_event("global-incentive-levels-reordered")
    reads = clean_estate.dps["incentives"].requests("GET", "/incentive/levels")
    assert len(reads) == 1 and reads[0].query == {"with-inactive": "true"}
    [reorder] = clean_estate.nomis.requests("POST", "/incentives/reference-codes/reorder")
    assert reorder.body == {"codeList": ["BAS", "STD", "ENH", "EN2", "EN3", "ENT"]}
    assert reordered == {"orderedIepCodes": "[BAS, STD, ENH, EN2, EN3, ENT]"}


PRISON_LEVEL_KEYS = {
    "code",
    "prison",
    "defaultOnAdmission",
    "active",
    "visitOrders",
    "privilegedVisitOrders",
    "remandTransferLimitInPence",
    "remandSpendLimitInPence",
    "convictedSpendLimitInPence",
    "convictedTransferLimitInPence",
}


@pytest.mark.scenario("visits-and-incentives", 39)
async def test_new_prison_level_is_inserted_in_nomis(clean_estate: Estate) -> None:
    dps = fakes(clean_estate)
    await dps.change_prison_level("MDI", "STD", defaultOnAdmission=True, visitOrders=2, publish=False)
    async with incentives_service(clean_estate) as harness:
        await clean_estate.publish(
            event("incentives.prison-level.changed", incentiveLevel="STD", prisonId="MDI")
        )
        [inserted] = await harness.wait_for_event("prison-incentive-level-inserted")
    [create] = clean_estate.nomis.requests("POST", "/incentives/prison/MDI")
    assert create.body == {
        "levelCode": "STD",
        "active": True,
        "defaultOnAdmission": True,
        "visitOrderAllowance": 2,
        "privilegedVisitOrderAllowance": 1,
        "remandTransferLimitInPence": 5500,
        "remandSpendLimitInPence": 55000,
        "convictedTransferLimitInPence": 1800,
        "convictedSpendLimitInPence": 18000,
    }
    assert set(inserted) == PRISON_LEVEL_KEYS
    assert inserted["code"] == "STD" and inserted["prison"] == "MDI"
    assert inserted["defaultOnAdmission"] == "true" and inserted["active"] == "true"
    assert inserted["visitOrders"] == "2" and inserted["convictedSpendLimitInPence"] == "18000"


@pytest.mark.scenario("visits-and-incentives", 40)
async def test_existing_prison_level_is_updated_in_nomis(clean_estate: Estate) -> None:
    dps = fakes(clean_estate)
    await dps.change_prison_level("MDI", "STD", defaultOnAdmission=False, publish=False)
    dps.nomis_prison_levels[("MDI", "STD")] = {"prisonId": "MDI", "levelCode": "STD", "active": True}
    async with incentives_service(clean_estate) as harness:
        await clean_estate.publish(
            event("incentives.prison-level.changed", incentiveLevel="STD", prisonId="MDI")
        )
        [updated] = await harness.wait_for_event("prison-incentive-level-updated")
    [update] = clean_estate.nomis.requests("PUT", "/incentives/prison/MDI/code/STD")
    assert update.body["levelCode"] == "STD" and update.body["defaultOnAdmission"] is False
    assert updated["code"] == "STD" and updated["active"] == "true"
    assert updated["defaultOnAdmission"] == "false"
    assert not clean_estate.nomis.requests("POST", "/incentives/prison/MDI")


@pytest.mark.scenario("visits-and-incentives", 42)
@pytest.mark.scenario("visits-and-incentives", 70)
async def test_review_created_in_nomis_is_ignored(clean_estate: Estate) -> None:
    seed_spec_review(clean_estate)
    async with incentives_service(clean_estate) as harness:
        await clean_estate.publish(inserted_event(12, reason="USER_CREATED_NOMIS"))
        [ignored] = await harness.wait_for_event("incentive-create-ignored")
    assert ignored == {"id": "12", "offenderNo": "A1234AA"}
    assert len(clean_estate.mapping.requests("GET", "/mapping/incentives/incentive-id/12")) == 1
    assert len(clean_estate.dps["incentives"].requests("GET", "/incentive-reviews/id/12")) == 1
    assert not clean_estate.nomis.requests()
    assert not clean_estate.mapping.requests("POST")


@pytest.mark.scenario("visits-and-incentives", 43)
async def test_existing_mapping_means_a_duplicate_event(clean_estate: Estate) -> None:
    seed_spec_review(clean_estate)
    fakes(clean_estate).mappings.rows.append(
        {
            "nomisBookingId": 456,
            "nomisIncentiveSequence": 1,
            "incentiveId": 12,
            "mappingType": "INCENTIVE_CREATED",
        }
    )
    async with incentives_service(clean_estate) as harness:
        await clean_estate.publish(inserted_event(12))
        [duplicate] = await harness.wait_for_event("incentive-create-duplicate")
    assert duplicate == {"id": "12", "offenderNo": "A1234AA"}
    assert not clean_estate.nomis.requests()
    assert not clean_estate.dps["incentives"].requests("GET", "/incentive-reviews/id/12")


@pytest.mark.scenario("visits-and-incentives", 69)
async def test_event_without_noms_number_reports_offender_unknown(clean_estate: Estate) -> None:
    seed_spec_review(clean_estate)
    async with incentives_service(clean_estate) as harness:
        await clean_estate.publish(inserted_event(12, noms_number=None))
        [success] = await harness.wait_for_event("incentive-create-success")
    assert success["offenderNo"] == "unknown"
    # The NOMIS path uses the DPS review's prisoner, not the event's.
    assert len(clean_estate.nomis.requests("POST", "/prisoners/A1234AA/incentives")) == 1


async def test_dps_failure_reports_create_failed_and_retries(clean_estate: Estate) -> None:
    seed_spec_review(clean_estate)
    clean_estate.dps["incentives"].inject_fault(path_pattern="/incentive-reviews/id/12", status=503)
    async with incentives_service(clean_estate) as harness:
        await clean_estate.publish(inserted_event(12))
        [failed] = await harness.wait_for_event("incentive-create-failed")
        await harness.wait_for_event("incentive-create-success")
    assert set(failed) == {"id", "offenderNo", "reason"}
    assert failed["reason"].startswith("503 Service Unavailable from GET")


async def test_nomis_failure_reports_create_failed_with_review_details(clean_estate: Estate) -> None:
    seed_spec_review(clean_estate)
    clean_estate.nomis.inject_fault(path_pattern="/prisoners/A1234AA/incentives", status=500)
    async with incentives_service(clean_estate) as harness:
        await clean_estate.publish(inserted_event(12))
        [failed] = await harness.wait_for_event("incentive-create-failed")
        await harness.wait_for_event("incentive-create-success")
    assert set(failed) == {"id", "offenderNo", "prisonId", "iep", "iepDate", "iepTime", "reason"}
    assert len(fakes(clean_estate).ieps[456]) == 1


async def test_redelivery_after_a_crash_before_the_mapping_does_not_duplicate_the_iep(
    clean_estate: Estate,
) -> None:
    """Idempotency: NOMIS already holds this review's IEP (the first delivery died before the mapping
    POST); the redelivery saves the mapping for it instead of writing a second IEP."""
    review = seed_spec_review(clean_estate)
    fakes(clean_estate).add_iep(
        456,
        "A1234AA",
        "STD",
        when=__import__("datetime").datetime(2022, 12, 2, 10, 0),
        prison_id="MDI",
        comment=review["comments"],
        user_id="BILLYBOB",
    )
    async with incentives_service(clean_estate) as harness:
        await clean_estate.publish(inserted_event(12))
        [success] = await harness.wait_for_event("incentive-create-success")
    assert not clean_estate.nomis.requests("POST")
    assert success["nomisIncentiveSequence"] == "1"
    assert len(fakes(clean_estate).ieps[456]) == 1
    assert fakes(clean_estate).mappings.rows[0]["incentiveId"] == 12


async def test_a_same_looking_iep_owned_by_another_mapping_is_not_reused(clean_estate: Estate) -> None:
    review = seed_spec_review(clean_estate)
    fakes(clean_estate).add_iep(
        456,
        "A1234AA",
        "STD",
        when=__import__("datetime").datetime(2022, 12, 2, 10, 0),
        comment=review["comments"],
        user_id="BILLYBOB",
    )
    fakes(clean_estate).mappings.rows.append(
        {
            "nomisBookingId": 456,
            "nomisIncentiveSequence": 1,
            "incentiveId": 11,
            "mappingType": "INCENTIVE_CREATED",
        }
    )
    async with incentives_service(clean_estate) as harness:
        await clean_estate.publish(inserted_event(12))
        [success] = await harness.wait_for_event("incentive-create-success")
    assert success["nomisIncentiveSequence"] == "2"
    assert len(clean_estate.nomis.requests("POST", "/prisoners/A1234AA/incentives")) == 1


async def test_malformed_events_end_on_the_dlq_not_lost(clean_estate: Estate) -> None:
    env = {"HMPPS_SQS_QUEUES_INCENTIVE_DLQ_MAX_RECEIVE_COUNT": "1"}
    async with incentives_service(clean_estate, **env) as harness:
        bad = {"eventType": "incentives.iep-review.inserted", "additionalInformation": {"id": "twelve"}}
        await harness.send_raw("incentive", notification_body(bad), "incentives.iep-review.inserted")
        await harness.send_raw(
            "incentive",
            notification_body({"eventType": "incentives.prison-level.changed", "additionalInformation": {}}),
            "incentives.prison-level.changed",
        )
        await harness.wait_for_depth("incentive", 2, dlq=True)
        await harness.wait_for_depth("incentive", 0)
    assert not clean_estate.nomis.requests()


async def test_sandbox_control_endpoint_books_a_review_and_publishes_it(clean_estate: Estate) -> None:
    """What `make run` users do: one call changes DPS and publishes the event."""
    import aiohttp

    async with incentives_service(clean_estate) as harness:
        async with aiohttp.ClientSession() as session:
            url = f"{clean_estate.dps['incentives'].url}/__incentives/reviews"
            body = {"prisonerNumber": "G4803UT", "iepCode": "ENH", "agencyId": "LEI"}
            async with session.post(url, data=orjson.dumps(body)) as response:
                assert response.status == 201
                created = await response.json()
        [success] = await harness.wait_for_event("incentive-create-success")
    assert success["offenderNo"] == "G4803UT" and success["iep"] == "ENH"
    booking = created["review"]["bookingId"]
    await wait_until(lambda: fakes(clean_estate).current_iep(booking) is not None, 1, "IEP")
    assert fakes(clean_estate).current_iep(booking)["prisonId"] == "LEI"  # type: ignore[index]


async def test_sandbox_control_endpoints_change_levels_and_publish(clean_estate: Estate) -> None:
    """`make run`: a new global level, a new order and a prison level change, each one HTTP call."""
    import aiohttp

    base = f"{clean_estate.dps['incentives'].url}/__incentives"
    async with incentives_service(clean_estate) as harness, aiohttp.ClientSession() as session:
        for path, body in (
            ("/levels/EN4", {"name": "Enhanced 4"}),
            ("/levels-order", {"codes": ["BAS", "STD", "ENH", "EN2", "EN3", "ENT", "EN4"]}),
            ("/prison-levels/MDI/STD", {"visitOrders": 3}),
        ):
            async with session.post(base + path, data=orjson.dumps(body)) as response:
                assert response.status == 201, await response.text()
        async with session.post(base + "/levels-order", data=orjson.dumps({"codes": ["BAS"]})) as response:
            assert response.status == 400
        await harness.wait_for_event("global-incentive-level-inserted")
        [reordered] = await harness.wait_for_event("global-incentive-levels-reordered")
        [prison] = await harness.wait_for_event("prison-incentive-level-inserted")
    assert reordered["orderedIepCodes"] == "[BAS, STD, ENH, EN2, EN3, ENT, EN4]"
    assert prison["visitOrders"] == "3"
    assert fakes(clean_estate).reference_codes["EN4"]["description"] == "Enhanced 4"
