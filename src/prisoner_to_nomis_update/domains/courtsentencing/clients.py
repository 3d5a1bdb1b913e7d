"""Calls to the Remand and Sentencing API (DPS), the NOMIS court-case endpoints and the court-sentencing mappings.

`find_*` methods answer None for a 404; `get_*` methods raise on it.
"""

from __future__ import annotations

from urllib.parse import quote

from pydantic import TypeAdapter

from prisoner_to_nomis_update.domains.courtsentencing.models import (
    BookingCourtCaseCloneResponse,
    CaseIdentifierRequest,
    ConvertToRecallRequest,
    ConvertToRecallResponse,
    CourtAppearanceMappingDto,
    CourtAppearanceRecallMappingDto,
    CourtAppearanceRecallMappingsDto,
    CourtAppearanceRecallMappingsUpdateDto,
    CourtAppearanceRequest,
    CourtCaseAllMappingDto,
    CourtCaseBatchMappingDto,
    CourtCaseBatchUpdateAndCreateMappingDto,
    CourtCaseMappingDto,
    CourtCaseRepairRequest,
    CourtCaseRepairResponse,
    CourtCaseResponse,
    CourtChargeBatchUpdateMappingDto,
    CourtChargeMappingDto,
    CreateCourtAppearanceResponse,
    CreateCourtCaseRequest,
    CreateCourtCaseResponse,
    CreateSentenceRequest,
    CreateSentenceResponse,
    CreateSentenceTermResponse,
    DeleteRecallRequest,
    DpsCourtCaseBatchMappingDto,
    LegacyCharge,
    LegacyCourtAppearance,
    LegacyCourtCase,
    LegacyPeriodLength,
    LegacyRecall,
    LegacySentence,
    OffenderChargeIdResponse,
    OffenderChargeRequest,
    RevertRecallRequest,
    SentenceMappingDto,
    SentenceTermMappingDto,
    SentenceTermRequest,
    UpdateCourtAppearanceResponse,
    UpdateCourtCaseRequest,
    UpdateRecallRequest,
    UpdateRecallResponse,
)
from prisoner_to_nomis_update.domains.courtsentencing.reconciliation_models import (
    LegacyCourtCaseUuids,
    ReconciliationCourtCase,
)
from prisoner_to_nomis_update.framework.http import ApiClient, HttpError


def segment(value: str | int) -> str:
    """A path segment from event data, escaped so an id like `a/b` cannot reach another endpoint."""
    return quote(str(value), safe="")


