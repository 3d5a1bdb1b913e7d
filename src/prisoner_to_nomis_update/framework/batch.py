"""Helpers for batch jobs that are framework operations rather than domain reports (framework.md 10.2).

`PURGE_ACTIVITY_DLQ` purges whichever queue or DLQ carries a configured name, using the same lookup
and purge as `PUT /queue-admin/purge-queue/{name}`, so a cron job and an operator behave identically.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from prisoner_to_nomis_update.framework.queues import QueueService
from prisoner_to_nomis_update.settings import ConfigError, Settings

log = logging.getLogger(__name__)


async def purge_queue_by_name(queues: QueueService, name: str) -> int:
    """Purge the main queue (never `audit`) or DLQ called `name`; returns the messages found.

    Raises ValueError("<name> not found") when no configured queue or DLQ has that name, which fails
    the batch run (non-zero exit) as the original's IllegalArgumentException does.
    """
    found = queues.find_queue_to_purge(name)
    if found is None:
        raise ValueError(f"{name} not found")
    _, url = found
    count = await queues.purge(name, url)
    log.info("Purge of %s found %d messages", name, count)
    return count


def dlq_name_variable(queue_id: str) -> str:
    return f"HMPPS_SQS_QUEUES_{queue_id.upper()}_DLQ_NAME"


def purge_dlq_job(queues: QueueService, settings: Settings, queue_id: str) -> Callable[[], Awaitable[None]]:
    """A batch job purging the DLQ named by `HMPPS_SQS_QUEUES_<ID>_DLQ_NAME` (e.g. PURGE_ACTIVITY_DLQ).

    The name is read when the job runs, not when the domain is built, so serve mode never needs it.
    """

    async def job() -> None:
        variable = dlq_name_variable(queue_id)
        configured = settings.queues.get(queue_id)
        name = configured.dlq_name if configured is not None else (settings.env.get(variable) or "").strip()
        if not name:
            raise ConfigError(f"{variable} must name the DLQ to purge")
        await purge_queue_by_name(queues, name)

    return job
