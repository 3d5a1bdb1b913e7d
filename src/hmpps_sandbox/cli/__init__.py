"""Commands that act on a running sandbox (`make run`): shared plumbing and the per-domain registry.

Each domain's commands live in `cli/<domain>.py` with one `register(commands)` function that adds its
sub-parsers and sets `handler` on them; `DOMAIN_COMMANDS` in `__main__` lists those functions, one
line per domain. A domain command changes a DPS record through its fake's control endpoint (which
publishes the domain event), then waits for the service and prints what reached NOMIS and the mapping
API (`publish_and_show`).

The fakes are found through the service's own variables (`API_BASE_URL_NOMIS`, ...): from the
environment if set there, else from `sandbox-data/service.env`, which `make run` writes, else on the
fixed `make run` ports. So the commands work against a sandbox started anywhere.
"""

from __future__ import annotations

import argparse
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import orjson

from hmpps_sandbox.estate import DPS_ENV, RUN_PORTS

Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]

# Written by `run` so other commands (batch jobs, scripts) can reach the running sandbox.
ENV_FILE = Path("sandbox-data/service.env")
# fake name -> the service variable holding its base URL
URL_VARIABLES = {
    "hmpps-auth": "API_BASE_URL_HMPPS_AUTH",
    "nomis": "API_BASE_URL_NOMIS",
    "mapping": "API_BASE_URL_MAPPING",
    **DPS_ENV,
}
# What the domain commands show: the service's writes and reads on NOMIS and the mapping API.
SHOWN_APIS = ("nomis", "mapping")
DEFAULT_WAIT_SECONDS = 10.0
# The journals are read until they have not changed for this long (the service has finished).
SETTLE_SECONDS = 0.6
POLL_SECONDS = 0.1


class SandboxError(Exception):
    """A fake could not be reached or refused the command: printed, and the command exits 1.

    `status` is the fake's HTTP answer (None when it could not be reached), for callers that wait on 404.
    """

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def written_env() -> dict[str, str]:
    """`sandbox-data/service.env` as `make run` wrote it (empty if there is none)."""
    if not ENV_FILE.exists():
        return {}
    lines = ENV_FILE.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


def fake_url(name: str, environment: Mapping[str, str] | None = None) -> str:
    """Base URL of a fake of the running sandbox (see the module docstring for where it is found)."""
    variable = URL_VARIABLES.get(name)
    if variable is not None:
        for source in (environment if environment is not None else os.environ, written_env()):
            if source.get(variable):
                return source[variable].rstrip("/")
    if name not in RUN_PORTS:
        raise SandboxError(f"no fake API is called {name!r} (try nomis, mapping, hmpps-auth or a DPS API)")
    return f"http://127.0.0.1:{RUN_PORTS[name]}" + ("/auth" if name == "hmpps-auth" else "")


def call(method: str, url: str, body: Any = None) -> Any:
    data = orjson.dumps(body) if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
    except urllib.error.HTTPError as error:
        detail = error.read().decode(errors="replace")
        raise SandboxError(f"{method} {url} answered {error.code}: {detail}", error.code) from None
    except urllib.error.URLError as error:
        reason = f"cannot reach {url} ({error.reason}): is the sandbox (`make run`) running?"
        raise SandboxError(reason) from None
    return orjson.loads(raw) if raw else None


def print_json(value: Any) -> None:
    print(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode())


def field_value(text: str) -> Any:
    """A `--set` value: JSON when it parses as JSON (numbers, true, null, lists), else the text."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return text


def field_changes(items: list[str]) -> dict[str, Any]:
    """`--set FIELD=VALUE` options as a dict."""
    pairs = [item.split("=", 1) for item in items]
    return {name: field_value(value) for name, value in pairs}


def add_wait_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--wait",
        type=float,
        default=DEFAULT_WAIT_SECONDS,
        metavar="SECONDS",
        help=f"how long to wait for the service to reach NOMIS (default {DEFAULT_WAIT_SECONDS:g})",
    )


def journal(api: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = call("GET", f"{fake_url(api)}/__journal")
    return entries


def journal_marks() -> dict[str, int]:
    """How many requests each shown API has had so far, so only the ones that follow are shown."""
    return {api: len(journal(api)) for api in SHOWN_APIS}


def new_entries(marks: Mapping[str, int]) -> dict[str, list[dict[str, Any]]]:
    found = {}
    for api, mark in marks.items():
        entries = journal(api)
        # A journal cleared meanwhile (`DELETE /__journal`) starts again from its first entry.
        found[api] = entries[mark:] if len(entries) >= mark else entries
    return found


def wait_for_effects(marks: Mapping[str, int], wait_seconds: float) -> dict[str, list[dict[str, Any]]]:
    """The requests that reached NOMIS and the mapping API since `marks`, once they stop coming."""
    deadline = time.monotonic() + wait_seconds
    seen = new_entries(marks)
    changed_at = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        latest = new_entries(marks)
        if latest != seen:
            seen, changed_at = latest, time.monotonic()
        elif any(seen.values()) and time.monotonic() - changed_at >= SETTLE_SECONDS:
            break
    return seen


def describe_entry(entry: Mapping[str, Any]) -> str:
    query = "&".join(f"{key}={value}" for key, value in (entry.get("query") or {}).items())
    line = f"  {entry['method']} {entry['path']}" + (f"?{query}" if query else "")
    if entry.get("body") is not None:
        line += "  " + orjson.dumps(entry["body"]).decode()
    return line


def show_effects(effects: Mapping[str, list[dict[str, Any]]], wait_seconds: float) -> None:
    for api, entries in effects.items():
        print(f"{api}: {len(entries)} request{'' if len(entries) == 1 else 's'} from the service")
        for entry in entries:
            print(describe_entry(entry))
    if not any(effects.values()):
        print(
            f"Nothing reached NOMIS or the mapping API within {wait_seconds:g}s: see the service's log "
            "(is its listener for this domain running, and the event's feature switch on?)"
        )


def publish_and_show(url: str, body: Any, wait_seconds: float) -> int:
    """POST a fake's control endpoint (DPS change + event), print its answer, then what the service did."""
    marks = journal_marks()
    print("DPS:")
    print_json(call("POST", url, body))
    show_effects(wait_for_effects(marks, wait_seconds), wait_seconds)
    return 0
