"""RETRY_CREATE_MAPPING on the adjudication queue (spec 5): the mapping save again, never the NOMIS write."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel, ValidationError

from prisoner_to_nomis_update.domains.adjudications.mapping_saves import MappingSaves
from prisoner_to_nomis_update.domains.adjudications.models import (
    AdjudicationHearingMappingDto,
    AdjudicationMappingDto,
    AdjudicationPunishmentBatchMappingDto,
    AdjudicationPunishmentBatchUpdateMappingDto,
)
from prisoner_to_nomis_update.framework.messages import MalformedMessage, RetryMessage
from prisoner_to_nomis_update.framework.telemetry import Telemetry


class UnknownEntity(ValueError):
    pass


class MappingRetries:
    def __init__(self, saves: MappingSaves, telemetry: Telemetry) -> None:
        self.telemetry = telemetry
        # entity name -> (mapping model, save, success telemetry)
        self.entities: dict[str, tuple[type[BaseModel], Callable[[Any], Awaitable[None]], str]] = {
            "adjudication": (
                AdjudicationMappingDto,
                saves.adjudication,
                "adjudication-create-mapping-retry-success",
            ),
            "hearing": (AdjudicationHearingMappingDto, saves.hearing, "hearing-create-mapping-retry-success"),
            "punishment": (
                AdjudicationPunishmentBatchMappingDto,
                saves.punishments,
                "punishment-create-mapping-retry-success",
            ),
            "punishment-update": (
                AdjudicationPunishmentBatchUpdateMappingDto,
                saves.punishments_update,
                "punishment-update-mapping-retry-success",
            ),
            "punishment-delete": (
                AdjudicationPunishmentBatchUpdateMappingDto,
                saves.punishments_update,
                "punishment-delete-mapping-retry-success",
            ),
            "punishment-unquash": (
                AdjudicationPunishmentBatchUpdateMappingDto,
                saves.punishments_update,
                "punishment-unquash-mapping-retry-success",
            ),
        }

    async def retry(self, message: RetryMessage) -> None:
        """A failure raises: the dispatcher reports `create-mapping-retry-failure` and SQS redelivers."""
        entity = self.entities.get(message.entity_name or "")
        if entity is None:
            raise UnknownEntity(f"Unknown entity type: {message.entity_name}")
        model, save, success = entity
        try:
            mapping = model.model_validate(message.mapping)
        except ValidationError as error:
            raise MalformedMessage(f"{message.entity_name} retry mapping is invalid: {error}") from None
        await save(mapping)
        self.telemetry.track_event(success, message.telemetry_attributes)
