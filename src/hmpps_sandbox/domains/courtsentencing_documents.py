"""Court cases as DPS and NOMIS answer them for reconciliation: whole response documents to seed.

`dps_case(...)` builds a `ReconciliationCourtCase` document and `nomis_case(...)` a `CourtCaseResponse`
document; with their defaults the two describe the same case (one appearance, one charge, one sentence,
one term), so a caller changes only what it wants to differ. `distinct_pair(n)` is that matching case
with ids of its own. Seed them with `CourtSentencingReconciliationFakes.seed_dps_case` / `seed_nomis_case`
(tests, `bench/courtsentencing_recon.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

OFFENDER_NO = "A0001TZ"
BOOKING_ID = 123456
DPS_CASE_ID = "11111111-1111-1111-1111-111111111111"
NOMIS_CASE_ID = 1
DPS_APPEARANCE_ID = "a1111111-1111-1111-1111-111111111111"
NOMIS_APPEARANCE_ID = 3
DPS_CHARGE_ID = "c1111111-1111-1111-1111-111111111111"
NOMIS_CHARGE_ID = 11
DPS_SENTENCE_ID = "51111111-1111-1111-1111-111111111111"
NOMIS_SENTENCE_SEQ = 54
DPS_TERM_ID = "71111111-1111-1111-1111-111111111111"
NOMIS_TERM_SEQ = 32

OFFENCE = "TH68023"
COURT = "DRBYYC"
APPEARANCE_DATE = "2024-01-01"
OFFENCE_DATE = "2023-06-01"
OUTCOME = "4001"


# ---- DPS: ReconciliationCourtCase -----------------------------------------------------------------


def dps_term(
    uuid: str = DPS_TERM_ID,
    code: str = "IMP",
    years: int | None = 2,
    months: int | None = None,
    weeks: int | None = None,
    days: int | None = None,
    life: bool | None = False,
) -> dict[str, Any]:
    return {
        "periodLengthUuid": uuid,
        "periodYears": years,
        "periodMonths": months,
        "periodWeeks": weeks,
        "periodDays": days,
        "lifeSentence": life,
        "sentenceTermCode": code,
    }


def dps_sentence(
    uuid: str = DPS_SENTENCE_ID,
    category: str | None = "2020",
    calc_type: str | None = "ADIMP",
    fine: float | str | None = None,
    active: bool = True,
    start: str = APPEARANCE_DATE,
    terms: Sequence[dict[str, Any]] | None = None,
    legacy: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "sentenceUuid": uuid,
        "fineAmount": fine,
        "sentenceCalcType": calc_type,
        "sentenceCategory": category,
        "active": active,
        "sentenceStartDate": start,
        "legacyData": legacy,
        "periodLengths": list(terms) if terms is not None else [dps_term()],
    }


def dps_charge(
    uuid: str = DPS_CHARGE_ID,
    offence: str = OFFENCE,
    start: str | None = OFFENCE_DATE,
    end: str | None = None,
    outcome: str | None = OUTCOME,
    sentence: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "chargeUuid": uuid,
        "offenceCode": offence,
        "offenceStartDate": start,
        "offenceEndDate": end,
        "nomisOutcomeCode": outcome,
        "sentence": sentence,
    }


def dps_appearance(
    uuid: str = DPS_APPEARANCE_ID,
    date: str = APPEARANCE_DATE,
    court: str = COURT,
    outcome: str | None = OUTCOME,
    charges: Sequence[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "appearanceUuid": uuid,
        "courtCode": court,
        "appearanceDate": date,
        "appearanceTime": "10:00",
        "nomisOutcomeCode": outcome,
        "nextCourtAppearance": None,
        "nomisAppearanceTypeCode": "CRT",
        "charges": list(charges) if charges is not None else [dps_charge(sentence=dps_sentence())],
    }


def dps_case(
    uuid: str = DPS_CASE_ID,
    active: bool = True,
    status: str = "ACTIVE",
    references: Sequence[str] = ("ABC4999",),
    appearances: Sequence[dict[str, Any]] | None = None,
    prisoner: str = OFFENDER_NO,
) -> dict[str, Any]:
    return {
        "courtCaseUuid": uuid,
        "prisonerId": prisoner,
        "active": active,
        "merged": False,
        "status": status,
        "courtCaseLegacyData": {
            "caseReferences": [
                {"offenderCaseReference": r, "updatedDate": "2024-01-01T10:10:00", "source": "NOMIS"}
                for r in references
            ],
            "bookingId": BOOKING_ID,
        },
        "appearances": list(appearances) if appearances is not None else [dps_appearance()],
    }


# ---- NOMIS: CourtCaseResponse ---------------------------------------------------------------------


def _code(code: str | None) -> dict[str, Any] | None:
    return {"code": code, "description": f"description of {code}"} if code is not None else None


def _result(code: str | None) -> dict[str, Any] | None:
    if code is None:
        return None
    return {
        "code": code,
        "description": f"result {code}",
        "dispositionCode": "F",
        "chargeStatus": "A",
        "conviction": True,
    }


def _offender_charge(charge_id: int, offence: str) -> dict[str, Any]:
    return {
        "id": charge_id,
        "offence": {"offenceCode": offence, "statuteCode": offence[:4], "description": f"offence {offence}"},
        "mostSeriousFlag": False,
        "createdByUsername": "Q1251T",
    }


def nomis_term(
    seq: int = NOMIS_TERM_SEQ,
    code: str | None = "IMP",
    years: int | None = 2,
    months: int | None = None,
    weeks: int | None = None,
    days: int | None = None,
    life: bool = False,
) -> dict[str, Any]:
    return {
        "termSequence": seq,
        "sentenceTermType": _code(code),
        "years": years,
        "months": months,
        "weeks": weeks,
        "days": days,
        "hours": None,
        "startDate": APPEARANCE_DATE,
        "lifeSentenceFlag": life,
        "prisonId": "MDI",
        "createdByUsername": "Q1251T",
    }


def nomis_sentence(
    seq: int = NOMIS_SENTENCE_SEQ,
    event_id: int | None = NOMIS_APPEARANCE_ID,
    category: str = "2020",
    calc_type: str = "ADIMP",
    fine: float | str | None = None,
    status: str = "A",
    charges: Sequence[tuple[int, str]] = ((NOMIS_CHARGE_ID, OFFENCE),),
    terms: Sequence[dict[str, Any]] | None = None,
    booking: int = BOOKING_ID,
) -> dict[str, Any]:
    return {
        "bookingId": booking,
        "sentenceSeq": seq,
        "status": status,
        "calculationType": _code(calc_type),
        "category": _code(category),
        "startDate": APPEARANCE_DATE,
        "courtOrder": (
            {
                "id": 900 + seq,
                "eventId": event_id,
                "courtDate": APPEARANCE_DATE,
                "issuingCourt": COURT,
                "orderType": "AUTO",
                "orderStatus": "A",
                "sentencePurposes": [],
            }
            if event_id is not None
            else None
        ),
        "fineAmount": fine,
        "offenderCharges": [_offender_charge(charge_id, offence) for charge_id, offence in charges],
        "sentenceTerms": list(terms) if terms is not None else [nomis_term()],
        "missingCourtOffenderChargeIds": [],
        "prisonId": "MDI",
        "createdDateTime": "2024-01-01T10:00:00",
        "createdByUsername": "Q1251T",
    }


def nomis_charge(
    charge_id: int = NOMIS_CHARGE_ID,
    offence: str = OFFENCE,
    date: str | None = OFFENCE_DATE,
    end: str | None = None,
    result: str | None = OUTCOME,
    event_id: int = NOMIS_APPEARANCE_ID,
) -> dict[str, Any]:
    return {
        "eventId": event_id,
        "offenderCharge": _offender_charge(charge_id, offence),
        "offenceDate": date,
        "offenceEndDate": end,
        "resultCode1": _result(result),
        "mostSeriousFlag": False,
        "createdByUsername": "Q1251T",
    }


def nomis_event(
    event_id: int = NOMIS_APPEARANCE_ID,
    when: str = f"{APPEARANCE_DATE}T10:00:00",
    court: str = COURT,
    outcome: str | None = OUTCOME,
    charges: Sequence[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "id": event_id,
        "caseId": NOMIS_CASE_ID,
        "offenderNo": OFFENDER_NO,
        "eventDateTime": when,
        "courtEventType": _code("CRT"),
        "eventStatus": _code("SCH"),
        "courtId": court,
        "outcomeReasonCode": _result(outcome),
        "courtEventCharges": list(charges) if charges is not None else [nomis_charge(event_id=event_id)],
        "courtOrders": [],
        "isClone": False,
        "createdDateTime": "2024-01-01T10:00:00",
        "createdByUsername": "Q1251T",
    }


def nomis_case(
    case_id: int = NOMIS_CASE_ID,
    status: str = "A",
    references: Sequence[str] = ("ABC4999",),
    events: Sequence[dict[str, Any]] | None = None,
    sentences: Sequence[dict[str, Any]] | None = None,
    booking: int = BOOKING_ID,
    offender_no: str = OFFENDER_NO,
) -> dict[str, Any]:
    return {
        "id": case_id,
        "offenderNo": offender_no,
        "bookingId": booking,
        "caseSequence": 1,
        "caseStatus": _code(status),
        "legalCaseType": _code("NE"),
        "beginDate": APPEARANCE_DATE,
        "courtId": COURT,
        "sourceCombinedCaseIds": [],
        "createdDateTime": "2024-01-01T10:00:00",
        "createdByUsername": "Q1251T",
        "courtEvents": list(events) if events is not None else [nomis_event()],
        "offenderCharges": [],
        "caseInfoNumbers": [
            {"type": "CASE/INFO#", "reference": r, "createDateTime": "2024-01-01T10:10:00"}
            for r in references
        ],
        "sentences": list(sentences) if sentences is not None else [nomis_sentence()],
    }


def distinct_pair(
    index: int,
    offender_no: str = OFFENDER_NO,
    extra_nomis_appearance: bool = False,
    booking: int = BOOKING_ID,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The matching default case with ids of its own (`index` 1-99): NOMIS case `index`, appearance
    `100*index`, charge `100*index+1`, sentence `index`, term 1; DPS uuids ending in the index.
    With `extra_nomis_appearance` NOMIS also has a second appearance (`100*index+50`, charge `+51`)."""

    def uuid(kind: str) -> str:
        return f"{kind}0000000-0000-0000-0000-{index:012d}"

    event, charge = 100 * index, 100 * index + 1
    events = [nomis_event(event_id=event, charges=[nomis_charge(charge, event_id=event)])]
    if extra_nomis_appearance:
        events.append(
            nomis_event(event_id=event + 50, charges=[nomis_charge(charge + 50, event_id=event + 50)])
        )
    dps = dps_case(
        uuid=uuid("d"),
        prisoner=offender_no,
        appearances=[
            dps_appearance(
                uuid=uuid("a"),
                charges=[
                    dps_charge(
                        uuid=uuid("c"),
                        sentence=dps_sentence(uuid=uuid("5"), terms=[dps_term(uuid=uuid("7"))]),
                    )
                ],
            )
        ],
    )
    nomis = nomis_case(
        case_id=index,
        offender_no=offender_no,
        booking=booking,
        events=events,
        sentences=[
            nomis_sentence(
                seq=index, event_id=event, charges=[(charge, OFFENCE)], terms=[nomis_term(1)], booking=booking
            )
        ],
    )
    return dps, nomis
