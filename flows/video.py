"""Tasks that create a Tavus video exactly once and wait for it in one task.

``create_video`` returns the ``video_id`` the moment Tavus accepts the request and
persists it as the task's result under a cache key made of the flow-run id and the
request fields that do not change between attempts (the media's bucket/key, never
the presigned URLs, which change on every presign). A flow retry therefore gets the
same ``video_id`` back from the cache instead of paying for a second video; a task
retry (or a retry whose cache is gone) first looks the video up by its ``video_name``,
unique per flow run unless the user chose one.

Result records live in Prefect's result storage (local disk by default): for flow
retries on another machine, point ``PREFECT_RESULTS_DEFAULT_STORAGE_BLOCK`` at shared
storage (an ``s3-bucket/...`` block); without it the by-name re-attach still applies.

``wait_for_video`` links the Tavus page before waiting, feeds a progress artifact
from ``generation_progress``, logs only on change and raises typed errors naming the
``video_id``.

Example:
    >>> created = create_video(creds, job, video_name="hi-1", audio=signed)  # doctest: +SKIP
    >>> video = wait_for_video(creds, created.video_id)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from prefect import task
from prefect.artifacts import (
    create_link_artifact,
    create_progress_artifact,
    update_progress_artifact,
)
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext, TaskRunContext
from prefect.logging import get_run_logger
from prefect.utilities.hashing import hash_objects
from pydantic import BaseModel, ConfigDict, Field

from prefect_tavus.blocks import TavusCredentials
from prefect_tavus.flows.errors import MediaUrlExpiredError
from prefect_tavus.flows.events import VIDEO_CREATED, VIDEO_FAILED, VIDEO_READY, emit_video_event
from prefect_tavus.flows.media import PresignedMedia
from prefect_tavus.flows.parameters import VideoJob
from prefect_tavus.flows.redact import redact
from prefect_tavus.flows.request import MEDIA_URL_FIELDS, build_request
from prefect_tavus.tavus_api.errors import (
    APIConnectionError,
    RateLimitError,
    ServerError,
    VideoDeletedError,
    VideoFailedError,
)
from prefect_tavus.tavus_api.models import Video


class CreatedVideo(BaseModel):
    """What ``create_video`` records: the id, and the request without secrets."""

    model_config = ConfigDict(frozen=True)

    video_id: str
    video_name: str
    status: str
    hosted_url: str | None = None
    created_at: datetime | None = None
    request: dict[str, Any] = Field(description="The API body, media URLs shown as s3:// URIs.")
    reattached: bool = Field(False, description="True when an existing video was re-used.")


def default_video_name() -> str:
    """A name unique to the current flow run and stable across its retries.

    Outside a flow run, a name unique to this call.
    """
    ctx = FlowRunContext.get()
    if ctx is None or ctx.flow_run is None or ctx.flow is None:
        from uuid import uuid4

        return f"prefect-tavus {uuid4()}"
    run = ctx.flow_run
    return f"{ctx.flow.name} {run.name} ({run.id})"


def media_urls_of(media: Mapping[str, PresignedMedia | None]) -> dict[str, str]:
    """The presigned URL of each media role that has one, for :func:`build_request`."""
    return {role: p.url.get_secret_value() for role, p in media.items() if p is not None}


def redactions_for(presigned: Sequence[PresignedMedia | None]) -> dict[str, str]:
    """Map each presigned URL to the ``s3://`` URI to show instead."""
    return {p.url.get_secret_value(): p.uri for p in presigned if p is not None}


def _create_cache_key(ctx: TaskRunContext, params: dict[str, Any]) -> str | None:
    """Flow-run id + what stays the same across attempts (not the presigned URLs)."""
    flow_run_id = ctx.task_run.flow_run_id
    if flow_run_id is None:
        return None
    job: VideoJob = params["job"]
    stable = {
        "job": job.model_dump(mode="json", exclude=set(MEDIA_URL_FIELDS)),
        "video_name": params.get("video_name"),
        "media": {
            role: params[role].uri if params.get(role) is not None else None
            for role in MEDIA_URL_FIELDS
        },
    }
    return f"tavus-create-video-{flow_run_id}-{hash_objects(stable)}"


def _transient(task: Any, task_run: Any, state: Any) -> bool:
    """Retry a task only after errors that another attempt may cure."""
    exc = state.result(raise_on_failure=False)
    return isinstance(exc, RateLimitError | ServerError | APIConnectionError)


