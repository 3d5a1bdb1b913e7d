"""FakeApi faults with a probability: a flaky dependency, hit at about that rate, repeatable by seed."""

from __future__ import annotations

import aiohttp

from hmpps_sandbox.fake import FakeApi


async def statuses(fake: FakeApi, count: int) -> list[int]:
    async with aiohttp.ClientSession() as session:
        out = []
        for _ in range(count):
            async with session.get(f"{fake.url}/health/ping") as response:
                out.append(response.status)
        return out


async def test_probability_hits_about_that_share_and_a_miss_uses_no_count() -> None:
    fake = FakeApi("flaky")
    await fake.start()
    try:
        fake.inject_fault(path_pattern=".*", status=500, count=None, probability=0.2)
        first = await statuses(fake, 300)
        assert 30 <= first.count(500) <= 90
        assert set(first) == {200, 500}

        fake.reset()  # reseeds: the same pattern again
        fake.inject_fault(path_pattern=".*", status=500, count=None, probability=0.2)
        assert await statuses(fake, 300) == first

        fake.reset()
        fake.inject_fault(path_pattern=".*", status=503, count=2, probability=0.5)
        assert (await statuses(fake, 60)).count(503) == 2
    finally:
        await fake.stop()


async def test_delay_only_fault_answers_normally() -> None:
    fake = FakeApi("slow")
    await fake.start()
    try:
        fake.inject_fault(path_pattern=".*", status=0, delay_seconds=0.01, count=None)
        assert await statuses(fake, 3) == [200, 200, 200]
    finally:
        await fake.stop()
