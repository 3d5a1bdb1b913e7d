"""Paging and bounded-concurrency helpers every reconciliation report uses (framework.md 9).

All three styles stream ids through a bounded buffer to a fixed pool of workers, so memory stays flat
however many prisoners there are and no more than `thread_count` checks run at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

I = TypeVar("I")  # noqa: E741 - an id of the report's item type
R = TypeVar("R")
P = TypeVar("P")

MAX_PAGE_ERRORS = 30


def as_pages(total: int, page_size: int) -> list[tuple[int, int]]:
    """(page, size) for pages 0..total // page_size inclusive, as the original pages reports.

    When `total` is a multiple of `page_size` the last page is empty; with `total` 0 it is page 0.
    """
    return [(page, page_size) for page in range(total // page_size + 1)]


@dataclass
class ReconciliationResult(Generic[R]):
    mismatches: list[R] = field(default_factory=list)
    items_checked: int = 0
    pages_checked: int = 0


@dataclass
class IdPage(Generic[I]):
    ids: list[I]
    last: I | None


async def _consume(
    ids: AsyncIterator[I],
    thread_count: int,
    check_match: Callable[[I], Awaitable[R | None]],
    result: ReconciliationResult[R],
    buffer_size: int,
) -> None:
    """Run `check_match` over a stream of ids with `thread_count` workers and a bounded buffer."""
    queue: asyncio.Queue[I | None] = asyncio.Queue(maxsize=max(buffer_size, 1))

    async def worker() -> None:
        while True:
            item = await queue.get()
            if item is None:
                return
            mismatch = await check_match(item)
            result.items_checked += 1
            if mismatch is not None:
                result.mismatches.append(mismatch)

    workers = [asyncio.create_task(worker()) for _ in range(thread_count)]
    try:
        async for item in ids:
            await queue.put(item)
        for _ in workers:
            await queue.put(None)
        await asyncio.gather(*workers)
    except BaseException:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        raise


async def generate_reconciliation_report(
    *,
    thread_count: int,
    check_match: Callable[[I], Awaitable[R | None]],
    next_page: Callable[[I | None], Awaitable[IdPage[I]]],
    page_size: int | None = None,
    skip_ahead: Callable[[I | None, int], I | None] | None = None,
) -> ReconciliationResult[R]:
    """Cursor style (framework.md 9.2): page from the last id seen until a short page.

    A failed page skips `page_size` ids ahead (via `skip_ahead`, integers by default) and counts as a
    page error; after 30 page errors the scan stops.
    """
    size = page_size or thread_count
    result: ReconciliationResult[R] = ReconciliationResult()

    def default_skip(last: I | None, by: int) -> I | None:
        return (last or 0) + by  # type: ignore[operator,return-value]

    skip = skip_ahead or default_skip

    async def ids() -> AsyncIterator[I]:
        last: I | None = None
        page_errors = 0
        while page_errors < MAX_PAGE_ERRORS:
            try:
                page = await next_page(last)
            except Exception as error:
                page_errors += 1
                log.error("Reconciliation page after %s failed (%d errors): %s", last, page_errors, error)
                last = skip(last, size)
                continue
            if page.ids:
                result.pages_checked += 1
                for item in page.ids:
                    yield item
                last = page.last if page.last is not None else page.ids[-1]
            if len(page.ids) < size:
                return

    await _consume(ids(), thread_count, check_match, result, 2 * size)
    return result


async def generate_ranges_reconciliation_report(
    *,
    thread_count: int,
    check_match: Callable[[I], Awaitable[R | None]],
    id_ranges: Callable[[], Awaitable[Sequence[P]]],
    ids_in_range: Callable[[P], Awaitable[Sequence[I]]],
) -> ReconciliationResult[R]:
    """Range style (framework.md 9.3): fetch every range first, then each range's ids once."""
    result: ReconciliationResult[R] = ReconciliationResult()
    ranges = await id_ranges()

    async def ids() -> AsyncIterator[I]:
        page_errors = 0
        for id_range in ranges:
            if page_errors >= MAX_PAGE_ERRORS:
                return
            try:
                found = await ids_in_range(id_range)
            except Exception as error:
                page_errors += 1
                log.error("Reconciliation range %s failed (%d errors): %s", id_range, page_errors, error)
                continue
            if found:
                result.pages_checked += 1
                for item in found:
                    yield item

    await _consume(ids(), thread_count, check_match, result, 2 * thread_count)
    return result


async def paged_reconciliation(
    *,
    total: int,
    page_size: int,
    fetch_page: Callable[[int, int], Awaitable[Sequence[P]]],
    check: Callable[[P], Awaitable[R | None]],
    on_page_error: Callable[[int, Exception], None],
    concurrency: int | None = None,
) -> list[R]:
    """Page-number style (framework.md 9.1): pages in sequence, each page's items checked concurrently.

    A page that cannot be fetched is reported through `on_page_error` and treated as empty. `check`
    must report its own per-item failures (it should not raise).
    """
    mismatches: list[R] = []
    limit = asyncio.Semaphore(concurrency or page_size)

    async def bounded(item: P) -> R | None:
        async with limit:
            return await check(item)

    for page, size in as_pages(total, page_size):
        try:
            items = await fetch_page(page, size)
        except Exception as error:
            on_page_error(page, error)
            continue
        results = await asyncio.gather(*(bounded(item) for item in items))
        mismatches.extend(result for result in results if result is not None)
        log.info("Reconciliation page %d of %d checked", page + 1, total // page_size + 1)
    return mismatches
