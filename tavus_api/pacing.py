"""Pacing video creates against a Tavus quota: in-flight cap, start rate, shared 429 pause.

Interface::

    pacer = CreatePacer(max_in_flight=10, per_second=20)
    async with pacer.slot():                    # waits for a free slot and its start time
        video = await client.create_video(request, on_rate_limited=pacer.rate_limited)

* ``max_in_flight``: at most this many ``slot()`` bodies run at once.
* ``per_second``: at most ``per_second`` creates reach Tavus in any second, the way a
  quota counts them: a start waits until the create ``per_second`` starts before it has
  *answered* more than a second ago (it reached Tavus before it answered, so however
  long the requests took on the way, no second holds one too many). Starts are also
  ``1 / per_second`` apart on a schedule that makes up for a late wake-up (never closer
  than ``MIN_GAP`` of that), and keep their arrival order (``None``: no rate).
  Spacing each start from the previous one instead, a busy event loop's late wake-ups
  lowered 20/s to 18.2/s in a 1,000-row run.
* ``pause_for(seconds)``: no slot starts before ``seconds`` from now.
* ``rate_limited(seconds)``: ``create_video``'s ``on_rate_limited``, called on every 429
  with the wait the client honours (``Retry-After``, or its backoff). It pauses every
  start (one 429 slows *all* creates, not only the one that got it) and gives the
  refused create's re-send its own turn in the start schedule: the client waits until
  then and re-sends it (a 429 means Tavus did not act, so none is lost or doubled).
  Without that turn, the re-sends of every refused create in flight and the next paced
  start all went out together the moment the pause ended, a burst over the quota that
  drew the next 429 (measured: 14 429s for 300 creates paced at the quota's 20/s).

The clock and sleep are injectable, so tests assert on recorded start times.

:func:`report_rate_limits` is the sans-IO wrapper behind ``on_rate_limited``.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from prefect_tavus.tavus_api._steps import Operation, Send, Sleep
from prefect_tavus.tavus_api.errors import RateLimitError

T = TypeVar("T")

MIN_GAP = 0.75
"""Starts are at least this fraction of ``1 / per_second`` apart (no burst after a pause)."""

OnRateLimited = Callable[[float], float | None]
"""Told how many seconds the client means to wait after a 429 (or the server's hint when it
gives up); may return a longer wait for the re-send (:meth:`CreatePacer.rate_limited`)."""


@dataclass(slots=True, eq=False)  # compared by identity: many are unanswered at once
class _Start:
    """One create's start: when it answered, once its slot is left."""

    answered: float | None = None


_CURRENT_START: ContextVar[_Start | None] = ContextVar("prefect_tavus_pacer_start", default=None)
"""The start of the slot this task is in (a 429's re-send moves it)."""


