"""non-associations.created / amended / closed / deleted against moto and the fakes (scenarios 62-79)."""

from __future__ import annotations

import pytest
from na_support import QUEUE, fakes, mapping_row, na_service

from hmpps_sandbox.estate import Estate
from prisoner_to_nomis_update.framework.messages import notification_body, retry_message_body

SPEC = "sentencing-and-non-associations"
NA_ID = 12345
DPS = r"/legacy/api/non-associations/12345"
NOMIS_DETAIL = r"/non-associations/offender/A1234AA/ns-offender/B1234BB/sequence/1"


def seed_mapping(estate: Estate, sequence: int = 1) -> None:
    na = fakes(estate)
    na.put_mapping(NA_ID, "A1234AA", "B1234BB", sequence, "NON_ASSOCIATION_CREATED")
    na.put_nomis("A1234AA", "B1234BB", sequence, effectiveDate="2021-07-05", type="LAND")


@pytest.mark.scenario(SPEC, 62)
@pytest.mark.scenario(SPEC, 63)
@pytest.mark.scenario(SPEC, 64)
@pytest.mark.scenario(SPEC, 65)
async def test_created_non_association_reaches_nomis_and_is_mapped(clean_estate: Estate) -> None:
    na = fakes(clean_estate)
    async with na_service(clean_estate) as harness:
        await na.act(NA_ID, "create")
        [success] = await harness.wait_for_event("non-association-create-success")
    assert success == {
        "nonAssociationId": "12345",
        "offenderNo": "A1234AA",
        "nsOffenderNo": "B1234BB",
        "firstOffenderNo": "A1234AA",
        "secondOffenderNo": "B1234BB",
        "nomisTypeSequence": "1",
        "mappingType": "NON_ASSOCIATION_CREATED",
    }
    [dps_call] = na.dps.requests("GET", DPS)
    assert dps_call.headers["Authorization"].startswith("Bearer ")
    [create] = clean_estate.nomis.requests("POST", "/non-associations")
    assert create.body == {
        "offenderNo": "A1234AA",
        "nsOffenderNo": "B1234BB",
        "reason": "VIC",
        "recipReason": "PER",
        "type": "WING",
        "effectiveDate": "2021-07-05",
        "authorisedBy": "Officer Alice B.",
        "comment": "John and Luke always end up fighting",
    }
    [mapping] = clean_estate.mapping.requests("POST", "/mapping/non-associations")
    assert mapping.body == {**mapping_row(NA_ID), "mappingType": "NON_ASSOCIATION_CREATED"}
    assert na.nomis_pair("A1234AA", "B1234BB")[0]["typeSequence"] == 1


async def test_mapping_orders_the_pair_lexicographically(clean_estate: Estate) -> None:
    na = fakes(clean_estate)
    async with na_service(clean_estate) as harness:
        await na.act(77, "create", {"firstPrisonerNumber": "Z9999ZZ", "secondPrisonerNumber": "A1111AA"})
        [success] = await harness.wait_for_event("non-association-create-success")
    assert (success["offenderNo"], success["nsOffenderNo"]) == ("Z9999ZZ", "A1111AA")
    assert (success["firstOffenderNo"], success["secondOffenderNo"]) == ("A1111AA", "Z9999ZZ")


async def test_event_from_nomis_and_string_id_without_source(clean_estate: Estate) -> None:
    """source NOMIS is ignored on every DPS event; an id sent as a string with no source is processed."""
    na = fakes(clean_estate)
    async with na_service(clean_estate) as harness:
        for action in ("create", "amend", "close", "delete"):
            await na.act(5, action, source="NOMIS")
        for name in ("create", "amend", "close", "delete"):
            assert await harness.wait_for_event(f"non-association-{name}-ignored") == [
                {"nonAssociationId": "5"}
            ]
        na.put_dps(6)
        await harness.send_raw(
            QUEUE,
            notification_body(
                {
                    "eventType": "non-associations.created",
                    "version": "1",
                    "description": "created",
                    "additionalInformation": {"id": "6"},
                }
            ),
        )
        [success] = await harness.wait_for_event("non-association-create-success")
    assert success["nonAssociationId"] == "6"
    assert len(clean_estate.nomis.requests("POST", "/non-associations")) == 1


