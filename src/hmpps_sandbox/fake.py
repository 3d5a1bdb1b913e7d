"""Base of every fake downstream API: an aiohttp app with a request journal and injectable faults.

Plugins add routes with :meth:`FakeApi.route` and keep their stateful stores in :attr:`FakeApi.state`,
registering a reset hook with :meth:`FakeApi.on_reset` so that :meth:`FakeApi.reset` wipes them.

Paths in the journal and fault patterns are the full request path, base path included
(``/auth/oauth/token`` for the fake auth server).
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any

import orjson
from aiohttp import web

from hmpps_sandbox.contract import ContractViolation, OpenApiContract

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_HEALTH_PATH = "/health/ping"
_JOURNAL_PATH = "/__journal"
_FAULTS_PATH = "/__faults"
_RESET_PATH = "/__reset"


@dataclass
class JournalEntry:
    """One request received by a fake."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]
    time: float


@dataclass
class Fault:
    """An injected failure: answer ``status`` (unless 0) after ``delay_seconds``, ``remaining`` times.

    With ``probability`` below 1 each matching request is hit only with that chance (a miss neither
    fires nor uses up ``remaining``), which models a flaky rather than a broken dependency.
    """

    method: str | None
    path_pattern: str
    status: int
    delay_seconds: float
    remaining: int | None
    body: Any = None
    probability: float = 1.0

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return re.fullmatch(self.path_pattern, path) is not None


def json_response(data: Any, status: int = 200) -> web.Response:
    """A JSON response serialised with orjson."""
    return web.Response(
        body=orjson.dumps(data, default=str),
        status=status,
        content_type="application/json",
    )


def error_response(
    status: int,
    user_message: str,
    more_info: Any = None,
    developer_message: str | None = None,
) -> web.Response:
    """A response in the HMPPS ``ErrorResponse`` shape."""
    return json_response(
        {
            "status": status,
            "errorCode": None,
            "userMessage": user_message,
            "developerMessage": developer_message if developer_message is not None else user_message,
            "moreInfo": more_info,
        },
        status=status,
    )


async def json_body(request: web.Request) -> Any:
    """The request's JSON body, or None when it is empty. Invalid JSON answers 400."""
    raw = await request.read()
    if not raw.strip():
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise web.HTTPBadRequest(
            text=orjson.dumps(
                {
                    "status": 400,
                    "errorCode": None,
                    "userMessage": f"Invalid JSON body: {exc}",
                    "developerMessage": str(exc),
                    "moreInfo": None,
                }
            ).decode(),
            content_type="application/json",
        ) from exc


def _parse_recorded_body(raw: bytes, content_type: str) -> Any:
    if not raw:
        return None
    text = raw.decode(errors="replace")
    if "json" in content_type or text.lstrip()[:1] in ("{", "["):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            return text
    return text


