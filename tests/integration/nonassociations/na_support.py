"""Shared set-up for the non-association integration tests."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from hmpps_sandbox.domains.nonassociations import NonAssociationsFakes
from hmpps_sandbox.estate import Estate
from hmpps_sandbox.harness import ServiceHarness, running_service
from prisoner_to_nomis_update.domains import nonassociations

QUEUE = "nonassociation"


def fakes(estate: Estate) -> NonAssociationsFakes:
    plugin: NonAssociationsFakes = estate.plugins["nonassociations"]
    return plugin


@contextlib.asynccontextmanager
async def na_service(estate: Estate, **env: str) -> AsyncIterator[ServiceHarness]:
    """The service with only this domain (other domains' fakes are not needed here)."""
    async with running_service(estate, queues=[QUEUE], domains=[nonassociations.build], env=env) as harness:
        yield harness


def mapping_row(
    nonassociation_id: int, first: str = "A1234AA", second: str = "B1234BB", sequence: int = 1
) -> dict[str, Any]:
    return {
        "nonAssociationId": nonassociation_id,
        "firstOffenderNo": first,
        "secondOffenderNo": second,
        "nomisTypeSequence": sequence,
    }
