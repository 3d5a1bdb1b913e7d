"""Which delivery of its SQS message the running handler serves.

SQS reports `ApproximateReceiveCount`; the listener sets it here for the handler's duration (like the
operation id), so a domain can run its redelivery guards only when a previous delivery may have done
part of the work. HTTP requests and direct calls run as a first delivery.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

_receive_count: contextvars.ContextVar[int] = contextvars.ContextVar("receive_count", default=1)


@contextmanager
def delivery(receive_count: int) -> Iterator[None]:
    token = _receive_count.set(max(receive_count, 1))
    try:
        yield
    finally:
        _receive_count.reset(token)


def receive_count() -> int:
    return _receive_count.get()


def is_redelivery() -> bool:
    """True when an earlier delivery of this message was received (and may have written something)."""
    return _receive_count.get() > 1
