"""``POST /v2/videos`` sent at most once in effect: the duplicate guard.

Creating a video costs money, so the create request is retried only where Tavus
cannot have acted on it: a 429, or a connect error raised before the request
left (``ConnectError``, ``ConnectTimeout``, ``PoolTimeout``). Where the outcome is
unknown (a 5xx, a read/write timeout, a connection dropped after sending, a 2xx
whose body cannot be read) the guard waits one backoff delay, then looks for the
video by the request's ``video_name``:

* exactly one live (not ``deleted``) video with that name, created no earlier than
  :data:`REATTACH_TOLERANCE_SECONDS` before this create began: that is the video
  this request made, so it is returned (logged as a re-attach);
* none, after anything but a 2xx: Tavus did not act, so the request is sent again
  (counted as a retry);
* the request has no ``video_name``, several live videos share it, the only one
  is older than the request, none is listed after a 2xx (Tavus did act), or the
  lookup itself fails: :class:`~tavus_api.errors.CreateOutcomeUnknownError`, rather
  than risk a second paid video.

So a caller can rely on this: ``CreateOutcomeUnknownError`` means "do not create
again before checking"; any other error from ``create_video`` means Tavus did not
create the video (for a 5xx or timeout: the lookup confirmed it), so retrying the
create is safe.

Limits: the lookup scans ``GET /v2/videos`` (Tavus has no name filter), one call
per 100 videos in the account; and a server that records the video only after the
lookup ran would still get a second request. A unique ``video_name`` per request
is what makes the guard exact.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import httpx

from prefect_tavus.tavus_api._operations import (
    ApiContext,
    describe,
    find_videos_by_name,
    outcome_error,
    parse,
    raise_for,
    retry_after_of,
)
from prefect_tavus.tavus_api._steps import Operation, Send, Sleep
from prefect_tavus.tavus_api.errors import APIStatusError, CreateOutcomeUnknownError, TavusError
from prefect_tavus.tavus_api.models import Video, VideoRequest, VideoStatus
from prefect_tavus.tavus_api.retry import not_acted_on, outcome_unknown

logger = logging.getLogger("prefect_tavus.tavus_api")

REATTACH_TOLERANCE_SECONDS = 600.0
"""A same-named video created more than this long before the create began is someone
else's. Generous, because the server's clock and this machine's may disagree."""

_ADVICE = (
    "Check list_videos() or the Tavus dashboard before creating again, and give every "
    "request its own video_name so the client can re-attach by itself."
)


def _created_before(video: Video, started: datetime) -> bool:
    if video.created_at is None:
        return False  # cannot tell: the name match is the evidence
    return video.created_at < started - timedelta(seconds=REATTACH_TOLERANCE_SECONDS)


def create_video(ctx: ApiContext, request: VideoRequest) -> Operation[Video]:
    """``POST /v2/videos`` with the duplicate guard described in the module docstring."""
    body = request.to_api_body()
    name = request.video_name
    policy = ctx.retry
    started = ctx.wall_clock()
    attempt = 0
    while True:
        http_request = ctx.request("POST", "/v2/videos", json_body=body)
        outcome = yield Send(http_request)
        error: TavusError
        answered_2xx = isinstance(outcome, httpx.Response) and outcome.is_success
        if answered_2xx:
            try:
                return parse(outcome, Video, api_key=ctx.api_key)
            except APIStatusError as unreadable:  # created, but which video is unreadable
                error, cause = unreadable, f"an unreadable HTTP {outcome.status_code} answer"
        else:
            error = outcome_error(outcome, http_request, api_key=ctx.api_key)
            cause = describe(outcome)

        if not_acted_on(outcome):
            delay = None
            if attempt < policy.max_retries:
                hint = retry_after_of(outcome)
                delay = policy.delay(attempt, retry_after=hint, rand=ctx.random())
            if delay is None:
                raise_for(error, outcome)
            logger.warning(
                "POST /v2/videos: %s (not acted on); retry %d/%d in %.2fs",
                cause,
                attempt + 1,
                policy.max_retries,
                delay,
            )
            yield Sleep(delay)
            attempt += 1
            continue

        if not (answered_2xx or outcome_unknown(outcome)):
            raise_for(error, outcome)

        if not name:
            raise CreateOutcomeUnknownError(
                f"Tavus may or may not have created the video: POST /v2/videos ended in "
                f"{cause} ({error}). The request has no video_name, so the video cannot be "
                f"looked up. {_ADVICE}",
                video_name=None,
            ) from error

        wait = policy.delay(attempt, retry_after=retry_after_of(outcome), rand=ctx.random())
        if wait is None:  # Retry-After longer than max_delay: the lookup is a GET, go on
            wait = policy.backoff(attempt, rand=ctx.random())
        logger.warning(
            "POST /v2/videos: %s, outcome unknown; looking for a video named %r in %.2fs",
            cause,
            name,
            wait,
        )
        yield Sleep(wait)
        try:
            matches = yield from find_videos_by_name(ctx, name)
        except TavusError as lookup_error:
            raise CreateOutcomeUnknownError(
                f"Tavus may or may not have created the video: POST /v2/videos ended in "
                f"{cause} ({error}), and looking for a video named {name!r} failed too "
                f"({lookup_error}). {_ADVICE}",
                video_name=name,
            ) from lookup_error
        live = [video for video in matches if video.status != VideoStatus.DELETED]

        if len(live) == 1 and not _created_before(live[0], started):
            video = live[0]
            logger.warning(
                "POST /v2/videos: re-attached to video %s named %r (created by this request "
                "although its response was lost)",
                video.video_id,
                name,
            )
            return video
        if len(live) > 1:
            ids = ", ".join(video.video_id for video in live[:10])
            raise CreateOutcomeUnknownError(
                f"Tavus may or may not have created the video: POST /v2/videos ended in "
                f"{cause} ({error}), and {len(live)} videos are named {name!r} ({ids}), so "
                f"the one this request made, if any, cannot be told apart. {_ADVICE}",
                video_name=name,
            ) from error
        if live:
            video = live[0]
            raise CreateOutcomeUnknownError(
                f"Tavus may or may not have created the video: POST /v2/videos ended in "
                f"{cause} ({error}), and the only video named {name!r} ({video.video_id}) was "
                f"created at {video.created_at:%Y-%m-%d %H:%M:%S} UTC, before this request "
                f"started, so it is not this request's video. {_ADVICE}",
                video_name=name,
            ) from error
        if answered_2xx:  # Tavus said it created one: the list just does not show it yet
            raise CreateOutcomeUnknownError(
                f"Tavus created a video but its answer to POST /v2/videos was {cause} "
                f"({error}), and no video named {name!r} is listed yet, so it is not sent "
                f"again. {_ADVICE}",
                video_name=name,
            ) from error

        if attempt >= policy.max_retries:
            raise_for(error, outcome)
        logger.warning(
            "POST /v2/videos: no video named %r exists, so Tavus did not act; "
            "sending again (retry %d/%d)",
            name,
            attempt + 1,
            policy.max_retries,
        )
        attempt += 1


__all__ = ["REATTACH_TOLERANCE_SECONDS", "create_video"]
