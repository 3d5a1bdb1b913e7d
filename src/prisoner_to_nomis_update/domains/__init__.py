"""Every domain the service runs: one line each."""

from __future__ import annotations

from prisoner_to_nomis_update.domains import (
    activities,
    adjudications,
    courtsentencing,
    incentives,
    nonassociations,
    sentencing,
    visits,
)
from prisoner_to_nomis_update.framework.domain import DomainFactory

DOMAINS: list[DomainFactory] = [
    visits.build,
    activities.build,
    incentives.build,
    nonassociations.build,
    sentencing.build,
    courtsentencing.build,
    adjudications.build,
]
