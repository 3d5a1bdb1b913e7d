"""Saving an appearance create's (or a booking repair's) mappings and telling the from-NOMIS side about clones.

"Update mappings and notify" of spec 1.9: one PUT update-create moves the cloned cases' mappings and adds
the new ones, then the case.booking message and one adjustment message per adjustment id are sent.
"""

from __future__ import annotations

from prisoner_to_nomis_update.domains.courtsentencing.context import CourtSentencingContext
from prisoner_to_nomis_update.domains.courtsentencing.models import CourtCaseMappingsAndClones
from prisoner_to_nomis_update.framework.http import HttpError


async def update_mappings_and_notify(
    context: CourtSentencingContext, wrapper: CourtCaseMappingsAndClones
) -> None:
    try:
        await context.mappings.update_and_create(wrapper.mappings)
    except HttpError as error:
        if error.status != 409 or not await _already_saved(context, wrapper):
            raise
    details = wrapper.clonedClonedCourtCaseDetails
    if details is not None:
        await context.resync.cases_moved(wrapper.offenderNo, details)
        await context.resync.adjustments(wrapper.offenderNo, details.sentenceAdjustments)


async def _already_saved(context: CourtSentencingContext, wrapper: CourtCaseMappingsAndClones) -> bool:
    """A 409 because this very batch landed before (its answer was lost): every new appearance is mapped as wanted.

    The mapping API applies the batch in one transaction, so the clone updates landed with it.
    """
    wanted = wrapper.mappings.mappingsToCreate.courtAppearances
    if not wanted:
        return False
    for appearance in wanted:
        saved = await context.mappings.find_appearance_by_dps_id(appearance.dpsCourtAppearanceId)
        if saved is None or saved.nomisCourtAppearanceId != appearance.nomisCourtAppearanceId:
            return False
    return True
