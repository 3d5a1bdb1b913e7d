"""Outbound API clients: OAuth2 client credentials per API, timeouts, status-code helpers.

One aiohttp session serves every client (connection pooling across APIs); each API has its own
credentials (ADR 0003) and its own cached token, refreshed shortly before expiry and once on a 401.
Errors raise `HttpError`, whose message reproduces the original's
"<status> <reason> from <METHOD> <url>" because operators read it in telemetry `reason` properties.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, TypeVar

import aiohttp
import orjson

from prisoner_to_nomis_update.settings import ApiSettings

log = logging.getLogger(__name__)

T = TypeVar("T")

# Refresh a cached token this long before it expires, so an in-flight call never carries a stale one.
TOKEN_EXPIRY_MARGIN_SECONDS = 60.0
TOKEN_REQUEST_TIMEOUT_SECONDS = 30.0


def reason_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown Status"


class HttpError(Exception):
    """A non-2xx answer from a downstream API (`api`: its configured name, e.g. `nomis`, when known)."""

    def __init__(self, status: int, method: str, url: str, body: bytes, api: str | None = None) -> None:
        self.status = status
        self.method = method
        self.url = url
        self.body = body
        self.api = api
        super().__init__(f"{status} {reason_phrase(status)} from {method} {url}")

    def json(self) -> Any:
        try:
            return orjson.loads(self.body) if self.body else None
        except orjson.JSONDecodeError:
            return None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class ApiConnectionError(Exception):
    """The API could not be reached or did not answer in time."""

    def __init__(self, method: str, url: str, cause: BaseException) -> None:
        self.method = method
        self.url = url
        detail = str(cause) or type(cause).__name__
        super().__init__(f"{type(cause).__name__} from {method} {url}: {detail}")


def is_transient(error: BaseException) -> bool:
    """What the original's RetryApiService retries: timeouts, dropped connections and 502 only."""
    if isinstance(error, ApiConnectionError):
        return True
    return isinstance(error, HttpError) and error.status == 502


@dataclass
class _Token:
    value: str
    expires_at: float


class HttpSession:
    """The one aiohttp session of the process, opened when the service starts.

    Clients hold this rather than a session so domains can be wired before the event loop runs.
    """

    def __init__(self, trace_configs: list[aiohttp.TraceConfig] | None = None) -> None:
        self._session: aiohttp.ClientSession | None = None
        self.trace_configs = list(trace_configs or [])

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("the HTTP session is not open: start the service first")
        return self._session

    async def open(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=200, limit_per_host=100, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),
                trace_configs=self.trace_configs or None,
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class TokenProvider:
    """Client-credentials tokens from HMPPS Auth for one registration, cached until near expiry."""

    def __init__(self, http: HttpSession, auth_base_url: str, client_id: str, secret: str) -> None:
        self.http = http
        self.url = f"{auth_base_url}/oauth/token"
        basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        self.headers = {"Authorization": f"Basic {basic}"}
        self.token: _Token | None = None
        self.lock = asyncio.Lock()

    async def get(self, force_refresh: bool = False) -> str:
        token = self.token
        if token is not None and not force_refresh and token.expires_at > time.monotonic():
            return token.value
        async with self.lock:
            if self.token is not None and self.token is not token and not force_refresh:
                return self.token.value
            self.token = await self._fetch()
            return self.token.value

    async def _fetch(self) -> _Token:
        try:
            async with self.http.session.post(
                self.url,
                data={"grant_type": "client_credentials"},
                headers=self.headers,
                timeout=aiohttp.ClientTimeout(total=TOKEN_REQUEST_TIMEOUT_SECONDS),
            ) as response:
                body = await response.read()
                if response.status >= 300:
                    raise HttpError(response.status, "POST", self.url, body)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise ApiConnectionError("POST", self.url, error) from error
        payload = orjson.loads(body)
        expires_in = float(payload.get("expires_in", 3600))
        return _Token(
            value=payload["access_token"],
            expires_at=time.monotonic() + max(expires_in - TOKEN_EXPIRY_MARGIN_SECONDS, 0.0),
        )


