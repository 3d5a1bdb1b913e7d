"""Comparing one court case in DPS with its NOMIS counterpart (spec 5.3), without any I/O.

Both sides are first reduced to the same comparable tree (CaseFields -> appearances -> charges and
CaseFields -> sentences -> terms), then the trees are compared after sorting each list by its content,
because neither system keeps a meaningful order. Differences carry a property path such as
`case.appearances[0].charges[1].offenceDate` so an operator can find the field in the JSON.

The id of the counterpart record (`mappedId`) is only shown on request ("extra info"); the caller looks
the mappings up (see `mapping_keys`) and passes the answers in, so this module stays pure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

from prisoner_to_nomis_update.domains.courtsentencing.models import (
    CourtCaseResponse,
    NomisCourtEvent,
    NomisSentence,
    NomisSentenceTerm,
)
from prisoner_to_nomis_update.domains.courtsentencing.reconciliation_models import (
    ReconciliationCharge,
    ReconciliationCourtCase,
    ReconciliationPeriodLength,
    ReconciliationSentence,
)

# Appearance and sentence dates on or before this are placeholders (e.g. year 9 typos) and count as none.
EARLIEST_VALID_DATE = date(1800, 1, 1)
# Offence dates on or before this, or in the future, are too unreliable in NOMIS to report.
EARLIEST_COMPARED_OFFENCE_DATE = date(1920, 1, 1)
MISSING_NOMIS_MAPPING = "missing nomis mapping"
MISSING_DPS_MAPPING = "missing dps mapping"
UNKNOWN_SENTENCE_TYPE = "UNKNOWN"

# `AppearanceFields.date` would hide the type inside that class.
Date = date
JsonValue = str | int | float | bool | list[str] | None
T = TypeVar("T")


# ---- rendering helpers ----------------------------------------------------------------------------


def _text(value: object) -> str:
    """A value as the original's Kotlin `toString` renders it inside the sort strings."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _fine_json(fine: Decimal | None) -> int | float | None:
    """A fine as a JSON number: whole amounts as integers, others as decimals (8.1, not "8.1")."""
    if fine is None:
        return None
    return int(fine) if fine == fine.to_integral_value() else float(fine)


def _nulls_first(value: Any) -> tuple[bool, Any]:
    return (value is not None, value)


def valid_date(value: date | None) -> date | None:
    return value if value is not None and value > EARLIEST_VALID_DATE else None


def comparable_offence_date(value: date | None, today: date) -> date | None:
    if value is None:
        return None
    return value if EARLIEST_COMPARED_OFFENCE_DATE < value < today + timedelta(days=1) else None


def stripped(fine: Decimal | None) -> Decimal | None:
    """Trailing zeros removed, so 8.10 and 8.1 are the same fine."""
    return fine.normalize() if fine is not None else None


# ---- mapping lookups (extra info) -----------------------------------------------------------------


class MappingKind(Enum):
    DPS_APPEARANCE = "dps-appearance"
    DPS_CHARGE = "dps-charge"
    DPS_SENTENCE = "dps-sentence"
    DPS_TERM = "dps-term"
    NOMIS_APPEARANCE = "nomis-appearance"
    NOMIS_CHARGE = "nomis-charge"
    NOMIS_SENTENCE = "nomis-sentence"
    NOMIS_TERM = "nomis-term"


@dataclass(frozen=True)
class MappingKey:
    """One per-item mapping lookup: a DPS uuid, a NOMIS id, or (booking, sentence seq[, term seq])."""

    kind: MappingKind
    ids: tuple[str | int, ...]


MappedIds = Mapping[MappingKey, str | None]
"""The counterpart id of each looked-up item; None when it has no mapping."""


def _mapped_id(mapped: MappedIds | None, key: MappingKey, placeholder: str) -> str | None:
    if mapped is None:
        return None
    found = mapped.get(key)
    return found if found is not None else placeholder


# ---- the comparable trees -------------------------------------------------------------------------


