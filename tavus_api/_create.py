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
* none (same-named videos older than that are someone else's and do not count),
  after anything but a 2xx: Tavus did not act, so the request is sent again
  (counted as a retry);
* the request has no ``video_name``, several live videos qualify, none is listed
  after a 2xx (Tavus did act), or the lookup itself fails:
  :class:`~tavus_api.errors.CreateOutcomeUnknownError`, rather than risk a second
  paid video.

:func:`find_created_video` (:func:`find_created_videos` for many names) is that
lookup, and the one rule for "is this the video my create made?": a caller that lost
track of a create (a retried flow run, a resumed batch) calls it with the time its
create began, and passes the same time as ``since`` to :func:`create_video`, so both
decisions use one clock.

So a caller can rely on this: ``CreateOutcomeUnknownError`` means "do not create
again before checking"; any other error from ``create_video`` means Tavus did not
create the video (for a 5xx or timeout: the lookup confirmed it), so retrying the
create is safe.

Limits: the lookup reads ``GET /v2/videos`` (Tavus has no name filter), one call per
100 videos, but only until the list is past the create's start minus the tolerance
where the list's order shows (``created_at`` on its items; a whole scan otherwise);
and a server that records the video only after the lookup ran would still get a
second request. A unique ``video_name`` per request
is what makes the guard exact.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

import httpx

from prefect_tavus.tavus_api._operations import (
    ApiContext,
    describe,
    find_videos_by_names,
    outcome_error,
    parse,
    raise_for,
    retry_after_of,
)
from prefect_tavus.tavus_api._steps import Operation, Send, Sleep
from prefect_tavus.tavus_api.errors import (
    APIResponseValidationError,
    CreateOutcomeUnknownError,
    TavusError,
)
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


def _created_before(video: Video, since: datetime) -> bool:
    if video.created_at is None:
        return False  # cannot tell: the name match is the evidence
    return video.created_at < since - timedelta(seconds=REATTACH_TOLERANCE_SECONDS)


def find_created_videos(
    ctx: ApiContext, video_names: Iterable[str], *, since: datetime
) -> Operation[dict[str, Video | CreateOutcomeUnknownError]]:
    """For each of ``video_names``, the live video a create begun at ``since`` made.

    One pass over the list for all names (:func:`find_videos_by_names`). Same-named
    videos created more than :data:`REATTACH_TOLERANCE_SECONDS` before ``since`` are
    someone else's, and deleted ones are gone: neither counts. A name with no such
    video is left out; a name with several gets a
    :class:`~tavus_api.errors.CreateOutcomeUnknownError` instead of a video (which of
    them this create made, if any, cannot be told; creating again could pay twice).

    Raises:
        TavusError: the lookup itself failed.
    """
    names = list(video_names)
    if not all(names):
        raise ValueError("video names must be non-empty strings to look videos up by name")
    cutoff = since - timedelta(seconds=REATTACH_TOLERANCE_SECONDS)
    found = yield from find_videos_by_names(ctx, names, created_after=cutoff)
    answers: dict[str, Video | CreateOutcomeUnknownError] = {}
    for name, matches in found.items():
        candidates = [
            video
            for video in matches
            if video.status != VideoStatus.DELETED and not _created_before(video, since)
        ]
        if len(candidates) == 1:
            answers[name] = candidates[0]
        elif candidates:
            ids = ", ".join(video.video_id for video in candidates[:10])
            answers[name] = CreateOutcomeUnknownError(
                f"{len(candidates)} videos named {name!r} were created since "
                f"{since:%Y-%m-%d %H:%M:%S} UTC ({ids}), so the one this request made, if any, "
                f"cannot be told apart. {_ADVICE}",
                video_name=name,
            )
    return answers


def find_created_video(
    ctx: ApiContext, video_name: str, *, since: datetime
) -> Operation[Video | None]:
    """The live video named ``video_name`` that a create begun at ``since`` made, if any.

    :func:`find_created_videos` for one name.

    Raises:
        CreateOutcomeUnknownError: several videos qualify, so the one this create
            made (if any) cannot be told apart; creating again could pay twice.
        TavusError: the lookup itself failed.
    """
    if not video_name:
        raise ValueError("video_name must be a non-empty string to look a video up by name")
    found = yield from find_created_videos(ctx, [video_name], since=since)
    answer = found.get(video_name)
    if isinstance(answer, CreateOutcomeUnknownError):
        raise answer
    return answer


def create_video(
    ctx: ApiContext, request: VideoRequest, *, since: datetime | None = None
) -> Operation[Video]:
    """``POST /v2/videos`` with the duplicate guard described in the module docstring.

    ``since``: when this create began, for :func:`find_created_video` (default: now,
    by ``ctx.wall_clock``); a caller retrying a create it lost track of passes the
    time of its first attempt.
    """
    body = request.to_api_body()
    name = request.video_name
    policy = ctx.retry
    started = since if since is not None else ctx.wall_clock()
    attempt = 0
    while True:
        http_request = ctx.request("POST", "/v2/videos", json_body=body)
        outcome = yield Send(http_request)
        error: TavusError
        answered_2xx = isinstance(outcome, httpx.Response) and outcome.is_success
        if answered_2xx:
            try:
                return parse(outcome, Video, api_key=ctx.api_key)
            except APIResponseValidationError as unreadable:  # created, but unreadable
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
            video = yield from find_created_video(ctx, name, since=started)
        except CreateOutcomeUnknownError as ambiguous:
            raise CreateOutcomeUnknownError(
                f"Tavus may or may not have created the video: POST /v2/videos ended in "
                f"{cause} ({error}), and {ambiguous}",
                video_name=name,
            ) from error
        except TavusError as lookup_error:
            raise CreateOutcomeUnknownError(
                f"Tavus may or may not have created the video: POST /v2/videos ended in "
                f"{cause} ({error}), and looking for a video named {name!r} failed too "
                f"({lookup_error}). {_ADVICE}",
                video_name=name,
            ) from lookup_error
        if video is not None:
            logger.warning(
                "POST /v2/videos: re-attached to video %s named %r (created by this request "
                "although its response was lost)",
                video.video_id,
                name,
            )
            return video
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


__all__ = [
    "REATTACH_TOLERANCE_SECONDS",
    "create_video",
    "find_created_video",
    "find_created_videos",
]