class CourtSentencingApi:
    """DPS Remand and Sentencing: the legacy (NOMIS-shaped) views."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client

    async def get_court_case(self, case_id: str) -> LegacyCourtCase:
        return LegacyCourtCase.model_validate(
            await self.client.get_json(f"/legacy/court-case/{segment(case_id)}")
        )

    async def find_court_case(self, case_id: str) -> LegacyCourtCase | None:
        data = await self.client.get_json_or_none(f"/legacy/court-case/{segment(case_id)}")
        return None if data is None else LegacyCourtCase.model_validate(data)

    async def court_case_reconciliation(self, case_id: str) -> ReconciliationCourtCase:
        data = await self.client.get_json(f"/legacy/court-case/{segment(case_id)}/reconciliation")
        return ReconciliationCourtCase.model_validate(data)

    async def get_appearance(self, appearance_id: str) -> LegacyCourtAppearance:
        data = await self.client.get_json(f"/legacy/court-appearance/{segment(appearance_id)}")
        return LegacyCourtAppearance.model_validate(data)

    async def find_appearance(self, appearance_id: str) -> LegacyCourtAppearance | None:
        data = await self.client.get_json_or_none(f"/legacy/court-appearance/{segment(appearance_id)}")
        return None if data is None else LegacyCourtAppearance.model_validate(data)

    async def get_charge(self, charge_id: str) -> LegacyCharge:
        return LegacyCharge.model_validate(await self.client.get_json(f"/legacy/charge/{segment(charge_id)}"))

    def _appearance_charge_path(self, appearance_id: str, charge_id: str) -> str:
        return f"/legacy/court-appearance/{segment(appearance_id)}/charge/{segment(charge_id)}"

    async def get_appearance_charge(self, appearance_id: str, charge_id: str) -> LegacyCharge:
        data = await self.client.get_json(self._appearance_charge_path(appearance_id, charge_id))
        return LegacyCharge.model_validate(data)

    async def find_appearance_charge(self, appearance_id: str, charge_id: str) -> LegacyCharge | None:
        data = await self.client.get_json_or_none(self._appearance_charge_path(appearance_id, charge_id))
        return None if data is None else LegacyCharge.model_validate(data)

    async def get_sentence(self, sentence_id: str) -> LegacySentence:
        return LegacySentence.model_validate(
            await self.client.get_json(f"/legacy/sentence/{segment(sentence_id)}")
        )

    async def find_sentence(self, sentence_id: str) -> LegacySentence | None:
        data = await self.client.get_json_or_none(f"/legacy/sentence/{segment(sentence_id)}")
        return None if data is None else LegacySentence.model_validate(data)

    async def search_sentences(self, sentence_ids: list[str]) -> list[LegacySentence]:
        data = await self.client.post_json("/legacy/sentence/search", {"lifetimeUuids": sentence_ids})
        return [LegacySentence.model_validate(item) for item in data or []]

    async def get_period_length(self, period_length_id: str) -> LegacyPeriodLength:
        data = await self.client.get_json(f"/legacy/period-length/{segment(period_length_id)}")
        return LegacyPeriodLength.model_validate(data)

    async def find_period_length(self, period_length_id: str) -> LegacyPeriodLength | None:
        data = await self.client.get_json_or_none(f"/legacy/period-length/{segment(period_length_id)}")
        return None if data is None else LegacyPeriodLength.model_validate(data)

    async def get_recall(self, recall_id: str) -> LegacyRecall:
        return LegacyRecall.model_validate(await self.client.get_json(f"/legacy/recall/{segment(recall_id)}"))

    # ---- reconciliation reads (RECONCILIATION) ----

    async def court_case_uuids(self, prisoner_id: str) -> list[str]:
        data = await self.client.get_json(f"/legacy/prisoner/{segment(prisoner_id)}/court-case-uuids")
        return LegacyCourtCaseUuids.model_validate(data).courtCaseUuids


class NomisCourtSentencingApi:
    """NOMIS prisoner API: court cases, appearances, charges, sentences, terms and recalls."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client

    @staticmethod
    def _cases(offender_no: str) -> str:
        return f"/prisoners/{segment(offender_no)}/sentencing/court-cases"

    @staticmethod
    def _sentences(offender_no: str, case_id: int) -> str:
        return f"/prisoners/{segment(offender_no)}/court-cases/{case_id}/sentences"

    async def create_court_case(
        self, offender_no: str, request: CreateCourtCaseRequest
    ) -> CreateCourtCaseResponse:
        data = await self.client.post_json(self._cases(offender_no), request.body())
        return CreateCourtCaseResponse.model_validate(data)

    async def update_court_case(
        self, offender_no: str, case_id: int, request: UpdateCourtCaseRequest
    ) -> None:
        await self.client.put_json(f"{self._cases(offender_no)}/{case_id}", request.body())

    async def delete_court_case(self, offender_no: str, case_id: int) -> None:
        await self.client.delete(f"{self._cases(offender_no)}/{case_id}")

    async def court_case(self, offender_no: str, case_id: int) -> CourtCaseResponse:
        return CourtCaseResponse.model_validate(
            await self.client.get_json(f"{self._cases(offender_no)}/{case_id}")
        )

    async def court_cases(self, offender_no: str) -> list[CourtCaseResponse]:
        """Every NOMIS court case of the prisoner, all bookings, in one call."""
        data = await self.client.get_json(self._cases(offender_no))
        return [CourtCaseResponse.model_validate(item) for item in data or []]

    async def create_appearance(
        self, offender_no: str, case_id: int, request: CourtAppearanceRequest
    ) -> CreateCourtAppearanceResponse:
        data = await self.client.post_json(
            f"{self._cases(offender_no)}/{case_id}/court-appearances", request.body()
        )
        return CreateCourtAppearanceResponse.model_validate(data)

    async def update_appearance(
        self, offender_no: str, case_id: int, appearance_id: int, request: CourtAppearanceRequest
    ) -> UpdateCourtAppearanceResponse:
        data = await self.client.put_json(
            f"{self._cases(offender_no)}/{case_id}/court-appearances/{appearance_id}", request.body()
        )
        return UpdateCourtAppearanceResponse.model_validate(data or {})

    async def delete_appearance(self, offender_no: str, case_id: int, appearance_id: int) -> None:
        await self.client.delete(f"{self._cases(offender_no)}/{case_id}/court-appearances/{appearance_id}")

    async def create_charge(
        self, offender_no: str, case_id: int, request: OffenderChargeRequest
    ) -> OffenderChargeIdResponse:
        data = await self.client.post_json(f"{self._cases(offender_no)}/{case_id}/charges", request.body())
        return OffenderChargeIdResponse.model_validate(data)

    async def update_charge(
        self,
        offender_no: str,
        case_id: int,
        appearance_id: int,
        charge_id: int,
        request: OffenderChargeRequest,
    ) -> None:
        await self.client.put_json(
            f"{self._cases(offender_no)}/{case_id}/court-appearances/{appearance_id}/charges/{charge_id}",
            request.body(),
        )

    async def refresh_case_references(
        self, offender_no: str, case_id: int, request: CaseIdentifierRequest
    ) -> None:
        await self.client.post_json(f"{self._cases(offender_no)}/{case_id}/case-identifiers", request.body())

    async def create_sentence(
        self, offender_no: str, case_id: int, request: CreateSentenceRequest
    ) -> CreateSentenceResponse:
        data = await self.client.post_json(self._sentences(offender_no, case_id), request.body())
        return CreateSentenceResponse.model_validate(data)

    async def update_sentence(
        self, offender_no: str, case_id: int, sentence_seq: int, request: CreateSentenceRequest
    ) -> None:
        await self.client.put_json(f"{self._sentences(offender_no, case_id)}/{sentence_seq}", request.body())

    async def delete_sentence(self, offender_no: str, case_id: int, sentence_seq: int) -> None:
        await self.client.delete(f"{self._sentences(offender_no, case_id)}/{sentence_seq}")

    async def create_term(
        self, offender_no: str, case_id: int, sentence_seq: int, request: SentenceTermRequest
    ) -> CreateSentenceTermResponse:
        data = await self.client.post_json(
            f"{self._sentences(offender_no, case_id)}/{sentence_seq}/sentence-terms", request.body()
        )
        return CreateSentenceTermResponse.model_validate(data)

    async def update_term(
        self, offender_no: str, case_id: int, sentence_seq: int, term_seq: int, request: SentenceTermRequest
    ) -> None:
        await self.client.put_json(
            f"{self._sentences(offender_no, case_id)}/{sentence_seq}/sentence-terms/{term_seq}",
            request.body(),
        )

    async def delete_term(self, offender_no: str, case_id: int, sentence_seq: int, term_seq: int) -> None:
        await self.client.delete(
            f"{self._sentences(offender_no, case_id)}/{sentence_seq}/sentence-terms/{term_seq}"
        )

    def _recall(self, offender_no: str) -> str:
        return f"/prisoners/{segment(offender_no)}/sentences/recall"

    async def create_recall(
        self, offender_no: str, request: ConvertToRecallRequest
    ) -> ConvertToRecallResponse:
        data = await self.client.post_json(self._recall(offender_no), request.body())
        return ConvertToRecallResponse.model_validate(data)

    async def update_recall(self, offender_no: str, request: UpdateRecallRequest) -> UpdateRecallResponse:
        data = await self.client.put_json(self._recall(offender_no), request.body())
        return UpdateRecallResponse.model_validate(data or {})

    async def restore_original(self, offender_no: str, request: DeleteRecallRequest) -> None:
        await self.client.put_json(f"{self._recall(offender_no)}/restore-original", request.body())

    async def restore_previous(self, offender_no: str, request: RevertRecallRequest) -> None:
        await self.client.put_json(f"{self._recall(offender_no)}/restore-previous", request.body())

    async def clone_to_latest_booking(self, offender_no: str, case_id: int) -> BookingCourtCaseCloneResponse:
        data = await self.client.post_json(f"{self._cases(offender_no)}/clone/{case_id}")
        return BookingCourtCaseCloneResponse.model_validate(data or {})

    async def repair_court_case(
        self, offender_no: str, case_id: int, request: CourtCaseRepairRequest
    ) -> CourtCaseRepairResponse:
        data = await self.client.post_json(f"{self._cases(offender_no)}/{case_id}/repair", request.body())
        return CourtCaseRepairResponse.model_validate(data)

    # ---- reconciliation reads (RECONCILIATION) ----

    async def court_case_for_reconciliation(self, case_id: int) -> CourtCaseResponse:
        """The case with every appearance, charge, sentence and term, whichever prisoner it belongs to."""
        return CourtCaseResponse.model_validate(await self.client.get_json(f"/court-cases/{case_id}"))

    async def court_case_ids(self, offender_no: str) -> list[int]:
        """The ids of every NOMIS court case of the prisoner, all bookings."""
        data = await self.client.get_json(f"{self._cases(offender_no)}/ids")
        return [int(case_id) for case_id in data or []]


