"""The account quota on video creates: a sliding 1 s window and a cap on unfinished videos.

Tavus documents no video quota; this one lets the batch flow's pacing and 429 handling be
tested and measured. It keeps no clock of its own: callers pass the simulator's time.

Example:
    >>> quota = CreateQuota(per_second=2, concurrent=None)
    >>> quota.admit(100.0, unfinished=0, next_free_at=None)
    >>> quota.admit(100.2, unfinished=1, next_free_at=None)
    >>> refusal = quota.admit(100.5, unfinished=2, next_free_at=None)
    >>> refusal.reason, round(refusal.retry_after, 3), refusal.retry_after_header
    ('creates_per_second', 0.5, '1')
    >>> quota.admit(101.0, unfinished=2, next_free_at=None) is None  # 100.0 left the window
    True
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass
from typing import Literal

WINDOW_SECONDS = 1.0


@dataclass(frozen=True)
class Refusal:
    """Why a create was refused and how long until it would be accepted (seconds)."""

    reason: Literal["creates_per_second", "concurrent_generating"]
    retry_after: float
    message: str

    @property
    def retry_after_header(self) -> str:
        """``Retry-After`` as HTTP allows it: whole seconds, rounded up, at least 1."""
        return str(max(1, math.ceil(self.retry_after)))


class CreateQuota:
    """Admits creates under ``per_second`` (any 1 s window) and ``concurrent`` (unfinished).

    ``None`` disables a limit. Only admitted creates count towards the window.
    """

    def __init__(self, *, per_second: int | None, concurrent: int | None) -> None:
        self.per_second = per_second
        self.concurrent = concurrent
        self._admitted: deque[float] = deque()
        self._lock = threading.Lock()

    def admit(self, now: float, *, unfinished: int, next_free_at: float | None) -> Refusal | None:
        """Record a create at ``now`` and return None, or return why it must wait.

        ``unfinished`` is the number of videos queued or generating; ``next_free_at`` the
        time the first of them is expected to finish (None if unknown).
        """
        with self._lock:
            if self.concurrent is not None and unfinished >= self.concurrent:
                wait = (next_free_at - now) if next_free_at is not None else WINDOW_SECONDS
                return Refusal(
                    "concurrent_generating",
                    max(wait, 0.0),
                    f"Concurrency limit reached: at most {self.concurrent} videos may be queued "
                    "or generating at once. Please retry after one has finished.",
                )
            if self.per_second is not None:
                while self._admitted and self._admitted[0] <= now - WINDOW_SECONDS:
                    self._admitted.popleft()
                if len(self._admitted) >= self.per_second:
                    wait = self._admitted[0] + WINDOW_SECONDS - now
                    return Refusal(
                        "creates_per_second",
                        max(wait, 0.0),
                        f"Rate limit exceeded: at most {self.per_second} video creates per "
                        "second. Please slow down.",
                    )
                self._admitted.append(now)
            return None
