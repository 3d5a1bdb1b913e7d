"""The clients and services every adjudications handler uses, built once per process."""

from __future__ import annotations

from dataclasses import dataclass

from prisoner_to_nomis_update.domains.adjudications.clients import (
    AdjudicationMappingApi,
    AdjudicationsApi,
    NomisAdjudicationsApi,
)
from prisoner_to_nomis_update.framework.synchronise import RetryQueue
from prisoner_to_nomis_update.framework.telemetry import Telemetry

QUEUE_ID = "adjudication"


@dataclass(frozen=True)
class Apis:
    dps: AdjudicationsApi
    nomis: NomisAdjudicationsApi
    mappings: AdjudicationMappingApi
    telemetry: Telemetry
    retry_queue: RetryQueue