@dataclass(frozen=True)
class ChargeFields:
    offenceCode: str | None
    offenceDate: date | None
    offenceEndDate: date | None
    outcome: str | None
    id: str
    mappedId: str | None = None

    def sort_key(self) -> tuple[Any, ...]:
        return (
            _nulls_first(self.offenceCode),
            _nulls_first(self.offenceDate),
            _nulls_first(self.outcome),
            _nulls_first(self.offenceEndDate),
        )

    def sort_string(self) -> str:
        return (
            f"ChargeFields(outcome={_text(self.outcome)}, offenceDate={_text(self.offenceDate)}, "
            f"offenceCode='{_text(self.offenceCode)}', offenceEndDate={_text(self.offenceEndDate)},)"
        )

    def json(self) -> dict[str, Any]:
        return {
            "offenceCode": self.offenceCode,
            "offenceDate": _iso(self.offenceDate),
            "offenceEndDate": _iso(self.offenceEndDate),
            "outcome": self.outcome,
            "id": self.id,
            "mappedId": self.mappedId,
        }


def sort_charges(charges: Iterable[ChargeFields]) -> list[ChargeFields]:
    return sorted(charges, key=ChargeFields.sort_key)


@dataclass(frozen=True)
class AppearanceFields:
    date: Date | None
    court: str | None
    outcome: str | None
    id: str
    mappedId: str | None
    charges: tuple[ChargeFields, ...]
    chargeAsString: str
    """The sorted charges rendered as text: tells apart same-day appearances that differ only by charge."""

    @classmethod
    def of(
        cls,
        when: Date | None,
        court: str | None,
        outcome: str | None,
        id: str,
        mapped_id: str | None,
        charges: Sequence[ChargeFields],
    ) -> AppearanceFields:
        as_string = "[" + ", ".join(c.sort_string() for c in sort_charges(charges)) + "]"
        return cls(valid_date(when), court, outcome, id, mapped_id, tuple(charges), as_string)

    def sort_key(self) -> tuple[Any, ...]:
        return (
            _nulls_first(self.date),
            _nulls_first(self.court),
            _nulls_first(self.outcome),
            len(self.charges),
            self.chargeAsString,
        )

    def json(self) -> dict[str, Any]:
        return {
            "date": _iso(self.date),
            "court": self.court,
            "outcome": self.outcome,
            "id": self.id,
            "mappedId": self.mappedId,
            "charges": [c.json() for c in self.charges],
            "chargeAsString": self.chargeAsString,
        }


@dataclass(frozen=True)
class SentenceTermFields:
    sentenceTermCode: str | None
    years: int | None
    months: int | None
    weeks: int | None
    days: int | None
    lifeSentenceFlag: bool | None
    id: str
    mappedId: str | None = None

    @classmethod
    def of(
        cls,
        code: str | None,
        years: int | None,
        months: int | None,
        weeks: int | None,
        days: int | None,
        life: bool | None,
        id: str,
        mapped_id: str | None,
    ) -> SentenceTermFields:
        if life is True:
            # A life term's units are meaningless and the two systems fill them differently.
            years = months = weeks = days = None
        return cls(code, years, months, weeks, days, life, id, mapped_id)

    def sort_key(self) -> tuple[Any, ...]:
        return (
            _nulls_first(self.sentenceTermCode),
            _nulls_first(self.years),
            _nulls_first(self.months),
            _nulls_first(self.weeks),
            _nulls_first(self.days),
            _nulls_first(self.lifeSentenceFlag),
        )

    def sort_string(self) -> str:
        return (
            f"SentenceTermFields(sentenceTermCode={_text(self.sentenceTermCode)}, years={_text(self.years)}, "
            f"months={_text(self.months)}, weeks={_text(self.weeks)}, days={_text(self.days)}, "
            f"lifeSentenceFlag={_text(self.lifeSentenceFlag)})"
        )

    def json(self) -> dict[str, Any]:
        return {
            "sentenceTermCode": self.sentenceTermCode,
            "years": self.years,
            "months": self.months,
            "weeks": self.weeks,
            "days": self.days,
            "lifeSentenceFlag": self.lifeSentenceFlag,
            "id": self.id,
            "mappedId": self.mappedId,
        }


