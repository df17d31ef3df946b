"""Each Tavus endpoint as a sans-IO operation: build the request, retry, map errors, parse.

Written once for both clients (see :mod:`tavus_api._steps`). Covered here: the
retrying call used by every idempotent request, error mapping, get/list/delete/
rename videos, list/get replicas and page iteration that does not assume a page
base. Create (with its duplicate guard) is in :mod:`tavus_api._create`, waiting in
:mod:`tavus_api.waiting`, downloads in :mod:`tavus_api.download`.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, NoReturn, TypeVar, Unpack
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from prefect_tavus.tavus_api._redact import redact, redact_urls, safe_url, truncate
from prefect_tavus.tavus_api._steps import Emit, Operation, Outcome, Send, Sleep
from prefect_tavus.tavus_api._version import USER_AGENT
from prefect_tavus.tavus_api.errors import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    TavusError,
)
from prefect_tavus.tavus_api.models import (
    Replica,
    ReplicaFilters,
    ReplicaPage,
    ReplicaType,
    Video,
    VideoPage,
    parse_timestamp,
)
from prefect_tavus.tavus_api.retry import (
    RetryPolicy,
    is_retryable,
    outcome_unknown,
    parse_retry_after,
)

logger = logging.getLogger("prefect_tavus.tavus_api")

_NOT_FOUND_MESSAGE = re.compile(r"invalid[\s_-]*(video|replica)_?id", re.IGNORECASE)
_NOT_FOUND_404 = re.compile(r"not\s*found", re.IGNORECASE)


@dataclass(frozen=True)
class ApiContext:
    """Everything an operation needs to build requests and decide retries.

    ``random`` gives uniform numbers in ``[0, 1)`` for jitter; ``monotonic`` and
    ``wall_clock`` are the clocks (injectable for tests).
    """

    base_url: str
    api_key: str = field(repr=False)
    timeout: httpx.Timeout
    retry: RetryPolicy
    random: Callable[[], float] = random.random
    monotonic: Callable[[], float] = time.monotonic
    wall_clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json_body: Any = None,
    ) -> httpx.Request:
        """An authenticated request to ``base_url + path`` with this client's timeouts."""
        headers = {
            "x-api-key": self.api_key,
            "user-agent": USER_AGENT,
            "accept": "application/json",
        }
        return httpx.Request(
            method,
            self.base_url + path,
            params=dict(params) if params else None,
            json=json_body,
            headers=headers,
            extensions={"timeout": self.timeout.as_dict()},
        )


# --- error mapping ---------------------------------------------------------------------------


REQUEST_ID_HEADERS = ("x-request-id", "request-id")
"""Where a server puts the id of a request (the first one present is used)."""


def request_fields(request: httpx.Request, api_key: str) -> dict[str, str]:
    """``method`` and ``url`` of ``request`` as errors carry them: no query, no key."""
    return {"method": request.method, "url": redact(safe_url(request.url), api_key)}


def response_fields(response: httpx.Response, api_key: str) -> dict[str, Any]:
    """:func:`request_fields` of the request answered, plus the server's ``request_id``."""
    request_id = next(
        (response.headers[name] for name in REQUEST_ID_HEADERS if name in response.headers), None
    )
    if request_id is not None:
        request_id = truncate(redact_urls(redact(request_id, api_key)), 200)
    return {**request_fields(response.request, api_key), "request_id": request_id}


def _decode_body(response: httpx.Response, api_key: str) -> tuple[str, Any]:
    # URL queries go too: an error body may quote a presigned media URL it could not fetch.
    text = redact_urls(redact(response.text, api_key))
    try:
        return text, json.loads(text) if text.strip() else None
    except ValueError:
        return text, None


def _api_message(response: httpx.Response, text: str, body: Any) -> str:
    if isinstance(body, dict):
        for key in ("error", "message"):
            value = body.get(key)
            if isinstance(value, str) and value.strip():
                return truncate(value)
    if text.strip():
        return truncate(text)
    return response.reason_phrase or f"HTTP {response.status_code}"


