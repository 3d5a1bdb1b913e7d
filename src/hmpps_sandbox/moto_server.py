"""Run moto's standalone server (SNS/SQS and friends) as a child process."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import tempfile
import time
from typing import IO

import aiohttp

from hmpps_sandbox.ports import free_port

_START_TIMEOUT_SECONDS = 30.0
_STOP_GRACE_SECONDS = 5.0


class MotoServer:
    """A moto server subprocess listening on 127.0.0.1."""

    def __init__(self, port: int = 0) -> None:
        self._requested_port = port
        self._port = port
        self._process: asyncio.subprocess.Process | None = None
        # moto logs every request on stderr; a pipe nobody drains would eventually block it, so use a file.
        self._stderr: IO[bytes] | None = None

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    @property
    def pid(self) -> int | None:
        """The server process's id while it runs (the benchmark reads its CPU time)."""
        return self._process.pid if self.running and self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    async def start(self) -> None:
        if self.running:
            return
        self._port = self._requested_port or free_port()
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "hmpps_sandbox.moto_main",
            "-H",
            "127.0.0.1",
            "-p",
            str(self._port),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=self._stderr,
            # The account LocalStack uses, so ARNs match the original's configuration.
            env={**os.environ, "MOTO_ACCOUNT_ID": "000000000000"},
        )
        try:
            await self._wait_until_ready()
        except BaseException:
            await self.stop()
            raise

    async def _wait_until_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + _START_TIMEOUT_SECONDS
        timeout = aiohttp.ClientTimeout(total=2)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                if self._process.returncode is not None:
                    stderr = self._read_stderr_tail()
                    raise RuntimeError(
                        f"moto server exited with code {self._process.returncode} before answering "
                        f"on {self.url}: {stderr}"
                    )
                with contextlib.suppress(aiohttp.ClientError, OSError, TimeoutError):
                    async with session.get(f"{self.url}/moto-api/") as response:
                        if response.status < 500:
                            return
                if time.monotonic() >= deadline:
                    raise RuntimeError(
                        f"moto server did not answer on {self.url} within {_START_TIMEOUT_SECONDS:.0f}s"
                    )
                await asyncio.sleep(0.1)

    def _read_stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")[-2000:]

    async def reset(self) -> None:
        """Wipe all moto state (queues, topics, subscriptions, messages)."""
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
            session.post(f"{self.url}/moto-api/reset") as response,
        ):
            if response.status >= 300:
                raise RuntimeError(f"moto reset failed with HTTP {response.status}")

    async def stop(self) -> None:
        process = self._process
        self._process = None
        try:
            if process is not None and process.returncode is None:
                await self._terminate(process)
        finally:
            if self._stderr is not None:
                self._stderr.close()
                self._stderr = None

    @staticmethod
    async def _terminate(process: asyncio.subprocess.Process) -> None:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        try:
            await asyncio.wait_for(process.wait(), timeout=_STOP_GRACE_SECONDS)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()

    async def __aenter__(self) -> MotoServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()
