"""`do_api_call_with_retries` (framework.md 6.5): 3 tries, no delay, any exception."""

from __future__ import annotations

import logging

import pytest

from prisoner_to_nomis_update.framework.http import do_api_call_with_retries


class Flaky:
    """A call that fails its first `failures` times."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise ConnectionError(f"failure {self.calls}")
        return f"result {self.calls}"


@pytest.mark.scenario("framework", 38)
async def test_succeeding_call_returns_its_value() -> None:
    call = Flaky(0)
    assert await do_api_call_with_retries(call) == "result 1"
    assert call.calls == 1


@pytest.mark.scenario("framework", 39)
async def test_call_failing_once_returns_the_second_result(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    call = Flaky(1)
    assert await do_api_call_with_retries(call) == "result 2"
    assert [r.getMessage() for r in caplog.records] == ["Retrying API call 1"]


@pytest.mark.scenario("framework", 40)
async def test_call_always_failing_raises_after_three_attempts(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    call = Flaky(99)
    with pytest.raises(ConnectionError, match=r"failure 3"):
        await do_api_call_with_retries(call)
    assert call.calls == 3
    assert [r.getMessage() for r in caplog.records] == ["Retrying API call 1", "Retrying API call 2"]