def status_error(response: httpx.Response, *, api_key: str, by_id: bool = False) -> APIStatusError:
    """The typed error for a non-2xx ``response``, with no API key or URL query in it.

    ``by_id`` marks routes naming one video or replica: there Tavus's documented
    ``400 Invalid video_id`` (or a 404) means "no such video" and maps to
    :class:`NotFoundError`.
    """
    text, body = _decode_body(response, api_key)
    message = _api_message(response, text, body)
    code = response.status_code
    fields = {"status_code": code, "body": body, **response_fields(response, api_key)}
    if by_id and (
        (code in (400, 404) and _NOT_FOUND_MESSAGE.search(message))
        or (code == 404 and _NOT_FOUND_404.search(message))
    ):
        return NotFoundError(message, **fields)
    if code == 400:
        return BadRequestError(message, **fields)
    if code == 401:
        return AuthenticationError(message, **fields)
    if code == 403:
        return PermissionDeniedError(message, **fields)
    if code == 429:
        retry_after = parse_retry_after(
            response.headers.get("retry-after"), now=_server_now(response)
        )
        return RateLimitError(message, retry_after=retry_after, **fields)
    if code >= 500:
        return ServerError(message, **fields)
    return APIStatusError(message, **fields)


def transport_error(exc: httpx.RequestError, request: httpx.Request, *, api_key: str) -> TavusError:
    """The typed error for a request that got no HTTP response."""
    what = f"{request.method} {request.url.path}"
    detail = redact_urls(redact(str(exc) or type(exc).__name__, api_key))
    fields = request_fields(request, api_key)
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"{what} timed out ({type(exc).__name__}: {detail})", **fields)
    return APIConnectionError(
        f"{what} failed without a response ({type(exc).__name__}: {detail})", **fields
    )


def outcome_error(
    outcome: Outcome, request: httpx.Request, *, api_key: str, by_id: bool = False
) -> TavusError:
    """:func:`status_error` or :func:`transport_error`, whichever ``outcome`` calls for."""
    if isinstance(outcome, httpx.Response):
        return status_error(outcome, api_key=api_key, by_id=by_id)
    return transport_error(outcome, request, api_key=api_key)


def _server_now(response: httpx.Response) -> datetime | None:
    return parse_timestamp(response.headers.get("date"))


def retry_after_of(outcome: Outcome) -> float | None:
    """The server's ``Retry-After`` hint in seconds, if ``outcome`` carries one."""
    if isinstance(outcome, httpx.Response):
        return parse_retry_after(outcome.headers.get("retry-after"), now=_server_now(outcome))
    return None


def describe(outcome: Outcome) -> str:
    """Short text for a log line: ``HTTP 503`` or the exception type (never headers)."""
    if isinstance(outcome, httpx.Response):
        return f"HTTP {outcome.status_code}"
    return type(outcome).__name__


def raise_for(error: TavusError, outcome: Outcome) -> NoReturn:
    """Raise ``error``, chained to the transport exception when there was one."""
    if isinstance(outcome, BaseException):
        raise error from outcome
    raise error


# --- the retrying call -------------------------------------------------------------------------


