"""Commands that act on a running sandbox (`make run`): shared plumbing and the per-domain registry.

Each domain's commands live in `cli/<domain>.py` with one `register(commands)` function that adds its
sub-parsers and sets `handler` on them; `COMMANDS` lists those functions, one line per domain.
"""

from __future__ import annotations

import argparse
import urllib.request
from collections.abc import Callable
from typing import Any

import orjson

from hmpps_sandbox.estate import RUN_PORTS

Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]


def fake_url(name: str) -> str:
    """Base URL of a fake of the running sandbox (fixed `make run` ports)."""
    port = RUN_PORTS[name]
    return f"http://127.0.0.1:{port}" + ("/auth" if name == "hmpps-auth" else "")


def call(method: str, url: str, body: Any = None) -> Any:
    data = orjson.dumps(body) if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        raw = response.read()
    return orjson.loads(raw) if raw else None


def print_json(value: Any) -> None:
    print(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode())


def field_changes(items: list[str]) -> dict[str, Any]:
    """`--set FIELD=VALUE` options as a dict."""
    return dict(item.split("=", 1) for item in items)
