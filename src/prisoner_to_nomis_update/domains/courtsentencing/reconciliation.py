"""Court-sentencing reconciliation (spec 5): one case, one prisoner, and the two prisoner reports.

A case check fetches the NOMIS case and the DPS case at the same time (retrying transient failures),
compares them (compare.py) and reports a mismatch unless the NOMIS case is on the exclusion list. A
prisoner check first compares how many cases each system holds, then checks each mapped case in turn.
The reports page NOMIS latest bookings by booking id and check `page-size` prisoners at once; they keep
only a count per mismatched prisoner, so memory holds one prisoner's cases per worker however long the
run. No check ever fails a report: failures become telemetry and the prisoner is skipped.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any, TypeVar

from prisoner_to_nomis_update.domains.courtsentencing.clients import (
    CourtSentencingApi,
    CourtSentencingMappingApi,
    NomisCourtSentencingApi,
)
from prisoner_to_nomis_update.domains.courtsentencing.compare import (
    CaseFields,
    Difference,
    MappedIds,
    MappingKey,
    MappingKind,
    compare_court_case,
    mapping_keys,
)
from prisoner_to_nomis_update.domains.courtsentencing.models import CourtCaseResponse
from prisoner_to_nomis_update.domains.courtsentencing.reconciliation_models import ReconciliationCourtCase
from prisoner_to_nomis_update.framework.domain import BatchJob, DomainContext
from prisoner_to_nomis_update.framework.errors import NotFound
from prisoner_to_nomis_update.framework.http import HttpError, with_transient_retries
from prisoner_to_nomis_update.framework.nomis import NomisApi, PrisonerIds
from prisoner_to_nomis_update.framework.reconciliation import IdPage, generate_reconciliation_report
from prisoner_to_nomis_update.framework.telemetry import Telemetry

log = logging.getLogger(__name__)

PRISONER_PREFIX = "court-case-prisoner-reconciliation"
ACTIVE_PRISONER_PREFIX = "court-case-active-prisoner-reconciliation"
EXCLUDED_CASES_RESOURCE = "excludedCaseIdsReconciliation.txt"
REPORTED_PRISONERS = 5
# Extra-information lookups per case run at most this many at once, to spare the mapping API.
MAPPING_LOOKUP_CONCURRENCY = 10

T = TypeVar("T")
_WHOLE_NUMBER = re.compile(r"[+-]?\d+")


def parse_excluded_case_ids(text: str) -> frozenset[int]:
    """The whole text split on commas, each part trimmed; anything not a whole number is ignored."""
    parts = (part.strip() for part in text.split(","))
    return frozenset(int(part) for part in parts if _WHOLE_NUMBER.fullmatch(part))


def load_excluded_case_ids() -> frozenset[int]:
    package = resources.files(__package__ or "prisoner_to_nomis_update.domains.courtsentencing")
    return parse_excluded_case_ids(package.joinpath(EXCLUDED_CASES_RESOURCE).read_text("utf-8"))


class CaseNotFound(NotFound):
    """NOMIS or DPS does not have the case a manual check names."""


@dataclass(frozen=True)
class MismatchCase:
    differences: list[Difference]
    nomisCase: CaseFields
    dpsCase: CaseFields
    nomisBookingId: int

    def json(self) -> dict[str, Any]:
        return {
            "differences": [d.json() for d in self.differences],
            "nomisCase": self.nomisCase.json(),
            "dpsCase": self.dpsCase.json(),
            "nomisBookingId": self.nomisBookingId,
        }


@dataclass(frozen=True)
class MismatchCaseResponse:
    """One case's result; for a case-count mismatch `dpsCaseId`/`nomisCaseId` hold the two counts."""

    offenderNo: str
    dpsCaseId: str
    nomisCaseId: int
    mismatch: MismatchCase | None
    nomisBookingId: int | None = None
    caseCountMismatch: bool = False

    def json(self) -> dict[str, Any]:
        return {
            "offenderNo": self.offenderNo,
            "dpsCaseId": self.dpsCaseId,
            "nomisCaseId": self.nomisCaseId,
            "nomisBookingId": self.nomisBookingId,
            "caseCountMismatch": self.caseCountMismatch,
            "mismatch": self.mismatch.json() if self.mismatch else None,
        }


