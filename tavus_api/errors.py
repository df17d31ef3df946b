"""One exception per failure a caller of the Tavus Video API can act on.

Every exception derives from :class:`TavusError`. A request that failed derives
from :class:`APIError` and carries the HTTP ``method``, the ``url`` (scheme, host and
path only: never a query, never the API key) and the server's ``request_id`` when
it sent one:

* :class:`APIConnectionError` / :class:`APITimeoutError`: no HTTP answer;
* :class:`APIStatusError`: a non-2xx answer, with ``status_code``, the API's own
  ``message`` and the parsed ``body`` (401 :class:`AuthenticationError`, 403
  :class:`PermissionDeniedError`, 400 :class:`BadRequestError`, :class:`NotFoundError`,
  429 :class:`RateLimitError`, 5xx :class:`ServerError`);
* :class:`APIResponseValidationError`: a 2xx whose body is not what the endpoint
  returns (Tavus answered, and may have acted).

Videos that end badly raise :class:`VideoFailedError` / :class:`VideoDeletedError`;
a wait that runs out raises :class:`WaitTimeoutError` naming the ``video_id`` so the
wait can be resumed. No message or field ever contains the API key.

Prefect pickles exceptions (failed states, persisted results, task workers), so
every exception here comes back from ``pickle`` / ``cloudpickle`` with the same
type, text and fields (see :class:`PickleSafeError`).

Example:
    >>> import httpx
    >>> from prefect_tavus.tavus_api import NotFoundError, TavusClient
    >>> def tavus(request: httpx.Request) -> httpx.Response:  # answers as Tavus does
    ...     headers = {"x-request-id": "req-42"}
    ...     return httpx.Response(400, json={"error": "Invalid video_id"}, headers=headers)
    >>> http = httpx.Client(transport=httpx.MockTransport(tavus))
    >>> with TavusClient(api_key="sk-example", http_client=http) as client:
    ...     try:
    ...         client.get_video("00000")
    ...     except NotFoundError as exc:
    ...         print(exc.status_code, exc.message, exc.request_id)
    ...         print(exc)
    400 Invalid video_id req-42
    Tavus API 400: Invalid video_id (GET https://tavusapi.com/v2/videos/00000, request id req-42)
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from prefect_tavus.tavus_api._redact import redact_urls


def _rebuild(cls: type[PickleSafeError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    """Unpickle: the same type, ``args`` (hence ``str()``) and fields, without ``__init__``."""
    exc = cls.__new__(cls, *args)
    exc.args = args
    exc.__dict__.update(state)
    return exc


def _without_url_queries(video: Any) -> Any:
    """``video`` with the query cut from every URL in it (presigned media URLs are secrets)."""
    if not isinstance(video, BaseModel):
        return video
    try:
        return type(video).model_validate_json(redact_urls(video.model_dump_json()))
    except ValidationError:
        return None


class PickleSafeError(Exception):
    """An exception that survives ``pickle`` and ``cloudpickle`` whatever its ``__init__``.

    The default ``BaseException`` pickling calls ``cls(*self.args)``, which breaks for
    any ``__init__`` that takes fields rather than the finished message (``TypeError``
    on load, or a message formatted twice). Here unpickling restores ``args`` and every
    attribute directly instead, so a subclass needs nothing of its own.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


class TavusError(PickleSafeError):
    """Base class of every error raised by ``tavus_api``."""


class APIError(TavusError):
    """A request to the Tavus API failed.

    Attributes:
        message: what went wrong, without the API key.
        method: the HTTP method (``"GET"``, ``"POST"``, ...), when known.
        url: the request URL as scheme, host and path (``?...`` marks a dropped query).
        request_id: the server's request id (``x-request-id``) to quote to Tavus support.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str | None = None,
        url: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        self.url = url
        self.request_id = request_id

    def _context(self) -> str:
        parts = [f"{self.method} {self.url}"] if self.method and self.url else []
        if self.request_id:
            parts.append(f"request id {self.request_id}")
        return f" ({', '.join(parts)})" if parts else ""


class APIConnectionError(APIError):
    """The request did not get an HTTP response (DNS, refused, reset, dropped)."""


class APITimeoutError(APIConnectionError):
    """The request timed out (connect, read, write or pool)."""


class APIResponseValidationError(APIError):
    """Tavus answered 2xx, but the body is not what the endpoint returns.

    Not a status error: the request succeeded (for a create, Tavus made the video).

    Attributes:
        status_code: the 2xx status.
        body: the start of the body text (API key redacted).
        expected: the model the body should have been (``"Video"``, ...).
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        body: str | None = None,
        expected: str | None = None,
        method: str | None = None,
        url: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, method=method, url=url, request_id=request_id)
        self.status_code = status_code
        self.body = body
        self.expected = expected
        if request_id:
            self.args = (f"{message} (request id {request_id})",)