@pytest.mark.scenario(SPEC, 66)
async def test_created_with_existing_mapping_is_a_duplicate(clean_estate: Estate) -> None:
    na = fakes(clean_estate)
    na.put_mapping(NA_ID, "A1234AA", "B1234BB", 1)
    async with na_service(clean_estate) as harness:
        await na.act(NA_ID, "create")
        assert await harness.wait_for_event("non-association-create-duplicate") == [
            {"nonAssociationId": "12345"}
        ]
    assert clean_estate.nomis.requests() == []


@pytest.mark.scenario(SPEC, 67)
async def test_mapping_failure_is_retried_without_a_second_nomis_create(clean_estate: Estate) -> None:
    na = fakes(clean_estate)
    clean_estate.mapping.inject_fault(path_pattern="/mapping/non-associations", method="POST", status=500)
    async with na_service(clean_estate) as harness:
        await na.act(NA_ID, "create")
        [retry] = await harness.wait_for_event("non-association-create-mapping-retry-success")
        assert harness.events("non-association-mapping-create-failed")[0]["reason"].startswith("500")
        [queued] = harness.events("nonassociation-create-mapping-retry")
    assert queued["messageId"]
    assert retry["nomisTypeSequence"] == "1" and retry["nonAssociationId"] == "12345"
    assert len(na.dps.requests("GET", DPS)) == 1
    assert len(clean_estate.nomis.requests("POST", "/non-associations")) == 1
    first, second = clean_estate.mapping.requests("POST", "/mapping/non-associations")
    assert first.body == second.body
    assert len(na.mappings.rows) == 1


async def test_mapping_conflict_reports_the_duplicate(clean_estate: Estate) -> None:
    """Another DPS id already holds NOMIS detail A1234AA/B1234BB/1: a 409 duplicate, no retry."""
    na = fakes(clean_estate)
    na.put_mapping(999, "A1234AA", "B1234BB", 1)
    async with na_service(clean_estate) as harness:
        await na.act(NA_ID, "create")
        [duplicate] = await harness.wait_for_event("to-nomis-synch-non-association-duplicate")
        [failed] = harness.events("non-association-mapping-create-failed")
    assert duplicate["duplicateNonAssociationId"] == "12345"
    assert duplicate["existingNonAssociationId"] == "999"
    assert failed["nonAssociationId"] == "12345"
    assert harness.events("nonassociation-create-mapping-retry") == []
    assert harness.events("non-association-create-success") == []


@pytest.mark.scenario(SPEC, 68)
@pytest.mark.scenario(SPEC, 69)
@pytest.mark.scenario(SPEC, 70)
async def test_amended_non_association_updates_nomis(clean_estate: Estate) -> None:
    na = fakes(clean_estate)
    seed_mapping(clean_estate)
    async with na_service(clean_estate) as harness:
        await na.act(NA_ID, "amend", {"restrictionType": "WING"})
        [success] = await harness.wait_for_event("non-association-amend-success")
    assert success == {
        "nonAssociationId": "12345",
        "offender1": "A1234AA",
        "offender2": "B1234BB",
        "sequence": "1",
    }
    assert len(na.dps.requests("GET", DPS)) == 1
    [put] = clean_estate.nomis.requests("PUT", NOMIS_DETAIL)
    assert put.body == {
        "reason": "VIC",
        "recipReason": "PER",
        "type": "WING",
        "effectiveDate": "2021-07-05",
        "authorisedBy": "Officer Alice B.",
        "comment": "John and Luke always end up fighting",
    }
    assert na.nomis_pair("A1234AA", "B1234BB")[0]["type"] == "WING"


