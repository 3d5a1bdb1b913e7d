"""Records every duplicate alert, and resolves one on request or, where switched on, automatically.

It is a telemetry exporter: whichever code emits `to-nomis-synch-<alert>-duplicate` (today
`create_mapping`), the alert is recorded, so a new domain's duplicates appear without any code of its
own. Resolving hands the record to the resolver its domain declares (`Domain.duplicate_resolvers`) and
reports the outcome as `to-nomis-synch-<alert>-duplicate-resolved` or `…-duplicate-resolution-failed`.

Automatic resolution (`DUPLICATE_AUTO_RESOLVE_<DOMAIN>=true`) waits `DUPLICATE_AUTO_RESOLVE_DELAY`
first: the handler that raised the alert may still be running and, in some domains, removes the
duplicate it made itself; the resolver then finds it gone and records that.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from prisoner_to_nomis_update.framework.duplicates import (
    DEFAULT_KEPT_PER_ALERT,
    Duplicate,
    DuplicateLog,
    DuplicateNotResolvable,
    DuplicateResolver,
    DuplicateStatus,
    alert_of,
    duplicate_id,
    now,
)
from prisoner_to_nomis_update.framework.errors import Conflict, NotFound
from prisoner_to_nomis_update.framework.http import ApiConnectionError, HttpError
from prisoner_to_nomis_update.framework.synchronise import reason_of
from prisoner_to_nomis_update.framework.telemetry import Telemetry, TelemetryEvent
from prisoner_to_nomis_update.settings import ConfigError, Settings, switch_name

if TYPE_CHECKING:
    from prisoner_to_nomis_update.framework.domain import Domain

log = logging.getLogger(__name__)

AUTOMATIC = "automatic"


class ResolutionFailed(Exception):
    """A downstream API failed while resolving: answered 502, and the record can be resolved again."""


class DuplicateResolution:
    def __init__(
        self,
        telemetry: Telemetry,
        resolvers: Mapping[str, tuple[str, DuplicateResolver]],
        auto_domains: frozenset[str] = frozenset(),
        auto_delay_seconds: float = 10.0,
        kept_per_alert: int = DEFAULT_KEPT_PER_ALERT,
    ) -> None:
        self.telemetry = telemetry
        self.resolvers = dict(resolvers)
        """alert name -> (domain name, resolver)"""
        self.auto_domains = auto_domains
        self.auto_delay_seconds = auto_delay_seconds
        self.log = DuplicateLog(kept_per_alert)
        self._auto_tasks: set[asyncio.Task[None]] = set()
        self._closed = False
        telemetry.add_exporter(self)

    @classmethod
    def for_domains(
        cls, domains: Sequence[Domain], telemetry: Telemetry, settings: Settings
    ) -> DuplicateResolution:
        """Wire the domains' resolvers and check every auto-resolve switch names a domain that can."""
        resolvers = {
            alert: (domain.name, resolver)
            for domain in domains
            for alert, resolver in domain.duplicate_resolvers.items()
        }
        by_switch = {switch_name(domain.name): domain for domain in domains}
        for wanted in sorted(settings.duplicate_auto_resolve):
            variable = f"DUPLICATE_AUTO_RESOLVE_{wanted.upper()}"
            domain = by_switch.get(wanted)
            if domain is None:
                raise ConfigError(
                    f"{variable}: no domain {wanted!r} runs in this service (known: {', '.join(sorted(by_switch))})"
                )
            if not any(resolver.resolves for resolver in domain.duplicate_resolvers.values()):
                raise ConfigError(f"{variable}: {domain.name} duplicates are reported only, never resolved")
        return cls(
            telemetry,
            resolvers,
            settings.duplicate_auto_resolve,
            settings.duplicate_auto_resolve_delay,
        )

    @property
    def scheduled(self) -> int:
        """Automatic resolutions waiting for their delay or running."""
        return len(self._auto_tasks)

    # ---- recording (the telemetry exporter) ------------------------------------------------------

    def export(self, event: TelemetryEvent) -> None:
        alert = alert_of(event.name)
        if alert is None:
            return
        owner = self.resolvers.get(alert)
        duplicate = self.log.add(
            Duplicate(
                id=duplicate_id(alert, event.properties),
                alert=alert,
                domain=owner[0] if owner else None,
                properties=dict(event.properties),
                resolvable=owner is not None and owner[1].resolves,
            )
        )
        if self._resolves_automatically(duplicate):
            self._schedule(duplicate.id)

    async def close(self) -> None:
        """Cancel pending automatic resolutions (called before the API clients close)."""
        self._closed = True
        tasks = list(self._auto_tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _resolves_automatically(self, duplicate: Duplicate) -> bool:
        return (
            not self._closed
            and duplicate.resolvable
            and duplicate.status is DuplicateStatus.OPEN
            and duplicate.domain is not None
            and switch_name(duplicate.domain) in self.auto_domains
        )

    def _schedule(self, id: str) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            # Telemetry from synchronous code (no loop): leave the alert for an operator.
            log.warning("Duplicate %s not resolved automatically: no event loop", id)
            return
        task = loop.create_task(self._resolve_later(id), name=f"resolve-duplicate-{id}")
        self._auto_tasks.add(task)
        task.add_done_callback(self._auto_tasks.discard)

    async def _resolve_later(self, id: str) -> None:
        await asyncio.sleep(self.auto_delay_seconds)
        try:
            await self.resolve(id, AUTOMATIC)
        except (Conflict, NotFound, ResolutionFailed) as error:
            # Already reported as `…-duplicate-resolution-failed` (or resolved meanwhile by hand).
            log.warning("Automatic resolution of duplicate %s did not complete: %s", id, error)
        except Exception:
            log.exception("Automatic resolution of duplicate %s failed", id)

    # ---- resolving -----------------------------------------------------------------------------

    def get(self, id: str) -> Duplicate:
        duplicate = self.log.get(id)
        if duplicate is None:
            raise NotFound(
                f"duplicate {id} not found: this pod has no record of it (each pod keeps the last "
                f"{self.log.kept_per_alert} duplicates of each alert it raised, in memory)"
            )
        return duplicate

    async def resolve(self, id: str, requested_by: str) -> Duplicate:
        """Resolve one recorded duplicate; raises NotFound, Conflict (409) or ResolutionFailed (502)."""
        duplicate = self.get(id)
        if duplicate.status is DuplicateStatus.RESOLVED:
            raise Conflict(f"Duplicate {id} is already resolved: {duplicate.outcome}")
        if duplicate.status is DuplicateStatus.RESOLVING:
            raise Conflict(f"Duplicate {id} is being resolved")
        owner = self.resolvers.get(duplicate.alert)
        if owner is None:
            raise DuplicateNotResolvable(
                f"This service has no resolution for {duplicate.alert} duplicates: follow the runbook"
            )
        resolver = owner[1]
        if not duplicate.resolvable:
            # Reported only: the resolver says why; nothing was attempted, so nothing is recorded.
            await resolver.resolve(duplicate)
            raise DuplicateNotResolvable(f"{duplicate.alert} duplicates are reported only")
        duplicate.status = DuplicateStatus.RESOLVING
        try:
            outcome = await resolver.resolve(duplicate)
        except DuplicateNotResolvable as refusal:
            self._finish(duplicate, DuplicateStatus.REFUSED, str(refusal), requested_by)
            raise
        except (HttpError, ApiConnectionError) as error:
            self._finish(duplicate, DuplicateStatus.FAILED, reason_of(error), requested_by)
            raise ResolutionFailed(reason_of(error)) from error
        except BaseException as error:
            # Cancelled or a bug: never leave the record stuck in RESOLVING.
            self._finish(duplicate, DuplicateStatus.FAILED, reason_of(error), requested_by)
            raise
        self._finish(duplicate, DuplicateStatus.RESOLVED, outcome, requested_by)
        return duplicate

    def _finish(self, duplicate: Duplicate, status: DuplicateStatus, outcome: str, by: str) -> None:
        duplicate.status = status
        duplicate.outcome = outcome
        duplicate.updated_at = now()
        duplicate.resolved_by = by
        properties = {
            **duplicate.properties,
            "duplicateRecordId": duplicate.id,
            "resolvedBy": by,
            ("resolution" if status is DuplicateStatus.RESOLVED else "reason"): outcome,
        }
        suffix = "resolved" if status is DuplicateStatus.RESOLVED else "resolution-failed"
        self.telemetry.track_event(f"to-nomis-synch-{duplicate.alert}-duplicate-{suffix}", properties)