class FakeApi:
    """A fake HTTP API with a request journal, fault injection and control endpoints."""

    def __init__(self, name: str, base_path: str = "") -> None:
        self.name = name
        self.base_path = base_path.rstrip("/")
        self.app = web.Application(middlewares=[self._middleware])
        self.router = self.app.router
        self.state: dict[str, Any] = {}
        self.journal: list[JournalEntry] = []
        self.faults: list[Fault] = []
        self._reset_hooks: list[Callable[[], None]] = []
        # Set by the estate for APIs whose OpenAPI document is known: requests are checked against it.
        self.contract: OpenApiContract | None = None
        self.contract_violations: list[ContractViolation] = []
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        # Seeded so a chaos run's pattern of faults can be repeated.
        self.random = random.Random(0)

        self._control_paths = {
            self.base_path + _JOURNAL_PATH,
            self.base_path + _FAULTS_PATH,
            self.base_path + _RESET_PATH,
        }
        self._health_path = self.base_path + _HEALTH_PATH
        self.route("GET", _HEALTH_PATH, self._health)
        self.route("GET", _JOURNAL_PATH, self._get_journal)
        self.route("DELETE", _JOURNAL_PATH, self._delete_journal)
        self.route("POST", _FAULTS_PATH, self._post_fault)
        self.route("DELETE", _FAULTS_PATH, self._delete_faults)
        self.route("POST", _RESET_PATH, self._post_reset)

    # ----------------------------------------------------------------- wiring

    def route(self, method: str, path: str, handler: Handler) -> None:
        """Register ``handler`` for ``method`` on ``path`` under the base path."""
        self.router.add_route(method.upper(), self.base_path + path, handler)

    def on_reset(self, hook: Callable[[], None]) -> None:
        """Register a hook that :meth:`reset` calls (plugins clear their state in it)."""
        self._reset_hooks.append(hook)

    # ------------------------------------------------------------- lifecycle

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError(f"fake {self.name} has not been started")
        return self._port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.base_path}"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        if self._runner is not None:
            return
        # a short shutdown timeout so stop() does not wait out long injected delays
        runner = web.AppRunner(self.app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        addresses = runner.addresses
        self._port = int(addresses[0][1]) if addresses else port

    async def stop(self) -> None:
        runner = self._runner
        self._runner = None
        if runner is not None:
            await runner.cleanup()

    # ------------------------------------------------------ journal & faults

    def requests(self, method: str | None = None, path_pattern: str | None = None) -> list[JournalEntry]:
        """Journal entries, optionally filtered by method and by a regex fully matching the path."""
        return [
            entry
            for entry in self.journal
            if (method is None or entry.method == method.upper())
            and (path_pattern is None or re.fullmatch(path_pattern, entry.path) is not None)
        ]

    def inject_fault(
        self,
        *,
        path_pattern: str,
        method: str | None = None,
        status: int = 500,
        delay_seconds: float = 0.0,
        count: int | None = 1,
        body: Any = None,
        probability: float = 1.0,
    ) -> Fault:
        """Make the next ``count`` matching requests (None: all) fail with ``status`` after a delay.

        ``status=0`` only delays the request, which then gets its normal answer; ``probability`` makes
        the fault hit each matching request with that chance only.
        """
        re.compile(path_pattern)  # fail fast on a bad pattern
        if count is not None and count < 1:
            raise ValueError("count must be at least 1, or None for forever")
        if not 0.0 < probability <= 1.0:
            raise ValueError("probability must be in (0, 1]")
        fault = Fault(
            method=method.upper() if method else None,
            path_pattern=path_pattern,
            status=status,
            delay_seconds=delay_seconds,
            remaining=count,
            body=body,
            probability=probability,
        )
        self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        self.faults.clear()

    def reset(self) -> None:
        """Clear the journal, the faults and every plugin's state (through the reset hooks)."""
        self.journal.clear()
        self.faults.clear()
        self.contract_violations.clear()
        self.random.seed(0)
        for hook in self._reset_hooks:
            hook()

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.matches(method, path):
                if fault.probability < 1.0 and self.random.random() >= fault.probability:
                    continue
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self.faults.remove(fault)
                return fault
        return None

    def _check_contract(self, request: web.Request, path: str, raw: bytes, body: Any) -> None:
        assert self.contract is not None
        has_body = bool(raw.strip())
        if has_body and isinstance(body, str):
            self.contract_violations.append(
                ContractViolation(self.name, request.method, path, "the body is not JSON")
            )
            return
        query = {str(key): request.query.getall(key) for key in request.query}
        for violation in self.contract.check(
            request.method, path[len(self.base_path) :], query, body, has_body
        ):
            log.warning("Request departs from the OpenAPI document: %s", violation)
            self.contract_violations.append(violation)

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        if path in self._control_paths:
            return await handler(request)
        if path != self._health_path:
            raw = await request.read()
            body = _parse_recorded_body(raw, request.content_type)
            self.journal.append(
                JournalEntry(
                    method=request.method,
                    path=path,
                    query={str(key): str(value) for key, value in request.query.items()},
                    body=body,
                    # header names are multidict istr; orjson wants plain str keys
                    headers={str(key): str(value) for key, value in request.headers.items()},
                    time=time.time(),
                )
            )
            if self.contract is not None and not path[len(self.base_path) :].startswith("/__"):
                self._check_contract(request, path, raw, body)
        fault = self._take_fault(request.method, path)
        if fault is not None:
            if fault.delay_seconds > 0:
                await asyncio.sleep(fault.delay_seconds)
            if fault.status != 0:
                body = (
                    fault.body
                    if fault.body is not None
                    else {
                        "status": fault.status,
                        "userMessage": "injected fault",
                    }
                )
                return json_response(body, status=fault.status)
        return await handler(request)

    # ------------------------------------------------------ built-in routes

    async def _health(self, request: web.Request) -> web.StreamResponse:
        return json_response({"status": "UP"})

    async def _get_journal(self, request: web.Request) -> web.StreamResponse:
        entries = self.requests(request.query.get("method"), request.query.get("path_pattern"))
        return json_response([asdict(entry) for entry in entries])

    async def _delete_journal(self, request: web.Request) -> web.StreamResponse:
        self.journal.clear()
        return web.Response(status=204)

    async def _post_fault(self, request: web.Request) -> web.StreamResponse:
        data = await json_body(request)
        if not isinstance(data, dict) or not isinstance(data.get("path_pattern"), str):
            return error_response(400, "fault needs a JSON object with a string path_pattern")
        try:
            fault = self.inject_fault(
                path_pattern=data["path_pattern"],
                method=data.get("method"),
                status=int(data.get("status", 500)),
                delay_seconds=float(data.get("delay_seconds", 0.0)),
                count=None if data.get("count", 1) is None else int(data.get("count", 1)),
                body=data.get("body"),
                probability=float(data.get("probability", 1.0)),
            )
        except (re.error, ValueError, TypeError) as exc:
            return error_response(400, f"invalid fault: {exc}")
        return json_response(asdict(fault), status=201)

    async def _delete_faults(self, request: web.Request) -> web.StreamResponse:
        self.clear_faults()
        return web.Response(status=204)

    async def _post_reset(self, request: web.Request) -> web.StreamResponse:
        self.reset()
        return web.Response(status=204)
