"""The pair comparison rules of the reconciliation (scenarios 95-102), on the pure functions."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from prisoner_to_nomis_update.domains.nonassociations.models import NonAssociation, NonAssociationResponse
from prisoner_to_nomis_update.domains.nonassociations.reconciliation import (
    Mismatch,
    ReportDetail,
    compare,
    differs,
    start_differs,
)

SPEC = "sentencing-and-non-associations"
TODAY = date.today()
D2022 = date(2022, 1, 1)


def nomis(
    sequence: int = 1,
    type_: str = "LAND",
    effective: date = D2022,
    expiry: date | None = None,
) -> NonAssociationResponse:
    return NonAssociationResponse(
        offenderNo="A1234AA",
        nsOffenderNo="B1234BB",
        typeSequence=sequence,
        reason="VIC",
        recipReason="PER",
        type=type_,
        effectiveDate=effective,
        expiryDate=expiry,
        updatedBy="ME",
    )


def dps(
    id_: int = 1, restriction: str = "LANDING", created: date = D2022, closed: bool = False
) -> NonAssociation:
    return NonAssociation(
        id=id_,
        firstPrisonerNumber="A1234AA",
        firstPrisonerRole="VICTIM",
        secondPrisonerNumber="B1234BB",
        secondPrisonerRole="PERPETRATOR",
        reason="BULLYING",
        restrictionType=restriction,
        whenCreated=datetime.combine(created, datetime.min.time()),
        isClosed=closed,
    )


def run(n: list[NonAssociationResponse], d: list[NonAssociation]) -> list[Mismatch]:
    mismatches, _, _ = compare("A1234AA", "B1234BB", n, d, TODAY)
    return mismatches


@pytest.mark.scenario(SPEC, 95)
def test_extra_dps_record_is_reported_with_no_nomis_side() -> None:
    [mismatch] = run([nomis()], [dps(1, closed=True), dps(2, closed=True)])
    assert mismatch.nomis is None
    assert mismatch.dps == ReportDetail("LANDING", D2022, None, True, "VICTIM", "PERPETRATOR", "BULLYING")


@pytest.mark.scenario(SPEC, 96)
def test_extra_nomis_detail_is_reported_with_no_dps_side() -> None:
    mismatches, events, count = compare(
        "A1234AA", "B1234BB", [nomis(1, expiry=D2022), nomis(2)], [dps(1, closed=True)], TODAY
    )
    [mismatch] = mismatches
    assert mismatch.dps is None
    assert mismatch.nomis == ReportDetail("LAND", D2022, None, None, "VIC", "PER", None)
    assert events == [{"offenderNo1": "A1234AA", "offenderNo2": "B1234BB", "typeSequence": 2}]
    assert count == 2


@pytest.mark.scenario(SPEC, 97)
def test_land_matches_landing() -> None:
    assert run([nomis(expiry=D2022)], [dps(closed=True)]) == []


@pytest.mark.scenario(SPEC, 98)
def test_two_records_in_swapped_order_match() -> None:
    n = [nomis(1, "LAND", expiry=D2022), nomis(2, "WING", expiry=D2022)]
    d = [dps(1, "WING", closed=True), dps(2, "LANDING", closed=True)]
    assert run(n, d) == []


@pytest.mark.scenario(SPEC, 99)
def test_two_records_with_one_real_difference() -> None:
    n = [nomis(1, "LAND", expiry=D2022), nomis(2, "WING", expiry=D2022)]
    d = [dps(1, "LANDING", closed=True), dps(2, "CELL", closed=True)]
    [mismatch] = run(n, d)
    assert mismatch.nomis == ReportDetail("WING", D2022, D2022, None, "VIC", "PER", None)
    assert mismatch.dps is not None and (mismatch.dps.type, mismatch.dps.closed) == ("CELL", True)


@pytest.mark.scenario(SPEC, 100)
def test_closed_in_nomis() -> None:
    assert not nomis(expiry=None).closed_on(TODAY)
    assert nomis(expiry=TODAY).closed_on(TODAY)
    assert nomis(expiry=TODAY - timedelta(days=1)).closed_on(TODAY)
    assert not nomis(expiry=TODAY + timedelta(days=1)).closed_on(TODAY)
    # a detail not yet in effect counts as closed too
    assert nomis(effective=TODAY + timedelta(days=1)).closed_on(TODAY)


@pytest.mark.scenario(SPEC, 101)
def test_start_dates() -> None:
    assert not start_differs(nomis(effective=D2022), dps(created=D2022), TODAY)
    assert start_differs(nomis(effective=D2022), dps(created=date(2022, 1, 2)), TODAY)
    assert not start_differs(nomis(effective=date(1066, 1, 1)), dps(created=date(143, 1, 1)), TODAY)
    assert start_differs(nomis(effective=date(1066, 1, 1)), dps(created=date(2023, 1, 1)), TODAY)
    assert not start_differs(nomis(effective=date(2999, 1, 1)), dps(created=date(2023, 1, 1)), TODAY)


@pytest.mark.scenario(SPEC, 102)
def test_records_are_lined_up_by_date_then_sequence_or_id() -> None:
    n = [nomis(1, "LAND", expiry=D2022), nomis(3, "WING", expiry=D2022), nomis(2, "CELL", expiry=D2022)]
    d = [dps(3, "WING", closed=True), dps(2, "CELL", closed=True), dps(1, "LANDING", closed=True)]
    assert run(n, d) == []


def test_nomis_wing_like_types_match_only_dps_wing() -> None:
    for nomis_type in ("NONEX", "TNA", "WING"):
        assert not differs(nomis(type_=nomis_type), dps(restriction="WING"), TODAY)
        assert differs(nomis(type_=nomis_type), dps(restriction="CELL"), TODAY)


def test_only_the_latest_open_nomis_detail_is_compared() -> None:
    mismatches, _, count = compare("A", "B", [nomis(1), nomis(2), nomis(3)], [dps()], TODAY)
    assert mismatches == [] and count == 1


def test_detail_text_is_the_kotlin_form() -> None:
    detail = ReportDetail("LAND", date(2023, 8, 25), date(2053, 10, 26), None, "VIC", "PER", None)
    assert detail.text() == (
        "NonAssociationReportDetail(type=LAND, createdDate=2023-08-25, expiryDate=2053-10-26, closed=null, "
        "roleReason=VIC, roleReason2=PER, dpsReason=null)"
    )
