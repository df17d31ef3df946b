"""What a run shows about each row while it makes it: the one hook where the flows differ.

Both flows make videos with the same steps (:func:`~flows.batch.run_rows`). A batch of
thousands keeps Prefect's records per row small: a warning line for a failed row,
progress lines, and its table at the end; this base class is that. One video reports
each step instead (logs, ``tavus.video.*`` events, a progress artifact, the typed
error to raise): :class:`~flows.video.VideoReport`.

Example:
    >>> report = RowReport()
    >>> report.verbose
    False
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prefect.logging import get_run_logger

from prefect_tavus.flows.batch_validation import CheckedRow
from prefect_tavus.flows.events import VIDEO_FAILED, emit_video_event
from prefect_tavus.flows.outputs import StoredOutputs
from prefect_tavus.tavus_api.errors import NotFoundError, VideoDeletedError, VideoFailedError
from prefect_tavus.tavus_api.models import Video

RequestBody = Mapping[str, Any] | None
"""A create's API body with media URLs shown as ``s3://`` URIs (``None``: not sent now)."""


def emit_failed_event(video_id: str, video_name: str | None, error: BaseException) -> None:
    """Emit ``tavus.video.failed`` if Tavus failed or deleted the video.

    Nothing for a timeout (``tavus.video.timed_out`` comes with the run's failure) or a
    failed store: the video itself is fine there. ``status_details`` is already redacted.
    """
    if isinstance(error, VideoFailedError):
        payload: dict[str, Any] = {"status": "error", "status_details": error.status_details}
    elif isinstance(error, VideoDeletedError | NotFoundError):
        payload = {"status": "deleted"}
    else:
        return
    emit_video_event(VIDEO_FAILED, video_id, video_name, payload)


class RowReport:
    """The batch's report: quiet per row, one warning line for a row that failed."""

    verbose = False
    """Read ready videos with ``verbose=true`` (thumbnail URLs): one more GET per row."""
    progress_lines = True
    """Log the run's counts (``Batch ...: 3 created, 1 stored, ...``) as rows move."""
    store_task_runs = False
    """Store each row in a ``store-video[<row>]`` task run that records the video and its
    ``metadata.json`` as Prefect assets. A batch stores without (retried all the same):
    at 1,000 rows on the benchmark's 2-core stack those task runs and asset events took
    the flow from 1.26x to 1.65x the plain loop's time. Its rows are in the table,
    ``results.jsonl`` and the ledger; each create keeps its ``create-video[<row>]``."""

    async def created(
        self, row: CheckedRow, video: Video, *, reattached: bool, request: RequestBody
    ) -> None:
        """``video`` is the row's: just created (``request`` without secrets) or found again."""

    async def changed(self, video: Video) -> None:
        """A read showed a new status or ``generation_progress``."""

    async def failed(
        self, row: CheckedRow, video_id: str | None, error: BaseException, message: str
    ) -> None:
        """The row failed with ``error``; ``message`` is its text without secrets.

        A video Tavus failed or deleted also gets ``tavus.video.failed``, so an automation on
        that event covers batch rows as it covers single videos.
        """
        where = f"video {video_id}" if video_id else "create"
        get_run_logger().warning("Row %s: %s failed: %s", row.key, where, message)
        if video_id is not None:
            emit_failed_event(video_id, row.video_name, error)

    async def stored(self, row: CheckedRow, video: Video, outputs: StoredOutputs) -> None:
        """The row's outputs and ``metadata.json`` are in S3."""


__all__ = ["RequestBody", "RowReport", "emit_failed_event"]
