"""The reconciliation tests' service, seeding world and comparison scenarios (spec 6.21).

Case documents come from `hmpps_sandbox.domains.courtsentencing_documents` (re-exported here): with
their defaults DPS and NOMIS describe the same case, so each scenario changes only what it is about.
The documents are seeded into the real sandbox fakes, which the service reads over HTTP.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from hmpps_sandbox.domains.courtsentencing import CourtSentencingFakes
from hmpps_sandbox.domains.courtsentencing_documents import (
    APPEARANCE_DATE,
    BOOKING_ID,
    COURT,
    DPS_APPEARANCE_ID,
    DPS_CASE_ID,
    DPS_CHARGE_ID,
    DPS_SENTENCE_ID,
    DPS_TERM_ID,
    NOMIS_APPEARANCE_ID,
    NOMIS_CASE_ID,
    NOMIS_CHARGE_ID,
    NOMIS_SENTENCE_SEQ,
    NOMIS_TERM_SEQ,
    OFFENCE,
    OFFENCE_DATE,
    OFFENDER_NO,
    OUTCOME,
    distinct_pair,
    dps_appearance,
    dps_case,
    dps_charge,
    dps_sentence,
    dps_term,
    nomis_case,
    nomis_charge,
    nomis_event,
    nomis_sentence,
    nomis_term,
)
from hmpps_sandbox.domains.courtsentencing_reconciliation import CourtSentencingReconciliationFakes
from hmpps_sandbox.estate import Estate
from hmpps_sandbox.harness import ServiceHarness
from prisoner_to_nomis_update.domains import courtsentencing

__all__ = [
    "APPEARANCE_DATE",
    "BOOKING_ID",
    "COURT",
    "DPS_APPEARANCE_ID",
    "DPS_CASE_ID",
    "DPS_CHARGE_ID",
    "DPS_SENTENCE_ID",
    "DPS_TERM_ID",
    "NOMIS_APPEARANCE_ID",
    "NOMIS_CASE_ID",
    "NOMIS_CHARGE_ID",
    "NOMIS_SENTENCE_SEQ",
    "NOMIS_TERM_SEQ",
    "OFFENCE",
    "OFFENCE_DATE",
    "OFFENDER_NO",
    "OUTCOME",
    "Comparison",
    "ReconciliationWorld",
    "comparisons",
    "distinct_pair",
    "dps_appearance",
    "dps_case",
    "dps_charge",
    "dps_sentence",
    "dps_term",
    "nomis_case",
    "nomis_charge",
    "nomis_event",
    "nomis_sentence",
    "nomis_term",
    "reconciliation_service",
]

UPDATE_ROLE = "ROLE_PRISONER_TO_NOMIS__UPDATE__RW"

SPEC = "court-sentencing"
PRISONER_PREFIX = "court-case-prisoner-reconciliation"
ACTIVE_PREFIX = "court-case-active-prisoner-reconciliation"


# ---- the service and the fakes --------------------------------------------------------------------


@asynccontextmanager
async def reconciliation_service(
    estate: Estate, env: dict[str, str] | None = None, http: bool = True
) -> AsyncIterator[ServiceHarness]:
    """The real service with only the court-sentencing domain and no queues: reconciliation never
    touches SQS, so tests need neither listeners nor provisioned queues."""
    harness = ServiceHarness(estate, env=env, queues=[], domains=[courtsentencing.build])
    await harness.start(listen=False, http=http)
    try:
        yield harness
    finally:
        await harness.stop()


class ReconciliationWorld:
    """Seeds cases into the court-sentencing fakes the service reads."""

    def __init__(self, estate: Estate) -> None:
        self.estate = estate
        self.events: CourtSentencingFakes = estate.plugins["courtsentencing"]
        self.documents: CourtSentencingReconciliationFakes = estate.plugins["courtsentencing-reconciliation"]

    def case_pair(
        self, dps: dict[str, Any] | None = None, nomis: dict[str, Any] | None = None, mapped: bool = True
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """A DPS and a NOMIS case document (the matching defaults unless given), mapped to each other."""
        dps = self.documents.seed_dps_case(dps if dps is not None else dps_case())
        nomis = self.documents.seed_nomis_case(nomis if nomis is not None else nomis_case())
        if mapped:
            self.events.mappings.seed_case(dps["courtCaseUuid"], nomis["id"], nomis["offenderNo"])
        return dps, nomis

    def prisoners(self, *prisoners: tuple[int, str, bool]) -> None:
        """NOMIS latest bookings: (booking id, prisoner number, active)."""
        self.estate.plugins["prisoners"].seed(
            {"bookingId": booking, "offenderNo": offender, "active": active}
            for booking, offender, active in prisoners
        )


# ---- the comparison scenarios (spec 6.21) ---------------------------------------------------------


class Comparison:
    """A DPS and a NOMIS document of the same case and the differences the comparison must find."""

    def __init__(
        self,
        name: str,
        scenario: int,
        dps: dict[str, Any],
        nomis: dict[str, Any],
        differences: list[dict[str, Any]],
    ) -> None:
        self.name = name
        self.scenario = scenario
        self.dps = dps
        self.nomis = nomis
        self.differences = differences


def _difference(prop: str, dps: Any, nomis: Any, id: str | None) -> dict[str, Any]:
    return {"property": prop, "dps": dps, "nomis": nomis, "id": id}


def _two_appearance_pair(
    first: dict[str, Any], second: dict[str, Any], nomis_first: dict[str, Any], nomis_second: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """DPS lists the appearances in one order, NOMIS in the other; neither has a sentence."""
    return (
        dps_case(appearances=[first, second]),
        nomis_case(events=[nomis_second, nomis_first], sentences=[]),
    )


def _sentenced_charges(codes: Sequence[str], sentence_of: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        dps_charge(
            uuid=f"c{index}111111-1111-1111-1111-111111111111", offence=code, sentence=sentence_of[code]
        )
        for index, code in enumerate(codes)
    ]


def comparisons() -> list[Comparison]:
    """Scenarios 128-149 (except 142, which needs the extra-information check of E4)."""
    unsentenced = dps_appearance(charges=[dps_charge()])
    second_dps = dps_appearance(
        uuid="a2222222-2222-2222-2222-222222222222",
        date="2024-02-01",
        charges=[dps_charge(uuid="c2222222-2222-2222-2222-222222222222")],
    )
    second_nomis = nomis_event(event_id=4, when="2024-02-01T10:00:00", charges=[nomis_charge(12, event_id=4)])
    four = ("AA10001", "BB10001", "CC10001", "DD10001")
    dps_four = {
        code: dps_sentence(uuid=f"5{index}111111-1111-1111-1111-111111111111", category="2020")
        for index, code in enumerate(four)
    }
    dps_four["BB10001"] = dps_sentence(uuid="51111111-1111-1111-1111-bbbbbbbbbbbb", category="New Category")
    shuffled = ("CC10001", "BB10001", "DD10001", "AA10001")
    one_sentence = dps_sentence()
    three_codes = ("AA10001", "BB10001", "CC10001")
    same_offence = [
        dps_charge(uuid="c1111111-1111-1111-1111-111111111111", sentence=dps_sentence(uuid=DPS_SENTENCE_ID)),
        dps_charge(
            uuid="c2222222-2222-2222-2222-222222222222",
            sentence=dps_sentence(uuid="52222222-2222-2222-2222-222222222222", terms=[dps_term(years=3)]),
        ),
    ]
    same_offence_fines = [
        dps_charge(uuid="c1111111-1111-1111-1111-111111111111", sentence=dps_sentence(fine="10.00")),
        dps_charge(
            uuid="c2222222-2222-2222-2222-222222222222",
            sentence=dps_sentence(uuid="52222222-2222-2222-2222-222222222222", fine="20.00"),
        ),
    ]
    two_nomis_charges = [nomis_charge(11), nomis_charge(12)]
    return [
        Comparison("identical minimal data", 128, dps_case(), nomis_case(), []),
        Comparison(
            "NOMIS inactive, DPS active",
            129,
            dps_case(active=True),
            nomis_case(status="I"),
            [_difference("case.active", True, False, DPS_CASE_ID)],
        ),
        Comparison(
            "DPS duplicate (inactive) and NOMIS active",
            130,
            dps_case(active=False, status="DUPLICATE"),
            nomis_case(status="A"),
            [],
        ),
        Comparison(
            "DPS 2 appearances, NOMIS 1",
            131,
            dps_case(appearances=[dps_appearance(), second_dps]),
            nomis_case(),
            [_difference("case.appearances", 2, 1, None)],
        ),
        Comparison(
            "DPS 1 appearance, NOMIS 2",
            131,
            dps_case(),
            nomis_case(events=[nomis_event(), second_nomis]),
            [_difference("case.appearances", 1, 2, None)],
        ),
        Comparison(
            "the same appearances in a different order",
            132,
            dps_case(appearances=[dps_appearance(), second_dps]),
            nomis_case(events=[second_nomis, nomis_event()]),
            [],
        ),
        Comparison(
            "same-day appearances differing only by a charge outcome, in opposite orders",
            133,
            *_two_appearance_pair(
                unsentenced,
                dps_appearance(
                    uuid="a2222222-2222-2222-2222-222222222222",
                    charges=[dps_charge(uuid="c2222222-2222-2222-2222-222222222222", outcome="1002")],
                ),
                nomis_event(),
                nomis_event(event_id=4, charges=[nomis_charge(12, result="1002", event_id=4)]),
            ),
            [],
        ),
        Comparison(
            "same-day appearances differing only by an offence end date, in opposite orders",
            133,
            *_two_appearance_pair(
                unsentenced,
                dps_appearance(
                    uuid="a2222222-2222-2222-2222-222222222222",
                    charges=[dps_charge(uuid="c2222222-2222-2222-2222-222222222222", end="2023-07-01")],
                ),
                nomis_event(),
                nomis_event(event_id=4, charges=[nomis_charge(12, end="2023-07-01", event_id=4)]),
            ),
            [],
        ),
        Comparison(
            "appearance outcome 4001 against 3001",
            134,
            dps_case(appearances=[dps_appearance(outcome="4001")]),
            nomis_case(events=[nomis_event(outcome="3001")]),
            [_difference("case.appearances[0].outcome", "4001", "3001", DPS_APPEARANCE_ID)],
        ),
        Comparison(
            "appearance and sentence dates in the years 9 and 10",
            135,
            dps_case(
                appearances=[
                    dps_appearance(
                        date="0009-03-01", charges=[dps_charge(sentence=dps_sentence(start="0009-03-01"))]
                    )
                ]
            ),
            nomis_case(events=[nomis_event(when="0010-03-01T10:00:00")]),
            [],
        ),
        Comparison(
            "DPS appearance with 2 charges, NOMIS 1",
            136,
            dps_case(
                appearances=[
                    dps_appearance(
                        charges=[
                            dps_charge(sentence=dps_sentence()),
                            dps_charge(uuid="c2222222-2222-2222-2222-222222222222"),
                        ]
                    )
                ]
            ),
            nomis_case(),
            [_difference("case.appearances[0].charges", 2, 1, None)],
        ),
        Comparison(
            "offence dates 2021-03-03 against 2022-03-03",
            137,
            dps_case(
                appearances=[
                    dps_appearance(charges=[dps_charge(start="2021-03-03", sentence=dps_sentence())])
                ]
            ),
            nomis_case(events=[nomis_event(charges=[nomis_charge(date="2022-03-03")])]),
            [
                _difference(
                    "case.appearances[0].charges[0].offenceDate", "2021-03-03", "2022-03-03", DPS_CHARGE_ID
                )
            ],
        ),
        Comparison(
            "offence dates in 1900 that differ are not compared",
            138,
            dps_case(
                appearances=[
                    dps_appearance(charges=[dps_charge(start="1900-03-03", sentence=dps_sentence())])
                ]
            ),
            nomis_case(events=[nomis_event(charges=[nomis_charge(date="1900-04-04")])]),
            [],
        ),
        Comparison(
            "offence dates in 1921 that differ are reported",
            138,
            dps_case(
                appearances=[
                    dps_appearance(charges=[dps_charge(start="1921-03-03", sentence=dps_sentence())])
                ]
            ),
            nomis_case(events=[nomis_event(charges=[nomis_charge(date="1921-04-04")])]),
            [
                _difference(
                    "case.appearances[0].charges[0].offenceDate", "1921-03-03", "1921-04-04", DPS_CHARGE_ID
                )
            ],
        ),
        Comparison(
            "NOMIS 2 sentences, DPS 1",
            139,
            dps_case(),
            nomis_case(sentences=[nomis_sentence(), nomis_sentence(seq=55, calc_type="FTR")]),
            [_difference("case.sentences", 1, 2, None)],
        ),
        Comparison(
            "one DPS sentence on 3 charges, one NOMIS sentence over the same 3 charges",
            140,
            dps_case(
                appearances=[
                    dps_appearance(
                        charges=_sentenced_charges(three_codes, dict.fromkeys(three_codes, one_sentence))
                    )
                ]
            ),
            nomis_case(
                events=[
                    nomis_event(
                        charges=[nomis_charge(11 + i, offence=code) for i, code in enumerate(three_codes)]
                    )
                ],
                sentences=[nomis_sentence(charges=[(11 + i, code) for i, code in enumerate(three_codes)])],
            ),
            [],
        ),
        Comparison(
            "four sentences, one DPS category differs",
            141,
            dps_case(appearances=[dps_appearance(charges=_sentenced_charges(shuffled, dps_four))]),
            nomis_case(
                events=[
                    nomis_event(charges=[nomis_charge(11 + i, offence=code) for i, code in enumerate(four)])
                ],
                sentences=[
                    nomis_sentence(seq=60 + i, charges=[(11 + i, code)]) for i, code in enumerate(four)
                ],
            ),
            [
                _difference(
                    "case.sentences[1].sentenceCategory",
                    "New Category",
                    "2020",
                    "51111111-1111-1111-1111-bbbbbbbbbbbb",
                )
            ],
        ),
        Comparison(
            "DPS UNKNOWN sentence type with legacy LR_ORA/2020 against NOMIS LR_ORA/2020",
            143,
            dps_case(
                appearances=[
                    dps_appearance(
                        charges=[
                            dps_charge(
                                sentence=dps_sentence(
                                    category="UNKNOWN",
                                    calc_type="UNKNOWN",
                                    legacy={
                                        "sentenceCalcType": "LR_ORA",
                                        "sentenceCategory": "2020",
                                        "postedDate": "2024-01-01",
                                    },
                                )
                            )
                        ]
                    )
                ]
            ),
            nomis_case(sentences=[nomis_sentence(calc_type="LR_ORA", category="2020")]),
            [],
        ),
        Comparison(
            "NOMIS sentence whose court order names an unknown event, DPS without a sentence",
            144,
            dps_case(appearances=[unsentenced]),
            nomis_case(sentences=[nomis_sentence(event_id=999)]),
            [_difference("case.sentences", 0, 1, None)],
        ),
        Comparison(
            "fines 8.10 and 8.1",
            145,
            dps_case(appearances=[dps_appearance(charges=[dps_charge(sentence=dps_sentence(fine="8.10"))])]),
            nomis_case(sentences=[nomis_sentence(fine=8.1)]),
            [],
        ),
        Comparison(
            "sentences differing only by their terms, in opposite orders",
            146,
            dps_case(appearances=[dps_appearance(charges=same_offence)]),
            nomis_case(
                events=[nomis_event(charges=two_nomis_charges)],
                sentences=[
                    nomis_sentence(seq=55, charges=[(12, OFFENCE)], terms=[nomis_term(years=3)]),
                    nomis_sentence(seq=54, charges=[(11, OFFENCE)]),
                ],
            ),
            [],
        ),
        Comparison(
            "sentences differing only by their fines, in opposite orders",
            146,
            dps_case(appearances=[dps_appearance(charges=same_offence_fines)]),
            nomis_case(
                events=[nomis_event(charges=two_nomis_charges)],
                sentences=[
                    nomis_sentence(seq=55, charges=[(12, OFFENCE)], fine=20),
                    nomis_sentence(seq=54, charges=[(11, OFFENCE)], fine=10),
                ],
            ),
            [],
        ),
        Comparison(
            "NOMIS 3 terms, DPS 2",
            147,
            dps_case(
                appearances=[
                    dps_appearance(
                        charges=[
                            dps_charge(
                                sentence=dps_sentence(
                                    terms=[
                                        dps_term(),
                                        dps_term(uuid="72222222-2222-2222-2222-222222222222", code="LIC"),
                                    ]
                                )
                            )
                        ]
                    )
                ]
            ),
            nomis_case(
                sentences=[
                    nomis_sentence(
                        terms=[nomis_term(1), nomis_term(2, code="LIC"), nomis_term(3, code="SUP")]
                    )
                ]
            ),
            [_difference("case.sentences[0].terms", 2, 3, None)],
        ),
        Comparison(
            "third term 20 years 5 days against 6 years 3 days",
            148,
            dps_case(
                appearances=[
                    dps_appearance(
                        charges=[
                            dps_charge(
                                sentence=dps_sentence(
                                    terms=[
                                        dps_term(uuid="71111111-1111-1111-1111-111111111111", years=1),
                                        dps_term(uuid="72222222-2222-2222-2222-222222222222", years=2),
                                        dps_term(
                                            uuid="73333333-3333-3333-3333-333333333333",
                                            code="LIC",
                                            years=20,
                                            days=5,
                                        ),
                                    ]
                                )
                            )
                        ]
                    )
                ]
            ),
            nomis_case(
                sentences=[
                    nomis_sentence(
                        terms=[
                            nomis_term(1, years=1),
                            nomis_term(2, years=2),
                            nomis_term(3, code="LIC", years=6, days=3),
                        ]
                    )
                ]
            ),
            [
                _difference(
                    "case.sentences[0].terms[2].years", 20, 6, "73333333-3333-3333-3333-333333333333"
                ),
                _difference("case.sentences[0].terms[2].days", 5, 3, "73333333-3333-3333-3333-333333333333"),
            ],
        ),
        Comparison(
            "life terms with different units",
            149,
            dps_case(
                appearances=[
                    dps_appearance(
                        charges=[
                            dps_charge(
                                sentence=dps_sentence(terms=[dps_term(code="LIFE", years=10, life=True)])
                            )
                        ]
                    )
                ]
            ),
            nomis_case(
                sentences=[nomis_sentence(terms=[nomis_term(code="LIFE", years=99, days=1, life=True)])]
            ),
            [],
        ),
    ]