class APIStatusError(APIError):
    """Tavus answered with a non-2xx status.

    Attributes:
        status_code: the HTTP status.
        message: the API's own message (``error`` or ``message`` key, else the body text).
        body: the decoded JSON body, or ``None`` (API key redacted).
        method, url, request_id: see :class:`APIError`.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        body: Any = None,
        method: str | None = None,
        url: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, method=method, url=url, request_id=request_id)
        self.status_code = status_code
        self.body = body
        self.args = (f"Tavus API {status_code}: {message}{self._context()}",)


class BadRequestError(APIStatusError):
    """400: the request was rejected (for example ``Invalid replica_id``)."""


class AuthenticationError(APIStatusError):
    """401: the API key is missing or wrong (a 403 raises the subclass below)."""


class PermissionDeniedError(AuthenticationError):
    """403: the API key is valid but not allowed to do this (from here, on this plan).

    A subclass of :class:`AuthenticationError` so ``except AuthenticationError`` still
    means "the key cannot be used for this", as it did before 403 had its own class.
    """


class NotFoundError(APIStatusError):
    """The video or replica does not exist: 404, or Tavus's ``400 Invalid video_id``."""


class RateLimitError(APIStatusError):
    """429: too many requests. ``retry_after`` is the server's hint in seconds, if any."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int = 429,
        body: Any = None,
        retry_after: float | None = None,
        method: str | None = None,
        url: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(
            message,
            status_code=status_code,
            body=body,
            method=method,
            url=url,
            request_id=request_id,
        )
        self.retry_after = retry_after


class ServerError(APIStatusError):
    """5xx: Tavus failed; the request may or may not have been acted on."""


class CreateOutcomeUnknownError(TavusError):
    """A create request may have succeeded but the client cannot tell whether it did.

    Raised instead of risking a second (paid) video: the response was lost (or a 2xx
    was unreadable) and looking the video up by ``video_name`` could not settle it (no
    name, several live videos share it, the only one is older than the request, none
    is listed yet after a 2xx, or the lookup failed). Look the video up by
    ``video_name`` before creating again.
    """

    def __init__(self, message: str, *, video_name: str | None) -> None:
        super().__init__(message)
        self.video_name = video_name


class VideoFailedError(TavusError):
    """The video ended in ``error``; ``status_details`` is Tavus's explanation.

    Attributes:
        video_id: the failed video.
        status_details: Tavus's explanation (URL queries cut: it may quote a media URL).
        video: the :class:`~prefect_tavus.tavus_api.models.Video` as last read, with the
            query cut from every URL in it (the presigned media URLs it was made from).
    """

    def __init__(self, video_id: str, status_details: str | None, video: Any = None) -> None:
        status_details = redact_urls(status_details) if status_details else status_details
        details = status_details or "no details given"
        super().__init__(f"Tavus video {video_id} failed: {details}")
        self.video_id = video_id
        self.status_details = status_details
        self.video = _without_url_queries(video)


class VideoDeletedError(TavusError):
    """The video was deleted before it became ready."""

    def __init__(self, video_id: str, video: Any = None) -> None:
        super().__init__(f"Tavus video {video_id} was deleted before it became ready")
        self.video_id = video_id
        self.video = _without_url_queries(video)  # as on VideoFailedError


class WaitTimeoutError(TavusError):
    """The video was not ready before the deadline; wait again with the same ``video_id``.

    Deliberately not a builtin ``TimeoutError``: Prefect takes any ``TimeoutError`` for
    its own run timeout, names the state ``TimedOut`` and does not persist the exception,
    so a caller reading the run's state would lose the ``video_id`` to resume with.
    """

    def __init__(self, video_id: str, last_status: str | None, waited_seconds: float) -> None:
        super().__init__(
            f"Tavus video {video_id} not ready after {waited_seconds:.0f}s "
            f"(last status: {last_status or 'unknown'}); it may still finish: "
            f"wait again for video_id {video_id!r}"
        )
        self.video_id = video_id
        self.last_status = last_status
        self.waited_seconds = waited_seconds


class DownloadError(TavusError):
    """Downloading a finished video (or thumbnail) failed or was incomplete.

    Attributes:
        url: the download URL as scheme, host and path (never the presigned query).
        status_code: the HTTP status when the server answered with an error, else ``None``.
    """

    def __init__(
        self, message: str, *, url: str | None = None, status_code: int | None = None
    ) -> None:
        super().__init__(message)
        self.url = url
        self.status_code = status_code


__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "CreateOutcomeUnknownError",
    "DownloadError",
    "NotFoundError",
    "PermissionDeniedError",
    "PickleSafeError",
    "RateLimitError",
    "ServerError",
    "TavusError",
    "VideoDeletedError",
    "VideoFailedError",
    "WaitTimeoutError",
]