@dataclass(frozen=True)
class PrisonerMismatches:
    """What a report keeps of a mismatched prisoner: the cases' details went out as telemetry."""

    offenderNo: str
    cases: int


@dataclass(frozen=True)
class ReportOutcome:
    prisoners_checked: int
    pages: int
    mismatches: list[PrisonerMismatches]


@dataclass(frozen=True)
class RetrySettings:
    """hmpps.web-client.[nomis.]max-retries / backoff-millis: transient-failure retries of a case read."""

    max_retries: int = 3
    backoff_ms: int = 100


class CourtSentencingReconciliation:
    def __init__(
        self,
        dps: CourtSentencingApi,
        nomis: NomisCourtSentencingApi,
        nomis_prisoners: NomisApi,
        mappings: CourtSentencingMappingApi,
        telemetry: Telemetry,
        page_size: int,
        excluded_case_ids: frozenset[int],
        nomis_retries: RetrySettings,
        dps_retries: RetrySettings,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.dps = dps
        self.nomis = nomis
        self.nomis_prisoners = nomis_prisoners
        self.mappings = mappings
        self.telemetry = telemetry
        self.page_size = page_size
        self.excluded = excluded_case_ids
        self.nomis_retries = nomis_retries
        self.dps_retries = dps_retries
        self.today = today

    # ---- one case (5.3) ------------------------------------------------------------------------

    @staticmethod
    async def _read(call: Callable[[], Awaitable[T]], retries: RetrySettings, context: str) -> T:
        return await with_transient_retries(
            call, max_retries=retries.max_retries, backoff_ms=retries.backoff_ms, context=context
        )

    async def _nomis_case(self, nomis_case_id: int) -> CourtCaseResponse:
        try:
            return await self._read(
                lambda: self.nomis.court_case_for_reconciliation(nomis_case_id),
                self.nomis_retries,
                f"NOMIS court case {nomis_case_id}",
            )
        except HttpError as error:
            if error.status == 404:
                raise CaseNotFound(f"NOMIS court case {nomis_case_id} not found") from error
            raise

    async def _dps_case(self, dps_case_id: str) -> ReconciliationCourtCase:
        try:
            return await self._read(
                lambda: self.dps.court_case_reconciliation(dps_case_id),
                self.dps_retries,
                f"DPS court case {dps_case_id}",
            )
        except HttpError as error:
            if error.status == 404:
                raise CaseNotFound(f"DPS court case {dps_case_id} not found") from error
            raise

    async def _mapped_ids(self, dps: ReconciliationCourtCase, nomis: CourtCaseResponse) -> MappedIds:
        limit = asyncio.Semaphore(MAPPING_LOOKUP_CONCURRENCY)

        async def look_up(key: MappingKey) -> tuple[MappingKey, str | None]:
            async with limit:
                return key, await self._counterpart(key)

        return dict(await asyncio.gather(*(look_up(key) for key in mapping_keys(dps, nomis))))

    async def _counterpart(self, key: MappingKey) -> str | None:
        """The other system's id of one item, or None when the mapping API has no mapping for it."""
        ids = key.ids
        match key.kind:
            case MappingKind.DPS_APPEARANCE:
                appearance = await self.mappings.find_appearance_by_dps_id(str(ids[0]))
                return str(appearance.nomisCourtAppearanceId) if appearance else None
            case MappingKind.DPS_CHARGE:
                charge = await self.mappings.find_charge_by_dps_id(str(ids[0]))
                return str(charge.nomisCourtChargeId) if charge else None
            case MappingKind.DPS_SENTENCE:
                sentence = await self.mappings.find_sentence_by_dps_id(str(ids[0]))
                return str(sentence.nomisSentenceSequence) if sentence else None
            case MappingKind.DPS_TERM:
                term = await self.mappings.find_term_by_dps_id(str(ids[0]))
                return str(term.nomisTermSequence) if term else None
            case MappingKind.NOMIS_APPEARANCE:
                appearance = await self.mappings.find_appearance_by_nomis_id(int(ids[0]))
                return appearance.dpsCourtAppearanceId if appearance else None
            case MappingKind.NOMIS_CHARGE:
                charge = await self.mappings.find_charge_by_nomis_id(int(ids[0]))
                return charge.dpsCourtChargeId if charge else None
            case MappingKind.NOMIS_SENTENCE:
                sentence = await self.mappings.find_sentence_by_nomis_id(int(ids[0]), int(ids[1]))
                return sentence.dpsSentenceId if sentence else None
            case MappingKind.NOMIS_TERM:
                term = await self.mappings.find_term_by_nomis_id(int(ids[0]), int(ids[1]), int(ids[2]))
                return term.dpsTermId if term else None

    async def _compare(
        self, offender_no: str, dps_case_id: str, nomis_case_id: int, prefix: str, extra_info: bool
    ) -> MismatchCase | None:
        nomis_read, dps_read = await asyncio.gather(
            self._nomis_case(nomis_case_id), self._dps_case(dps_case_id), return_exceptions=True
        )
        # Both reads run to the end so neither is left unawaited; NOMIS's failure is reported first.
        if isinstance(nomis_read, BaseException):
            raise nomis_read
        if isinstance(dps_read, BaseException):
            raise dps_read
        mapped = await self._mapped_ids(dps_read, nomis_read) if extra_info else None
        comparison = compare_court_case(dps_read, nomis_read, dps_case_id, self.today(), mapped)
        properties = {"offenderNo": offender_no, "nomisCaseId": nomis_case_id, "dpsCaseId": dps_case_id}
        excluded = nomis_case_id in self.excluded
        if comparison.differences and not excluded:
            return MismatchCase(
                comparison.differences, comparison.nomisCase, comparison.dpsCase, nomis_read.bookingId
            )
        if comparison.differences:
            self.telemetry.track_event(
                f"{prefix}-excluded-case",
                {**properties, "reason": f"Excluding reconciliation mismatches for case id {nomis_case_id}"},
            )
        elif excluded:
            self.telemetry.track_event(
                f"{prefix}-excluded-case-resolved",
                {
                    **properties,
                    "reason": f"No reconciliation mismatches found for excluded case id {nomis_case_id}. "
                    "Remove from exclusion file.",
                },
            )
        return None

    def _case_error(
        self, offender_no: str, dps_case_id: str, nomis_case_id: int, prefix: str, error: Exception
    ) -> None:
        log.error(
            "Unable to match case with ids: dps:%s and nomis:%s", dps_case_id, nomis_case_id, exc_info=error
        )
        self.telemetry.track_event(
            f"{prefix}-error",
            {
                "offenderNo": offender_no,
                "nomisCaseId": nomis_case_id,
                "dpsCaseId": dps_case_id,
                "reason": str(error) or type(error).__name__,
            },
        )

    async def check_case(
        self,
        offender_no: str,
        dps_case_id: str,
        nomis_case_id: int,
        prefix: str = PRISONER_PREFIX,
        extra_info: bool = False,
    ) -> MismatchCase | None:
        """The mismatch, or None when the case matches, is excluded, or could not be checked (never raises)."""
        try:
            return await self._compare(offender_no, dps_case_id, nomis_case_id, prefix, extra_info)
        except Exception as error:
            self._case_error(offender_no, dps_case_id, nomis_case_id, prefix, error)
            return None

    async def check_named_case(
        self, offender_no: str, dps_case_id: str, nomis_case_id: int
    ) -> MismatchCaseResponse:
        """One case an operator asked about: a case that cannot be checked is an error, not "no mismatch"."""
        try:
            mismatch = await self._compare(offender_no, dps_case_id, nomis_case_id, PRISONER_PREFIX, False)
        except Exception as error:
            self._case_error(offender_no, dps_case_id, nomis_case_id, PRISONER_PREFIX, error)
            raise
        return MismatchCaseResponse(
            offenderNo=offender_no,
            dpsCaseId=dps_case_id,
            nomisCaseId=nomis_case_id,
            nomisBookingId=mismatch.nomisBookingId if mismatch else None,
            mismatch=mismatch,
        )

    async def check_case_by_dps_id(self, offender_no: str, dps_case_id: str) -> MismatchCaseResponse:
        mapping = await self.mappings.find_case_by_dps_id(dps_case_id)
        if mapping is None:
            raise CaseNotFound(f"No court case mapping for DPS court case {dps_case_id}")
        return await self.check_named_case(offender_no, mapping.dpsCourtCaseId, mapping.nomisCourtCaseId)

    async def check_case_by_nomis_id(self, offender_no: str, nomis_case_id: int) -> MismatchCaseResponse:
        mapping = await self.mappings.find_case_by_nomis_id(nomis_case_id)
        if mapping is None:
            raise CaseNotFound(f"No court case mapping for NOMIS court case {nomis_case_id}")
        return await self.check_named_case(offender_no, mapping.dpsCourtCaseId, mapping.nomisCourtCaseId)

    async def check_case_pair(
        self, offender_no: str, nomis_case_id: int, dps_case_id: str
    ) -> MismatchCaseResponse:
        response = await self.check_named_case(offender_no, dps_case_id, nomis_case_id)
        # Given both ids, the original does not name the booking even for a mismatch (spec 4.1 E3).
        return MismatchCaseResponse(
            offenderNo=response.offenderNo,
            dpsCaseId=response.dpsCaseId,
            nomisCaseId=response.nomisCaseId,
            mismatch=response.mismatch,
        )

    # ---- one prisoner (5.4) --------------------------------------------------------------------

    async def check_prisoner(
        self, offender_no: str, prefix: str = PRISONER_PREFIX, extra_info: bool = False
    ) -> list[MismatchCaseResponse]:
        """Every mapped case of the prisoner, matched or not; or one entry when the case counts differ."""
        nomis_ids, dps_ids = await asyncio.gather(
            self.nomis.court_case_ids(offender_no), self.dps.court_case_uuids(offender_no)
        )
        if len(nomis_ids) != len(dps_ids):
            # Always the all-prisoner prefix, whichever report is running (as the original does).
            self.telemetry.track_event(
                f"{PRISONER_PREFIX}-mismatch",
                {
                    "nomisCaseCount": len(nomis_ids),
                    "dpsCaseCount": len(dps_ids),
                    "caseCountMismatch": "true",
                    "offenderNo": offender_no,
                },
            )
            return [
                MismatchCaseResponse(
                    offenderNo=offender_no,
                    dpsCaseId=str(len(dps_ids)),
                    nomisCaseId=len(nomis_ids),
                    mismatch=None,
                    caseCountMismatch=True,
                )
            ]
        if not nomis_ids:
            return []
        results: list[MismatchCaseResponse] = []
        # One case at a time: a prisoner's cases are few, and this keeps one case's trees in memory.
        for mapping in await self.mappings.get_cases_by_nomis_ids(nomis_ids):
            mismatch = await self.check_case(
                offender_no, mapping.dpsCourtCaseId, mapping.nomisCourtCaseId, prefix, extra_info
            )
            results.append(
                MismatchCaseResponse(
                    offenderNo=offender_no,
                    dpsCaseId=mapping.dpsCourtCaseId,
                    nomisCaseId=mapping.nomisCourtCaseId,
                    nomisBookingId=mismatch.nomisBookingId if mismatch else None,
                    mismatch=mismatch,
                )
            )
        return results

    async def check_prisoners(self, offender_nos: list[str]) -> list[list[MismatchCaseResponse]]:
        """E5: per prisoner, only the mismatched cases (a case-count mismatch entry is kept as it is)."""
        found: list[list[MismatchCaseResponse]] = []
        for offender_no in offender_nos:
            cases = await self.check_prisoner(offender_no)
            found.append([c for c in cases if c.mismatch is not None or c.caseCountMismatch])
        return found

    # ---- the reports (5.2) ---------------------------------------------------------------------

    async def _report_prisoner(self, prisoner: PrisonerIds, prefix: str) -> PrisonerMismatches | None:
        try:
            cases = [
                (case, case.mismatch)
                for case in await self.check_prisoner(prisoner.offenderNo, prefix)
                if case.mismatch is not None
            ]
        except Exception as error:
            log.error("Unable to match prisoner: %s", prisoner.offenderNo, exc_info=error)
            self.telemetry.track_event(
                f"{prefix}-error",
                {"offenderNo": prisoner.offenderNo, "reason": str(error) or type(error).__name__},
            )
            return None
        for case, mismatch in cases:
            self.telemetry.track_event(
                f"{prefix}-mismatch",
                {
                    "offenderNo": prisoner.offenderNo,
                    "nomisBookingId": case.nomisBookingId,
                    "dpsCaseId": case.dpsCaseId,
                    "nomisCaseId": case.nomisCaseId,
                    "mismatchCount": len(mismatch.differences),
                },
            )
        return PrisonerMismatches(prisoner.offenderNo, len(cases)) if cases else None

    async def _next_page(self, last: PrisonerIds | None, active_only: bool) -> IdPage[PrisonerIds]:
        last_booking_id = last.bookingId if last is not None else 0
        try:
            ids, next_booking_id = await self.nomis_prisoners.latest_bookings_from_id(
                last_booking_id, active_only, self.page_size
            )
        except Exception:
            # Always the all-prisoner prefix, whichever report is running (as the original does).
            self.telemetry.track_event(f"{PRISONER_PREFIX}-mismatch-page-error", {"booking": last_booking_id})
            raise
        log.info("Page requested from booking: %d, with %d bookings", last_booking_id, self.page_size)
        return IdPage(ids=ids, last=PrisonerIds(bookingId=next_booking_id, offenderNo=""))

    async def report(self, active_only: bool) -> ReportOutcome | None:
        """A whole report (COURT_CASE_PRISONER_RECON or COURT_CASE_ACTIVE_PRISONER_RECON); never raises."""
        prefix = ACTIVE_PRISONER_PREFIX if active_only else PRISONER_PREFIX
        self.telemetry.track_event(f"{prefix}-requested", {})
        try:
            result = await generate_reconciliation_report(
                thread_count=self.page_size,
                page_size=self.page_size,
                check_match=lambda prisoner: self._report_prisoner(prisoner, prefix),
                next_page=lambda last: self._next_page(last, active_only),
                skip_ahead=_skip_bookings,
            )
        except Exception as error:
            log.error("Court case %s reconciliation report failed", prefix, exc_info=error)
            self.telemetry.track_event(
                f"{prefix}-report", {"success": "false", "error": str(error) or type(error).__name__}
            )
            return None
        outcome = ReportOutcome(result.items_checked, result.pages_checked, result.mismatches)
        self.telemetry.track_event(
            f"{prefix}-report",
            {
                "prisoners-count": outcome.prisoners_checked,
                "pages-count": outcome.pages,
                "mismatch-count": len(outcome.mismatches),
                "success": "true",
                **{m.offenderNo: f"cases={m.cases}" for m in outcome.mismatches[:REPORTED_PRISONERS]},
            },
        )
        log.info("Court case %s report: %d mismatched prisoners", prefix, len(outcome.mismatches))
        return outcome


def _skip_bookings(last: PrisonerIds | None, by: int) -> PrisonerIds:
    """After a failed page, move the booking cursor on by a page (the original's heuristic)."""
    start = last.bookingId if last is not None else 0
    return PrisonerIds(bookingId=start + by, offenderNo="")


PAGE_SIZE_SETTING = "reports.court-case.prisoner.reconciliation.page-size"


class ReconciliationReportFailed(Exception):
    """The report could not run to the end (already reported as `<prefix>-report` success=false)."""


def build_reconciliation(
    context: DomainContext,
    dps: CourtSentencingApi,
    nomis: NomisCourtSentencingApi,
    mappings: CourtSentencingMappingApi,
) -> CourtSentencingReconciliation:
    settings = context.settings
    nomis_prisoners = NomisApi(context.apis.get("nomis"), settings)
    return CourtSentencingReconciliation(
        dps=dps,
        nomis=nomis,
        nomis_prisoners=nomis_prisoners,
        mappings=mappings,
        telemetry=context.telemetry,
        page_size=settings.report_int(PAGE_SIZE_SETTING, 10),
        excluded_case_ids=load_excluded_case_ids(),
        nomis_retries=RetrySettings(nomis_prisoners.max_retries, nomis_prisoners.backoff_ms),
        dps_retries=RetrySettings(settings.web_client_max_retries, settings.web_client_backoff_ms),
    )


def reconciliation_batch_jobs(reconciliation: CourtSentencingReconciliation) -> dict[str, BatchJob]:
    """COURT_CASE_PRISONER_RECON (every prisoner) and COURT_CASE_ACTIVE_PRISONER_RECON (active only)."""

    def job(active_only: bool) -> BatchJob:
        async def run() -> None:
            # A report that could not finish fails the job, so the CronJob shows it (the report event says why).
            if await reconciliation.report(active_only) is None:
                raise ReconciliationReportFailed("court case reconciliation report failed")

        return run

    return {"COURT_CASE_PRISONER_RECON": job(False), "COURT_CASE_ACTIVE_PRISONER_RECON": job(True)}