@pytest.mark.scenario(SPEC, 71)
async def test_amend_retries_after_dps_failure(clean_estate: Estate) -> None:
    na = fakes(clean_estate)
    seed_mapping(clean_estate)
    na.dps.inject_fault(path_pattern=DPS, status=500)
    async with na_service(clean_estate) as harness:
        await na.act(NA_ID, "amend")
        await harness.wait_for_event("non-association-amend-success")
        assert harness.events("non-association-amend-failed") == [{"nonAssociationId": "12345"}]
    assert len(na.dps.requests("GET", DPS)) == 2
    assert len(clean_estate.nomis.requests("PUT", NOMIS_DETAIL)) == 1


@pytest.mark.scenario(SPEC, 72)
async def test_amend_that_nomis_keeps_refusing_lands_on_the_dlq(clean_estate: Estate) -> None:
    na = fakes(clean_estate)
    seed_mapping(clean_estate)
    clean_estate.nomis.inject_fault(path_pattern=NOMIS_DETAIL, method="PUT", status=503, count=None)
    async with na_service(clean_estate, HMPPS_SQS_QUEUES_NONASSOCIATION_DLQ_MAX_RECEIVE_COUNT="3") as harness:
        await na.act(NA_ID, "amend")
        await harness.wait_for_depth(QUEUE, 1, dlq=True)
        failures = harness.events("non-association-amend-failed")
    assert len(na.dps.requests("GET", DPS)) == 3
    assert (
        failures
        == [{"nonAssociationId": "12345", "offender1": "A1234AA", "offender2": "B1234BB", "sequence": "1"}]
        * 3
    )


async def test_amend_without_mapping_fails_to_the_dlq(clean_estate: Estate) -> None:
    na = fakes(clean_estate)
    async with na_service(clean_estate, HMPPS_SQS_QUEUES_NONASSOCIATION_DLQ_MAX_RECEIVE_COUNT="1") as harness:
        await na.act(NA_ID, "amend")
        await harness.wait_for_depth(QUEUE, 1, dlq=True)
        assert harness.events("non-association-amend-failed") == [{"nonAssociationId": "12345"}]
    assert clean_estate.nomis.requests("PUT") == []


@pytest.mark.scenario(SPEC, 73)
@pytest.mark.scenario(SPEC, 74)
async def test_closed_non_association_is_closed_in_nomis(clean_estate: Estate) -> None:
    na = fakes(clean_estate)
    seed_mapping(clean_estate)
    async with na_service(clean_estate) as harness:
        await na.act(NA_ID, "close")
        [success] = await harness.wait_for_event("non-association-close-success")
    assert success == {
        "nonAssociationId": "12345",
        "offender1": "A1234AA",
        "offender2": "B1234BB",
        "sequence": "1",
    }
    [close] = clean_estate.nomis.requests("PUT", NOMIS_DETAIL + "/close")
    assert close.body is None
    assert na.dps.requests("GET", DPS) == []
    assert na.nomis_pair("A1234AA", "B1234BB")[0]["expiryDate"] is not None


@pytest.mark.scenario(SPEC, 75)
async def test_close_retries_after_nomis_failure(clean_estate: Estate) -> None:
    na = fakes(clean_estate)
    seed_mapping(clean_estate)
    clean_estate.nomis.inject_fault(path_pattern=NOMIS_DETAIL + "/close", status=500)
    async with na_service(clean_estate) as harness:
        await na.act(NA_ID, "close")
        await harness.wait_for_event("non-association-close-success")
        assert len(harness.events("non-association-close-failed")) == 1
    assert (
        len(clean_estate.mapping.requests("GET", "/mapping/non-associations/non-association-id/12345")) == 2
    )
    assert len(clean_estate.nomis.requests("PUT", NOMIS_DETAIL + "/close")) == 2


@pytest.mark.scenario(SPEC, 76)
async def test_close_that_nomis_keeps_refusing_lands_on_the_dlq(clean_estate: Estate) -> None:
    na = fakes(clean_estate)
    seed_mapping(clean_estate)
    clean_estate.nomis.inject_fault(path_pattern=NOMIS_DETAIL + "/close", status=503, count=None)
    async with na_service(clean_estate, HMPPS_SQS_QUEUES_NONASSOCIATION_DLQ_MAX_RECEIVE_COUNT="3") as harness:
        await na.act(NA_ID, "close")
        await harness.wait_for_depth(QUEUE, 1, dlq=True)
        failures = harness.events("non-association-close-failed")
    assert (
        len(clean_estate.mapping.requests("GET", "/mapping/non-associations/non-association-id/12345")) == 3
    )
    assert len(failures) >= 3
    assert all(set(f) == {"nonAssociationId", "offender1", "offender2", "sequence"} for f in failures)