def _flow_run_started() -> datetime | None:
    """When this flow run was created: the earliest a video of this run can exist."""
    ctx = FlowRunContext.get()
    return ctx.flow_run.created if ctx is not None and ctx.flow_run is not None else None


def _is_retry() -> bool:
    task_ctx = TaskRunContext.get()
    flow_ctx = FlowRunContext.get()
    task_attempt = task_ctx.task_run.run_count if task_ctx is not None else 1
    flow_attempt = flow_ctx.flow_run.run_count if flow_ctx and flow_ctx.flow_run else 1
    return task_attempt > 1 or flow_attempt > 1


@task(
    name="create-video",
    cache_key_fn=_create_cache_key,
    persist_result=True,
    retries=2,
    retry_delay_seconds=10,
    retry_condition_fn=_transient,
)
def create_video(
    credentials: TavusCredentials,
    job: VideoJob,
    *,
    video_name: str,
    audio: PresignedMedia | None = None,
    background: PresignedMedia | None = None,
    watermark: PresignedMedia | None = None,
) -> CreatedVideo:
    """Create the video (``POST /v2/videos``) once and record its ``video_id`` at once.

    Args:
        credentials: the Tavus credentials block.
        job: what to make; its media fields must be matched by presigned URLs.
        video_name: unique per request (the flow derives one from the flow run), so
            a lost response or a retry can find the video instead of paying twice.
        audio, background, watermark: presigned GET URLs from ``presign_media``.

    Returns:
        ``video_id``, ``video_name``, ``hosted_url`` and the request body with media
        URLs shown as ``s3://`` URIs. Emits ``tavus.video.created``.

    Example:
        >>> created = create_video(creds, job, video_name="hi-1", audio=signed)  # doctest: +SKIP
        >>> created.video_id  # doctest: +SKIP
        '1e30440cf9'
    """
    logger = get_run_logger()
    media = {"audio": audio, "background": background, "watermark": watermark}
    request = build_request(job, video_name=video_name, media_urls=media_urls_of(media))
    redactions = redactions_for(list(media.values()))
    safe_body = redact(request.to_api_body(), redactions)
    # One clock for the whole run: a retry re-attaches to what an earlier attempt of
    # this flow run created, by the client's own rule (find_created_video).
    since = _flow_run_started()
    with credentials.get_client() as client:
        existing = None
        if _is_retry() and since is not None:
            existing = client.find_created_video(video_name, since=since)
        if existing is not None:
            video, reattached = existing, True
            logger.info("Re-attached to Tavus video %s (%r)", video.video_id, video_name)
        else:
            video, reattached = client.create_video(request, since=since), False
            logger.info("Created Tavus video %s (%r)", video.video_id, video_name)
    created = CreatedVideo(
        video_id=video.video_id,
        video_name=video.video_name or video_name,
        status=str(video.status.value),
        hosted_url=video.hosted_url,
        created_at=video.created_at,
        request=safe_body,
        reattached=reattached,
    )
    if not reattached:
        emit_video_event(
            VIDEO_CREATED,
            created.video_id,
            created.video_name,
            {
                "status": created.status,
                "hosted_url": created.hosted_url,
                "replica_id": job.replica_id,
                "request": safe_body,
            },
            redactions=redactions,
        )
    return created


class _Progress:
    """Logs and the progress artifact, updated only when something changed."""

    def __init__(self, video_id: str) -> None:
        self.video_id = video_id
        self.logger = get_run_logger()
        self.last: tuple[str, float | None] | None = None
        self.last_percent: float = 0.0
        artifact_id = create_progress_artifact(
            progress=0.0,
            description=f"Generation progress of Tavus video {video_id}",
        )
        # async_dispatch types both outcomes; called from sync code it returns the id.
        assert isinstance(artifact_id, UUID)
        self.artifact_id = artifact_id
        self.changes = 0

    def __call__(self, video: Video) -> None:
        state = (video.status.value, video.progress)
        if state == self.last:
            return
        self.last = state
        self.changes += 1
        shown = f" ({video.progress:.0f}%)" if video.progress is not None else ""
        self.logger.info("Tavus video %s: %s%s", self.video_id, video.status.value, shown)
        if video.progress is not None and video.progress != self.last_percent:
            self.set(video.progress)

    def set(self, percent: float) -> None:
        self.last_percent = percent
        update_progress_artifact(artifact_id=self.artifact_id, progress=percent)