def send_with_retries(
    ctx: ApiContext,
    build: Callable[[], httpx.Request],
    *,
    to_error: Callable[[Outcome, httpx.Request], TavusError],
    stream: bool = False,
    download: bool = False,
    missing_ok_after_unknown: bool = False,
) -> Operation[httpx.Response | None]:
    """Send an idempotent request built by ``build``, retrying per ``ctx.retry``.

    Returns the 2xx response. Retried: see :func:`tavus_api.retry.is_retryable`;
    anything else, or the last failure, raises ``to_error(outcome, request)``. With
    ``missing_ok_after_unknown`` (deletes) a :class:`NotFoundError` after an
    attempt whose outcome was unknown means that attempt already did the job, so
    ``None`` is returned instead.
    """
    policy = ctx.retry
    attempt = 0
    outcome_was_unknown = False
    while True:
        request = build()
        outcome = yield Send(request, stream=stream, download=download)
        if isinstance(outcome, httpx.Response) and outcome.is_success:
            return outcome
        label = f"{request.method} {request.url.path}"
        error = to_error(outcome, request)
        if missing_ok_after_unknown and outcome_was_unknown and isinstance(error, NotFoundError):
            logger.info("%s: already gone; the earlier attempt whose answer was lost did it", label)
            return None
        delay: float | None = None
        if is_retryable(outcome) and attempt < policy.max_retries:
            delay = policy.delay(attempt, retry_after=retry_after_of(outcome), rand=ctx.random())
        if delay is None:
            raise_for(error, outcome)
        logger.warning(
            "%s: %s; retry %d/%d in %.2fs",
            label,
            describe(outcome),
            attempt + 1,
            policy.max_retries,
            delay,
        )
        outcome_was_unknown = outcome_was_unknown or outcome_unknown(outcome)
        yield Sleep(delay)
        attempt += 1


def call(
    ctx: ApiContext,
    method: str,
    path: str,
    *,
    params: Mapping[str, str | int] | None = None,
    json_body: Any = None,
    by_id: bool = False,
    missing_ok_after_unknown: bool = False,
) -> Operation[httpx.Response | None]:
    """An idempotent API request (GET, DELETE, rename) via :func:`send_with_retries`."""

    def build() -> httpx.Request:
        return ctx.request(method, path, params=params, json_body=json_body)

    def to_error(outcome: Outcome, request: httpx.Request) -> TavusError:
        return outcome_error(outcome, request, api_key=ctx.api_key, by_id=by_id)

    return (
        yield from send_with_retries(
            ctx, build, to_error=to_error, missing_ok_after_unknown=missing_ok_after_unknown
        )
    )


# --- parsing -----------------------------------------------------------------------------------

ModelT = TypeVar("ModelT", bound=BaseModel)


def parse(response: httpx.Response, model: type[ModelT], *, api_key: str) -> ModelT:
    """Read a 2xx JSON body into ``model``.

    An unreadable body raises :class:`APIResponseValidationError` (not a status error:
    Tavus answered 2xx, so it acted on the request).
    """
    try:
        return model.model_validate(response.json())
    except (ValueError, ValidationError) as exc:
        text = truncate(redact_urls(redact(response.text, api_key)), 200)
        raise APIResponseValidationError(
            f"unexpected response to {response.request.method} {response.request.url.path} "
            f"(HTTP {response.status_code}, not a {model.__name__}): {text!r}",
            status_code=response.status_code,
            body=text,
            expected=model.__name__,
            **response_fields(response, api_key),
        ) from exc


