"""Mapping saves that know a repeat of their own work when they see it.

A save repeated after its first answer was lost (a timeout, a crash before the SQS delete, a
RETRY_CREATE_MAPPING that raced the original) is answered 409 by the mapping API. When the rows the
409 names are exactly the ones being saved, the work is done: success, not a duplicate. Any other
409 is raised and becomes the `to-nomis-synch-<entity>-duplicate` alert.
"""

from __future__ import annotations

import logging

from prisoner_to_nomis_update.domains.adjudications.clients import AdjudicationMappingApi
from prisoner_to_nomis_update.domains.adjudications.models import (
    AdjudicationHearingMappingDto,
    AdjudicationMappingDto,
    AdjudicationPunishmentBatchMappingDto,
    AdjudicationPunishmentBatchUpdateMappingDto,
    AdjudicationPunishmentMappingDto,
)
from prisoner_to_nomis_update.framework.http import HttpError
from prisoner_to_nomis_update.framework.synchronise import is_own_duplicate

log = logging.getLogger(__name__)

SAME_ADJUDICATION = ("chargeNumber", "adjudicationNumber", "chargeSequence")
SAME_HEARING = ("dpsHearingId", "nomisHearingId")


class MappingSaves:
    def __init__(self, mappings: AdjudicationMappingApi) -> None:
        self.mappings = mappings

    async def adjudication(self, mapping: AdjudicationMappingDto) -> None:
        try:
            await self.mappings.create_adjudication(mapping)
        except HttpError as error:
            if not is_own_duplicate(error, mapping, SAME_ADJUDICATION):
                raise
            log.info("Adjudication mapping %s was already saved", mapping)

    async def hearing(self, mapping: AdjudicationHearingMappingDto) -> None:
        try:
            await self.mappings.create_hearing(mapping)
        except HttpError as error:
            if not is_own_duplicate(error, mapping, SAME_HEARING):
                raise
            log.info("Hearing mapping %s was already saved", mapping)

    async def punishments(self, mapping: AdjudicationPunishmentBatchMappingDto) -> None:
        try:
            await self.mappings.create_punishments(mapping)
        except HttpError as error:
            if error.status != 409 or not await self._all_saved(mapping.punishments):
                raise
            log.info("Punishment mappings %s were already saved", mapping)

    async def punishments_update(self, mapping: AdjudicationPunishmentBatchUpdateMappingDto) -> None:
        try:
            await self.mappings.update_punishments(mapping)
        except HttpError as error:
            # The batch is one transaction: its creates all being in place means it was applied.
            if error.status != 409 or not await self._all_saved(mapping.punishmentsToCreate):
                raise
            log.info("Punishment mapping update %s was already applied", mapping)

    async def _all_saved(self, rows: list[AdjudicationPunishmentMappingDto]) -> bool:
        """Every row already maps its DPS punishment to the same NOMIS award (one read per row)."""
        for row in rows:
            saved = await self.mappings.find_punishment(row.dpsPunishmentId)
            if saved is None or (saved.nomisBookingId, saved.nomisSanctionSequence) != (
                row.nomisBookingId,
                row.nomisSanctionSequence,
            ):
                return False
        return bool(rows)
