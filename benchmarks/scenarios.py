"""The measured runs of ``make bench``, each on a freshly reset simulator.

Every scenario runs its variant in a child process (:mod:`benchmarks._child`), counts
the simulator's requests (``/_sim/stats``) and videos created, and reads from the
observing proxy when each video was first seen ready. A :class:`Bench` holds the
running services; :class:`Outcome` is what one scenario measured.

Example:
    >>> with Bench.start(settings) as bench:  # doctest: +SKIP
    ...     main = bench.flow_batch(rows, prefix="main")
    ...     main.requests / main.rows, main.seconds
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3

from benchmarks._child import ChildResult, Forker
from benchmarks._observer import Observer, Seen
from benchmarks._services import (
    PrefectServer,
    Simulator,
    moto_server,
    prefect_home,
    prefect_server,
    simulator,
    together,
)
from benchmarks.settings import BenchSettings
from prefect_tavus.tavus_api.simulator.replicas import DEFAULT_REPLICA_ID

API_PREFIXES = ("GET /v2/", "POST /v2/", "DELETE /v2/", "PATCH /v2/")
"""Routes that are Tavus API requests (media downloads are not)."""

FIRST_NAMES = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken")


def api_requests(stats: dict[str, Any]) -> dict[str, int]:
    """Tavus API requests per route (every status, 429s and retries included)."""
    return {
        route: sum(int(n) for n in by_status.values())
        for route, by_status in stats["requests"].items()
        if route.startswith(API_PREFIXES)
    }


def manifest_rows(count: int, tag: str) -> list[dict[str, str]]:
    """``count`` script rows for ``generate-videos``: an ``id`` and a ``first_name``."""
    return [
        {"id": f"{tag}-{n:05d}", "first_name": FIRST_NAMES[n % len(FIRST_NAMES)]}
        for n in range(count)
    ]


def video_name(prefix: str, row: dict[str, str]) -> str:
    """The row's ``video_name``: unique per run prefix, the same on a rerun."""
    return f"bench-{prefix}-{row['id']}"


@dataclass
class Outcome:
    """What one scenario measured."""

    name: str
    rows: int
    seconds: float
    created: int
    requests: dict[str, int]
    seen: list[Seen] = field(default_factory=list)
    peak_rss_mib: float | None = None
    killed: bool = False
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    def delays(self) -> list[float]:
        """Seconds from ready to noticed, one per video seen ready."""
        return sorted(s.delay for s in self.seen)

    def summary(self) -> dict[str, Any]:
        """JSON-able details for ``bench-results.json``."""
        delays = self.delays()
        return {
            "rows": self.rows,
            "seconds": round(self.seconds, 2),
            "videos_created": self.created,
            "api_requests": self.total_requests,
            "api_requests_by_route": self.requests,
            "seen_ready": len(self.seen),
            "ready_to_noticed_median_s": round(statistics.median(delays), 3) if delays else None,
            "ready_to_noticed_max_s": round(max(delays), 3) if delays else None,
            "peak_rss_mib": None if self.peak_rss_mib is None else round(self.peak_rss_mib, 1),
            "killed": self.killed,
            "report": self.report,
        }


def get_every(seen: list[Seen], interval: float) -> float:
    """Requests per video a loop would make that creates, then GETs every ``interval`` s
    until ready: 1 + ceil(time to ready / interval), averaged over ``seen``."""
    if not seen:
        return math.nan
    per_video = [1 + math.ceil((s.ready_at - s.created_at) / interval) for s in seen]
    return sum(per_video) / len(per_video)