def segment(value: str, name: str) -> str:
    """``value`` as one URL path segment; a blank id fails before anything is sent."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be a non-empty string")
    return quote(value, safe="")


# --- videos ------------------------------------------------------------------------------------


def _get_one(
    ctx: ApiContext, collection: str, id_field: str, value: str, model: type[ModelT], verbose: bool
) -> Operation[ModelT]:
    """``GET /v2/{collection}/{value}`` read into ``model``; an unknown id -> NotFoundError."""
    path = f"/v2/{collection}/{segment(value, id_field)}"
    params = {"verbose": "true"} if verbose else None
    response = yield from call(ctx, "GET", path, params=params, by_id=True)
    assert response is not None
    return parse(response, model, api_key=ctx.api_key)


def get_video(ctx: ApiContext, video_id: str, *, verbose: bool = False) -> Operation[Video]:
    """``GET /v2/videos/{video_id}``."""
    return (yield from _get_one(ctx, "videos", "video_id", video_id, Video, verbose))


def list_videos(
    ctx: ApiContext, *, page: int | None = None, limit: int | None = None
) -> Operation[VideoPage]:
    """``GET /v2/videos`` (one page)."""
    response = yield from call(ctx, "GET", "/v2/videos", params=_page_params(page, limit))
    assert response is not None
    return parse(response, VideoPage, api_key=ctx.api_key)


def delete_video(ctx: ApiContext, video_id: str, *, hard: bool = False) -> Operation[None]:
    """``DELETE /v2/videos/{video_id}``: any 2xx (200 or 204, empty body) is success.

    If an attempt's answer was lost (5xx, timeout) and the retry finds the video gone
    ("Invalid video_id"), the lost attempt deleted it: that counts as success.
    """
    path = f"/v2/videos/{segment(video_id, 'video_id')}"
    params = {"hard": "true"} if hard else None
    yield from call(ctx, "DELETE", path, params=params, by_id=True, missing_ok_after_unknown=True)


def rename_video(ctx: ApiContext, video_id: str, video_name: str) -> Operation[None]:
    """``PATCH /v2/videos/{video_id}/name``: any 2xx is success."""
    if not isinstance(video_name, str) or not video_name.strip():
        raise ValueError("video_name must be a non-empty string")
    path = f"/v2/videos/{segment(video_id, 'video_id')}/name"
    yield from call(ctx, "PATCH", path, json_body={"video_name": video_name}, by_id=True)


def iter_videos(
    ctx: ApiContext, *, page_size: int = 100, max_pages: int | None = None
) -> Operation[None]:
    """Emit every video, page by page (see :func:`iter_pages`)."""

    def fetch(page: int) -> Operation[VideoPage]:
        return list_videos(ctx, page=page, limit=page_size)

    yield from iter_pages(fetch, key=lambda v: v.video_id, max_pages=max_pages)


ListOrder = Literal["newest_first", "oldest_first"]
"""The order of ``GET /v2/videos`` (Tavus documents none; the simulator has both)."""


def find_videos_by_name(
    ctx: ApiContext,
    video_name: str,
    *,
    created_after: datetime | None = None,
    order: ListOrder | None = None,
    max_pages: int | None = None,
) -> Operation[list[Video]]:
    """Videos named exactly ``video_name``: :func:`find_videos_by_names` for one name."""
    found = yield from find_videos_by_names(
        ctx, [video_name], created_after=created_after, order=order, max_pages=max_pages
    )
    return found[video_name]


def find_videos_by_names(
    ctx: ApiContext,
    video_names: Iterable[str],
    *,
    created_after: datetime | None = None,
    order: ListOrder | None = None,
    page_size: int = 100,
    max_pages: int | None = None,
) -> Operation[dict[str, list[Video]]]:
    """Every video named one of ``video_names``, in one pass over ``GET /v2/videos``.

    Returns each name with its videos (``[]`` when none). Tavus has no name filter, so
    without ``created_after`` the whole account is listed (one request per
    ``page_size`` videos). With it, only videos created at or after ``created_after``
    are looked for, and the listing stops as soon as the rest can only be older: with
    the list newest first, at the first older video; oldest first, it jumps from the
    first page to the last and reads backwards. ``order`` says which (detected from
    the ``created_at`` of the first page when not given); videos without
    ``created_at`` leave the order unknown, and then every page is read.

    Example (sans-IO; the clients' ``find_videos_by_name`` runs it)::

        found = yield from find_videos_by_names(ctx, ["row-1", "row-2"],
                                                created_after=run_started)
    """
    if isinstance(video_names, str):
        raise TypeError("video_names must be an iterable of names, not one string")
    if created_after is not None and created_after.tzinfo is None:
        raise ValueError("created_after must be timezone-aware (UTC), not naive")
    wanted = set(video_names)
    found: dict[str, list[Video]] = {name: [] for name in wanted}
    seen: set[str] = set()
    stamps: list[datetime | None] = []
    if not wanted:
        return found

    def take(items: Iterable[Video]) -> None:
        for video in items:
            if video.video_id in seen:
                continue
            seen.add(video.video_id)
            stamps.append(video.created_at)
            too_old = (
                created_after is not None
                and video.created_at is not None
                and video.created_at < created_after
            )
            if video.video_name in wanted and not too_old:
                found[video.video_name].append(video)

    total: int | None = None
    pages_read = 0

    def fetch(page: int) -> Operation[VideoPage]:
        nonlocal total, pages_read
        result = yield from list_videos(ctx, page=page, limit=page_size)
        pages_read += 1
        total = result.total_count if result.total_count is not None else total
        return result

    listing = iter_pages(fetch, key=lambda v: v.video_id, max_pages=max_pages)
    sent: Any = None
    jump = False
    try:
        while True:
            step = listing.send(sent)
            sent = None
            if not isinstance(step, Emit):
                sent = yield step
                continue
            take([step.item])
            if created_after is None:
                continue
            known = order or _list_order(stamps)
            current = stamps[-1]
            older = current is not None and current < created_after
            if known == "newest_first" and older:
                break  # all the rest is older
            if known == "oldest_first" and older and len(stamps) == page_size and total:
                jump = True  # the first page is all older: the newest are at the end
                break
    except StopIteration:
        pass
    finally:
        listing.close()
    if jump:
        assert total is not None and created_after is not None
        yield from _read_tail(fetch, take, total, page_size, created_after)
    return found


def _list_order(stamps: list[datetime | None]) -> ListOrder | None:
    known = [stamp for stamp in stamps if stamp is not None]
    if len(known) < 2 or len(known) != len(stamps):
        return None
    pairs = list(zip(known, known[1:], strict=False))
    if all(a >= b for a, b in pairs) and known[0] != known[-1]:
        return "newest_first"
    if all(a <= b for a, b in pairs) and known[0] != known[-1]:
        return "oldest_first"
    return None


def _read_tail(
    fetch: Callable[[int], Operation[VideoPage]],
    take: Callable[[Iterable[Video]], None],
    total: int,
    page_size: int,
    created_after: datetime,
) -> Operation[None]:
    """An oldest-first list from its last page backwards, until the videos are too old.

    The last page's number is known from ``total`` up to the page base (0 or 1), so
    pages are read forward from it until an empty one, then backwards.
    """
    last = max(0, -(-total // page_size) - 1)
    page = last
    oldest: datetime | None = None
    while True:
        result = yield from fetch(page)
        if not result.data:
            break
        take(result.data)
        if page == last:
            oldest = result.data[0].created_at
        page += 1
    page = last - 1
    while page >= 1 and (oldest is None or oldest >= created_after):
        result = yield from fetch(page)
        if not result.data:
            break
        take(result.data)
        oldest = result.data[0].created_at
        page -= 1


# --- replicas ----------------------------------------------------------------------------------


def replica_params(
    *,
    page: int | None = None,
    limit: int | None = None,
    verbose: bool = False,
    **filters: Unpack[ReplicaFilters],
) -> dict[str, str | int]:
    """Query parameters of ``GET /v2/replicas``; unset filters are left out.

    Raises:
        TypeError: a filter that is not one of :class:`ReplicaFilters` (a typo fails
            loudly instead of listing every replica).
    """
    unknown = sorted(set(filters) - set(ReplicaFilters.__annotations__))
    if unknown:
        allowed = ", ".join(ReplicaFilters.__annotations__)
        raise TypeError(f"unknown replica filter {', '.join(unknown)}; allowed: {allowed}")
    params: dict[str, str | int] = _page_params(page, limit) or {}
    if verbose:
        params["verbose"] = "true"
    replica_type = filters.get("replica_type")
    if replica_type is not None:
        params["replica_type"] = ReplicaType(replica_type).value
    replica_ids = filters.get("replica_ids")
    if replica_ids is not None:
        if isinstance(replica_ids, str):
            raise TypeError("replica_ids must be a sequence of ids, not one string")
        params["replica_ids"] = ",".join(replica_ids)
    model_name = filters.get("model_name")
    if model_name is not None:
        params["model_name"] = model_name
    return params


def list_replicas(
    ctx: ApiContext,
    *,
    page: int | None = None,
    limit: int | None = None,
    verbose: bool = False,
    **filters: Unpack[ReplicaFilters],
) -> Operation[ReplicaPage]:
    """``GET /v2/replicas`` (one page) with Tavus's filters."""
    params = replica_params(page=page, limit=limit, verbose=verbose, **filters)
    response = yield from call(ctx, "GET", "/v2/replicas", params=params)
    assert response is not None
    return parse(response, ReplicaPage, api_key=ctx.api_key)


def get_replica(ctx: ApiContext, replica_id: str, *, verbose: bool = False) -> Operation[Replica]:
    """``GET /v2/replicas/{replica_id}``."""
    return (yield from _get_one(ctx, "replicas", "replica_id", replica_id, Replica, verbose))


def iter_replicas(
    ctx: ApiContext,
    *,
    page_size: int = 100,
    verbose: bool = False,
    **filters: Unpack[ReplicaFilters],
) -> Operation[None]:
    """Emit every replica matching ``filters``, page by page (see :func:`iter_pages`)."""

    def fetch(page: int) -> Operation[ReplicaPage]:
        return list_replicas(ctx, page=page, limit=page_size, verbose=verbose, **filters)

    yield from iter_pages(fetch, key=lambda r: r.replica_id)


# --- pagination --------------------------------------------------------------------------------


def _page_params(page: int | None, limit: int | None) -> dict[str, str | int] | None:
    params: dict[str, str | int] = {}
    if page is not None:
        params["page"] = int(page)
    if limit is not None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        params["limit"] = int(limit)
    return params or None


def iter_pages(
    fetch: Callable[[int], Operation[Any]],
    *,
    key: Callable[[Any], str],
    max_pages: int | None = None,
) -> Operation[None]:
    """Emit the items of every page once, whatever the server's page base.

    Tavus's docs disagree on whether ``page`` starts at 0 or 1, so this asks for
    page 0 first and reads the answer: an error (400) or an empty page while
    ``total_count`` says there are items means base 1 (continue at page 1); page 1
    starting with page 0's first item means base 1 too (page 0 was read as page 1).
    Items are de-duplicated by ``key`` (new videos shift pages while iterating).
    Stops on an empty page, once ``total_count`` items were seen, when a page
    brings nothing new, or after ``max_pages`` requests.
    """
    if max_pages is not None and max_pages < 1:
        return
    seen: set[str] = set()

    # Page 0: either the first page (base 0) or something a base-1 server makes of it.
    try:
        first = yield from fetch(0)
    except BadRequestError:
        first = None  # base 1: page 0 was rejected
    requests = 1
    first_items = list(first.data) if first is not None else []
    total = first.total_count if first is not None else None
    if first_items:
        yield from _emit_new(first_items, seen, key)
        if total is not None and len(seen) >= total:
            return
    elif first is not None and total == 0:
        return  # an empty account (or an empty filter), on either base
    page_number = 1  # after base 0's first page, or base 1's (page 0 rejected or empty)

    while max_pages is None or requests < max_pages:
        page = yield from fetch(page_number)
        requests += 1
        items = list(page.data)
        if not items:
            return
        if page.total_count is not None:
            total = page.total_count
        repeat_of_first = page_number == 1 and first_items and key(items[0]) == key(first_items[0])
        new = yield from _emit_new(items, seen, key)
        if total is not None and len(seen) >= total:
            return
        if not new and not repeat_of_first:
            return  # the server ignores `page`: stop rather than loop forever
        page_number += 1


def _emit_new(items: Iterable[Any], seen: set[str], key: Callable[[Any], str]) -> Operation[int]:
    new = 0
    for item in items:
        item_key = key(item)
        if item_key in seen:
            continue
        seen.add(item_key)
        new += 1
        yield Emit(item)
    return new


__all__ = [
    "ApiContext",
    "call",
    "send_with_retries",
    "delete_video",
    "ListOrder",
    "find_videos_by_name",
    "find_videos_by_names",
    "get_replica",
    "get_video",
    "iter_pages",
    "iter_replicas",
    "iter_videos",
    "list_replicas",
    "list_videos",
    "outcome_error",
    "parse",
    "rename_video",
    "replica_params",
    "status_error",
    "transport_error",
]
