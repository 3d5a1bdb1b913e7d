"""`python -m hmpps_sandbox.moto_main`: moto's server, with one race in its SQS model closed.

moto serves requests on threads, and `Queue.delete_message` rebuilds the queue's message list without
taking the lock `add_message` appends under, so a message published while another is being deleted can
vanish. Under load (the benchmark, the chaos tests) that lost real events and looked like a service
bug. Real SQS never does this; deleting under the same lock makes the sandbox as trustworthy.
"""

from __future__ import annotations

from typing import Any

from moto.server import main
from moto.sqs.models import Queue

_unlocked_delete = Queue.delete_message


def _delete_message(self: Any, receipt_handle: str) -> None:
    with self._messages_lock:
        _unlocked_delete(self, receipt_handle)


Queue.delete_message = _delete_message  # type: ignore[method-assign]

if __name__ == "__main__":
    main()