@dataclass
class Bench:
    """The running services: simulator (behind the observer), S3 server, Prefect server,
    and the zygote every measured run is forked from."""

    settings: BenchSettings
    sim: Simulator
    observer: Observer
    s3_endpoint: str
    prefect: PrefectServer
    forker: Forker
    blocks: dict[str, str]
    output_bucket: str

    @classmethod
    @contextmanager
    def start(cls, settings: BenchSettings) -> Iterator[Bench]:
        with ExitStack() as stack:
            prefect = stack.enter_context(prefect_home())
            # the zygote imports Prefect while the server starts: it only needs its address
            sim, s3_endpoint, _, forker = stack.enter_context(
                together(
                    simulator(settings.simulator_config()),
                    moto_server(),
                    prefect_server(prefect),
                    Forker.start(prefect.env),
                )
            )
            observer = stack.enter_context(Observer(sim.base_url))
            saved = forker.run(
                "benchmarks._flow_child",
                {
                    "action": "save_blocks",
                    "s3_endpoint": s3_endpoint,
                    "api_key": sim.api_key,
                    "base_url": observer.url,
                    "prefix": "bench",
                },
                timeout=300,
            ).report
            yield cls(
                settings=settings,
                sim=sim,
                observer=observer,
                s3_endpoint=s3_endpoint,
                prefect=prefect,
                forker=forker,
                blocks=saved["blocks"],
                output_bucket=saved["output_bucket"],
            )

    # --- plumbing ------------------------------------------------------------------------------

    def reset(self, **overrides: Any) -> None:
        """Fresh simulator state with the run's config plus ``overrides``; observer cleared."""
        self.sim.reset(**overrides)
        self.observer.clear()

    def s3(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.s3_endpoint,
            region_name="us-east-1",
            aws_access_key_id="bench-access-key",
            aws_secret_access_key="bench-secret-key",  # a local moto server
        )

    def _measure(
        self,
        name: str,
        rows: int,
        module: str,
        payload: dict[str, Any],
        *,
        kill_when: Callable[[], bool] | None = None,
    ) -> Outcome:
        before = self.sim.stats()
        created_before = int(before["videos_created"])
        requests_before = api_requests(before)
        seen_before = {s.video_id for s in self.observer.seen()}
        child: ChildResult = self.forker.run(
            module,
            payload,
            timeout=self.settings.child_timeout,
            kill_when=kill_when,
        )
        after = self.sim.stats()
        requests = {
            route: n - requests_before.get(route, 0)
            for route, n in api_requests(after).items()
            if n - requests_before.get(route, 0)
        }
        return Outcome(
            name=name,
            rows=rows,
            seconds=float(child.report.get("seconds", child.seconds)),
            created=int(after["videos_created"]) - created_before,
            requests=requests,
            seen=[s for s in self.observer.seen() if s.video_id not in seen_before],
            peak_rss_mib=child.peak_rss_mib,
            killed=child.killed,
            report=child.report,
        )

    def stored_video_bytes(self, prefix: str) -> int:
        """Total size of the ``.mp4`` objects stored under ``bench/<prefix>/``."""
        s3 = self.s3()
        total = 0
        for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.output_bucket, Prefix=f"bench/{prefix}/"
        ):
            total += sum(o["Size"] for o in page.get("Contents", []) if o["Key"].endswith(".mp4"))
        return total

    # --- variants ------------------------------------------------------------------------------

    def batch_kwargs(self, rows: list[dict[str, str]], prefix: str, **extra: Any) -> dict[str, Any]:
        """Keyword arguments of ``generate_videos`` for ``rows`` stored under ``prefix``:
        the account's rate as ``creates_per_second``, the plain loop's copies in flight
        and polling, every other knob at its default."""
        s = self.settings
        return {
            "manifest": [{**row, "video_name": video_name(prefix, row)} for row in rows],
            "row_defaults": {"replica_id": DEFAULT_REPLICA_ID},
            "script_template": s.script_template,
            "settings": {"output_prefix": f"bench/{prefix}", **self._polling()},
            "pacing": {
                "creates_per_second": s.quota_creates_per_second,
                "max_concurrent_stores": s.max_concurrent_stores,
            },
            **self.blocks,
            **extra,
        }

    def flow_batch(
        self,
        rows: list[dict[str, str]],
        prefix: str,
        *,
        name: str | None = None,
        kill_when: Callable[[], bool] | None = None,
        **extra: Any,
    ) -> Outcome:
        """``rows`` through the ``generate-videos`` flow (one run, one process)."""
        payload = {
            "action": "flow",
            "flow": "generate_videos",
            "kwargs": self.batch_kwargs(rows, prefix, **extra),
        }
        return self._measure(
            name or f"flow-{prefix}",
            len(rows),
            "benchmarks._flow_child",
            payload,
            kill_when=kill_when,
        )

    def flow_single(self, script: str) -> Outcome:
        """One video through the single-video ``generate-video`` flow."""
        payload = {
            "action": "flow",
            "flow": "generate_video",
            "kwargs": {
                "job": {"replica_id": DEFAULT_REPLICA_ID, "script": script},
                "settings": self._polling(),
                **self.blocks,
            },
        }
        return self._measure("flow-single", 1, "benchmarks._flow_child", payload)

    def plain_loop(self, rows: list[dict[str, str]], prefix: str) -> Outcome:
        """The same rows with the same client code in a plain asyncio loop (no Prefect)."""
        payload = self._direct_payload(rows, prefix)
        return self._measure("plain-asyncio", len(rows), "benchmarks._plain_child", payload)

    def thread_script(self, rows: list[dict[str, str]], prefix: str) -> Outcome:
        """The hand-written baseline: 10 threads, the sync client, a GET every 5 s."""
        payload = {
            **self._direct_payload(rows, prefix),
            "threads": self.settings.baseline_threads,
            "poll_seconds": self.settings.baseline_poll_seconds,
        }
        return self._measure("threads-baseline", len(rows), "benchmarks._threads_child", payload)

    def _polling(self) -> dict[str, float]:
        """The flows' polling settings of this run (the flows' defaults in a full run)."""
        poll = self.settings.poll_seconds
        return {"poll_interval_seconds": poll, "max_poll_interval_seconds": max(poll, 30.0)}

    def _direct_payload(self, rows: list[dict[str, str]], prefix: str) -> dict[str, Any]:
        s = self.settings
        return {
            "rows": [
                {
                    "id": row["id"],
                    "script": s.script_template.format(**row),
                    "video_name": video_name(prefix, row),
                }
                for row in rows
            ],
            "replica_id": DEFAULT_REPLICA_ID,
            "base_url": self.observer.url,
            "api_key": self.sim.api_key,
            "s3_endpoint": self.s3_endpoint,
            "bucket": self.output_bucket,
            "prefix": f"bench/{prefix}",
            "creates_per_second": s.quota_creates_per_second,
            "max_concurrent_stores": s.max_concurrent_stores,
            "poll_seconds": s.poll_seconds,
        }

    def killed_mid_wait(self) -> Callable[[], bool]:
        """A ``kill_when``: true once every row of the run was created and none is
        ready-and-stored yet for long, i.e. the flow is waiting (checked from the stats)."""
        target = self.settings.sigkill_rows
        armed: dict[str, float] = {}

        def check() -> bool:
            import time

            stats = self.sim.stats()
            if int(stats["videos_created"]) < target:
                return False
            armed.setdefault("at", time.monotonic())
            # a moment for the last creates' ledger records; the videos still generate
            return time.monotonic() - armed["at"] >= self.settings.sigkill_after_created_s

        return check


__all__ = ["API_PREFIXES", "Bench", "Outcome", "api_requests", "get_every", "manifest_rows"]