_CASE_MAPPINGS = TypeAdapter(list[CourtCaseMappingDto])
_APPEARANCE_MAPPINGS = TypeAdapter(list[CourtAppearanceMappingDto])
_SENTENCE_MAPPINGS = TypeAdapter(list[SentenceMappingDto])
_RECALL_MAPPINGS = TypeAdapter(list[CourtAppearanceRecallMappingDto])

BASE = "/mapping/court-sentencing"


class CourtSentencingMappingApi:
    def __init__(self, client: ApiClient) -> None:
        self.client = client

    # ---- court cases

    async def find_case_by_dps_id(self, dps_case_id: str) -> CourtCaseMappingDto | None:
        data = await self.client.get_json_or_none(
            f"{BASE}/court-cases/dps-court-case-id/{segment(dps_case_id)}"
        )
        return None if data is None else CourtCaseMappingDto.model_validate(data)

    async def get_case_by_dps_id(self, dps_case_id: str) -> CourtCaseMappingDto:
        data = await self.client.get_json(f"{BASE}/court-cases/dps-court-case-id/{segment(dps_case_id)}")
        return CourtCaseMappingDto.model_validate(data)

    async def find_case_by_nomis_id(self, nomis_case_id: int) -> CourtCaseMappingDto | None:
        data = await self.client.get_json_or_none(f"{BASE}/court-cases/nomis-court-case-id/{nomis_case_id}")
        return None if data is None else CourtCaseMappingDto.model_validate(data)

    async def get_cases_by_nomis_ids(self, nomis_case_ids: list[int]) -> list[CourtCaseMappingDto]:
        data = await self.client.post_json(f"{BASE}/court-cases/nomis-case-ids/get-list", nomis_case_ids)
        return _CASE_MAPPINGS.validate_python(data or [])

    async def create_case(self, mapping: CourtCaseAllMappingDto) -> None:
        await self.client.post_json(f"{BASE}/court-cases", mapping.body())

    async def delete_case_by_dps_id(self, dps_case_id: str) -> None:
        await self.client.delete(f"{BASE}/court-cases/dps-court-case-id/{segment(dps_case_id)}")

    async def update_and_create(self, mappings: CourtCaseBatchUpdateAndCreateMappingDto) -> None:
        await self.client.put_json(f"{BASE}/court-cases/update-create", mappings.body())

    async def replace(self, mappings: CourtCaseBatchMappingDto) -> None:
        await self.client.put_json(f"{BASE}/court-cases/replace", mappings.body())

    async def delete_by_dps_ids(self, ids: DpsCourtCaseBatchMappingDto) -> None:
        await self.client.post_json(f"{BASE}/court-cases/delete-by-dps-ids", ids.body())

    # ---- court appearances

    async def find_appearance_by_dps_id(self, dps_appearance_id: str) -> CourtAppearanceMappingDto | None:
        data = await self.client.get_json_or_none(
            f"{BASE}/court-appearances/dps-court-appearance-id/{segment(dps_appearance_id)}"
        )
        return None if data is None else CourtAppearanceMappingDto.model_validate(data)

    async def find_appearance_by_nomis_id(self, nomis_appearance_id: int) -> CourtAppearanceMappingDto | None:
        data = await self.client.get_json_or_none(
            f"{BASE}/court-appearances/nomis-court-appearance-id/{nomis_appearance_id}"
        )
        return None if data is None else CourtAppearanceMappingDto.model_validate(data)

    async def get_appearances_by_nomis_ids(
        self, nomis_appearance_ids: list[int]
    ) -> list[CourtAppearanceMappingDto]:
        data = await self.client.post_json(
            f"{BASE}/court-appearances/nomis-court-appearance-ids/get-list", nomis_appearance_ids
        )
        return _APPEARANCE_MAPPINGS.validate_python(data or [])

    async def delete_appearance_by_dps_id(self, dps_appearance_id: str) -> None:
        await self.client.delete(
            f"{BASE}/court-appearances/dps-court-appearance-id/{segment(dps_appearance_id)}"
        )

    # ---- recall breach appearances

    async def create_recall(self, mappings: CourtAppearanceRecallMappingsDto) -> None:
        await self.client.post_json(f"{BASE}/court-appearances/recall", mappings.body())

    async def update_recall(self, recall_id: str, mappings: CourtAppearanceRecallMappingsUpdateDto) -> None:
        await self.client.put_json(f"{BASE}/court-appearances/recall/{segment(recall_id)}", mappings.body())

    async def get_recall_appearances(self, recall_id: str) -> list[CourtAppearanceRecallMappingDto]:
        """The recall's breach appearances; a 404 is an error (spec 2.17 step 5)."""
        data = await self.client.get_json(f"{BASE}/court-appearances/dps-recall-id/{segment(recall_id)}")
        return _RECALL_MAPPINGS.validate_python(data or [])

    async def find_recall_appearances(self, recall_id: str) -> list[CourtAppearanceRecallMappingDto]:
        """The recall's breach appearances, empty when the mapping API has none (404 or [])."""
        try:
            return await self.get_recall_appearances(recall_id)
        except HttpError as error:
            if error.status == 404:
                return []
            raise

    async def delete_recall(self, recall_id: str) -> None:
        await self.client.delete(f"{BASE}/court-appearances/dps-recall-id/{segment(recall_id)}")

    # ---- charges

    async def find_charge_by_dps_id(self, dps_charge_id: str) -> CourtChargeMappingDto | None:
        data = await self.client.get_json_or_none(
            f"{BASE}/court-charges/dps-court-charge-id/{segment(dps_charge_id)}"
        )
        return None if data is None else CourtChargeMappingDto.model_validate(data)

    async def find_charge_by_nomis_id(self, nomis_charge_id: int) -> CourtChargeMappingDto | None:
        data = await self.client.get_json_or_none(
            f"{BASE}/court-charges/nomis-court-charge-id/{nomis_charge_id}"
        )
        return None if data is None else CourtChargeMappingDto.model_validate(data)

    async def create_charge(self, mapping: CourtChargeMappingDto) -> None:
        await self.client.post_json(f"{BASE}/court-charges", mapping.body())

    async def update_charges(self, mappings: CourtChargeBatchUpdateMappingDto) -> None:
        await self.client.put_json(f"{BASE}/court-charges", mappings.body())

    # ---- sentences

    async def find_sentence_by_dps_id(self, dps_sentence_id: str) -> SentenceMappingDto | None:
        data = await self.client.get_json_or_none(
            f"{BASE}/sentences/dps-sentence-id/{segment(dps_sentence_id)}"
        )
        return None if data is None else SentenceMappingDto.model_validate(data)

    async def find_sentence_by_nomis_id(
        self, booking_id: int, sentence_seq: int
    ) -> SentenceMappingDto | None:
        data = await self.client.get_json_or_none(
            f"{BASE}/sentences/nomis-booking-id/{booking_id}/nomis-sentence-sequence/{sentence_seq}"
        )
        return None if data is None else SentenceMappingDto.model_validate(data)

    async def get_sentences_by_dps_ids(self, dps_sentence_ids: list[str]) -> list[SentenceMappingDto]:
        data = await self.client.post_json(f"{BASE}/sentences/dps-sentence-ids/get-list", dps_sentence_ids)
        return _SENTENCE_MAPPINGS.validate_python(data or [])

    async def create_sentence(self, mapping: SentenceMappingDto) -> None:
        await self.client.post_json(f"{BASE}/sentences", mapping.body())

    async def delete_sentence_by_dps_id(self, dps_sentence_id: str) -> None:
        await self.client.delete(f"{BASE}/sentences/dps-sentence-id/{segment(dps_sentence_id)}")

    # ---- sentence terms

    async def find_term_by_dps_id(self, dps_term_id: str) -> SentenceTermMappingDto | None:
        data = await self.client.get_json_or_none(f"{BASE}/sentence-terms/dps-term-id/{segment(dps_term_id)}")
        return None if data is None else SentenceTermMappingDto.model_validate(data)

    async def find_term_by_nomis_id(
        self, booking_id: int, sentence_seq: int, term_seq: int
    ) -> SentenceTermMappingDto | None:
        data = await self.client.get_json_or_none(
            f"{BASE}/sentence-terms/nomis-booking-id/{booking_id}/nomis-sentence-sequence/{sentence_seq}"
            f"/nomis-term-sequence/{term_seq}"
        )
        return None if data is None else SentenceTermMappingDto.model_validate(data)

    async def create_term(self, mapping: SentenceTermMappingDto) -> None:
        await self.client.post_json(f"{BASE}/sentence-terms", mapping.body())

    async def delete_term_by_dps_id(self, dps_term_id: str) -> None:
        await self.client.delete(f"{BASE}/sentence-terms/dps-term-id/{segment(dps_term_id)}")

    # ---- reconciliation reads (RECONCILIATION) ----