def sort_terms(terms: Iterable[SentenceTermFields]) -> list[SentenceTermFields]:
    return sorted(terms, key=SentenceTermFields.sort_key)


@dataclass(frozen=True)
class SentenceFields:
    sentencingAppearanceDate: date | None
    sentenceCategory: str | None
    sentenceCalcType: str | None
    fine: Decimal | None
    status: str | None
    id: str
    mappedId: str | None
    offenceCodes: str
    termsAsString: str
    """The sorted terms rendered as text (without ids): tells apart otherwise identical sentences."""
    terms: tuple[SentenceTermFields, ...]

    @classmethod
    def of(
        cls,
        when: date | None,
        category: str | None,
        calc_type: str | None,
        fine: Decimal | None,
        status: str | None,
        id: str,
        mapped_id: str | None,
        offence_codes: Iterable[str],
        terms: Sequence[SentenceTermFields],
    ) -> SentenceFields:
        return cls(
            sentencingAppearanceDate=valid_date(when),
            sentenceCategory=category,
            sentenceCalcType=calc_type,
            fine=stripped(fine),
            status=status,
            id=id,
            mappedId=mapped_id,
            offenceCodes=",".join(sorted(offence_codes)),
            termsAsString="[" + ", ".join(t.sort_string() for t in sort_terms(terms)) + "]",
            terms=tuple(terms),
        )

    def sort_key(self) -> tuple[Any, ...]:
        return (
            _nulls_first(self.sentencingAppearanceDate),
            _nulls_first(self.offenceCodes),
            _nulls_first(self.sentenceCategory),
            _nulls_first(self.sentenceCalcType),
            _nulls_first(self.status),
            _nulls_first(self.termsAsString),
            _nulls_first(self.fine),
        )

    def json(self) -> dict[str, Any]:
        return {
            "sentencingAppearanceDate": _iso(self.sentencingAppearanceDate),
            "sentenceCategory": self.sentenceCategory,
            "sentenceCalcType": self.sentenceCalcType,
            "fine": _fine_json(self.fine),
            "status": self.status,
            "id": self.id,
            "mappedId": self.mappedId,
            "offenceCodes": self.offenceCodes,
            "termsAsString": self.termsAsString,
            "terms": [t.json() for t in self.terms],
        }


@dataclass(frozen=True)
class CaseFields:
    active: bool | None
    id: str
    appearances: tuple[AppearanceFields, ...]
    caseReferences: tuple[str, ...]
    sentences: tuple[SentenceFields, ...]

    def json(self) -> dict[str, Any]:
        return {
            "active": self.active,
            "id": self.id,
            "appearances": [a.json() for a in self.appearances],
            "caseReferences": list(self.caseReferences),
            "sentences": [s.json() for s in self.sentences],
        }


@dataclass(frozen=True)
class Difference:
    property: str
    dps: JsonValue
    nomis: JsonValue
    id: str | None = None

    def json(self) -> dict[str, Any]:
        return {"property": self.property, "dps": self.dps, "nomis": self.nomis, "id": self.id}


# ---- building the trees ---------------------------------------------------------------------------


def is_duplicate(dps: ReconciliationCourtCase) -> bool:
    """A DPS duplicate (a case cloned to a later booking) keeps an active flag NOMIS does not share."""
    return dps.status == "DUPLICATE"


def _dps_term(term: ReconciliationPeriodLength, mapped: MappedIds | None) -> SentenceTermFields:
    return SentenceTermFields.of(
        term.sentenceTermCode,
        term.periodYears,
        term.periodMonths,
        term.periodWeeks,
        term.periodDays,
        term.lifeSentence,
        term.periodLengthUuid,
        _mapped_id(mapped, MappingKey(MappingKind.DPS_TERM, (term.periodLengthUuid,)), MISSING_NOMIS_MAPPING),
    )


