"""One video, shown step by step: the single-video flow's :class:`~flows.row_report.RowReport`.

``generate-video`` makes its video with the batch's steps (validate, upload, paced
create with the duplicate guard, the watcher, the store; :func:`~flows.batch.run_rows`)
and this report shows what a user of one video expects: a log line per step and per
status change, the ``tavus.video.created`` / ``ready`` / ``failed`` / ``stored`` events,
a link to Tavus's page and a progress artifact fed from ``generation_progress``, and
the typed error of a failed video to raise.

Also here: the names and redactions both flows use for a video's media.

Example:
    >>> report = VideoReport()  # doctest: +SKIP
    >>> done = await run_rows(batch, settings, ledger, batch.rows, report=report)  # doctest: +SKIP
    >>> report.raise_failure()  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from uuid import UUID, uuid4

from prefect.artifacts import (
    acreate_link_artifact,
    acreate_progress_artifact,
    aupdate_progress_artifact,
)
from prefect.context import FlowRunContext
from prefect.logging import get_run_logger

from prefect_tavus.flows.batch_validation import CheckedRow
from prefect_tavus.flows.errors import MediaUrlExpiredError
from prefect_tavus.flows.events import (
    VIDEO_CREATED,
    VIDEO_READY,
    VIDEO_STORED,
    emit_video_event,
)
from prefect_tavus.flows.media import PresignedMedia
from prefect_tavus.flows.outputs import StoredOutputs
from prefect_tavus.flows.redact import redact
from prefect_tavus.flows.row_report import RequestBody, RowReport, emit_failed_event
from prefect_tavus.tavus_api.errors import VideoFailedError
from prefect_tavus.tavus_api.models import Video, VideoStatus


def default_video_name() -> str:
    """A name unique to the current flow run and stable across its retries.

    Outside a flow run, a name unique to this call.
    """
    ctx = FlowRunContext.get()
    if ctx is None or ctx.flow_run is None or ctx.flow is None:
        return f"prefect-tavus {uuid4()}"
    run = ctx.flow_run
    return f"{ctx.flow.name} {run.name} ({run.id})"


def media_urls_of(media: Mapping[str, PresignedMedia | None]) -> dict[str, str]:
    """The presigned URL of each media role that has one, for :func:`build_request`."""
    return {role: p.url.get_secret_value() for role, p in media.items() if p is not None}


def redactions_for(presigned: Sequence[PresignedMedia | None]) -> dict[str, str]:
    """Map each presigned URL to the ``s3://`` URI to show instead."""
    return {p.url.get_secret_value(): p.uri for p in presigned if p is not None}


def explain_failure(error: BaseException, presigned: Sequence[PresignedMedia]) -> BaseException:
    """A failed video's error without media URLs in its text, and as
    :class:`MediaUrlExpiredError` when a presigned URL had expired before it failed.

    Tavus fetches the media when it starts generating; an expired URL is then the likely
    cause, and the fix a longer ``presign_expiry_seconds``. Other errors come back as
    they are.
    """
    if not isinstance(error, VideoFailedError):
        return error
    details = redact(error.status_details or "", redactions_for(presigned)) or None
    failed_at = getattr(error.video, "updated_at", None) or datetime.now(UTC)
    expired = [p for p in presigned if p.expires_at <= failed_at]
    if not expired:
        return VideoFailedError(error.video_id, details, error.video)
    return MediaUrlExpiredError(
        error.video_id,
        details,
        expired=[p.uri for p in expired],
        expiry_seconds=min(p.expires_in for p in expired),
    )


