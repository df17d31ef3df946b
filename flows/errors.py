"""Errors the flows raise on top of :mod:`tavus_api.errors`.

Example:
    >>> err = InvalidVideoJob([Problem("job.script", "must not be blank")])
    >>> print(err)
    generate-video input is invalid (1 problem); nothing was uploaded or created:
      - job.script: must not be blank
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from prefect_tavus.tavus_api.errors import VideoFailedError


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: which parameter, and what is allowed instead."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class InvalidVideoJob(ValueError):
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


class MediaUrlExpiredError(VideoFailedError):
    """The video failed and a presigned media URL had expired before Tavus fetched it.

    Raise ``presign_expiry_seconds`` above Tavus's queue time (the default is 24 h).
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


class OutputIncompleteError(RuntimeError):
    """A stored output does not match what was downloaded (size or Content-Length)."""


__all__ = ["InvalidVideoJob", "MediaUrlExpiredError", "OutputIncompleteError", "Problem"]
