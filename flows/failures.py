"""Expected failures, as a data person reads them in the Prefect UI.

An expected failure (bad input, a video Tavus could not make, a wait that timed out, a
deleted video) ends the flow run with a one-line state message naming the field or the
video and what Tavus said, the details in one log record, a summary artifact, and for a
timeout a ``tavus.video.timed_out`` event. The reason appears once in the logs, without
a traceback: they are answers, not bugs. Anything else still fails the usual way, traceback and all.

Example:
    >>> from prefect_tavus.flows.errors import InvalidVideoJob, Problem
    >>> headline(InvalidVideoJob([Problem("job.audio", "is empty"), Problem("job.x", "no")]))
    'Invalid input, nothing was made: job.audio: is empty (and 1 more problem, see the logs)'
"""

from __future__ import annotations

import logging
import re
from collections import deque
from typing import Any

from prefect import State
from prefect.logging import get_run_logger
from prefect.states import Failed

from prefect_tavus.flows.errors import InvalidVideoJob
from prefect_tavus.flows.events import VIDEO_TIMED_OUT, emit_video_event
from prefect_tavus.flows.summary import failure_markdown, publish
from prefect_tavus.tavus_api.errors import VideoDeletedError, VideoFailedError, WaitTimeoutError

EXPECTED: tuple[type[BaseException], ...] = (
    InvalidVideoJob,
    VideoFailedError,
    VideoDeletedError,
    WaitTimeoutError,
)
"""Failures that are answers about the input or the video, not bugs."""


def _one_line(text: str) -> str:
    return " ".join(text.split())


def headline(exc: BaseException) -> str:
    """One short line: which field or video, and what Tavus said."""
    if isinstance(exc, InvalidVideoJob):
        first, more = exc.problems[0], len(exc.problems) - 1
        rest = f" (and {more} more problem{'s' if more > 1 else ''}, see the logs)" if more else ""
        return _one_line(f"Invalid input, nothing was made: {first}{rest}")
    if isinstance(exc, WaitTimeoutError):
        return _one_line(
            f"Tavus video {exc.video_id} was not ready after {exc.waited_seconds:.0f} s "
            f"(last status: {exc.last_status or 'unknown'}); Retry waits for the same video"
        )
    if isinstance(exc, VideoDeletedError):
        return f"Tavus video {exc.video_id} was deleted before it was ready"
    if isinstance(exc, VideoFailedError):
        said = exc.status_details or "no details"
        return _one_line(f"Tavus could not make video {exc.video_id}: {said}")
    return _one_line(f"{type(exc).__name__}: {exc}")


def details(exc: BaseException) -> list[str]:
    """Every line worth reading: each input problem, or the error's full text."""
    if isinstance(exc, InvalidVideoJob):
        return [str(problem) for problem in exc.problems]
    return [line for line in str(exc).splitlines() if line.strip()]


def fail_run(exc: BaseException) -> State[Any]:
    """Log, publish and emit what went wrong; the Failed state the flow returns."""
    line = headline(exc)
    _REPORTED.append(line)
    video_id: str | None = getattr(exc, "video_id", None)
    get_run_logger().error("%s\n%s", line, "\n".join(f"  - {d}" for d in details(exc)))
    publish(failure_markdown(line, details(exc), video_id), description=line)
    if isinstance(exc, WaitTimeoutError):
        emit_video_event(
            VIDEO_TIMED_OUT,
            exc.video_id,
            payload={"last_status": exc.last_status, "waited_seconds": exc.waited_seconds},
        )
    return Failed(message=line, data=exc)


def _expected_names() -> set[str]:
    """Names of the expected exceptions and their subclasses, as a state message shows them."""
    names: set[str] = set()
    todo = list(EXPECTED)
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo += cls.__subclasses__()
    return names


_REPORTED: deque[str] = deque(maxlen=64)
"""Headlines :func:`fail_run` logged lately in this process (its flow runs' messages)."""
_FLOW_FAILED = re.compile(r"^Finished in state Failed\((['\"])(.*)\1\)$", re.DOTALL)
_TASK_FAILED = re.compile(
    r"^Finished in state Failed\(['\"]Task run encountered an exception (\w+):"
)


class _ExpectedOnce(logging.Filter):
    """An expected failure is logged once, by :func:`fail_run`; the engines' own lines
    about it are dropped ("Task run failed with exception ...", with its traceback) or
    cut: the task's "Finished in state Failed" to the exception's name, the flow's to
    a pointer at the record above (the state message itself is unchanged)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], EXPECTED):
            return False
        found = _TASK_FAILED.match(record.getMessage())
        if found and found.group(1) in _expected_names():
            record.msg = "Finished in state Failed: %s (the flow run logs why)"
            record.args = (found.group(1),)
        flow_done = _FLOW_FAILED.match(record.getMessage())
        if flow_done and flow_done.group(2) in _REPORTED:
            record.msg = "Finished in state Failed (the reason is logged above)"
            record.args = ()
        return True


def quiet_expected_tracebacks() -> None:
    """Install the filter on Prefect's task-run and flow-run loggers (once)."""
    for name in ("prefect.task_runs", "prefect.flow_runs"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _ExpectedOnce) for f in logger.filters):
            logger.addFilter(_ExpectedOnce())


__all__ = ["EXPECTED", "details", "fail_run", "headline", "quiet_expected_tracebacks"]
