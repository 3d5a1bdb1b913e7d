"""A real headless Chromium (Debian's package) driven by Playwright, for the console tests.

Never `playwright install`: it downloads a browser. The system browser is launched instead, with a new
empty profile each time. Without it the tests skip locally, saying why, and fail in CI (which installs
it: `.ci/run`), so a missing browser can never pass unnoticed there.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} is not installed (apt-get install -y chromium); the console browser tests need it"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    """A browser context (Playwright `BrowserContext`) with its own empty profile."""
    require_chromium()
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        with tempfile.TemporaryDirectory(prefix="console-chromium-") as profile:
            context = await playwright.chromium.launch_persistent_context(
                profile,
                executable_path=str(CHROMIUM),
                headless=True,
                args=CHROMIUM_ARGS,
                viewport={"width": 1440, "height": 1100},
            )
            try:
                yield context
            finally:
                await context.close()


def screenshot_path(tmp_path: Path, name: str) -> Path:
    """Where a screenshot goes: the test's tmp dir, or $CONSOLE_SCREENSHOT_DIR to keep it."""
    directory = Path(os.environ.get("CONSOLE_SCREENSHOT_DIR") or tmp_path)
    directory.mkdir(parents=True, exist_ok=True)
    return directory / name
