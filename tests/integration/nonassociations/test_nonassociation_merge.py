"""Prisoner merged and booking moved: the non-association mappings follow the prisoner (scenarios 80-85)."""

from __future__ import annotations

import pytest
from na_support import QUEUE, fakes, na_service

from hmpps_sandbox.domains.nonassociations import NonAssociationsFakes
from hmpps_sandbox.estate import Estate

SPEC = "sentencing-and-non-associations"
REMOVED = "A4567ZQ"
SURVIVING = "A7869AW"
MAPPING = "/mapping/non-associations"


def merge_event(reason: str = "MERGE") -> dict[str, object]:
    return {
        "eventType": "prison-offender-events.prisoner.merged",
        "version": "1",
        "occurredAt": "2025-10-01T10:00:00+01:00",
        "additionalInformation": {
            "nomsNumber": SURVIVING,
            "removedNomsNumber": REMOVED,
            "reason": reason,
            "bookingId": "1234",
        },
    }


def seed_merge(na: NonAssociationsFakes) -> None:
    """Both merged numbers had a non-association with COMMON and with COMMON2 (all mapped at sequence 1)."""
    na.put_mapping(1001, REMOVED, "COMMON", 1)
    na.put_mapping(1002, "COMMON", SURVIVING, 1)
    na.put_mapping(1011, REMOVED, "COMMON2", 1)
    na.put_mapping(1012, "COMMON2", SURVIVING, 1)
    for dps_id, first, second, created, closed in (
        (1001, REMOVED, "COMMON", "2025-01-01T10:00:00", False),
        (1002, "COMMON", SURVIVING, "2025-05-05T10:00:00", True),
        (1011, REMOVED, "COMMON2", "2025-07-07T10:00:00", False),
        (1012, "COMMON2", SURVIVING, "2025-09-09T10:00:00", True),
    ):
        na.put_dps(
            dps_id,
            firstPrisonerNumber=first,
            secondPrisonerNumber=second,
            whenCreated=created,
            isClosed=closed,
            closedAt="2025-10-01T09:00:00" if closed else None,
        )
    # NOMIS has merged already: every detail is now between the third party and the surviving number.
    na.put_nomis("COMMON", SURVIVING, 1, effectiveDate="2025-01-01")
    na.put_nomis("COMMON", SURVIVING, 2, effectiveDate="2025-05-05")
    na.put_nomis("COMMON2", SURVIVING, 1, effectiveDate="2025-09-09")
    na.put_nomis("COMMON2", SURVIVING, 2, effectiveDate="2023-11-11")
    na.put_nomis("COMMON2", SURVIVING, 3, effectiveDate="2025-07-07")


def sequences(na: NonAssociationsFakes) -> dict[int, tuple[str, str, int]]:
    return {
        row["nonAssociationId"]: (row["firstOffenderNo"], row["secondOffenderNo"], row["nomisTypeSequence"])
        for row in na.mappings.rows
    }


@pytest.mark.scenario(SPEC, 80)
@pytest.mark.scenario(SPEC, 81)
@pytest.mark.scenario(SPEC, 82)
async def test_merge_resets_sequences_closes_duplicates_and_merges_mappings(clean_estate: Estate) -> None:
    na = fakes(clean_estate)
    seed_merge(na)
    async with na_service(clean_estate) as harness:
        await clean_estate.publish(merge_event())
        [success] = await harness.wait_for_event("non-association-merge-success")
    assert success == {
        "removedNomsNumber": REMOVED,
        "nomsNumber": SURVIVING,
        "reason": "MERGE",
        "COMMON": "Reset nonAssociationId 1002 sequence from 1 to 2",
        "COMMON2": "Reset nonAssociationId 1011 sequence from 1 to 3",
        "COMMON-closed": "Closed non-association between COMMON and A7869AW with sequence 2",
        "COMMON2-closed": "Closed non-association between COMMON2 and A7869AW with sequence 1",
    }
    puts = [entry.path for entry in clean_estate.mapping.requests("PUT")]
    assert puts == [
        f"{MAPPING}/non-association-id/1002/sequence/2",
        f"{MAPPING}/non-association-id/1011/sequence/3",
        f"{MAPPING}/merge/from/{REMOVED}/to/{SURVIVING}",
    ]
    closes = [entry.path for entry in clean_estate.nomis.requests("PUT")]
    assert closes == [
        f"/non-associations/offender/COMMON/ns-offender/{SURVIVING}/sequence/2/close",
        f"/non-associations/offender/COMMON2/ns-offender/{SURVIVING}/sequence/1/close",
    ]
    assert sequences(na) == {
        1001: (SURVIVING, "COMMON", 1),
        1002: ("COMMON", SURVIVING, 2),
        1011: (SURVIVING, "COMMON2", 3),
        1012: ("COMMON2", SURVIVING, 1),
    }