def _dps_type(value: str | None, legacy: str | None) -> str | None:
    # DPS records a recall sentence it could not classify as UNKNOWN; NOMIS's own value is in the legacy data.
    return value if value is not None and value != UNKNOWN_SENTENCE_TYPE else legacy


def _dps_sentence(
    sentence: ReconciliationSentence, all_charges: Sequence[ReconciliationCharge], mapped: MappedIds | None
) -> SentenceFields:
    legacy = sentence.legacyData
    return SentenceFields.of(
        when=sentence.sentenceStartDate,
        category=_dps_type(sentence.sentenceCategory, legacy.sentenceCategory if legacy else None),
        calc_type=_dps_type(sentence.sentenceCalcType, legacy.sentenceCalcType if legacy else None),
        fine=sentence.fineAmount,
        status="A" if sentence.active else "I",
        id=sentence.sentenceUuid,
        mapped_id=_mapped_id(
            mapped, MappingKey(MappingKind.DPS_SENTENCE, (sentence.sentenceUuid,)), MISSING_NOMIS_MAPPING
        ),
        # One DPS sentence may hang off several charges, in any appearance: all their offences count.
        offence_codes=[
            c.offenceCode
            for c in all_charges
            if c.sentence is not None and c.sentence.sentenceUuid == sentence.sentenceUuid
        ],
        terms=[_dps_term(term, mapped) for term in sentence.periodLengths],
    )


def dps_case_fields(dps: ReconciliationCourtCase, dps_case_id: str, mapped: MappedIds | None) -> CaseFields:
    all_charges = [charge for appearance in dps.appearances for charge in appearance.charges]
    sentences: dict[str, SentenceFields] = {}
    for charge in all_charges:
        if charge.sentence is not None and charge.sentence.sentenceUuid not in sentences:
            sentences[charge.sentence.sentenceUuid] = _dps_sentence(charge.sentence, all_charges, mapped)
    appearances = [
        AppearanceFields.of(
            appearance.appearanceDate,
            appearance.courtCode,
            appearance.nomisOutcomeCode,
            appearance.appearanceUuid,
            _mapped_id(
                mapped,
                MappingKey(MappingKind.DPS_APPEARANCE, (appearance.appearanceUuid,)),
                MISSING_NOMIS_MAPPING,
            ),
            [
                ChargeFields(
                    offenceCode=charge.offenceCode,
                    offenceDate=charge.offenceStartDate,
                    offenceEndDate=charge.offenceEndDate,
                    outcome=charge.nomisOutcomeCode,
                    id=charge.chargeUuid,
                    mappedId=_mapped_id(
                        mapped,
                        MappingKey(MappingKind.DPS_CHARGE, (charge.chargeUuid,)),
                        MISSING_NOMIS_MAPPING,
                    ),
                )
                for charge in appearance.charges
            ],
        )
        for appearance in dps.appearances
    ]
    legacy = dps.courtCaseLegacyData
    return CaseFields(
        active=None if is_duplicate(dps) else dps.active,
        id=dps_case_id,
        appearances=tuple(appearances),
        caseReferences=tuple(r.offenderCaseReference for r in legacy.caseReferences) if legacy else (),
        sentences=tuple(sentences.values()),
    )


def _nomis_term(
    sentence: NomisSentence, term: NomisSentenceTerm, mapped: MappedIds | None
) -> SentenceTermFields:
    key = MappingKey(MappingKind.NOMIS_TERM, (sentence.bookingId, sentence.sentenceSeq, term.termSequence))
    return SentenceTermFields.of(
        term.sentenceTermType.code if term.sentenceTermType else None,
        term.years,
        term.months,
        term.weeks,
        term.days,
        term.lifeSentenceFlag,
        str(term.termSequence),
        _mapped_id(mapped, key, MISSING_DPS_MAPPING),
    )


