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
    """

    def __init__(self, entity: str, unique_keys: list[str]) -> None:
        self.entity = entity
        self.unique_keys = unique_keys
        self.rows: list[dict[str, Any]] = []

    def find(self, key: str, value: Any) -> dict[str, Any] | None:
        text = str(value)
        return next((row for row in self.rows if str(row.get(key)) == text), None)

    def find_all(self, key: str, value: Any) -> list[dict[str, Any]]:
        text = str(value)
        return [row for row in self.rows if str(row.get(key)) == text]

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
        self.rows.append(dict(candidate))
        return None

    def remove(self, key: str, value: Any) -> int:
        before = len(self.rows)
        self.rows = [row for row in self.rows if str(row.get(key)) != str(value)]
        return before - len(self.rows)

    def clear(self) -> None:
        self.rows.clear()
