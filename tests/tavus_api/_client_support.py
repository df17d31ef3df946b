"""Helpers shared by the client tests: fake time, respx scoping, one API over both twins.

``Twin`` wraps a ``TavusClient`` or an ``AsyncTavusClient`` so one async test body
exercises both: every method is awaited if it returns an awaitable, and ``iter_*``
results are collected into lists.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import respx

from prefect_tavus.tavus_api import AsyncTavusClient, RetryPolicy, TavusClient

BASE_URL = "https://tavus.test"  # .test never resolves: nothing here can reach the internet
API_KEY = "sk-live-7f3e9c-SECRET-do-not-log"
KINDS = ("sync", "async")


class FakeTime:
    """A monotonic clock that only moves when something sleeps; records every sleep."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0, f"negative sleep {seconds}"
        self.sleeps.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


def no_jitter(**overrides: Any) -> RetryPolicy:
    """A deterministic policy (jitter 0) for exact delay assertions."""
    return RetryPolicy(jitter=0.0, **overrides)


def make_client(
    kind: str, fake: FakeTime, *, base_url: str = BASE_URL, api_key: str = API_KEY, **kw: Any
) -> TavusClient | AsyncTavusClient:
    """A client of ``kind`` ("sync"/"async") whose sleep and clock are ``fake``."""
    kw.setdefault("retry", no_jitter())
    if kind == "sync":
        return TavusClient(api_key, base_url=base_url, sleep=fake.sleep, clock=fake.clock, **kw)
    return AsyncTavusClient(api_key, base_url=base_url, sleep=fake.asleep, clock=fake.clock, **kw)


class Twin:
    """Uniform async access to either client (see the module docstring)."""

    def __init__(self, client: TavusClient | AsyncTavusClient) -> None:
        self.client = client
        self.is_async = isinstance(client, AsyncTavusClient)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.client, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            result = attr(*args, **kwargs)
            if inspect.isawaitable(result):
                return await result
            if hasattr(result, "__aiter__"):
                return [item async for item in result]
            if name.startswith("iter_"):
                return list(result)
            return result

        return call

    async def aclose(self) -> None:
        result = self.client.close()
        if inspect.isawaitable(result):
            await result


class Harness:
    """A twin client of ``kind`` and the fake time it sleeps on (jitter 0)."""

    def __init__(self, kind: str, *, max_retries: int) -> None:
        self.fake = FakeTime()
        self.twin = Twin(make_client(kind, self.fake, retry=no_jitter(max_retries=max_retries)))


@contextmanager
def mock_api(base_url: str = BASE_URL) -> Iterator[respx.MockRouter]:
    """respx over ``base_url`` only: loopback traffic (simulator, moto) passes through."""
    with respx.mock(base_url=base_url, assert_all_called=False) as router:
        router.route(host="127.0.0.1").pass_through()
        yield router


def video_json(video_id: str = "abc1234567", **fields: Any) -> dict[str, Any]:
    """A video body as Tavus returns it."""
    return {"video_id": video_id, "video_name": "v", "status": "queued", **fields}


# --- the real simulator ------------------------------------------------------------------------

SIM_KEY = "sim-key"


def simulator_config(**overrides: Any) -> Any:
    """The simulator settings these tests use: manual clock, quick generation."""
    from prefect_tavus.tavus_api.simulator import SimulatorConfig

    settings: dict[str, Any] = {
        "api_keys": [SIM_KEY],
        "clock": "manual",
        "generation_seconds": 5,
        "queue_seconds": 1,
    }
    settings.update(overrides)
    return SimulatorConfig(**settings)


class SimTime(FakeTime):
    """Fake time whose sleeps also move the simulator's manual clock by the same amount."""

    def __init__(self, sim: Any) -> None:
        super().__init__()
        self.sim = sim

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds)
        self.sim.advance(seconds)


def requests_to(sim: Any, route: str) -> dict[str, int]:
    """The simulator's request counts by status for one route template.

    The simulator counts a request before it sends the answer (or drops the
    connection), so every request of a call that has returned is counted. The one
    exception is a request the client gave up on while a ``latency`` fault held it:
    that one is counted when the delay ends.
    """
    return dict(sim.stats()["requests"].get(route, {}))