async def test_close_delivered_twice_closes_once(clean_estate: Estate) -> None:
    """The original fails on NOMIS's 'already closed' 400 and DLQs a redelivered close; we finish it."""
    na = fakes(clean_estate)
    seed_mapping(clean_estate)
    async with na_service(clean_estate, HMPPS_SQS_QUEUES_NONASSOCIATION_DLQ_MAX_RECEIVE_COUNT="1") as harness:
        await na.act(NA_ID, "close")
        await harness.wait_for_event("non-association-close-success")
        await na.act(NA_ID, "close")
        await harness.wait_for_event("non-association-close-success", 2)
        assert harness.events("non-association-close-failed") == []
        assert await harness.depth(QUEUE, dlq=True) == 0
    assert len(clean_estate.nomis.requests("PUT", NOMIS_DETAIL + "/close")) == 2


@pytest.mark.scenario(SPEC, 77)
@pytest.mark.scenario(SPEC, 78)
@pytest.mark.scenario(SPEC, 79)
async def test_deleted_non_association_is_deleted_with_its_mapping(clean_estate: Estate) -> None:
    na = fakes(clean_estate)
    seed_mapping(clean_estate)
    async with na_service(clean_estate) as harness:
        await na.act(NA_ID, "delete")
        [success] = await harness.wait_for_event("non-association-delete-success")
    assert success == {
        "nonAssociationId": "12345",
        "offender1": "A1234AA",
        "offender2": "B1234BB",
        "sequence": "1",
    }
    assert len(clean_estate.nomis.requests("DELETE", NOMIS_DETAIL)) == 1
    assert (
        len(clean_estate.mapping.requests("DELETE", "/mapping/non-associations/non-association-id/12345"))
        == 1
    )
    assert na.nomis_details == [] and na.mappings.rows == []


async def test_delete_redelivered_after_nomis_delete_still_removes_the_mapping(clean_estate: Estate) -> None:
    """The mapping DELETE failed after NOMIS deleted: the retry meets NOMIS's 404 and finishes the job
    (the original fails on the 404 for ever and leaves the mapping pointing at nothing)."""
    na = fakes(clean_estate)
    seed_mapping(clean_estate)
    clean_estate.mapping.inject_fault(
        path_pattern="/mapping/non-associations/non-association-id/12345", method="DELETE"
    )
    async with na_service(clean_estate) as harness:
        await na.act(NA_ID, "delete")
        await harness.wait_for_event("non-association-delete-success")
        assert len(harness.events("non-association-delete-failed")) == 1
    assert len(clean_estate.nomis.requests("DELETE", NOMIS_DETAIL)) == 2
    assert na.nomis_details == [] and na.mappings.rows == []


async def test_create_redelivered_after_a_crash_adopts_the_nomis_record(clean_estate: Estate) -> None:
    """A first run wrote NOMIS and died before saving the mapping: the redelivery maps that detail
    instead of creating a second, duplicate non-association (the original would create sequence 2)."""
    na = fakes(clean_estate)
    na.put_nomis(
        "A1234AA",
        "B1234BB",
        1,
        type="WING",
        effectiveDate="2021-07-05",
        authorisedBy="Officer Alice B.",
        comment="John and Luke always end up fighting",
    )
    async with na_service(clean_estate) as harness:
        await na.act(NA_ID, "create")
        [success] = await harness.wait_for_event("non-association-create-success")
    assert success["nomisTypeSequence"] == "1"
    assert clean_estate.nomis.requests("POST", "/non-associations") == []
    assert len(na.nomis_details) == 1