def _nomis_sentence(
    sentence: NomisSentence, events: Sequence[NomisCourtEvent], mapped: MappedIds | None
) -> SentenceFields:
    order_event = sentence.courtOrder.eventId if sentence.courtOrder else None
    sentencing_event = next((e for e in events if order_event is not None and e.id == order_event), None)
    return SentenceFields.of(
        when=_event_date(sentencing_event) if sentencing_event else None,
        category=sentence.category.code if sentence.category else None,
        calc_type=sentence.calculationType.code if sentence.calculationType else None,
        fine=sentence.fineAmount,
        status=sentence.status,
        id=str(sentence.sentenceSeq),
        mapped_id=_mapped_id(
            mapped,
            MappingKey(MappingKind.NOMIS_SENTENCE, (sentence.bookingId, sentence.sentenceSeq)),
            MISSING_DPS_MAPPING,
        ),
        offence_codes=[charge.offence.offenceCode for charge in sentence.offenderCharges if charge.offence],
        terms=[_nomis_term(sentence, term, mapped) for term in sentence.sentenceTerms],
    )


def _event_date(event: NomisCourtEvent) -> date | None:
    return event.eventDateTime.date() if event.eventDateTime is not None else None


def nomis_case_fields(nomis: CourtCaseResponse, duplicate: bool, mapped: MappedIds | None) -> CaseFields:
    appearances = [
        AppearanceFields.of(
            _event_date(event),
            event.courtId,
            event.outcomeReasonCode.code if event.outcomeReasonCode else None,
            str(event.id),
            _mapped_id(mapped, MappingKey(MappingKind.NOMIS_APPEARANCE, (event.id,)), MISSING_DPS_MAPPING),
            [
                ChargeFields(
                    offenceCode=offence.offenceCode if (offence := charge.offenderCharge.offence) else None,
                    offenceDate=charge.offenceDate,
                    offenceEndDate=charge.offenceEndDate,
                    outcome=charge.resultCode1.code if charge.resultCode1 else None,
                    id=str(charge.offenderCharge.id),
                    mappedId=_mapped_id(
                        mapped,
                        MappingKey(MappingKind.NOMIS_CHARGE, (charge.offenderCharge.id,)),
                        MISSING_DPS_MAPPING,
                    ),
                )
                for charge in event.courtEventCharges
            ],
        )
        for event in nomis.courtEvents
    ]
    return CaseFields(
        active=None if duplicate else nomis.caseStatus is not None and nomis.caseStatus.code == "A",
        id=str(nomis.id),
        appearances=tuple(appearances),
        caseReferences=tuple(r.reference for r in nomis.caseInfoNumbers),
        sentences=tuple(_nomis_sentence(s, nomis.courtEvents, mapped) for s in nomis.sentences),
    )


def mapping_keys(dps: ReconciliationCourtCase, nomis: CourtCaseResponse) -> list[MappingKey]:
    """Every per-item mapping the extra-information check looks up, each once, in a stable order."""
    keys: dict[MappingKey, None] = {}
    for appearance in dps.appearances:
        keys[MappingKey(MappingKind.DPS_APPEARANCE, (appearance.appearanceUuid,))] = None
        for charge in appearance.charges:
            keys[MappingKey(MappingKind.DPS_CHARGE, (charge.chargeUuid,))] = None
            if charge.sentence is not None:
                keys[MappingKey(MappingKind.DPS_SENTENCE, (charge.sentence.sentenceUuid,))] = None
                for term in charge.sentence.periodLengths:
                    keys[MappingKey(MappingKind.DPS_TERM, (term.periodLengthUuid,))] = None
    for event in nomis.courtEvents:
        keys[MappingKey(MappingKind.NOMIS_APPEARANCE, (event.id,))] = None
        for event_charge in event.courtEventCharges:
            keys[MappingKey(MappingKind.NOMIS_CHARGE, (event_charge.offenderCharge.id,))] = None
    for sentence in nomis.sentences:
        keys[MappingKey(MappingKind.NOMIS_SENTENCE, (sentence.bookingId, sentence.sentenceSeq))] = None
        for nomis_term in sentence.sentenceTerms:
            keys[
                MappingKey(
                    MappingKind.NOMIS_TERM,
                    (sentence.bookingId, sentence.sentenceSeq, nomis_term.termSequence),
                )
            ] = None
    return list(keys)