def _expired_media(
    presigned: Sequence[PresignedMedia], failed_at: datetime | None
) -> list[PresignedMedia]:
    moment = failed_at or datetime.now(UTC)
    return [p for p in presigned if p.expires_at <= moment]


@task(name="wait-for-video", cache_policy=NO_CACHE, persist_result=False)
def wait_for_video(
    credentials: TavusCredentials,
    video_id: str,
    *,
    video_name: str | None = None,
    hosted_url: str | None = None,
    timeout_seconds: float = 3600.0,
    poll_interval_seconds: float = 5.0,
    max_poll_interval_seconds: float = 30.0,
    presigned: Sequence[PresignedMedia] = (),
) -> Video:
    """Wait in one task until the video is ready; never cached.

    Creates a link artifact to ``hosted_url`` first (so the UI links to Tavus even if
    the wait fails), then polls with capped backoff against a monotonic deadline,
    logging and updating the ``tavus-progress-<video_id>`` artifact only when status
    or ``generation_progress`` changes. Emits ``tavus.video.ready`` or
    ``tavus.video.failed``.

    Args:
        credentials: the Tavus credentials block.
        video_id: the video to wait for (``CreatedVideo.video_id``).
        video_name: shown in the link artifact and events.
        hosted_url: Tavus's page for the video, linked from the UI.
        timeout_seconds: give up after this long (monotonic clock).
        poll_interval_seconds: first delay between status checks (grows x1.5).
        max_poll_interval_seconds: longest delay between status checks.
        presigned: the media URLs handed to Tavus: kept out of logs, and named in the
            error if the video failed after one expired.

    Returns:
        The ready video, with ``download_url`` and its thumbnail URLs.

    Raises:
        VideoFailedError: ended in ``error`` (message has Tavus's ``status_details``;
            :class:`~flows.errors.MediaUrlExpiredError` when a presigned URL had expired).
        VideoDeletedError: deleted before ready.
        WaitTimeoutError: not ready in ``timeout_seconds``; wait again with the same id.

    Example:
        >>> video = wait_for_video(creds, "1e30440cf9", timeout_seconds=1800)  # doctest: +SKIP
        >>> video.download_url  # doctest: +SKIP
        'https://stream.mux.com/.../high.mp4?download=1e30440cf9'
    """
    logger = get_run_logger()
    redactions = redactions_for(list(presigned))
    if hosted_url:
        create_link_artifact(
            link=hosted_url,
            link_text=f"Tavus video {video_id}",
            description=f"Tavus's page for video {video_id} ({video_name or 'unnamed'})",
        )
    progress = _Progress(video_id)
    with credentials.get_client() as client:
        try:
            video = client.wait_for_video(
                video_id,
                timeout=timeout_seconds,
                poll_interval=poll_interval_seconds,
                max_poll_interval=max_poll_interval_seconds,
                on_change=progress,
                verbose=True,  # the ready video then carries its thumbnail URLs
            )
        except VideoFailedError as exc:
            details = redact(exc.status_details or "", redactions) or None
            emit_video_event(
                VIDEO_FAILED,
                video_id,
                video_name,
                {"status": "error", "status_details": details},
                redactions=redactions,
            )
            failed_at = getattr(exc.video, "updated_at", None)
            expired = _expired_media(list(presigned), failed_at)
            if expired:
                raise MediaUrlExpiredError(
                    video_id,
                    details,
                    expired=[p.uri for p in expired],
                    expiry_seconds=min(p.expires_in for p in expired),
                ) from None
            raise VideoFailedError(video_id, details) from None
        except VideoDeletedError:
            emit_video_event(VIDEO_FAILED, video_id, video_name, {"status": "deleted"})
            raise
    progress.set(100.0)
    logger.info("Tavus video %s is ready (%d status changes seen)", video_id, progress.changes)
    emit_video_event(
        VIDEO_READY,
        video_id,
        video_name or video.video_name,
        {"status": video.status.value, "hosted_url": video.hosted_url},
        redactions=redactions,
    )
    return video


__all__ = [
    "CreatedVideo",
    "media_urls_of",
    "create_video",
    "default_video_name",
    "redactions_for",
    "wait_for_video",
]
