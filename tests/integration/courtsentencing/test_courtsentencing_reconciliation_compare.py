"""The pure case comparison (spec 5.3) on its own, without HTTP.

The scenarios themselves (128-149) are proved black-box through endpoint E3 in
test_courtsentencing_reconciliation_case.py; these tests pin down details a JSON body shows less directly:
the sort strings, null ordering, the mappedId placeholders and the order of missing-mapping differences.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from recon_support import (
    BOOKING_ID,
    DPS_APPEARANCE_ID,
    DPS_CASE_ID,
    DPS_CHARGE_ID,
    DPS_SENTENCE_ID,
    DPS_TERM_ID,
    NOMIS_APPEARANCE_ID,
    NOMIS_CHARGE_ID,
    NOMIS_SENTENCE_SEQ,
    NOMIS_TERM_SEQ,
    Comparison,
    comparisons,
    dps_appearance,
    dps_case,
    dps_charge,
    nomis_case,
    nomis_charge,
    nomis_event,
)

from prisoner_to_nomis_update.domains.courtsentencing.compare import (
    ChargeFields,
    MappingKey,
    MappingKind,
    SentenceFields,
    SentenceTermFields,
    compare_court_case,
    mapping_keys,
)
from prisoner_to_nomis_update.domains.courtsentencing.models import CourtCaseResponse
from prisoner_to_nomis_update.domains.courtsentencing.reconciliation_models import ReconciliationCourtCase

TODAY = date(2025, 6, 1)


def compare(dps: dict[str, Any], nomis: dict[str, Any], **kwargs: Any) -> Any:
    return compare_court_case(
        ReconciliationCourtCase.model_validate(dps),
        CourtCaseResponse.model_validate(nomis),
        DPS_CASE_ID,
        TODAY,
        **kwargs,
    )


@pytest.mark.parametrize("comparison", comparisons(), ids=lambda c: f"{c.scenario}: {c.name}")
def test_each_scenario_pair_gives_exactly_its_differences(comparison: Comparison) -> None:
    result = compare(comparison.dps, comparison.nomis)
    assert [d.json() for d in result.differences] == comparison.differences


def test_sort_strings_render_as_the_original_does() -> None:
    charge = ChargeFields("TH68023", date(2023, 6, 1), None, None, "x")
    assert charge.sort_string() == (
        "ChargeFields(outcome=null, offenceDate=2023-06-01, offenceCode='TH68023', offenceEndDate=null,)"
    )
    term = SentenceTermFields.of("LIFE", 10, 1, 2, 3, True, "t", None)
    # A life term's units are dropped before rendering and comparing.
    assert term.sort_string() == (
        "SentenceTermFields(sentenceTermCode=LIFE, years=null, months=null, weeks=null, days=null, "
        "lifeSentenceFlag=true)"
    )
    sentence = SentenceFields.of(None, "2020", "ADIMP", Decimal("8.10"), "A", "s", None, ["B", "A"], [term])
    assert sentence.offenceCodes == "A,B"
    assert sentence.fine == Decimal("8.1")
    assert sentence.json()["fine"] == 8.1
    assert sentence.termsAsString == f"[{term.sort_string()}]"


def test_nulls_sort_first_so_an_outcome_less_charge_lines_up_with_its_counterpart() -> None:
    charges = [
        dps_charge(outcome="4001"),
        dps_charge(uuid="c2222222-2222-2222-2222-222222222222", outcome=None),
    ]
    nomis_charges = [nomis_charge(11, result=None), nomis_charge(12, result="4001")]
    result = compare(
        dps_case(appearances=[dps_appearance(charges=charges)]),
        nomis_case(events=[nomis_event(charges=nomis_charges)], sentences=[]),
    )
    assert result.differences == []
    assert result.dpsCase.appearances[0].chargeAsString.startswith("[ChargeFields(outcome=null,")


def test_trees_keep_the_order_each_system_gave_and_render_the_json_shapes() -> None:
    result = compare(dps_case(), nomis_case(status="I"))
    assert result.dpsCase.json() == {
        "active": True,
        "id": DPS_CASE_ID,
        "appearances": [
            {
                "date": "2024-01-01",
                "court": "DRBYYC",
                "outcome": "4001",
                "id": DPS_APPEARANCE_ID,
                "mappedId": None,
                "charges": [
                    {
                        "offenceCode": "TH68023",
                        "offenceDate": "2023-06-01",
                        "offenceEndDate": None,
                        "outcome": "4001",
                        "id": DPS_CHARGE_ID,
                        "mappedId": None,
                    }
                ],
                "chargeAsString": "[ChargeFields(outcome=4001, offenceDate=2023-06-01, offenceCode='TH68023', "
                "offenceEndDate=null,)]",
            }
        ],
        "caseReferences": ["ABC4999"],
        "sentences": [
            {
                "sentencingAppearanceDate": "2024-01-01",
                "sentenceCategory": "2020",
                "sentenceCalcType": "ADIMP",
                "fine": None,
                "status": "A",
                "id": DPS_SENTENCE_ID,
                "mappedId": None,
                "offenceCodes": "TH68023",
                "termsAsString": "[SentenceTermFields(sentenceTermCode=IMP, years=2, months=null, weeks=null, "
                "days=null, lifeSentenceFlag=false)]",
                "terms": [
                    {
                        "sentenceTermCode": "IMP",
                        "years": 2,
                        "months": None,
                        "weeks": None,
                        "days": None,
                        "lifeSentenceFlag": False,
                        "id": DPS_TERM_ID,
                        "mappedId": None,
                    }
                ],
            }
        ],
    }
    assert result.nomisCase.json()["active"] is False
    assert result.nomisCase.json()["id"] == "1"
    assert result.nomisCase.json()["sentences"][0]["id"] == str(NOMIS_SENTENCE_SEQ)


def test_case_references_only_need_every_nomis_reference_in_dps() -> None:
    assert compare(dps_case(references=["A", "B"]), nomis_case(references=["B"])).differences == []
    differences = compare(dps_case(references=["A"]), nomis_case(references=["A", "C"])).differences
    assert [d.json() for d in differences] == [
        {"property": "case.caseReferences", "dps": ["A"], "nomis": ["A", "C"], "id": DPS_CASE_ID}
    ]


def test_offence_dates_in_the_future_are_not_compared() -> None:
    dps = dps_case(appearances=[dps_appearance(charges=[dps_charge(start="2025-06-02")])])
    nomis = nomis_case(events=[nomis_event(charges=[nomis_charge(date="2025-07-01")])], sentences=[])
    assert compare(dps, nomis).differences == []
    today = dps_case(appearances=[dps_appearance(charges=[dps_charge(start="2025-06-01")])])
    assert [d.property for d in compare(today, nomis).differences] == [
        "case.appearances[0].charges[0].offenceDate"
    ]


def test_extra_info_shows_counterpart_ids_and_lists_missing_mappings_dps_first() -> None:
    dps = dps_case()
    nomis = nomis_case(
        events=[nomis_event(), nomis_event(event_id=4, charges=[nomis_charge(12, event_id=4)])]
    )
    keys = mapping_keys(ReconciliationCourtCase.model_validate(dps), CourtCaseResponse.model_validate(nomis))
    assert keys == [
        MappingKey(MappingKind.DPS_APPEARANCE, (DPS_APPEARANCE_ID,)),
        MappingKey(MappingKind.DPS_CHARGE, (DPS_CHARGE_ID,)),
        MappingKey(MappingKind.DPS_SENTENCE, (DPS_SENTENCE_ID,)),
        MappingKey(MappingKind.DPS_TERM, (DPS_TERM_ID,)),
        MappingKey(MappingKind.NOMIS_APPEARANCE, (NOMIS_APPEARANCE_ID,)),
        MappingKey(MappingKind.NOMIS_CHARGE, (NOMIS_CHARGE_ID,)),
        MappingKey(MappingKind.NOMIS_APPEARANCE, (4,)),
        MappingKey(MappingKind.NOMIS_CHARGE, (12,)),
        MappingKey(MappingKind.NOMIS_SENTENCE, (BOOKING_ID, NOMIS_SENTENCE_SEQ)),
        MappingKey(MappingKind.NOMIS_TERM, (BOOKING_ID, NOMIS_SENTENCE_SEQ, NOMIS_TERM_SEQ)),
    ]
    mapped = dict.fromkeys(keys)
    mapped[keys[0]] = str(NOMIS_APPEARANCE_ID)
    mapped[keys[4]] = DPS_APPEARANCE_ID
    result = compare(dps, nomis, mapped=mapped)

    assert result.dpsCase.appearances[0].mappedId == "3"
    assert result.nomisCase.appearances[0].mappedId == DPS_APPEARANCE_ID
    assert result.dpsCase.appearances[0].charges[0].mappedId == "missing nomis mapping"
    assert [(d.property, d.dps, d.nomis, d.id) for d in result.differences] == [
        ("case.appearances", 1, 2, None),
        ("case.appearances[].charges[].mappedId", DPS_CHARGE_ID, "missing nomis mapping", DPS_CHARGE_ID),
        ("case.sentences[].mappedId", DPS_SENTENCE_ID, "missing nomis mapping", DPS_SENTENCE_ID),
        ("case.sentences[].terms[].mappedId", DPS_TERM_ID, "missing nomis mapping", DPS_TERM_ID),
        ("case.appearances[].charges[].mappedId", "missing dps mapping", "11", "11"),
        ("case.appearances[].mappedId", "missing dps mapping", "4", "4"),
        ("case.appearances[].charges[].mappedId", "missing dps mapping", "12", "12"),
        ("case.sentences[].mappedId", "missing dps mapping", "54", "54"),
        ("case.sentences[].terms[].mappedId", "missing dps mapping", "32", "32"),
    ]
