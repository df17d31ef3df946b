"""CreatePacer on virtual time (start times recorded on a fake clock), and a create storm of
429s from the real simulator slowing every create down without losing or doubling one."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from prefect_tavus.tavus_api import AsyncTavusClient, VideoRequest
from prefect_tavus.tavus_api.pacing import CreatePacer
from prefect_tavus.tavus_api.simulator import DEFAULT_REPLICA_ID, FaultRule, SimulatorServer
from tests.tavus_api._client_support import no_jitter, requests_to, simulator_config

pytestmark = pytest.mark.timeout(60)


class VirtualTime:
    """Time that jumps to the next timer once nothing can run (no wall time passes).

    ``busy`` tells it that real work it cannot see (an HTTP request) is still going on.
    """

    def __init__(self) -> None:
        self.now = 0.0
        self._timers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._timers, (self.now + seconds, next(self._order), future))
        await future

    async def run(self, work: Awaitable[Any], busy: Callable[[], bool] = lambda: False) -> Any:
        task = asyncio.ensure_future(work)
        while not task.done():
            for _ in range(20):  # let every runnable task run until it waits
                await asyncio.sleep(0)
            if busy():
                await asyncio.sleep(0.001)
                continue
            if task.done() or not self._timers:
                continue
            when, _, future = heapq.heappop(self._timers)
            self.now = max(self.now, when)
            future.set_result(None)
        return task.result()


class CountingTransport(httpx.AsyncBaseTransport):
    """Loopback HTTP that knows how many requests are in flight (body read included)."""

    def __init__(self) -> None:
        self.in_flight = 0
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.in_flight += 1
        try:
            response = await self._inner.handle_async_request(request)
            body = await response.aread()
            return httpx.Response(response.status_code, headers=response.headers, content=body)
        finally:
            self.in_flight -= 1

    async def aclose(self) -> None:
        await self._inner.aclose()


async def _burst(
    pacer: CreatePacer, time: VirtualTime, count: int, hold: float
) -> tuple[list[float], int]:
    starts: list[float] = []
    most = 0

    async def one() -> None:
        nonlocal most
        async with pacer.slot():
            starts.append(time.clock())
            most = max(most, pacer.in_flight)
            await time.sleep(hold)

    await asyncio.gather(*(one() for _ in range(count)))
    return starts, most


async def test_in_flight_never_exceeds_the_cap() -> None:
    time = VirtualTime()
    pacer = CreatePacer(max_in_flight=3, clock=time.clock, sleep=time.sleep)
    starts, most = await time.run(_burst(pacer, time, 10, hold=2.0))
    assert most == 3
    # no rate: three start at once, the next three when those finish, ...
    assert starts == [0, 0, 0, 2, 2, 2, 4, 4, 4, 6]


async def test_starts_per_second_are_respected() -> None:
    time = VirtualTime()
    pacer = CreatePacer(max_in_flight=50, per_second=4, clock=time.clock, sleep=time.sleep)
    starts, _ = await time.run(_burst(pacer, time, 12, hold=0.1))
    # 0.25 s apart; the 5th waits until the 1st answered (after its 0.1 s) 1 s ago
    assert starts == pytest.approx([0, 0.25, 0.5, 0.75, 1.1, 1.35, 1.6, 1.85, 2.2, 2.45, 2.7, 2.95])
    for i in range(len(starts) - 4):  # never more than 4 starts in any 1 s window
        assert starts[i + 4] - starts[i] >= 1.0 - 1e-9


async def test_late_wake_ups_are_made_up_without_breaking_the_window() -> None:
    """A busy event loop wakes every sleeper late; the rate must not sink with it."""
    time = VirtualTime()

    async def late_sleep(seconds: float) -> None:
        await time.sleep(seconds + 0.05)  # a fifth of the interval late, every time

    pacer = CreatePacer(max_in_flight=50, per_second=4, clock=time.clock, sleep=late_sleep)
    starts, _ = await time.run(_burst(pacer, time, 40, hold=0.01))
    # spaced from the previous start, each would be 0.30 s apart: 11.7 s for 40; here
    # only the wake-up when the window opens is late: 4 starts per 1 + 0.01 + 0.05 s
    assert starts[-1] <= 9 * 1.06 + 3 * 0.30 + 1e-6
    for i in range(len(starts) - 4):
        assert starts[i + 4] - starts[i] >= 1.0 - 1e-9
    assert min(b - a for a, b in itertools.pairwise(starts)) >= 0.75 * 0.25 - 1e-9


async def test_pause_for_holds_every_start() -> None:
    time = VirtualTime()
    pacer = CreatePacer(max_in_flight=10, per_second=10, clock=time.clock, sleep=time.sleep)
    starts: list[float] = []

    async def one(index: int) -> None:
        async with pacer.slot():
            starts.append(time.clock())
            if index == 1:
                pacer.pause_for(5.0)  # as a 429 on this create would
                pacer.pause_for(1.0)  # a shorter pause does not shorten it

    async def all_of_them() -> None:
        await asyncio.gather(*(one(i) for i in range(4)))

    await time.run(all_of_them())
    assert starts == pytest.approx([0.0, 0.1, 5.1, 5.2])


@pytest.mark.parametrize(
    ("max_in_flight", "per_second", "field"),
    [(0, None, "max_in_flight"), (1.5, None, "max_in_flight"), (1, 0, "per_second")],
)
def test_bad_settings_name_the_field(max_in_flight: Any, per_second: Any, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        CreatePacer(max_in_flight=max_in_flight, per_second=per_second)


async def test_a_429_slows_every_create_and_loses_none() -> None:
    time = VirtualTime()
    transport = CountingTransport()
    pacer = CreatePacer(max_in_flight=20, per_second=2, clock=time.clock, sleep=time.sleep)
    pauses: list[tuple[float, float]] = []  # (when, seconds)
    starts: list[float] = []

    def on_rate_limited(seconds: float) -> float:
        pauses.append((time.clock(), seconds))
        return pacer.rate_limited(seconds)

    with SimulatorServer(simulator_config()) as sim:
        client = AsyncTavusClient(
            sim.api_key,
            base_url=sim.base_url,
            retry=no_jitter(),
            http_client=httpx.AsyncClient(transport=transport),
            sleep=time.sleep,
            clock=time.clock,
        )
        sim.set_faults(
            [FaultRule(route="POST /v2/videos", kind="rate_limit", count=3, retry_after=3)]
        )

        async def create(index: int) -> str:
            request = VideoRequest(
                replica_id=DEFAULT_REPLICA_ID, script="Paced", video_name=f"paced-{index}"
            )
            async with pacer.slot():
                starts.append(time.clock())
                video = await client.create_video(request, on_rate_limited=on_rate_limited)
            return video.video_id

        async def all_of_them() -> list[str]:
            return list(await asyncio.gather(*(create(i) for i in range(8))))

        ids = await time.run(all_of_them(), busy=lambda: transport.in_flight > 0)
        await client.close()
        posts = requests_to(sim, "POST /v2/videos")
        created = sim.stats()["videos_created"]

    assert len(set(ids)) == 8 and created == 8  # none lost, none doubled
    assert posts == {"429": 3, "200": 8}
    assert [seconds for _, seconds in pauses] == [3.0] * 3  # Retry-After, jitter 0
    assert pauses[0][0] == 0.0  # the very first create was refused ...
    assert starts[1] >= 3.0  # ... so the second one waited out the pause, not 0.5 s
    for when, seconds in pauses:  # while a pause holds, no create starts
        assert not [t for t in starts if when < t < when + seconds]


async def test_a_refused_create_is_sent_again_in_its_own_turn() -> None:
    """Re-sends after a 429 are paced like starts: not all at once when the pause ends."""
    time = VirtualTime()
    pacer = CreatePacer(max_in_flight=10, per_second=2, clock=time.clock, sleep=time.sleep)
    waits = [pacer.rate_limited(3.0), pacer.rate_limited(3.0)]  # two creates in flight refused
    starts: list[float] = []

    async def one() -> None:
        async with pacer.slot():
            starts.append(time.clock())

    await time.run(one())
    assert waits == pytest.approx([3.0, 3.5])  # the re-sends: 0.5 s apart after the pause
    assert starts == pytest.approx([4.0])  # the next new create after both


async def test_a_re_send_moves_its_own_start_not_another_unanswered_one() -> None:
    """Two creates in flight, the second refused: its re-send takes a new turn, and the
    first (still unanswered) keeps its place at the head of the window."""
    time = VirtualTime()
    pacer = CreatePacer(max_in_flight=5, per_second=2, clock=time.clock, sleep=time.sleep)
    waits: list[float] = []
    starts: list[float] = []

    async def first() -> None:
        async with pacer.slot():
            starts.append(time.clock())
            await time.sleep(3.0)  # answers late

    async def second() -> None:
        async with pacer.slot():
            starts.append(time.clock())
            waits.append(pacer.rate_limited(1.0))
            await time.sleep(waits[-1])

    async def third() -> None:
        async with pacer.slot():
            starts.append(time.clock())

    async def all_of_them() -> None:
        await asyncio.gather(first(), second(), third())

    await time.run(all_of_them())
    assert starts[:2] == pytest.approx([0.0, 0.5])
    assert waits == pytest.approx([1.0])  # re-sent at 1.5, its own turn after the pause
    # the third waits for the oldest of the last two starts to have answered 1 s ago:
    # the first create (answered at 3.0), not the re-send
    assert starts[2] == pytest.approx(4.0)
