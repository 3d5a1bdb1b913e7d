"""The aiobotocore session the queue service creates its SQS and SNS clients from.

botocore parses its whole endpoint table (`endpoints.json`, every AWS service in every partition) when
the first client is created and keeps it for the life of the process: about 7 MB of Python objects, a
tenth of the idle service, of which SQS and SNS use a few kilobytes. The session here is given a data
loader that keeps only those services' entries, so clients are created from exactly the same data for
the services we call.
"""

from __future__ import annotations

import os
from typing import Any

import orjson
from aiobotocore.session import AioSession, get_session
from botocore.loaders import Loader

SERVICES = frozenset({"sqs", "sns"})


class _EndpointsForOurServices(Loader):
    """botocore's data loader, but the endpoint table it hands out lists only `SERVICES`."""

    def __init__(self, extra_search_paths: list[str]) -> None:
        super().__init__(extra_search_paths=extra_search_paths)
        self.extra_paths = extra_search_paths

    def load_data_with_path(self, name: str) -> tuple[Any, str]:
        if name != "endpoints":
            return super().load_data_with_path(name)
        # A throwaway loader parses the table, so the full table is never cached by this one; what is
        # kept is copied out before the rest is dropped, so the memory the parse used can be given back
        # whole rather than pinned by a few kept objects scattered through it.
        endpoints, path = Loader(extra_search_paths=self.extra_paths).load_data_with_path(name)
        for partition in endpoints.get("partitions", []):
            services = partition.get("services", {})
            partition["services"] = {key: services[key] for key in services if key in SERVICES}
        return orjson.loads(orjson.dumps(endpoints)), path


def aws_session() -> AioSession:
    session = get_session()
    data_path = session.get_config_variable("data_path")
    extra = data_path.split(os.pathsep) if data_path else []
    session.register_component("data_loader", _EndpointsForOurServices(extra_search_paths=extra))
    return session