class CreatePacer:
    """At most ``max_in_flight`` creates at once, started at most ``per_second`` a second.

    Example:
        >>> pacer = CreatePacer(max_in_flight=10, per_second=20)
        >>> async def create(request):  # doctest: +SKIP
        ...     async with pacer.slot():
        ...         return await client.create_video(request, on_rate_limited=pacer.rate_limited)
    """

    def __init__(
        self,
        max_in_flight: int,
        per_second: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not isinstance(max_in_flight, int) or max_in_flight < 1:
            raise ValueError(f"max_in_flight must be a whole number >= 1, got {max_in_flight!r}")
        if per_second is not None and not per_second > 0:
            raise ValueError(f"per_second must be > 0 or None (no rate), got {per_second!r}")
        self.max_in_flight = max_in_flight
        self.per_second = per_second
        self._clock = clock
        self._sleep = sleep
        self._slots = asyncio.Semaphore(max_in_flight)
        self._turn = asyncio.Lock()
        self._next_start = -math.inf
        self._paused_until = -math.inf
        self._in_flight = 0
        # The last ``per_window`` starts, oldest first: the next start waits until the
        # oldest answered at least ``window`` seconds ago.
        self._per_window = max(1, int(per_second)) if per_second is not None else 1
        self._window = self._per_window / per_second if per_second is not None else 0.0
        self._recent: deque[_Start] = deque(maxlen=self._per_window)

    @property
    def in_flight(self) -> int:
        """How many ``slot()`` bodies are running now."""
        return self._in_flight

    def pause_for(self, seconds: float) -> None:
        """Start nothing for ``seconds`` from now (a longer pause already set is kept)."""
        if seconds > 0:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def rate_limited(self, seconds: float) -> float:
        """A create was refused with 429: pause every start for ``seconds`` and return how
        long the refused create waits before its re-send, which takes the next free turn
        after the pause (so it counts towards ``per_second`` like any start)."""
        self.pause_for(seconds)
        now = self._clock()
        start_at = max(self._earliest_start(now), now)
        current = _CURRENT_START.get()
        if current is not None and current in self._recent:
            self._recent.remove(current)  # Tavus did not count the refused attempt
        start = self._started(start_at, due=start_at, start=current)
        if current is None:  # not in a slot: nothing will tell when it answered
            start.answered = start_at
        return start_at - now

    def _earliest_start(self, now: float) -> float:
        window_opens = -math.inf
        if len(self._recent) == self._per_window:
            oldest = self._recent[0]
            # still unanswered: look again in an interval
            window_opens = (
                oldest.answered + self._window
                if oldest.answered is not None
                else now + self._window / self._per_window
            )
        return max(self._next_start, self._paused_until, window_opens)

    def _started(self, at: float, due: float, start: _Start | None = None) -> _Start:
        """Record a start at ``at`` that was due at ``due``. The next is due one interval
        after ``due``: a wake-up up to one interval late is made up by the next start,
        though never sooner than ``MIN_GAP`` of an interval after this one."""
        start = start or _Start()
        start.answered = None
        if self.per_second is None:
            return start
        self._recent.append(start)
        interval = 1.0 / self.per_second
        planned = due if due > at - interval else at
        self._next_start = max(planned + interval, at + MIN_GAP * interval)
        return start

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Wait for a free slot and this start's turn, then run the body in the slot."""
        async with self._slots:
            async with self._turn:  # one waiter at a time: starts keep their arrival order
                while True:
                    now = self._clock()
                    start_at = self._earliest_start(now)
                    if start_at <= now:
                        break
                    await self._sleep(start_at - now)
                start = self._started(now, due=start_at)
            token = _CURRENT_START.set(start)
            self._in_flight += 1
            try:
                yield
            finally:
                self._in_flight -= 1
                start.answered = self._clock()
                _CURRENT_START.reset(token)


def report_rate_limits(operation: Operation[T], on_rate_limited: OnRateLimited) -> Operation[T]:
    """``operation``, calling ``on_rate_limited(seconds)`` whenever it waits after a 429.

    A number it returns that is longer than ``seconds`` becomes the wait. Also called with
    the server's ``Retry-After`` when the operation gives up on a 429 (a hint longer than
    the retry policy allows), before the error propagates.
    """
    result: Any = None
    limited = False
    try:
        while True:
            try:
                step = operation.send(result)
            except RateLimitError as error:
                if error.retry_after:
                    on_rate_limited(error.retry_after)
                raise
            if limited and isinstance(step, Sleep):
                wait = on_rate_limited(step.seconds)
                if wait is not None and wait > step.seconds:
                    step = Sleep(wait)
            result = yield step
            limited = (
                isinstance(step, Send)
                and isinstance(result, httpx.Response)
                and result.status_code == 429
            )
    except StopIteration as stop:
        returned: T = stop.value  # the operation's return value (typeshed types it Any)
        return returned
    finally:
        operation.close()


__all__ = ["MIN_GAP", "CreatePacer", "OnRateLimited", "report_rate_limits"]
