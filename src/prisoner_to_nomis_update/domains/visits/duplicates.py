"""Resolving `to-nomis-synch-visit-duplicate`: cancel the second NOMIS visit made for one DPS visit.

The runbook's action, made one step: the DPS visit (`existingVsipId`) stays mapped to its NOMIS visit
(`existingNomisId`), and the other NOMIS visit (`duplicateNomisId`) is cancelled with outcome ADMIN, the
outcome NOMIS uses for administrative cancellations. Cancelling (not deleting) is what a visit
cancellation does everywhere else in this service, and keeps the NOMIS audit trail.
"""

from __future__ import annotations

from prisoner_to_nomis_update.domains.visits.clients import NomisVisitsApi, VisitMappingApi
from prisoner_to_nomis_update.domains.visits.models import CancelVisitRequest
from prisoner_to_nomis_update.framework.duplicates import Duplicate, DuplicateIsMapped, MappedRecordGone

ALERT = "visit"
ADMIN_OUTCOME = "ADMIN"


class VisitDuplicateResolver:
    resolves = True

    def __init__(self, nomis: NomisVisitsApi, mappings: VisitMappingApi) -> None:
        self.nomis = nomis
        self.mappings = mappings

    async def resolve(self, duplicate: Duplicate) -> str:
        vsip_id = duplicate.required("existingVsipId")
        duplicate_nomis_id = duplicate.required("duplicateNomisId")
        mapping = await self.mappings.find_by_vsip_id(vsip_id)
        if mapping is None:
            raise MappedRecordGone(f"DPS visit {vsip_id} is no longer mapped to a NOMIS visit")
        if mapping.nomisId == duplicate_nomis_id:
            raise DuplicateIsMapped(
                f"NOMIS visit {duplicate_nomis_id} is the one DPS visit {vsip_id} is mapped to"
            )
        claimed = await self.mappings.find_by_nomis_id(duplicate_nomis_id)
        if claimed is not None:
            raise DuplicateIsMapped(
                f"NOMIS visit {duplicate_nomis_id} is mapped to DPS visit {claimed.vsipId}"
            )
        if await self.nomis.find_visit(mapping.nomisId) is None:
            raise MappedRecordGone(
                f"NOMIS visit {mapping.nomisId}, which DPS visit {vsip_id} is mapped to, no longer exists"
            )
        surplus = await self.nomis.find_visit(duplicate_nomis_id)
        if surplus is None:
            return f"NOMIS visit {duplicate_nomis_id} no longer exists: nothing to cancel"
        # A visit already cancelled answers 409, which the client treats as done.
        await self.nomis.cancel_visit(
            surplus.offenderNo,
            duplicate_nomis_id,
            CancelVisitRequest(
                offenderNo=surplus.offenderNo, nomisVisitId=duplicate_nomis_id, outcome=ADMIN_OUTCOME
            ),
        )
        return (
            f"Cancelled NOMIS visit {duplicate_nomis_id} of {surplus.offenderNo} (outcome {ADMIN_OUTCOME}); "
            f"DPS visit {vsip_id} stays mapped to NOMIS visit {mapping.nomisId}"
        )
