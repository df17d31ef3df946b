"""One exception per failure a caller of the Tavus Video API can act on.

Every exception derives from :class:`TavusError`. HTTP failures derive from
:class:`APIStatusError` and carry ``status_code`` and the API's own message;
videos that end badly raise :class:`VideoFailedError` / :class:`VideoDeletedError`;
a wait that runs out raises :class:`WaitTimeoutError` naming the ``video_id`` so the
wait can be resumed. No message ever contains the API key.

Example:
    >>> try:
    ...     client.get_video("0000000000")
    ... except NotFoundError as exc:
    ...     print(exc.status_code, exc.message)
    400 Invalid video_id
"""

from __future__ import annotations

from typing import Any


class TavusError(Exception):
    """Base class of every error raised by ``tavus_api``."""


class APIConnectionError(TavusError):
    """The request did not get an HTTP response (DNS, refused, reset, dropped)."""


class APITimeoutError(APIConnectionError):
    """The request timed out (connect, read, write or pool)."""


class APIStatusError(TavusError):
    """Tavus answered with a non-2xx status.

    Attributes:
        status_code: the HTTP status.
        message: the API's own message (``error`` or ``message`` key, else the body text).
        body: the decoded JSON body, or ``None``.
    """

    def __init__(self, message: str, *, status_code: int, body: Any = None) -> None:
        super().__init__(f"Tavus API {status_code}: {message}")
        self.message = message
        self.status_code = status_code
        self.body = body


class BadRequestError(APIStatusError):
    """400: the request was rejected (for example ``Invalid replica_id``)."""


class AuthenticationError(APIStatusError):
    """401/403: the API key is missing, wrong or not allowed from here."""


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
    ) -> None:
        super().__init__(message, status_code=status_code, body=body)
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
    """The video ended in ``error``; ``status_details`` is Tavus's explanation."""

    def __init__(self, video_id: str, status_details: str | None, video: Any = None) -> None:
        details = status_details or "no details given"
        super().__init__(f"Tavus video {video_id} failed: {details}")
        self.video_id = video_id
        self.status_details = status_details
        self.video = video


class VideoDeletedError(TavusError):
    """The video was deleted before it became ready."""

    def __init__(self, video_id: str, video: Any = None) -> None:
        super().__init__(f"Tavus video {video_id} was deleted before it became ready")
        self.video_id = video_id
        self.video = video


class WaitTimeoutError(TavusError, TimeoutError):
    """The video was not ready before the deadline; wait again with the same ``video_id``."""

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
    """Downloading a finished video (or thumbnail) failed or was incomplete."""


__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "CreateOutcomeUnknownError",
    "DownloadError",
    "NotFoundError",
    "RateLimitError",
    "ServerError",
    "TavusError",
    "VideoDeletedError",
    "VideoFailedError",
    "WaitTimeoutError",
]
