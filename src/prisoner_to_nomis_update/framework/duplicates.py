"""Recorded duplicate alerts and the contract a domain's duplicate resolver fulfils.

Every `to-nomis-synch-<alert>-duplicate` telemetry event (emitted by `create_mapping` for a mapping
409) is kept as a `Duplicate`: the alert name (`visit`, `sentencing-adjustment`, `activity`, …) and its
properties (`existing*`: the mapping that is there, `duplicate*`: the one that was refused). A domain
resolves its own alerts through a `DuplicateResolver`; the framework only records, looks up and reports.
"""

from __future__ import annotations

import hashlib
import re
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol

from prisoner_to_nomis_update.framework.errors import Conflict

ALERT_EVENT = re.compile(r"^to-nomis-synch-(?P<alert>.+)-duplicate$")
DUPLICATE_ID = r"^[0-9a-f]{16}$"
DEFAULT_KEPT_PER_ALERT = 50


def alert_of(event_name: str) -> str | None:
    """`visit` for `to-nomis-synch-visit-duplicate`; None for any other event."""
    match = ALERT_EVENT.match(event_name)
    return match.group("alert") if match else None


def duplicate_id(alert: str, properties: dict[str, str]) -> str:
    """Derived from the alert's content, so the same alert recorded twice is one record."""
    text = alert + "\n" + "\n".join(f"{key}={value}" for key, value in sorted(properties.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class DuplicateStatus(StrEnum):
    OPEN = "OPEN"
    RESOLVING = "RESOLVING"
    RESOLVED = "RESOLVED"
    REFUSED = "REFUSED"
    FAILED = "FAILED"


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass
class Duplicate:
    id: str
    alert: str
    domain: str | None
    """The owning domain's name (`visits`), None when no domain declares a resolver for the alert."""
    properties: dict[str, str]
    resolvable: bool
    """False for alerts the service only reports (incentives, non-associations, unknown alerts)."""
    recorded_at: datetime = field(default_factory=now)
    status: DuplicateStatus = DuplicateStatus.OPEN
    outcome: str | None = None
    """What the last resolution attempt did, or why it was refused or failed."""
    updated_at: datetime | None = None
    resolved_by: str | None = None

    def value(self, key: str) -> str | None:
        """A property, with the `null` telemetry writes for a missing value read as absent."""
        value = self.properties.get(key)
        return None if value in (None, "", "null") else value

    def required(self, key: str) -> str:
        value = self.value(key)
        if value is None:
            raise DuplicateNotResolvable(f"The alert has no {key}, so the duplicate cannot be identified")
        return value

    def required_int(self, key: str) -> int:
        value = self.required(key)
        try:
            return int(value)
        except ValueError:
            raise DuplicateNotResolvable(f"The alert's {key} {value!r} is not a number") from None


class DuplicateNotResolvable(Conflict):
    """The duplicate cannot (or must not) be removed: answered 409 with the reason."""


class MappedRecordGone(DuplicateNotResolvable):
    """The record the mapping points at, or the mapping itself, no longer exists: nothing safe to keep."""


class DuplicateIsMapped(DuplicateNotResolvable):
    """The record the alert calls the duplicate is the mapped one (or mapped to something else)."""


class DuplicateResolver(Protocol):
    """Removes the duplicate NOMIS record one alert names, after checking it is safe to.

    `resolve` returns a sentence saying what it did. It raises `MappedRecordGone` when the mapping or
    the NOMIS record it points at is gone, `DuplicateIsMapped` when the duplicate is a mapped record,
    and lets downstream failures propagate.
    """

    @property
    def resolves(self) -> bool:
        """False for a domain whose duplicates are reported only."""
        ...

    async def resolve(self, duplicate: Duplicate) -> str: ...


class ReportOnly:
    """The resolver of a domain whose duplicates the runbook says to leave: resolving explains why not."""

    resolves = False

    def __init__(self, reason: str) -> None:
        self.reason = reason

    async def resolve(self, duplicate: Duplicate) -> str:
        raise DuplicateNotResolvable(self.reason)


class DuplicateLog:
    """The last `kept_per_alert` duplicates of each alert name, in memory, newest last."""

    def __init__(self, kept_per_alert: int = DEFAULT_KEPT_PER_ALERT) -> None:
        self.kept_per_alert = kept_per_alert
        self._by_id: dict[str, Duplicate] = {}
        self._order: dict[str, deque[str]] = {}

    def add(self, duplicate: Duplicate) -> Duplicate:
        """Keep `duplicate`, or return the record already kept for the same alert."""
        kept = self._by_id.get(duplicate.id)
        if kept is not None:
            return kept
        order = self._order.setdefault(duplicate.alert, deque())
        if len(order) >= self.kept_per_alert:
            self._by_id.pop(order.popleft(), None)
        order.append(duplicate.id)
        self._by_id[duplicate.id] = duplicate
        return duplicate

    def get(self, id: str) -> Duplicate | None:
        return self._by_id.get(id)

    def recent(self) -> list[Duplicate]:
        """Every kept duplicate, newest first (a dict keeps insertion order)."""
        return list(reversed(self._by_id.values()))

    def __len__(self) -> int:
        return len(self._by_id)
