"""The last failure reason logged for each SQS message, so the console can say why a DLQ message is there.

A message keeps its SQS message id when the redrive policy moves it to the DLQ, so the reason the
listener logged on its last delivery is looked up by that id. The log is kept in memory by the pod that
processed the message and bounded (least recently failed entries go first): a pod restart, or a message
another pod processed, simply shows no reason.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime

DEFAULT_KEPT = 1000
# Reasons are one-line error texts; a huge response body in one must not grow memory unboundedly.
MAX_REASON_CHARS = 500


@dataclass(frozen=True)
class Failure:
    queue_id: str
    event_type: str | None
    reason: str
    receive_count: int
    failed_at: datetime


class FailureReasons:
    def __init__(self, kept: int = DEFAULT_KEPT) -> None:
        self.kept = kept
        self._by_message: OrderedDict[str, Failure] = OrderedDict()

    def record(
        self, message_id: str, queue_id: str, event_type: str | None, reason: str, receive_count: int
    ) -> None:
        if len(reason) > MAX_REASON_CHARS:
            reason = reason[: MAX_REASON_CHARS - 1] + "…"
        self._by_message[message_id] = Failure(
            queue_id, event_type, reason, receive_count, datetime.now(UTC).replace(microsecond=0)
        )
        self._by_message.move_to_end(message_id)
        while len(self._by_message) > self.kept:
            self._by_message.popitem(last=False)

    def get(self, message_id: str) -> Failure | None:
        return self._by_message.get(message_id)

    def __len__(self) -> int:
        return len(self._by_message)
