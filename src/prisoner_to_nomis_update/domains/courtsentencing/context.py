"""What every court-sentencing handler works with: the three APIs, telemetry, the two outbound queues, locks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from prisoner_to_nomis_update.domains.courtsentencing.clients import (
    CourtSentencingApi,
    CourtSentencingMappingApi,
    NomisCourtSentencingApi,
)
from prisoner_to_nomis_update.domains.courtsentencing.resync import ResyncQueue
from prisoner_to_nomis_update.framework.locks import KeyedLocks
from prisoner_to_nomis_update.framework.synchronise import RetryQueue
from prisoner_to_nomis_update.framework.telemetry import Telemetry


@dataclass
class CourtSentencingContext:
    dps: CourtSentencingApi
    nomis: NomisCourtSentencingApi
    mappings: CourtSentencingMappingApi
    telemetry: Telemetry
    retry_queue: RetryQueue
    resync: ResyncQueue
    locks: KeyedLocks = field(default_factory=KeyedLocks)

    @asynccontextmanager
    async def writing_for(self, offender_no: str) -> AsyncIterator[None]:
        """Creates and clones for one prisoner run one at a time in this process.

        Two deliveries of the same event (an SNS duplicate, a visibility timeout running out mid-work)
        then see each other's mapping instead of both writing to NOMIS; different prisoners still run
        in parallel.
        """
        async with self.locks.hold(offender_no):
            yield