async def test_merge_redelivered_after_the_resets_completes(clean_estate: Estate) -> None:
    """The mapping merge failed after the resets and closes: the redelivery sees the sequences already
    reset, closes nothing twice and merges (the original fails with 'Entry sequences not equal' for ever)."""
    na = fakes(clean_estate)
    seed_merge(na)
    clean_estate.mapping.inject_fault(path_pattern=f"{MAPPING}/merge/from/.*", method="PUT", status=500)
    async with na_service(clean_estate) as harness:
        await clean_estate.publish(merge_event())
        [success] = await harness.wait_for_event("non-association-merge-success")
        await harness.wait_for_depth(QUEUE, 0)
    assert success["COMMON"] == "Sequences of nonAssociationId 1001 and 1002 already 1 and 2"
    assert success["COMMON2"] == "Sequences of nonAssociationId 1011 and 1012 already 3 and 1"
    assert "COMMON-closed" not in success and "COMMON2-closed" not in success
    assert len(clean_estate.nomis.requests("PUT")) == 2
    assert len(clean_estate.mapping.requests("PUT", f"{MAPPING}/merge/from/.*")) == 2
    assert sequences(na)[1001] == (SURVIVING, "COMMON", 1)


async def test_merge_warns_when_dps_has_both_open(clean_estate: Estate) -> None:
    na = fakes(clean_estate)
    seed_merge(na)
    na.dps_records[1002]["isClosed"] = False
    async with na_service(clean_estate) as harness:
        await clean_estate.publish(merge_event())
        [success] = await harness.wait_for_event("non-association-merge-success")
    assert success["COMMON-warning"] == "Found both non-associations open or closed in DPS"
    assert "COMMON-closed" not in success


async def test_merge_without_common_third_parties_only_merges(clean_estate: Estate) -> None:
    na = fakes(clean_estate)
    na.put_mapping(1, REMOVED, "B0000BB", 1)
    async with na_service(clean_estate) as harness:
        await clean_estate.publish(merge_event())
        assert await harness.wait_for_event("non-association-merge-success") == [
            {"removedNomsNumber": REMOVED, "nomsNumber": SURVIVING, "reason": "MERGE"}
        ]
    assert sequences(na) == {1: (SURVIVING, "B0000BB", 1)}
    assert clean_estate.nomis.requests() == []


async def test_merge_with_another_reason_is_ignored(clean_estate: Estate) -> None:
    async with na_service(clean_estate) as harness:
        await clean_estate.publish(merge_event("BOOKING_MOVED"))
        await harness.wait_for_depth(QUEUE, 0)
        assert (
            harness.recorder.names() == [] or "non-association-merge-success" not in harness.recorder.names()
        )
    assert clean_estate.mapping.requests() == [] and clean_estate.nomis.requests() == []


async def test_merge_that_cannot_be_matched_goes_to_the_dlq(clean_estate: Estate) -> None:
    na = fakes(clean_estate)
    seed_merge(na)
    na.put_mapping(1003, "COMMON", SURVIVING, 5)  # COMMON now has three mappings: cannot be paired up
    async with na_service(clean_estate, HMPPS_SQS_QUEUES_NONASSOCIATION_DLQ_MAX_RECEIVE_COUNT="1") as harness:
        await clean_estate.publish(merge_event())
        await harness.wait_for_depth(QUEUE, 1, dlq=True)
        assert harness.events("non-association-merge-success") == []
    assert clean_estate.mapping.requests("PUT", f"{MAPPING}/merge/from/.*") == []


def booking_moved_event() -> dict[str, object]:
    return {
        "eventType": "prison-offender-events.prisoner.booking.moved",
        "version": "1",
        "occurredAt": "2025-10-01T10:00:00+01:00",
        "additionalInformation": {
            "bookingId": "1234567",
            "movedFromNomsNumber": "A1234AA",
            "movedToNomsNumber": "B1234BB",
            "bookingStartDateTime": "2024-09-01T12:00:00",
        },
    }


@pytest.mark.scenario(SPEC, 83)
@pytest.mark.scenario(SPEC, 84)
async def test_booking_moved_moves_the_mappings(clean_estate: Estate) -> None:
    na = fakes(clean_estate)
    na.bookings[1234567] = "B1234BB"
    na.put_nomis("B1234BB", "SOME-OTHER", 1)
    na.put_mapping(55, "A1234AA", "SOME-OTHER", 1)
    async with na_service(clean_estate) as harness:
        await clean_estate.publish(booking_moved_event())
        [success] = await harness.wait_for_event("non-association-booking-moved-success")
    assert success == {
        "movedFromNomsNumber": "A1234AA",
        "movedToNomsNumber": "B1234BB",
        "bookingId": "1234567",
        "bookingStartDateTime": "2024-09-01T12:00:00",
        "count": "1",
    }
    [update] = clean_estate.mapping.requests("PUT", f"{MAPPING}/update-list/from/A1234AA/to/B1234BB")
    assert update.body[0] == "SOME-OTHER"
    assert sequences(na) == {55: ("B1234BB", "SOME-OTHER", 1)}


@pytest.mark.scenario(SPEC, 85)
async def test_booking_moved_without_non_associations_updates_nothing(clean_estate: Estate) -> None:
    async with na_service(clean_estate) as harness:
        await clean_estate.publish(booking_moved_event())
        [success] = await harness.wait_for_event("non-association-booking-moved-success")
    assert success["count"] == "0"
    assert len(clean_estate.nomis.requests("GET", "/non-associations/booking/1234567")) == 1
    assert clean_estate.mapping.requests("PUT") == []
