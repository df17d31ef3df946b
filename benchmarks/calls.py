"""API calls per video: our ``wait_for_video`` and create guard vs what users hand-write.

Runs on the simulator's MANUAL clock: every sleep (ours injected into the client, the
hand-written loop's own) moves the simulator's clock instead of waiting, so a video
that takes ``video_seconds`` of queue + generation costs no real time. Requests are
counted by the simulator (``sim.stats()``).

* polling: ``TavusClient.wait_for_video`` (defaults: 5 s growing x1.5 to 30 s) vs a
  loop that GETs the video every ``naive_poll_seconds`` (2 s, as seen in user code);
  reports GETs per video and how late each noticed the video was ready.
* lost response: ``POST /v2/videos`` is processed but its answer is lost (the
  simulator's ``lost_response`` fault). ``create_video`` re-attaches by
  ``video_name``; a naive retry-on-error loop sends the POST again. Reports videos
  created per video asked for (ours must be exactly 1).

Example:
    >>> rows = run(CallsSettings(video_seconds=30, repetitions=1))  # doctest: +SKIP
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Any

import httpx

from benchmarks._report import Row, alternate
from prefect_tavus.tavus_api import TavusClient, VideoRequest, VideoStatus
from prefect_tavus.tavus_api.simulator import (
    DEFAULT_REPLICA_ID,
    FaultRule,
    SimulatorConfig,
    SimulatorServer,
)

GET_VIDEO = "GET /v2/videos/{video_id}"
POST_VIDEOS = "POST /v2/videos"
SCRIPT = "Counting calls."

_names = itertools.count(1)


@dataclass(frozen=True)
class CallsSettings:
    """Sizes of the calls benchmark."""

    video_seconds: float = 90.0
    """Simulated queue + generation time of each video."""
    queue_seconds: float = 10.0
    """Part of ``video_seconds`` spent queued."""
    naive_poll_seconds: float = 2.0
    """Interval of the hand-written polling loop."""
    repetitions: int = 5


class SimTime:
    """A monotonic clock that moves only on ``sleep``, which also advances the simulator."""

    def __init__(self, sim: SimulatorServer) -> None:
        self.sim = sim
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.sim.advance(seconds)


def requests_to(sim: SimulatorServer, route: str) -> int:
    """Requests the simulator counted on ``route``, whatever their status."""
    counts: dict[str, Any] = sim.stats()["requests"].get(route, {})
    return sum(int(n) for n in counts.values())


def _request() -> VideoRequest:
    return VideoRequest(
        replica_id=DEFAULT_REPLICA_ID, script=SCRIPT, video_name=f"bench-calls-{next(_names)}"
    )


def _headers(sim: SimulatorServer) -> dict[str, str]:
    return {"x-api-key": sim.api_key}


def ours_wait(sim: SimulatorServer) -> tuple[int, float]:
    """Create a video and ``wait_for_video`` with defaults: (GETs, simulated seconds)."""
    sim.reset()
    time_ = SimTime(sim)
    with TavusClient(
        sim.api_key, base_url=sim.base_url, sleep=time_.sleep, clock=time_.clock
    ) as client:
        video = client.create_video(_request())
        ready = client.wait_for_video(video.video_id)
    assert ready.status is VideoStatus.READY
    return requests_to(sim, GET_VIDEO), time_.now


def naive_wait(sim: SimulatorServer, poll_seconds: float) -> tuple[int, float]:
    """The hand-written loop: POST, then GET every ``poll_seconds`` until ready."""
    sim.reset()
    time_ = SimTime(sim)
    with httpx.Client(base_url=sim.base_url, headers=_headers(sim)) as http:
        body = _request().to_api_body()
        video_id = http.post("/v2/videos", json=body).json()["video_id"]
        while True:
            status = http.get(f"/v2/videos/{video_id}").json()["status"]
            if status in ("ready", "error", "deleted"):
                break
            time_.sleep(poll_seconds)
    assert status == "ready", status
    return requests_to(sim, GET_VIDEO), time_.now


def _lose_next_create(sim: SimulatorServer) -> None:
    sim.reset()
    sim.set_faults([FaultRule(route=POST_VIDEOS, kind="lost_response", count=1)])


def ours_create(sim: SimulatorServer) -> tuple[int, int]:
    """``create_video`` when the first answer is lost: (videos created, POSTs sent)."""
    _lose_next_create(sim)
    time_ = SimTime(sim)
    with TavusClient(
        sim.api_key, base_url=sim.base_url, sleep=time_.sleep, clock=time_.clock
    ) as client:
        client.create_video(_request())
    return int(sim.stats()["videos_created"]), requests_to(sim, POST_VIDEOS)


def naive_create(sim: SimulatorServer, attempts: int = 3) -> tuple[int, int]:
    """Retry the POST on any error, as hand-written code does: (videos created, POSTs)."""
    _lose_next_create(sim)
    body = _request().to_api_body()
    with httpx.Client(base_url=sim.base_url, headers=_headers(sim)) as http:
        for _ in range(attempts):
            try:
                response = http.post("/v2/videos", json=body)
            except httpx.TransportError:
                continue
            if response.status_code < 500:
                break
    return int(sim.stats()["videos_created"]), requests_to(sim, POST_VIDEOS)


def run(settings: CallsSettings) -> list[Row]:
    """Both comparisons, each variant ``settings.repetitions`` times, alternated."""
    generation = settings.video_seconds - settings.queue_seconds
    if generation <= 0:
        raise ValueError("video_seconds must be longer than queue_seconds")
    config = SimulatorConfig(
        clock="manual", queue_seconds=settings.queue_seconds, generation_seconds=generation
    )
    polls: dict[str, list[tuple[int, float]]] = {"ours": [], "naive": []}
    creates: dict[str, list[tuple[int, int]]] = {"ours": [], "naive": []}
    with SimulatorServer(config) as sim:

        def ours_polls() -> float:
            polls["ours"].append(ours_wait(sim))
            return float(polls["ours"][-1][0])

        def naive_polls() -> float:
            polls["naive"].append(naive_wait(sim, settings.naive_poll_seconds))
            return float(polls["naive"][-1][0])

        def ours_videos() -> float:
            creates["ours"].append(ours_create(sim))
            return float(creates["ours"][-1][0])

        def naive_videos() -> float:
            creates["naive"].append(naive_create(sim))
            return float(creates["naive"][-1][0])

        started = time.perf_counter()
        ours_gets, naive_gets = alternate(settings.repetitions, ours_polls, naive_polls)
        ours_made, naive_made = alternate(settings.repetitions, ours_videos, naive_videos)
        elapsed = time.perf_counter() - started

    late_ours = [t - settings.video_seconds for _, t in polls["ours"]]
    late_naive = [t - settings.video_seconds for _, t in polls["naive"]]
    posts_ours = sorted({p for _, p in creates["ours"]})
    posts_naive = sorted({p for _, p in creates["naive"]})
    video = f"{settings.video_seconds:g} s video"
    return [
        Row(
            "calls",
            f"GETs to wait for a {video}",
            "GETs",
            ours_gets,
            naive_gets,
            note=f"ours: 5 s growing to 30 s; baseline: every {settings.naive_poll_seconds:g} s; "
            f"simulated clock ({elapsed:.1f} s real for all runs)",
        ),
        Row(
            "calls",
            "ready noticed after",
            "s late",
            late_ours,
            late_naive,
            note="the price of fewer polls: simulated seconds between ready and seen",
        ),
        Row(
            "calls",
            "videos created, 1st answer lost",
            "videos",
            ours_made,
            naive_made,
            note=f"POSTs sent: ours {posts_ours}, naive retry {posts_naive}; "
            "ours re-attaches by video_name",
        ),
    ]


__all__ = [
    "CallsSettings",
    "SimTime",
    "naive_create",
    "naive_wait",
    "ours_create",
    "ours_wait",
    "run",
]