class VideoReport(RowReport):
    """One video's steps in the logs, events and artifacts; its failure kept to raise.

    After the run: :attr:`outputs` is set when the video was stored, else
    :meth:`raise_failure` raises what went wrong (``VideoFailedError`` /
    ``MediaUrlExpiredError``, ``VideoDeletedError``, ``WaitTimeoutError`` naming the
    ``video_id``, or the create's error).
    """

    verbose = True  # the ready video carries its thumbnails: one read, one video
    progress_lines = False  # its own lines say more than "1 created of 1 rows"
    store_task_runs = True  # one video: its store-video[job] task run and assets

    def __init__(self) -> None:
        self.logger = get_run_logger()
        self.video: Video | None = None
        self.outputs: StoredOutputs | None = None
        self.error: BaseException | None = None
        self._progress_id: UUID | None = None
        self._last: tuple[VideoStatus, float | None] | None = None
        self._percent = 0.0
        self._changes = 0

    async def created(
        self, row: CheckedRow, video: Video, *, reattached: bool, request: RequestBody
    ) -> None:
        """Log, emit ``tavus.video.created`` (new videos only) and start the artifacts."""
        self.video = video
        name = video.video_name or row.video_name
        verb = "Re-attached to" if reattached else "Created"
        self.logger.info("%s Tavus video %s (%r)", verb, video.video_id, name)
        if not reattached:
            payload = {
                "status": video.status.value,
                "hosted_url": video.hosted_url,
                "replica_id": row.job.replica_id,
                "request": dict(request or {}),
            }
            emit_video_event(VIDEO_CREATED, video.video_id, name, payload)
        if video.hosted_url:
            await acreate_link_artifact(
                link=video.hosted_url,
                link_text=f"Tavus video {video.video_id}",
                description=f"Tavus's page for video {video.video_id} ({name})",
            )
        progress_id = await acreate_progress_artifact(
            progress=0.0, description=f"Generation progress of Tavus video {video.video_id}"
        )
        self._progress_id = progress_id

    async def changed(self, video: Video) -> None:
        """Log the change, move the progress artifact; ready: 100 % and ``tavus.video.ready``."""
        state = (video.status, video.progress)
        if state == self._last:
            return
        self._last = state
        self._changes += 1
        shown = f" ({video.progress:.0f}%)" if video.progress is not None else ""
        self.logger.info("Tavus video %s: %s%s", video.video_id, video.status.value, shown)
        percent = 100.0 if video.status is VideoStatus.READY else video.progress
        if percent is not None and percent != self._percent and self._progress_id is not None:
            self._percent = percent
            await aupdate_progress_artifact(artifact_id=self._progress_id, progress=percent)
        if video.status is VideoStatus.READY:
            self.logger.info(
                "Tavus video %s is ready (%d status changes seen)", video.video_id, self._changes
            )
            payload = {"status": video.status.value, "hosted_url": video.hosted_url}
            emit_video_event(VIDEO_READY, video.video_id, self._name(video), payload)

    async def failed(
        self, row: CheckedRow, video_id: str | None, error: BaseException, message: str
    ) -> None:
        """Keep the error to raise (the flow logs it once); emit ``tavus.video.failed``."""
        self.error = error
        if video_id is not None:
            emit_failed_event(video_id, self._name(None) or row.video_name, error)

    async def stored(self, row: CheckedRow, video: Video, outputs: StoredOutputs) -> None:
        """Log where the files are and emit ``tavus.video.stored``."""
        self.video = video
        self.outputs = outputs
        main = outputs.video
        self.logger.info(
            "Stored %s (%d bytes, sha256 %s); %s written last",
            main.uri,
            main.size_bytes,
            main.sha256,
            outputs.metadata_uri,
        )
        emit_video_event(VIDEO_STORED, video.video_id, self._name(video), outputs.event_payload())

    def raise_failure(self) -> None:
        """Raise what made the video fail (nothing if it was stored)."""
        if self.outputs is None and self.error is not None:
            raise self.error

    def _name(self, video: Video | None) -> str | None:
        return (video and video.video_name) or (self.video and self.video.video_name) or None


__all__ = [
    "VideoReport",
    "default_video_name",
    "explain_failure",
    "media_urls_of",
    "redactions_for",
]
