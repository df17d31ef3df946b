"""The simulator's notion of time: the wall clock, or one that moves only when told.

Both kinds can be advanced (an offset is added), so a real-clock run can still skip ahead.

Example:
    >>> c = Clock("manual")
    >>> t0 = c.now()
    >>> _ = c.advance(5)
    >>> c.now() - t0
    5.0
"""

from __future__ import annotations

import threading
import time
from typing import Literal


class Clock:
    """``now()`` in Unix seconds; ``manual`` starts at the wall time of creation and stays."""

    def __init__(self, mode: Literal["real", "manual"] = "real") -> None:
        self.mode = mode
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._start = time.time()
            self._offset = 0.0

    def now(self) -> float:
        with self._lock:
            base = self._start if self.mode == "manual" else time.time()
            return base + self._offset

    def advance(self, seconds: float) -> float:
        """Move time forward by ``seconds`` (>= 0) and return the new ``now()``."""
        if seconds < 0:
            raise ValueError(f"seconds must be >= 0, got {seconds}")
        with self._lock:
            self._offset += seconds
        return self.now()