class ApiClient:
    """Calls one downstream API with its own credentials and timeout."""

    def __init__(self, http: HttpSession, settings: ApiSettings, tokens: TokenProvider | None) -> None:
        self.http = http
        self.name = settings.name
        self.base_url = settings.base_url
        self.timeout = aiohttp.ClientTimeout(total=settings.timeout)
        self.tokens = tokens

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, bytes]:
        """Send a request; return (status, body) for 2xx, raise HttpError/ApiConnectionError otherwise."""
        url = self.base_url + path
        data = orjson.dumps(json) if json is not None else None
        query = {key: _query_value(value) for key, value in (params or {}).items() if value is not None}
        full_url = url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
        for attempt in (1, 2):
            request_headers = {"Accept": "application/json"}
            if data is not None:
                request_headers["Content-Type"] = "application/json"
            # Extra headers last: some APIs pick a representation by Content-Type, even on a GET.
            request_headers.update(headers or {})
            if self.tokens is not None:
                request_headers["Authorization"] = "Bearer " + await self.tokens.get(
                    force_refresh=attempt == 2
                )
            try:
                async with self.http.session.request(
                    method,
                    url,
                    data=data,
                    params=query or None,
                    headers=request_headers,
                    timeout=self.timeout,
                ) as response:
                    body = await response.read()
                    status = response.status
            except (aiohttp.ClientError, TimeoutError) as error:
                raise ApiConnectionError(method, full_url, error) from error
            if status == 401 and attempt == 1 and self.tokens is not None:
                # A revoked or rotated token: fetch a fresh one and try exactly once more.
                continue
            if status >= 300:
                raise HttpError(status, method, full_url, body, self.name)
            return status, body
        raise AssertionError("unreachable")

    async def get_json(
        self, path: str, params: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None
    ) -> Any:
        _, body = await self.request("GET", path, params=params, headers=headers)
        return orjson.loads(body) if body else None

    async def get_json_or_none(
        self, path: str, params: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None
    ) -> Any:
        """The body, or None when the API answers 404."""
        try:
            return await self.get_json(path, params, headers)
        except HttpError as error:
            if error.status == 404:
                return None
            raise

    async def send_json(self, method: str, path: str, body: Any = None) -> Any:
        _, response = await self.request(method, path, json=body)
        return orjson.loads(response) if response else None

    async def post_json(self, path: str, body: Any = None) -> Any:
        return await self.send_json("POST", path, body)

    async def put_json(self, path: str, body: Any = None) -> Any:
        return await self.send_json("PUT", path, body)

    async def delete(self, path: str) -> None:
        await self.request("DELETE", path)

    async def exists(self, path: str) -> bool:
        """True for 2xx, False for 404, raise otherwise."""
        try:
            await self.request("GET", path)
        except HttpError as error:
            if error.status == 404:
                return False
            raise
        return True


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


async def with_transient_retries(
    call: Callable[[], Awaitable[T]],
    *,
    max_retries: int = 3,
    backoff_ms: int = 100,
    context: str = "",
) -> T:
    """Retry a read on timeouts, dropped connections and 502, with exponential back-off and jitter."""
    attempt = 0
    while True:
        try:
            return await call()
        except Exception as error:
            if not is_transient(error) or attempt >= max_retries:
                raise
            attempt += 1
            delay = backoff_ms / 1000.0 * (2 ** (attempt - 1)) * (0.5 + random.random())
            log.warning("Retrying due to [%s], retry number: %d, context: %s", error, attempt, context)
            await asyncio.sleep(delay)


async def do_api_call_with_retries(call: Callable[[], Awaitable[T]], attempts: int = 3) -> T:
    """Up to `attempts` tries with no delay, on any exception (reconciliation checks)."""
    for attempt in range(1, attempts + 1):
        try:
            return await call()
        except Exception:
            if attempt == attempts:
                raise
            log.warning("Retrying API call %d", attempt)
    raise AssertionError("unreachable")


class ApiClients:
    """The process-wide session and one client per configured API."""

    def __init__(self, http: HttpSession, auth_base_url: str, apis: Mapping[str, ApiSettings]) -> None:
        self.http = http
        self.auth_base_url = auth_base_url
        self.apis = dict(apis)
        self.clients: dict[str, ApiClient] = {}

    def get(self, name: str) -> ApiClient:
        client = self.clients.get(name)
        if client is None:
            from prisoner_to_nomis_update.settings import missing_api_error

            settings = self.apis.get(name)
            if settings is None:
                raise missing_api_error(name)
            tokens = (
                TokenProvider(self.http, self.auth_base_url, settings.client_id, settings.client_secret)
                if self.auth_base_url
                else None
            )
            client = ApiClient(self.http, settings, tokens)
            self.clients[name] = client
        return client
