"""Wait until a video is ready: one sans-IO loop shared by both clients.

The loop polls ``GET /v2/videos/{id}`` against a monotonic deadline. The delay
between polls starts at ``poll_interval`` and grows x1.5 (with the retry policy's
jitter) up to ``max_poll_interval``; a sleep never goes past the deadline, and
one last poll is made at the deadline. ``on_change`` sees the video whenever its
status or ``generation_progress`` changes, not on every poll.

Transient failures of a poll (429, 502-504, timeouts, dropped connections) are
retried by the GET's own :class:`~tavus_api.retry.RetryPolicy`; those retries may
overrun the deadline by at most their own delays.

Eventual consistency: a video created a moment ago may not be visible yet, so a
:class:`~tavus_api.errors.NotFoundError` within ``not_found_grace`` seconds
(default :data:`NOT_FOUND_GRACE_SECONDS`) of the wait starting is treated as "not
there yet" and polled again; after that it is raised.
"""

from __future__ import annotations

import logging

from prefect_tavus.tavus_api._operations import ApiContext, get_video
from prefect_tavus.tavus_api._steps import Notify, Operation, Sleep
from prefect_tavus.tavus_api.errors import (
    NotFoundError,
    VideoDeletedError,
    VideoFailedError,
    WaitTimeoutError,
)
from prefect_tavus.tavus_api.models import Video, VideoStatus

logger = logging.getLogger("prefect_tavus.tavus_api")

NOT_FOUND_GRACE_SECONDS = 30.0
"""How long a just-created video may answer "Invalid video_id" before that is believed."""

GROWTH = 1.5
"""Factor by which the delay between polls grows."""


def next_poll_delay(current: float, *, max_poll_interval: float) -> float:
    """The un-jittered delay after ``current``: x1.5, capped at ``max_poll_interval``.

    >>> next_poll_delay(5.0, max_poll_interval=30.0)
    7.5
    >>> next_poll_delay(25.0, max_poll_interval=30.0)
    30.0
    """
    return min(max_poll_interval, current * GROWTH)


def wait_for_video(
    ctx: ApiContext,
    video_id: str,
    *,
    timeout: float = 3600.0,
    poll_interval: float = 5.0,
    max_poll_interval: float = 30.0,
    not_found_grace: float = NOT_FOUND_GRACE_SECONDS,
    verbose: bool = False,
) -> Operation[Video]:
    """Poll until ``video_id`` is ``ready`` and return it (see the module docstring).

    ``verbose`` asks every poll for thumbnail URLs, so the ready video has them.

    Raises :class:`VideoFailedError` on ``error``, :class:`VideoDeletedError` on
    ``deleted``, :class:`WaitTimeoutError` at the deadline.
    """
    if timeout < 0:
        raise ValueError("timeout must be >= 0 seconds")
    if poll_interval <= 0:
        raise ValueError("poll_interval must be > 0 seconds")
    max_poll_interval = max(max_poll_interval, poll_interval)
    jitter = ctx.retry.jitter
    started = ctx.monotonic()
    deadline = started + timeout
    delay = poll_interval
    last_seen: tuple[VideoStatus, str | None] | None = None  # status and progress

    while True:
        try:
            video = yield from get_video(ctx, video_id, verbose=verbose)
        except NotFoundError:
            if ctx.monotonic() - started >= not_found_grace:
                raise
            logger.info("video %s not visible yet (just created?); polling again", video_id)
            video = None

        if video is not None:
            state = (video.status, video.generation_progress)
            if state != last_seen:
                last_seen = state
                _log_change(video)
                yield Notify(video)
            if video.status == VideoStatus.READY:
                return video
            if video.status == VideoStatus.ERROR:
                raise VideoFailedError(video.video_id, video.status_details, video)
            if video.status == VideoStatus.DELETED:
                raise VideoDeletedError(video.video_id, video)

        now = ctx.monotonic()
        remaining = deadline - now
        if remaining <= 0:
            last_status = last_seen[0].value if last_seen else None
            raise WaitTimeoutError(video_id, last_status, now - started)
        jittered = delay * (1.0 + jitter * (2.0 * ctx.random() - 1.0))
        yield Sleep(max(0.0, min(jittered, remaining)))
        delay = next_poll_delay(delay, max_poll_interval=max_poll_interval)


def _log_change(video: Video) -> None:
    progress = f" {video.progress:.0f}%" if video.progress is not None else ""
    logger.info("video %s: %s%s", video.video_id, video.status.value, progress)


__all__ = ["GROWTH", "NOT_FOUND_GRACE_SECONDS", "next_poll_delay", "wait_for_video"]
