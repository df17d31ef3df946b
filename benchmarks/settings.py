"""Sizes of a benchmark run: the full one (``make bench``) and ``--quick``.

Example:
    >>> BenchSettings.quick().rows, BenchSettings.full().rows
    (100, 1000)
    >>> BenchSettings.full().lower_bound_seconds(1000)
    55.0
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

GIB = 1024**3
MIB = 1024**2


@dataclass(frozen=True)
class BenchSettings:
    """Everything a run can be told; the defaults are the issue's full run."""

    rows: int = 1000
    """Script rows of the throughput, requests and overhead runs."""
    small_rows: int = 100
    """Rows of the run whose peak memory is compared with the big run's."""
    baseline_rows: int = 300
    """Rows of the 10-thread baseline: it makes about one video per second whatever the
    row count (10 threads, ~10 s a video), so 300 rows show its rate in ~5 minutes."""
    generation_seconds: float = 5.0
    generation_jitter_seconds: float = 1.0
    """Each video generates ``generation_seconds`` +- a uniform draw of this."""
    quota_creates_per_second: int = 20
    """The simulated account's quota; the flow is told the same rate."""
    big_output_bytes: int = 2 * GIB
    """Size of the one output stored for the memory figure."""
    lookup_existing_videos: int = 5000
    """Videos already in the account when the duplicate guard looks a name up."""
    sigkill_rows: int = 100
    """Rows of the run killed with SIGKILL mid-wait and run again."""
    sigkill_after_created_s: float = 1.0
    """Seconds after the last create before the SIGKILL (the videos still generate)."""
    baseline_threads: int = 10
    baseline_poll_seconds: float = 5.0
    poll_seconds: float = 5.0
    """First status read after a create, and the poll interval: the flow and the plain
    loop alike (the flows' default)."""
    max_concurrent_stores: int = 8
    """Copies to S3 at once, told to the flow (``pacing.max_concurrent_stores``) and the
    plain loop alike."""
    script_template: str = "Hi {first_name}, thank you for joining us this week."
    child_timeout: float = 3600.0
    quick_mode: bool = False

    @classmethod
    def full(cls) -> BenchSettings:
        return cls()

    @classmethod
    def quick(cls) -> BenchSettings:
        """About 100 rows, a small output, 1 s videos read every second: the whole run in
        about a minute."""
        return cls(
            rows=100,
            generation_seconds=1.0,
            generation_jitter_seconds=0.25,
            poll_seconds=1.0,
            baseline_poll_seconds=1.0,
            small_rows=10,
            baseline_rows=10,
            big_output_bytes=64 * MIB,
            lookup_existing_videos=5000,
            sigkill_rows=10,
            sigkill_after_created_s=0.3,  # the 1 s videos are still generating
            child_timeout=300.0,
            quick_mode=True,
        )

    def with_(self, **changes: Any) -> BenchSettings:
        """A copy with ``changes`` (``None`` values ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def lower_bound_seconds(self, rows: int) -> float:
        """No run can beat this: creates paced at the quota, then the last one generates."""
        return rows / self.quota_creates_per_second + self.generation_seconds

    def simulator_config(self) -> dict[str, Any]:
        """The simulator's config at start (scenarios add overrides on reset)."""
        return {
            "clock": "real",
            "queue_seconds": 0.0,
            "generation_seconds": self.generation_seconds,
            "generation_jitter_seconds": self.generation_jitter_seconds,
            "quota_creates_per_second": self.quota_creates_per_second,
            "seed": 7,
        }


__all__ = ["GIB", "MIB", "BenchSettings"]
