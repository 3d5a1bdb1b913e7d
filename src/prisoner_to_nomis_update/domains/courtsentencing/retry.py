"""RETRY_CREATE_MAPPING messages on the courtsentencing queue (spec 3).

Each entity name re-runs only the mapping work its handler could not finish. A failure raises, so the
framework reports `create-mapping-retry-failure` and SQS redelivers the message until the DLQ.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel, ValidationError

from prisoner_to_nomis_update.domains.courtsentencing.appearances import AppearanceHandlers
from prisoner_to_nomis_update.domains.courtsentencing.cases import CASE_LINK
from prisoner_to_nomis_update.domains.courtsentencing.charges import CHARGE_LINK
from prisoner_to_nomis_update.domains.courtsentencing.clone_mappings import update_mappings_and_notify
from prisoner_to_nomis_update.domains.courtsentencing.context import CourtSentencingContext
from prisoner_to_nomis_update.domains.courtsentencing.models import (
    CourtCaseAllMappingDto,
    CourtCaseMappingsAndClones,
    CourtChargeBatchUpdateMappingDto,
    CourtChargeMappingDto,
    DeletedMapping,
    RecallMappingsAndClones,
    RecallUpdateMappings,
    SentenceMappingDto,
    SentenceTermMappingDto,
)
from prisoner_to_nomis_update.domains.courtsentencing.recalls import RecallHandlers
from prisoner_to_nomis_update.domains.courtsentencing.sentences import SENTENCE_LINK
from prisoner_to_nomis_update.domains.courtsentencing.terms import TERM_LINK
from prisoner_to_nomis_update.framework.http import HttpError
from prisoner_to_nomis_update.framework.messages import MalformedMessage, RetryMessage
from prisoner_to_nomis_update.framework.synchronise import is_own_duplicate


def parse(model: type[BaseModel], message: RetryMessage) -> Any:
    try:
        return model.model_validate(message.mapping)
    except ValidationError as error:
        raise MalformedMessage(f"{message.entity_name} retry mapping is invalid: {error}") from None


async def post_once(
    post: Callable[[], Awaitable[None]], mapping: BaseModel, same_link: tuple[str, ...]
) -> None:
    """A 409 naming this very mapping means an earlier POST landed: done."""
    try:
        await post()
    except HttpError as error:
        if not is_own_duplicate(error, mapping, same_link):
            raise


class CourtSentencingRetries:
    def __init__(
        self, context: CourtSentencingContext, appearances: AppearanceHandlers, recalls: RecallHandlers
    ) -> None:
        self.context = context
        self.appearances = appearances
        self.recalls = recalls

    async def retry_create_mapping(self, message: RetryMessage) -> None:
        context = self.context
        mappings = context.mappings
        attributes = message.telemetry_attributes
        entity = message.entity_name
        if entity == "court-case":
            case = parse(CourtCaseAllMappingDto, message)
            await post_once(lambda: mappings.create_case(case), case, CASE_LINK)
            success = "court-case-create-mapping-retry-success"
        elif entity == "court-appearance":
            await self.appearances.save_mappings(parse(CourtCaseMappingsAndClones, message), dict(attributes))
            success = "court-appearance-create-mapping-retry-success"
        elif entity == "court-appearance-recall":
            await self.recalls.save_recall_mappings(parse(RecallMappingsAndClones, message), dict(attributes))
            success = "court-appearance-recall-create-mapping-retry-success"
        elif entity == "court-appearance-recall-update":
            await self.recalls.update_recall_mappings(parse(RecallUpdateMappings, message))
            success = "court-appearance-recall-update-mapping-retry-success"
        elif entity == "charge":
            await self._charges(message)
            success = "charge-create-mapping-retry-success"
        elif entity == "sentence":
            sentence = parse(SentenceMappingDto, message)
            await post_once(lambda: mappings.create_sentence(sentence), sentence, SENTENCE_LINK)
            success = "sentence-mapping-retry-success"
        elif entity == "sentence-term":
            term = parse(SentenceTermMappingDto, message)
            await post_once(lambda: mappings.create_term(term), term, TERM_LINK)
            success = "sentence-term-mapping-retry-success"
        elif entity == "court-case-clone":
            await update_mappings_and_notify(context, parse(CourtCaseMappingsAndClones, message))
            success = "court-case-cloned-repair"
        elif entity == "sentence-deleted":
            await mappings.delete_sentence_by_dps_id(parse(DeletedMapping, message).dpsId)
            success = "sentence-delete-mapping-retry-success"
        elif entity == "sentence-term-deleted":
            await mappings.delete_term_by_dps_id(parse(DeletedMapping, message).dpsId)
            success = "sentence-term-delete-mapping-retry-success"
        else:
            raise MalformedMessage(f"Unknown entity type: {entity}")
        context.telemetry.track_event(success, attributes)

    async def _charges(self, message: RetryMessage) -> None:
        """A single charge mapping (charge create), or the batch an appearance update removes (spec Q9).

        The original retried the batch as a single mapping, which always failed into the DLQ; both
        shapes are handled here so the removed charges' mappings do get deleted.
        """
        mappings = self.context.mappings
        if "courtChargesToDelete" in message.mapping or "courtChargesToCreate" in message.mapping:
            await mappings.update_charges(parse(CourtChargeBatchUpdateMappingDto, message))
            return
        charge = parse(CourtChargeMappingDto, message)
        await post_once(lambda: mappings.create_charge(charge), charge, CHARGE_LINK)
