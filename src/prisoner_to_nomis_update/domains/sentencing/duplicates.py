"""Resolving `to-nomis-synch-sentencing-adjustment-duplicate`: delete the surplus NOMIS adjustment.

A second NOMIS adjustment for one DPS adjustment moves a release date, so it must go; the DPS
adjustment (`existingAdjustmentId`) stays mapped to its NOMIS adjustment. The delete is the service's
own clean-up (`delete_unmapped_nomis_adjustment`, also `DELETE /sentencing-adjustments/…`), which refuses
while any mapping claims the NOMIS adjustment.
"""

from __future__ import annotations

from prisoner_to_nomis_update.domains.sentencing.clients import AdjustmentMappingApi, NomisAdjustmentsApi
from prisoner_to_nomis_update.domains.sentencing.models import KEY_DATE, SENTENCE
from prisoner_to_nomis_update.domains.sentencing.service import SentencingService
from prisoner_to_nomis_update.framework.duplicates import (
    Duplicate,
    DuplicateIsMapped,
    DuplicateNotResolvable,
    MappedRecordGone,
)
from prisoner_to_nomis_update.framework.errors import Conflict

ALERT = "sentencing-adjustment"


class AdjustmentDuplicateResolver:
    resolves = True

    def __init__(
        self, service: SentencingService, nomis: NomisAdjustmentsApi, mappings: AdjustmentMappingApi
    ) -> None:
        self.service = service
        self.nomis = nomis
        self.mappings = mappings

    async def resolve(self, duplicate: Duplicate) -> str:
        adjustment_id = duplicate.required("existingAdjustmentId")
        category = duplicate.required("duplicateNomisAdjustmentCategory")
        if category not in (SENTENCE, KEY_DATE):
            raise DuplicateNotResolvable(f"The alert's NOMIS adjustment category {category!r} is unknown")
        nomis_id = duplicate.required_int("duplicateNomisAdjustmentId")
        mapping = await self.mappings.find(adjustment_id)
        if mapping is None:
            raise MappedRecordGone(
                f"DPS adjustment {adjustment_id} is no longer mapped to a NOMIS adjustment"
            )
        mapped = f"NOMIS {mapping.nomisAdjustmentCategory} adjustment {mapping.nomisAdjustmentId}"
        if (mapping.nomisAdjustmentCategory, mapping.nomisAdjustmentId) == (category, nomis_id):
            raise DuplicateIsMapped(f"{mapped} is the one DPS adjustment {adjustment_id} is mapped to")
        if not await self.nomis.adjustment_exists(mapping.nomisAdjustmentCategory, mapping.nomisAdjustmentId):
            raise MappedRecordGone(
                f"{mapped}, which DPS adjustment {adjustment_id} is mapped to, no longer exists"
            )
        surplus = f"NOMIS {category} adjustment {nomis_id}"
        if not await self.nomis.adjustment_exists(category, nomis_id):
            return f"{surplus} no longer exists: nothing to delete"
        try:
            await self.service.delete_unmapped_nomis_adjustment(category, nomis_id)
        except Conflict as refused:
            raise DuplicateIsMapped(str(refused)) from None
        return f"Deleted {surplus}; DPS adjustment {adjustment_id} stays mapped to {mapped}"
