"""Reconciliation paging helpers (framework.md 4.5, 9.1-9.3)."""

from __future__ import annotations

import asyncio

import pytest

from prisoner_to_nomis_update.framework.reconciliation import (
    MAX_PAGE_ERRORS,
    IdPage,
    as_pages,
    generate_ranges_reconciliation_report,
    generate_reconciliation_report,
    paged_reconciliation,
)


@pytest.mark.scenario("framework", 55)
def test_as_pages_includes_the_last_possibly_empty_page() -> None:
    assert as_pages(20, 10) == [(0, 10), (1, 10), (2, 10)]
    assert as_pages(0, 10) == [(0, 10)]
    assert as_pages(25, 10) == [(0, 10), (1, 10), (2, 10)]
    assert as_pages(9, 10) == [(0, 10)]


class Cursor:
    """Ids 1..total paged from a cursor; `failing` cursors raise (a NOMIS page error)."""

    def __init__(self, total: int, page_size: int, failing: set[int | None] | None = None) -> None:
        self.total = total
        self.page_size = page_size
        self.failing = failing or set()
        self.cursors: list[int | None] = []

    async def next_page(self, last: int | None) -> IdPage[int]:
        self.cursors.append(last)
        if last in self.failing or (None in self.failing and last is None):
            raise ConnectionError(f"page after {last} failed")
        start = (last or 0) + 1
        ids = list(range(start, min(start + self.page_size, self.total + 1)))
        return IdPage(ids, ids[-1] if ids else None)


async def mismatch_if_multiple_of_7(item: int) -> str | None:
    await asyncio.sleep(0)
    return f"mismatch {item}" if item % 7 == 0 else None


@pytest.mark.scenario("framework", 56)
async def test_cursor_report_pages_until_a_short_page() -> None:
    cursor = Cursor(total=25, page_size=10)
    result = await generate_reconciliation_report(
        thread_count=3, page_size=10, check_match=mismatch_if_multiple_of_7, next_page=cursor.next_page
    )
    assert cursor.cursors == [None, 10, 20]
    assert result.items_checked == 25
    assert result.pages_checked == 3
    assert sorted(result.mismatches) == ["mismatch 14", "mismatch 21", "mismatch 7"]


@pytest.mark.scenario("framework", 56)
async def test_cursor_report_stops_on_an_empty_page_without_counting_it() -> None:
    cursor = Cursor(total=20, page_size=10)
    result = await generate_reconciliation_report(
        thread_count=2, page_size=10, check_match=mismatch_if_multiple_of_7, next_page=cursor.next_page
    )
    assert cursor.cursors == [None, 10, 20]
    assert (result.items_checked, result.pages_checked) == (20, 2)


@pytest.mark.scenario("framework", 56)
async def test_cursor_report_skips_a_page_size_ahead_on_a_page_error() -> None:
    cursor = Cursor(total=35, page_size=10, failing={10})
    result = await generate_reconciliation_report(
        thread_count=4, page_size=10, check_match=mismatch_if_multiple_of_7, next_page=cursor.next_page
    )
    # The page after id 10 failed: ids 11-20 are skipped and the scan carries on from 20.
    assert cursor.cursors == [None, 10, 20, 30]
    assert result.items_checked == 25
    assert result.pages_checked == 3
    assert sorted(result.mismatches) == ["mismatch 21", "mismatch 28", "mismatch 35", "mismatch 7"]


@pytest.mark.scenario("framework", 56)
async def test_cursor_report_gives_up_after_30_page_errors() -> None:
    calls: list[int | None] = []

    async def always_fails(last: int | None) -> IdPage[int]:
        calls.append(last)
        raise ConnectionError("NOMIS down")

    result = await generate_reconciliation_report(
        thread_count=2, page_size=5, check_match=mismatch_if_multiple_of_7, next_page=always_fails
    )
    assert len(calls) == MAX_PAGE_ERRORS == 30
    assert calls[:3] == [None, 5, 10]
    assert (result.items_checked, result.pages_checked, result.mismatches) == (0, 0, [])


async def test_check_match_exception_aborts_the_report() -> None:
    async def explode(item: int) -> str | None:
        raise ValueError(f"cannot check {item}")

    with pytest.raises(ValueError, match=r"cannot check"):
        await generate_reconciliation_report(
            thread_count=2, page_size=10, check_match=explode, next_page=Cursor(5, 10).next_page
        )


@pytest.mark.scenario("framework", 57)
async def test_range_report_fetches_ranges_once_and_each_range_once() -> None:
    range_calls = 0
    seen: list[tuple[int, int]] = []

    async def id_ranges() -> list[tuple[int, int]]:
        nonlocal range_calls
        range_calls += 1
        return [(0, 10), (10, 20), (20, 30), (30, 40)]

    async def ids_in_range(id_range: tuple[int, int]) -> list[int]:
        seen.append(id_range)
        if id_range == (10, 20):
            raise ConnectionError("range failed")
        if id_range == (20, 30):
            return []
        return list(range(id_range[0] + 1, id_range[1] + 1))

    result = await generate_ranges_reconciliation_report(
        thread_count=3, check_match=mismatch_if_multiple_of_7, id_ranges=id_ranges, ids_in_range=ids_in_range
    )
    assert range_calls == 1
    assert seen == [(0, 10), (10, 20), (20, 30), (30, 40)]
    assert (result.items_checked, result.pages_checked) == (20, 2)
    assert sorted(result.mismatches) == ["mismatch 35", "mismatch 7"]


@pytest.mark.scenario("framework", 57)
async def test_range_report_stops_after_30_range_errors() -> None:
    seen: list[int] = []

    async def id_ranges() -> list[int]:
        return list(range(40))

    async def ids_in_range(id_range: int) -> list[int]:
        seen.append(id_range)
        raise ConnectionError("NOMIS down")

    result = await generate_ranges_reconciliation_report(
        thread_count=2, check_match=mismatch_if_multiple_of_7, id_ranges=id_ranges, ids_in_range=ids_in_range
    )
    assert seen == list(range(30))
    assert (result.items_checked, result.pages_checked) == (0, 0)


async def test_page_number_report_treats_a_failed_page_as_empty() -> None:
    errors: list[int] = []

    async def fetch_page(page: int, size: int) -> list[int]:
        if page == 1:
            raise ConnectionError("page 1 failed")
        return [n for n in range(page * size, (page + 1) * size) if n < 25]

    mismatches = await paged_reconciliation(
        total=25,
        page_size=10,
        fetch_page=fetch_page,
        check=mismatch_if_multiple_of_7,
        on_page_error=lambda page, error: errors.append(page),
    )
    assert errors == [1]
    assert sorted(mismatches) == ["mismatch 0", "mismatch 21", "mismatch 7"]
