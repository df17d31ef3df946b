"""Throughput: N videos created and waited on, concurrently (async) vs one at a time (sync).

Runs on a real-clock simulator where each video takes ``queue_seconds`` +
``generation_seconds`` (about 1 s). Ours: one ``AsyncTavusClient``, every video's
create + ``wait_for_video`` started at once with ``asyncio.gather``, at most
``concurrency`` in flight (a semaphore). Baseline: the hand-written script, one
``TavusClient`` creating and waiting on each video in turn. Both poll on the same
schedule, so the difference is the concurrency. Reports videos per second.

Example:
    >>> rows = run(ThroughputSettings(videos=5, repetitions=1))  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass

from benchmarks._report import Row, alternate
from prefect_tavus.tavus_api import AsyncTavusClient, TavusClient, VideoRequest, VideoStatus
from prefect_tavus.tavus_api.simulator import DEFAULT_REPLICA_ID, SimulatorConfig, SimulatorServer

SCRIPT = "Measuring throughput."

_names = itertools.count(1)


@dataclass(frozen=True)
class ThroughputSettings:
    """Sizes of the throughput benchmark."""

    videos: int = 100
    """Videos per run, for each variant."""
    concurrency: int = 50
    """Most videos the async variant has in flight at once."""
    queue_seconds: float = 0.0
    generation_seconds: float = 0.8
    poll_seconds: float = 0.2
    """Delay between status polls, the same fixed value for both variants."""
    repetitions: int = 2


def _request(run: str) -> VideoRequest:
    return VideoRequest(
        replica_id=DEFAULT_REPLICA_ID, script=SCRIPT, video_name=f"bench-{run}-{next(_names)}"
    )


async def _ours(sim: SimulatorServer, settings: ThroughputSettings) -> int:
    gate = asyncio.Semaphore(settings.concurrency)
    async with AsyncTavusClient(sim.api_key, base_url=sim.base_url) as client:

        async def one() -> bool:
            async with gate:
                video = await client.create_video(_request("async"))
                ready = await client.wait_for_video(
                    video.video_id,
                    poll_interval=settings.poll_seconds,
                    max_poll_interval=settings.poll_seconds,
                )
                return ready.status is VideoStatus.READY

        done = await asyncio.gather(*(one() for _ in range(settings.videos)))
    return sum(done)


def ours(sim: SimulatorServer, settings: ThroughputSettings) -> float:
    """Videos per second with every wait concurrent on one ``AsyncTavusClient``."""
    sim.reset()
    started = time.perf_counter()
    ready = asyncio.run(_ours(sim, settings))
    elapsed = time.perf_counter() - started
    assert ready == settings.videos, f"{ready} of {settings.videos} videos ready"
    return ready / elapsed


def baseline(sim: SimulatorServer, settings: ThroughputSettings) -> float:
    """Videos per second creating and waiting on one video at a time (sync client)."""
    sim.reset()
    started = time.perf_counter()
    ready = 0
    with TavusClient(sim.api_key, base_url=sim.base_url) as client:
        for _ in range(settings.videos):
            video = client.create_video(_request("sync"))
            done = client.wait_for_video(
                video.video_id,
                poll_interval=settings.poll_seconds,
                max_poll_interval=settings.poll_seconds,
            )
            ready += done.status is VideoStatus.READY
    elapsed = time.perf_counter() - started
    assert ready == settings.videos, f"{ready} of {settings.videos} videos ready"
    return ready / elapsed


def run(settings: ThroughputSettings) -> list[Row]:
    """Both variants ``settings.repetitions`` times, alternated, on one simulator."""
    config = SimulatorConfig(
        clock="real",
        queue_seconds=settings.queue_seconds,
        generation_seconds=settings.generation_seconds,
    )
    with SimulatorServer(config) as sim:
        ours_rate, base_rate = alternate(
            settings.repetitions, lambda: ours(sim, settings), lambda: baseline(sim, settings)
        )
    per_video = settings.queue_seconds + settings.generation_seconds
    return [
        Row(
            "throughput",
            f"{settings.videos} videos, {per_video:g} s each",
            "videos/s",
            ours_rate,
            base_rate,
            better="higher",
            note=f"async gather (<= {settings.concurrency} in flight) vs sync one at a time; "
            f"both poll every {settings.poll_seconds:g} s; real clock",
        )
    ]


__all__ = ["ThroughputSettings", "baseline", "ours", "run"]
