"""One waiter for many videos: list pages or per-video reads, whichever costs fewer requests.

Interface (``AsyncTavusClient.watch_videos`` makes a :class:`VideoWatcher`)::

    watcher = client.watch_videos(poll_interval=3, max_poll_interval=30, first_poll_delay=5)
    watcher.add(video_id, timeout_seconds=1800)   # any time, also while iterating
    watcher.close()                               # no more ids will be added
    async for outcome in watcher:                 # one WatchOutcome per id, as each ends
        outcome.kind    # "ready" | "error" | "deleted" | "timed_out"
        outcome.video   # the last Video seen (ready: with download_url), or None
        outcome.error   # None when ready; else VideoFailedError (status_details),
                        # VideoDeletedError / NotFoundError, or WaitTimeoutError

How it reads statuses (the rules live in the sans-IO :func:`watch`, written once):

* An id is first read ``first_poll_delay`` after it was added (a new video is queued).
* A *round* happens when some id is due, at most one a second (``round_gap``; ids that
  fall due meanwhile wait for it, so a stream of new videos shares rounds). Per-video
  reads cost one request per due id; a list round costs the pages of ``GET /v2/videos``
  (``page_size`` per page) read until every due id was seen. The round reads the list
  when its expected page count is lower than the number of due ids. Tavus documents no
  list order, so the expected count is the pages the last list round needed, or,
  without such a round, the worst case ``ceil(total_count / page_size)`` (unknown
  before the first page: one page is tried). While paging, as soon as the pages left in
  the worst case exceed the ids still unseen, paging stops and those ids are read one
  by one (5,000 old videos, 3 pending: 3 GETs).
* After a list read, every id it saw is read again ``poll_interval`` later, or sooner
  while many are pending: a round costs pages, not ids, so it comes as often as once a
  second as long as rounds cost at most a fifth of the per-video reads they replace
  (``LIST_SHARE``; 100 pending on one page: every second). A ready video is noticed
  within about that interval. After a per-video read the delay grows x1.5 (with
  jitter) up to ``max_poll_interval``.
* A ready video whose list item lacks ``download_url`` (or, with ``verbose``, any ready
  list item: list items carry no thumbnails) is read once with ``GET``.
* Each read that shows a new status or ``generation_progress`` is handed to the
  client's ``on_change`` (a :class:`~tavus_api._steps.Notify` step).
* Transient failures (429, 5xx, timeouts) are retried by the client's retry policy; if
  they persist, the ids stay pending and are read in a later round. A 429 whose
  ``Retry-After`` is longer than the policy allows pauses all reads that long. Only an
  :class:`~tavus_api.errors.AuthenticationError` ends the iteration.
* Per-id deadline on the monotonic clock: the last read is made at the deadline; still
  pending then gives ``timed_out`` with a :class:`~tavus_api.errors.WaitTimeoutError`.
* ``Invalid video_id`` for an id added more than ``not_found_grace`` seconds ago gives
  ``deleted`` (hard-deleted or never existed), carrying the ``NotFoundError``.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from prefect_tavus.tavus_api._operations import ApiContext, get_video, iter_pages, list_videos
from prefect_tavus.tavus_api._steps import Emit, Notify, Operation, Sleep, Step
from prefect_tavus.tavus_api.errors import (
    AuthenticationError,
    NotFoundError,
    RateLimitError,
    TavusError,
    VideoDeletedError,
    VideoFailedError,
    WaitTimeoutError,
)
from prefect_tavus.tavus_api.models import Video, VideoPage, VideoStatus
from prefect_tavus.tavus_api.waiting import NOT_FOUND_GRACE_SECONDS, next_poll_delay

logger = logging.getLogger("prefect_tavus.tavus_api")

OutcomeKind = Literal["ready", "error", "deleted", "timed_out"]
_ENDED: dict[VideoStatus, OutcomeKind] = {
    VideoStatus.READY: "ready",
    VideoStatus.ERROR: "error",
    VideoStatus.DELETED: "deleted",
}


@dataclass(frozen=True, slots=True)
class WatchOutcome:
    """How one watched video ended.

    ``video`` is the last state read (``None`` if never read); ``error`` is ``None``
    only for ``ready``.
    """

    video_id: str
    kind: OutcomeKind
    video: Video | None = None
    error: TavusError | None = None

    @property
    def ok(self) -> bool:
        """True when the video is ready."""
        return self.kind == "ready"


@dataclass(frozen=True, slots=True)
class Idle(Sleep):
    """Nothing is due for ``seconds`` (``inf``: until an id is added or the watch closed).

    A plain driver sleeps; :class:`VideoWatcher` also wakes early on ``add``/``close``.
    """


LIST_SHARE = 5
"""List rounds may cost up to a fifth of the per-video reads they replace: with 100
videos pending and one list page a round, a round a second (five a poll_interval of 5 s)
instead of 100 GETs every 5 s."""


@dataclass(slots=True)
class _Pending:
    video_id: str
    added_at: float
    deadline: float
    next_read: float
    interval: float
    last: Video | None = None


@dataclass
class WatchState:
    """The ids being watched and what the watcher learned about the list (no I/O)."""

    poll_interval: float = 5.0
    max_poll_interval: float = 30.0
    first_poll_delay: float = 5.0
    page_size: int = 100
    not_found_grace: float = NOT_FOUND_GRACE_SECONDS
    verbose: bool = False
    """Read videos with ``verbose=true``, so a ready one carries its thumbnail URLs."""
    pending: dict[str, _Pending] = field(default_factory=dict)
    closed: bool = False
    total_count: int | None = None
    """``total_count`` of the last list page read."""
    list_pages: int | None = None
    """Pages the last list round needed to see every due id (None: it did not)."""
    not_before: float = 0.0
    """No read before this monotonic time (a long ``Retry-After``)."""
    round_gap: float = 1.0
    """Rounds start at least this long apart (cut to ``poll_interval`` if longer): ids that fall due
    meanwhile share the next round, so a stream of new videos is read in list rounds
    rather than one ``GET`` each (a faster event loop made more single-id rounds)."""
    last_round: float = -math.inf
    """When the last round started (monotonic)."""

    def __post_init__(self) -> None:
        if self.poll_interval <= 0:
            raise ValueError("poll_interval must be > 0 seconds")
        if self.first_poll_delay < 0:
            raise ValueError("first_poll_delay must be >= 0 seconds")
        if self.page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.max_poll_interval = max(self.max_poll_interval, self.poll_interval)
        self.round_gap = min(self.round_gap, self.poll_interval)

    def add(self, video_id: str, timeout_seconds: float, now: float) -> None:
        """Start watching ``video_id`` until ``now + timeout_seconds``."""
        if not isinstance(video_id, str) or not video_id.strip():
            raise ValueError("video_id must be a non-empty string")
        if timeout_seconds < 0:
            raise ValueError("timeout_seconds must be >= 0 seconds")
        if self.closed:
            raise RuntimeError("the watch was closed: no ids can be added")
        if video_id in self.pending:
            raise ValueError(f"video {video_id} is already being watched")
        deadline = now + timeout_seconds
        self.pending[video_id] = _Pending(
            video_id,
            added_at=now,
            deadline=deadline,
            next_read=min(now + self.first_poll_delay, deadline),
            interval=self.poll_interval,
        )

    def next_due(self) -> float | None:
        """When the next round is due (None: nothing pending)."""
        if not self.pending:
            return None
        earliest = min(p.next_read for p in self.pending.values())
        return max(self.not_before, self.last_round + self.round_gap, earliest)

    def list_interval(self) -> float:
        """How soon ids seen in a list round are read again: ``poll_interval``, shortened
        while many are pending (down to ``round_gap``) as long as the list rounds cost at
        most ``1 / LIST_SHARE`` of the per-video reads they stand in for."""
        wanted = self.poll_interval * LIST_SHARE * self.list_cost() / max(1, len(self.pending))
        return min(self.poll_interval, max(self.round_gap, wanted))

    def list_cost(self) -> int:
        """Expected requests of a list round (see the module docstring)."""
        if self.list_pages is not None:
            return self.list_pages
        if self.total_count is None:
            return 1
        return max(1, math.ceil(self.total_count / self.page_size))


def watch(ctx: ApiContext, state: WatchState) -> Operation[None]:
    """Emit a :class:`WatchOutcome` per id as it ends; return once closed and all ended."""
    while True:
        if not state.pending:
            if state.closed:
                return
            yield Idle(math.inf)
            continue
        now = ctx.monotonic()
        due_at = state.next_due()
        assert due_at is not None
        if due_at > now:
            yield Idle(due_at - now)
            continue
        due = [p for p in state.pending.values() if p.next_read <= now]
        state.last_round = now
        outcomes = yield from _round(ctx, state, due)
        for outcome in outcomes:
            yield Emit(outcome)


def _round(
    ctx: ApiContext, state: WatchState, due: list[_Pending]
) -> Operation[list[WatchOutcome]]:
    outcomes: list[WatchOutcome] = []
    unread = list(due)
    if len(due) > 1 and state.list_cost() < len(due):
        unread = yield from _list_round(ctx, state, due, outcomes)
    for pending in unread:
        if pending.video_id in state.pending:
            yield from _read_one(ctx, state, pending, outcomes)
    now = ctx.monotonic()
    for pending in due:
        if state.pending.get(pending.video_id) is pending and now >= pending.deadline:
            del state.pending[pending.video_id]
            last_status = pending.last.status.value if pending.last else None
            error = WaitTimeoutError(pending.video_id, last_status, now - pending.added_at)
            outcomes.append(WatchOutcome(pending.video_id, "timed_out", pending.last, error))
    return outcomes


def _list_round(
    ctx: ApiContext, state: WatchState, due: list[_Pending], outcomes: list[WatchOutcome]
) -> Operation[list[_Pending]]:
    """Read list pages until every due id was seen; return the due ids left unseen."""
    unseen = {p.video_id for p in due}
    pages = 0
    items = 0
    cut_short = False

    def fetch(page: int) -> Operation[VideoPage]:
        nonlocal pages, cut_short
        if pages and state.total_count is not None:
            left = math.ceil(max(0, state.total_count - items) / state.page_size)
            if left > len(unseen):  # cheaper to read the rest one by one
                cut_short = True
                return VideoPage()  # an empty page ends the listing
        result = yield from list_videos(ctx, page=page, limit=state.page_size)
        pages += 1
        if result.total_count is not None:
            state.total_count = result.total_count
        return result

    listing = iter_pages(fetch, key=lambda v: v.video_id)
    sent: Any = None
    try:
        while unseen:
            step = listing.send(sent)
            sent = None
            if not isinstance(step, Emit):
                sent = yield step
                continue
            items += 1
            video: Video = step.item
            pending = state.pending.get(video.video_id)
            if pending is not None:
                unseen.discard(video.video_id)
                yield from _seen(ctx, state, pending, video, outcomes, listed=True)
    except StopIteration:
        pass
    except AuthenticationError:
        raise
    except TavusError as error:
        _failed(ctx, state, error, f"listing videos (page {pages + 1})")
        now = ctx.monotonic()
        for pending in due:
            if pending.video_id in unseen:
                _reschedule(ctx, state, pending, now, listed=False)
        return []
    finally:
        listing.close()
    state.list_pages = None if unseen or cut_short else pages
    if unseen:
        logger.debug(
            "%d due videos not in %d list pages; reading them one by one", len(unseen), pages
        )
    return [p for p in due if p.video_id in unseen]


def _read_one(
    ctx: ApiContext, state: WatchState, pending: _Pending, outcomes: list[WatchOutcome]
) -> Operation[None]:
    try:
        video = yield from get_video(ctx, pending.video_id, verbose=state.verbose)
    except AuthenticationError:
        raise
    except NotFoundError as error:
        now = ctx.monotonic()
        if now - pending.added_at < state.not_found_grace:
            _reschedule(ctx, state, pending, now, listed=False)
            return
        del state.pending[pending.video_id]
        outcomes.append(WatchOutcome(pending.video_id, "deleted", pending.last, error))
        return
    except TavusError as error:
        _failed(ctx, state, error, f"reading video {pending.video_id}")
        _reschedule(ctx, state, pending, ctx.monotonic(), listed=False)
        return
    yield from _seen(ctx, state, pending, video, outcomes, listed=False)


def _seen(
    ctx: ApiContext,
    state: WatchState,
    pending: _Pending,
    video: Video,
    outcomes: list[WatchOutcome],
    *,
    listed: bool,
) -> Operation[None]:
    if pending.last is None or (pending.last.status, pending.last.generation_progress) != (
        video.status,
        video.generation_progress,
    ):
        progress = f" {video.progress:.0f}%" if video.progress is not None else ""
        logger.debug("video %s: %s%s", video.video_id, video.status.value, progress)
        yield Notify(video)
    pending.last = video
    kind = _ENDED.get(video.status)
    if kind is None:
        _reschedule(ctx, state, pending, ctx.monotonic(), listed=listed)
        return
    if kind == "ready" and listed and (video.download_url is None or state.verbose):
        yield from _read_one(ctx, state, pending, outcomes)  # the list item lacks the URLs
        return
    del state.pending[pending.video_id]
    error: TavusError | None = None
    if kind == "error":
        error = VideoFailedError(video.video_id, video.status_details, video)
    elif kind == "deleted":
        error = VideoDeletedError(video.video_id, video)
    outcomes.append(WatchOutcome(video.video_id, kind, video, error))


def _reschedule(
    ctx: ApiContext, state: WatchState, pending: _Pending, now: float, *, listed: bool
) -> None:
    if listed:  # a list read is shared by all: keep the rhythm, never read before due
        pending.next_read = min(
            max(pending.next_read, now + state.list_interval()), pending.deadline
        )
        return
    jitter = ctx.retry.jitter
    delay = pending.interval * (1.0 + jitter * (2.0 * ctx.random() - 1.0))
    pending.interval = next_poll_delay(pending.interval, max_poll_interval=state.max_poll_interval)
    pending.next_read = min(now + delay, pending.deadline) if now < pending.deadline else now


def _failed(ctx: ApiContext, state: WatchState, error: TavusError, what: str) -> None:
    if isinstance(error, RateLimitError) and error.retry_after:
        state.not_before = max(state.not_before, ctx.monotonic() + error.retry_after)
    logger.warning("%s failed (%s); the videos stay pending", what, error)


class VideoWatcher:
    """Async driver of :func:`watch` for one :class:`AsyncTavusClient` (see the module docs).

    Iterate it once. ``add`` and ``close`` may be called from other tasks at any time.

    Example:
        >>> watcher = client.watch_videos(poll_interval=3)  # doctest: +SKIP
        >>> for video_id in ids:  # doctest: +SKIP
        ...     watcher.add(video_id, timeout_seconds=1800)
        >>> watcher.close()  # doctest: +SKIP
        >>> async for outcome in watcher:  # doctest: +SKIP
        ...     print(outcome.video_id, outcome.kind)
    """

    def __init__(
        self,
        ctx: ApiContext,
        perform: Callable[[Step], Awaitable[Any]],
        sleep: Callable[[float], Awaitable[None]],
        state: WatchState,
    ) -> None:
        self._ctx = ctx
        self._perform = perform
        self._sleep = sleep
        self._state = state
        self._wake = asyncio.Event()
        self._iterating = False

    @property
    def pending(self) -> list[str]:
        """The ids still being watched."""
        return list(self._state.pending)

    def add(self, video_id: str, timeout_seconds: float = 3600.0) -> None:
        """Watch ``video_id``; its deadline is ``timeout_seconds`` from now (monotonic)."""
        self._state.add(video_id, timeout_seconds, self._ctx.monotonic())
        self._wake.set()

    def close(self) -> None:
        """No more ids will be added: the iteration ends once every added id has ended."""
        self._state.closed = True
        self._wake.set()

    def __aiter__(self) -> AsyncIterator[WatchOutcome]:
        if self._iterating:
            raise RuntimeError("a VideoWatcher can be iterated only once")
        self._iterating = True
        return self._outcomes()

    async def _outcomes(self) -> AsyncIterator[WatchOutcome]:
        operation = watch(self._ctx, self._state)
        result: Any = None
        try:
            while True:
                step = operation.send(result)
                result = None
                if isinstance(step, Emit):
                    yield step.item
                elif isinstance(step, Idle):
                    await self._idle(step.seconds)
                else:
                    result = await self._perform(step)
        except StopIteration:
            return
        finally:
            operation.close()

    async def _idle(self, seconds: float) -> None:
        self._wake.clear()
        if math.isinf(seconds):
            await self._wake.wait()
            return
        waiter = asyncio.ensure_future(self._wake.wait())
        sleeper = asyncio.ensure_future(self._sleep(seconds))
        try:
            await asyncio.wait({waiter, sleeper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (waiter, sleeper):
                task.cancel()


__all__ = ["Idle", "OutcomeKind", "VideoWatcher", "WatchOutcome", "WatchState", "watch"]
