"""Adjudications in the sandbox: Manage Adjudications (DPS), NOMIS adjudications and their mappings.

`dps` keeps charges and publishes their events (see its control endpoints), `nomis` keeps NOMIS
adjudications, hearings, results and awards, `mapping` the charge, hearing and punishment mappings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hmpps_sandbox.domains.adjudications.dps import (
    DEFAULT_LOCATION_UUID,
    DPS_NAME,
    EVENTS,
    DpsAdjudications,
    default_charge,
    default_hearing,
    default_punishment,
)
from hmpps_sandbox.domains.adjudications.mapping import AdjudicationMappings
from hmpps_sandbox.domains.adjudications.nomis import NomisAdjudications

if TYPE_CHECKING:
    from hmpps_sandbox.estate import Estate

QUEUE_ID = "adjudication"
# The NOMIS internal location the default DPS location maps to.
DEFAULT_NOMIS_LOCATION = 197683

__all__ = [
    "DEFAULT_LOCATION_UUID",
    "DEFAULT_NOMIS_LOCATION",
    "EVENTS",
    "AdjudicationsFakes",
    "default_charge",
    "default_hearing",
    "default_punishment",
    "install",
]


class AdjudicationsFakes:
    def __init__(self, estate: Estate) -> None:
        prisoners = estate.plugins["prisoners"]

        def booking_of(offender_no: str) -> int:
            return int(prisoners.ensure(offender_no).bookingId)

        self.dps = DpsAdjudications(estate.publish, booking_of)
        estate.add_dps(DPS_NAME, self.dps.api)
        self.nomis = NomisAdjudications(estate.nomis, booking_of)
        self.mappings = AdjudicationMappings(estate.mapping, self._location_mappings(estate))

    @staticmethod
    def _location_mappings(estate: Estate) -> dict[str, int]:
        """DPS locations are the estate's, not one domain's: share the table another plugin keeps."""
        for plugin in estate.plugins.values():
            shared: Any = getattr(plugin, "location_mappings", None)
            if isinstance(shared, dict):
                return shared
        own: dict[str, int] = {}
        estate.mapping.on_reset(own.clear)
        return own

    @property
    def locations(self) -> dict[str, int]:
        return self.mappings.locations


def install(estate: Estate) -> AdjudicationsFakes:
    estate.add_queue(QUEUE_ID, EVENTS)
    fakes = AdjudicationsFakes(estate)

    def default_location() -> None:
        # After the reset hooks that clear the shared table, so the default DPS location always maps.
        fakes.locations.setdefault(DEFAULT_LOCATION_UUID, DEFAULT_NOMIS_LOCATION)

    default_location()
    estate.mapping.on_reset(default_location)
    return fakes
