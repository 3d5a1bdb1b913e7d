"""Stateful stores the fakes share: id sequences and mapping tables with the mapping API's uniqueness rules."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from hmpps_sandbox.fake import error_response


@dataclass
class Sequence:
    start: int = 1
    _counter: Iterator[int] = field(init=False)

    def __post_init__(self) -> None:
        self.reset()

    def next(self) -> int:
        return next(self._counter)

    def reset(self) -> None:
        self._counter = itertools.count(self.start)


class MappingTable:
    """Rows unique on each of `unique_keys`; a clash answers 409 with `moreInfo.existing/duplicate`.

    The real mapping API refuses a second mapping for either id; tests and chaos runs rely on that
    answer to prove duplicates are reported rather than silently created.

    Lookups go through a per-key index so a table of thousands of rows (the benchmark, the chaos runs)
    costs the same per request as an empty one. Tests may append to `rows` directly (the index notices
    the length change); code that edits a row in place calls `changed()`.
    """

    def __init__(self, entity: str, unique_keys: list[str]) -> None:
        self.entity = entity
        self.unique_keys = unique_keys
        self.rows: list[dict[str, Any]] = []
        self._index: dict[str, dict[str, list[dict[str, Any]]]] = {}
        # The row list the index describes: the list itself (not its id, which a new list may reuse),
        # its length and its last row.
        self._indexed: tuple[object, int, object] = (None, -1, None)

    def changed(self) -> None:
        """Rows were edited in place: rebuild the index on the next lookup."""
        self._index.clear()

    def _shape(self) -> tuple[object, int, object]:
        return self.rows, len(self.rows), self.rows[-1] if self.rows else None

    def _is_current(self) -> bool:
        rows, length, last = self._indexed
        return (
            rows is self.rows and length == len(self.rows) and last is (self.rows[-1] if self.rows else None)
        )

    def _rows_for(self, key: str, text: str) -> list[dict[str, Any]]:
        if not self._is_current():
            self._index.clear()
            self._indexed = self._shape()
        index = self._index.get(key)
        if index is None:
            index = self._index[key] = {}
            for row in self.rows:
                index.setdefault(str(row.get(key)), []).append(row)
        found = index.get(text, [])
        if any(str(row.get(key)) != text for row in found):
            self.changed()  # a row was edited without changed(): rebuild rather than answer stale
            return self._rows_for(key, text)
        return found

    def find(self, key: str, value: Any) -> dict[str, Any] | None:
        found = self._rows_for(key, str(value))
        return found[0] if found else None

    def find_all(self, key: str, value: Any) -> list[dict[str, Any]]:
        return list(self._rows_for(key, str(value)))

    def clash(self, candidate: dict[str, Any]) -> dict[str, Any] | None:
        for key in self.unique_keys:
            if candidate.get(key) is None:
                continue
            existing = self.find(key, candidate[key])
            if existing is not None:
                return existing
        return None

    def add(self, candidate: dict[str, Any]) -> web.Response | None:
        """None when stored, else the 409 response the mapping API would give."""
        existing = self.clash(candidate)
        if existing is not None:
            return error_response(
                409,
                f"Conflict: {self.entity} mapping already exist",
                more_info={"existing": existing, "duplicate": candidate},
                developer_message=f"{self.entity} mapping already exists",
            )
        row = dict(candidate)
        current = self._is_current()
        self.rows.append(row)
        if current:
            for key, index in self._index.items():
                index.setdefault(str(row.get(key)), []).append(row)
            self._indexed = self._shape()
        return None

    def remove(self, key: str, value: Any) -> int:
        before = len(self.rows)
        self.rows = [row for row in self.rows if str(row.get(key)) != str(value)]
        return before - len(self.rows)

    def clear(self) -> None:
        self.rows.clear()