# ---- comparing the trees --------------------------------------------------------------------------


def _field(
    differences: list[Difference], path: str, dps: JsonValue, nomis: JsonValue, id: str | None
) -> None:
    if dps != nomis:
        differences.append(Difference(path, dps, nomis, id))


def _compare_lists(
    dps: list[T], nomis: list[T], path: str, compare: Callable[[T, T, str], list[Difference]]
) -> list[Difference]:
    """A size difference is reported alone; only same-sized lists are compared element by element."""
    if len(dps) != len(nomis):
        return [Difference(path, len(dps), len(nomis), None)]
    differences: list[Difference] = []
    for index, (d, n) in enumerate(zip(dps, nomis, strict=True)):
        differences.extend(compare(d, n, f"{path}[{index}]"))
    return differences


def _compare_terms(dps: SentenceTermFields, nomis: SentenceTermFields, path: str) -> list[Difference]:
    differences: list[Difference] = []
    _field(differences, f"{path}.years", dps.years, nomis.years, dps.id)
    _field(differences, f"{path}.months", dps.months, nomis.months, dps.id)
    _field(differences, f"{path}.weeks", dps.weeks, nomis.weeks, dps.id)
    _field(differences, f"{path}.days", dps.days, nomis.days, dps.id)
    _field(differences, f"{path}.lifeSentenceFlag", dps.lifeSentenceFlag, nomis.lifeSentenceFlag, dps.id)
    _field(differences, f"{path}.sentenceTermCode", dps.sentenceTermCode, nomis.sentenceTermCode, dps.id)
    return differences


def _compare_sentences(dps: SentenceFields, nomis: SentenceFields, path: str) -> list[Difference]:
    differences: list[Difference] = []
    _field(differences, f"{path}.sentenceCategory", dps.sentenceCategory, nomis.sentenceCategory, dps.id)
    _field(differences, f"{path}.offenceCodes", dps.offenceCodes, nomis.offenceCodes, dps.id)
    _field(differences, f"{path}.sentenceCalcType", dps.sentenceCalcType, nomis.sentenceCalcType, dps.id)
    if dps.fine != nomis.fine:
        differences.append(Difference(f"{path}.fine", _fine_json(dps.fine), _fine_json(nomis.fine), dps.id))
    _field(
        differences,
        f"{path}.sentencingAppearanceDate",
        _iso(dps.sentencingAppearanceDate),
        _iso(nomis.sentencingAppearanceDate),
        dps.id,
    )
    _field(differences, f"{path}.status", dps.status, nomis.status, dps.id)
    differences.extend(
        _compare_lists(sort_terms(dps.terms), sort_terms(nomis.terms), f"{path}.terms", _compare_terms)
    )
    return differences


def _charge_comparer(today: date) -> Callable[[ChargeFields, ChargeFields, str], list[Difference]]:
    def compare(dps: ChargeFields, nomis: ChargeFields, path: str) -> list[Difference]:
        differences: list[Difference] = []
        _field(differences, f"{path}.offenceCode", dps.offenceCode, nomis.offenceCode, dps.id)
        for name, dps_date, nomis_date in (
            ("offenceDate", dps.offenceDate, nomis.offenceDate),
            ("offenceEndDate", dps.offenceEndDate, nomis.offenceEndDate),
        ):
            if comparable_offence_date(dps_date, today) != comparable_offence_date(nomis_date, today):
                differences.append(Difference(f"{path}.{name}", _iso(dps_date), _iso(nomis_date), dps.id))
        _field(differences, f"{path}.outcome", dps.outcome, nomis.outcome, dps.id)
        return differences

    return compare


