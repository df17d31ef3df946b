"""Counters the simulator keeps: requests per route and status, faults, renders, downloads."""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from typing import Any


class Stats:
    """Thread-safe counters; :meth:`snapshot` returns plain JSON-able data."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        with self._lock:
            self._requests: defaultdict[str, Counter[str]] = defaultdict(Counter)
            self._faults: defaultdict[str, Counter[str]] = defaultdict(Counter)
            self._counters: Counter[str] = Counter()

    def request(self, route: str, status: int | str) -> None:
        """Count one request on ``route`` answered with ``status`` (or ``"dropped"``)."""
        with self._lock:
            self._requests[route][str(status)] += 1

    def fault(self, route: str, kind: str) -> None:
        with self._lock:
            self._faults[kind][route] += 1

    def incr(self, name: str, by: int = 1) -> None:
        """Bump a named counter, e.g. ``videos_created``, ``renders_encoded``."""
        with self._lock:
            self._counters[name] += by

    def get(self, name: str) -> int:
        with self._lock:
            return self._counters[name]

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": {route: dict(c) for route, c in sorted(self._requests.items())},
                "requests_total": sum(sum(c.values()) for c in self._requests.values()),
                "faults": {kind: dict(c) for kind, c in sorted(self._faults.items())},
                "counters": dict(sorted(self._counters.items())),
            }
