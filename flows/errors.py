"""Errors the flows raise on top of :mod:`prefect_tavus.tavus_api.errors`.

Every one of them is a :class:`VideoJobError`, so one ``except`` catches whatever a
video job itself got wrong; errors of the Tavus API (status, connection, a video
Tavus failed) stay :class:`~prefect_tavus.tavus_api.errors.TavusError`::

    VideoJobError
    ├── InvalidVideoJob        (also ValueError) input rejected before anything was spent
    ├── SourceError            (also ValueError) a media source cannot be read
    ├── InvalidMediaError      (also tavus_api.media.MediaError) media Tavus would reject
    ├── MediaUrlExpiredError   (also VideoFailedError) failed: a presigned URL had expired
    └── OutputIncompleteError  (also RuntimeError) a stored output does not match

All of them survive pickling with their fields (Prefect pickles a failed state's
exception), and none carries a presigned URL's signature or the API key.

Example:
    >>> import pickle
    >>> from prefect_tavus.flows.errors import InvalidVideoJob, Problem, VideoJobError
    >>> err = InvalidVideoJob([Problem("job.script", "must not be blank")])
    >>> print(err)
    generate-video input is invalid (1 problem); nothing was uploaded or created:
      - job.script: must not be blank
    >>> again = pickle.loads(pickle.dumps(err))
    >>> isinstance(again, VideoJobError), again.fields
    (True, ['job.script'])
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from prefect_tavus.tavus_api.errors import PickleSafeError, VideoFailedError
from prefect_tavus.tavus_api.media import MediaError


class VideoJobError(PickleSafeError):
    """Base of every error a video job raises of its own (input, media, sources, outputs)."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: which parameter, and what is allowed instead."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class InvalidVideoJob(VideoJobError, ValueError):
    """The flow's input cannot make a video; raised before anything is uploaded or created.

    Lists every problem found, each naming the parameter (``job.audio``,
    ``media_bucket_block``, ...) and what is allowed.

    Attributes:
        problems: every :class:`Problem` found.
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        count = len(self.problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(
            f"generate-video input is invalid ({count} problem{'s' if count != 1 else ''}); "
            f"nothing was uploaded or created:\n{lines}"
        )

    @property
    def fields(self) -> list[str]:
        """The parameters named by the problems, in order."""
        return [problem.field for problem in self.problems]


class SourceError(VideoJobError, ValueError):
    """A media source that cannot be read; the message never holds a URL query."""


class InvalidMediaError(VideoJobError, MediaError):
    """A media input Tavus would reject (type, length or size), found before uploading.

    The :class:`~prefect_tavus.tavus_api.media.MediaError` of the file check, as the
    flows raise it: ``except MediaError`` and ``except VideoJobError`` both catch it.
    ``code`` and ``message`` are as on ``MediaError``.
    """


class MediaUrlExpiredError(VideoJobError, VideoFailedError):
    """The video failed and a presigned media URL had expired before Tavus fetched it.

    Raise ``presign_expiry_seconds`` above Tavus's queue time (the default is 24 h).

    Attributes:
        expired: the ``s3://`` URIs of the media whose URLs expired (never the URLs).
        expiry_seconds: how long those URLs were valid.
    """

    def __init__(
        self,
        video_id: str,
        status_details: str | None,
        *,
        expired: list[str],
        expiry_seconds: int,
        video: object = None,
    ) -> None:
        super().__init__(video_id, status_details, video)
        hint = (
            f"; the presigned URL(s) for {', '.join(expired)} expired after {expiry_seconds}s, "
            "before Tavus fetched them: raise presign_expiry_seconds (max 604800)"
        )
        self.args = (str(self.args[0]) + hint,)
        self.expired = expired
        self.expiry_seconds = expiry_seconds


class OutputIncompleteError(VideoJobError, RuntimeError):
    """A stored output does not match what was downloaded (size or Content-Length)."""


__all__ = [
    "InvalidMediaError",
    "InvalidVideoJob",
    "MediaUrlExpiredError",
    "OutputIncompleteError",
    "Problem",
    "SourceError",
    "VideoJobError",
]