def _appearance_comparer(
    today: date,
) -> Callable[[AppearanceFields, AppearanceFields, str], list[Difference]]:
    compare_charges = _charge_comparer(today)

    def compare(dps: AppearanceFields, nomis: AppearanceFields, path: str) -> list[Difference]:
        differences: list[Difference] = []
        _field(differences, f"{path}.date", _iso(dps.date), _iso(nomis.date), dps.id)
        _field(differences, f"{path}.court", dps.court, nomis.court, dps.id)
        _field(differences, f"{path}.outcome", dps.outcome, nomis.outcome, dps.id)
        differences.extend(
            _compare_lists(
                sort_charges(dps.charges), sort_charges(nomis.charges), f"{path}.charges", compare_charges
            )
        )
        return differences

    return compare


def compare_cases(dps: CaseFields, nomis: CaseFields, today: date) -> list[Difference]:
    """Field-by-field differences, DPS first, in the order the spec lists them."""
    differences: list[Difference] = []
    _field(differences, "case.active", dps.active, nomis.active, dps.id)
    # One-directional: DPS may hold references NOMIS never had, but every NOMIS one must be in DPS.
    if not set(nomis.caseReferences) <= set(dps.caseReferences):
        differences.append(
            Difference("case.caseReferences", list(dps.caseReferences), list(nomis.caseReferences), dps.id)
        )
    differences.extend(
        _compare_lists(
            sorted(dps.appearances, key=AppearanceFields.sort_key),
            sorted(nomis.appearances, key=AppearanceFields.sort_key),
            "case.appearances",
            _appearance_comparer(today),
        )
    )
    differences.extend(
        _compare_lists(
            sorted(dps.sentences, key=SentenceFields.sort_key),
            sorted(nomis.sentences, key=SentenceFields.sort_key),
            "case.sentences",
            _compare_sentences,
        )
    )
    return differences


def _missing(id: str, mapped_id: str | None, dps_side: bool, path: str) -> list[Difference]:
    if dps_side and mapped_id == MISSING_NOMIS_MAPPING:
        return [Difference(path, id, MISSING_NOMIS_MAPPING, id)]
    if not dps_side and mapped_id == MISSING_DPS_MAPPING:
        return [Difference(path, MISSING_DPS_MAPPING, id, id)]
    return []


def missing_mapping_differences(case: CaseFields, dps_side: bool) -> list[Difference]:
    """One difference per item of one side's tree whose mapping is missing (extra info only)."""
    differences: list[Difference] = []
    for appearance in case.appearances:
        differences.extend(
            _missing(appearance.id, appearance.mappedId, dps_side, "case.appearances[].mappedId")
        )
        for charge in appearance.charges:
            differences.extend(
                _missing(charge.id, charge.mappedId, dps_side, "case.appearances[].charges[].mappedId")
            )
    for sentence in case.sentences:
        differences.extend(_missing(sentence.id, sentence.mappedId, dps_side, "case.sentences[].mappedId"))
        for term in sentence.terms:
            differences.extend(
                _missing(term.id, term.mappedId, dps_side, "case.sentences[].terms[].mappedId")
            )
    return differences


@dataclass(frozen=True)
class CaseComparison:
    dpsCase: CaseFields
    nomisCase: CaseFields
    differences: list[Difference]


def compare_court_case(
    dps: ReconciliationCourtCase,
    nomis: CourtCaseResponse,
    dps_case_id: str,
    today: date,
    mapped: MappedIds | None = None,
) -> CaseComparison:
    """Both trees and their differences; with `mapped` (extra info) also every missing mapping."""
    dps_fields = dps_case_fields(dps, dps_case_id, mapped)
    nomis_fields = nomis_case_fields(nomis, is_duplicate(dps), mapped)
    differences = compare_cases(dps_fields, nomis_fields, today)
    if mapped is not None:
        differences.extend(missing_mapping_differences(dps_fields, dps_side=True))
        differences.extend(missing_mapping_differences(nomis_fields, dps_side=False))
    return CaseComparison(dps_fields, nomis_fields, differences)