async def test_create_does_not_adopt_a_mapped_or_closed_nomis_record(clean_estate: Estate) -> None:
    na = fakes(clean_estate)
    same = {
        "type": "WING",
        "effectiveDate": "2021-07-05",
        "authorisedBy": "Officer Alice B.",
        "comment": "John and Luke always end up fighting",
    }
    na.put_nomis("A1234AA", "B1234BB", 1, **same)
    na.put_mapping(500, "A1234AA", "B1234BB", 1)
    na.put_nomis("A1234AA", "B1234BB", 2, **same, expiryDate="2022-01-01")
    async with na_service(clean_estate) as harness:
        await na.act(NA_ID, "create")
        [success] = await harness.wait_for_event("non-association-create-success")
    assert success["nomisTypeSequence"] == "3"
    assert len(clean_estate.nomis.requests("POST", "/non-associations")) == 1


async def test_the_same_created_event_twice_at_once_leaves_one_nomis_record(clean_estate: Estate) -> None:
    """Two deliveries racing: whichever saves its mapping second removes the NOMIS record it added."""
    na = fakes(clean_estate)
    na.put_dps(NA_ID)
    event = {
        "eventType": "non-associations.created",
        "version": "1",
        "description": "created",
        "additionalInformation": {"id": NA_ID},
    }
    # Hold both NOMIS creates until both deliveries have passed the mapping and NOMIS look-ups.
    clean_estate.nomis.inject_fault(
        path_pattern="/non-associations", method="POST", status=0, delay_seconds=1.0, count=2
    )
    async with na_service(clean_estate, HMPPS_SQS_QUEUES_NONASSOCIATION_MAX_IN_FLIGHT="2") as harness:
        await harness.send_raw(QUEUE, notification_body(event))
        await harness.send_raw(QUEUE, notification_body(event))
        await harness.wait_for_event("non-association-create-success")
        await harness.wait_for_event("to-nomis-synch-non-association-duplicate")
        [removed] = await harness.wait_for_event("non-association-create-duplicate-removed")
        await harness.wait_for_depth(QUEUE, 0)
    assert len(clean_estate.nomis.requests("POST", "/non-associations")) == 2
    assert len(na.nomis_details) == 1
    [mapping] = na.mappings.rows
    assert mapping["nomisTypeSequence"] == na.nomis_details[0]["typeSequence"]
    assert removed["existingNomisTypeSequence"] == str(mapping["nomisTypeSequence"])


async def test_retry_of_a_mapping_that_was_saved_after_all_succeeds(clean_estate: Estate) -> None:
    """The first mapping POST timed out but was stored: the retry's 409 with the same mapping is success
    (the original sends it to the DLQ as create-mapping-retry-failure)."""
    na = fakes(clean_estate)
    na.put_mapping(NA_ID, "A1234AA", "B1234BB", 1, "NON_ASSOCIATION_CREATED")
    body = retry_message_body(
        {**mapping_row(NA_ID), "mappingType": "NON_ASSOCIATION_CREATED"},
        {"nonAssociationId": "12345"},
        "non-association",
    )
    async with na_service(clean_estate) as harness:
        await harness.send_raw(QUEUE, body, "RETRY_CREATE_MAPPING")
        assert await harness.wait_for_event("non-association-create-mapping-retry-success") == [
            {"nonAssociationId": "12345"}
        ]
        assert harness.events("create-mapping-retry-failure") == []


async def test_retry_that_conflicts_with_another_mapping_fails(clean_estate: Estate) -> None:
    na = fakes(clean_estate)
    na.put_mapping(NA_ID, "A1234AA", "B1234BB", 2)
    body = retry_message_body(
        {**mapping_row(NA_ID), "mappingType": "NON_ASSOCIATION_CREATED"}, {}, "non-association"
    )
    async with na_service(clean_estate, HMPPS_SQS_QUEUES_NONASSOCIATION_DLQ_MAX_RECEIVE_COUNT="1") as harness:
        await harness.send_raw(QUEUE, body, "RETRY_CREATE_MAPPING")
        await harness.wait_for_depth(QUEUE, 1, dlq=True)
        [failure] = harness.events("create-mapping-retry-failure")
    assert '"nonAssociationId":12345' in failure["retryMessage"]
