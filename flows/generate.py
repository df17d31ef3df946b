"""The ``generate-video`` flow: media -> S3 -> presign -> create -> wait -> store.

Every step is a task, so the UI shows where a run is and a retry resumes: uploads
are skipped when the object is there, the create is answered from the cache (same
``video_id``), and only the wait and the copy run again.

Example:
    >>> from prefect_tavus.flows import VideoJob, generate_video
    >>> result = generate_video(
    ...     VideoJob(replica_id="r79e1c033f", audio="voice.wav"),
    ...     credentials_block="tavus",
    ...     media_bucket_block="tavus-media",
    ... )  # doctest: +SKIP
    >>> result.video_uri  # doctest: +SKIP
    's3://tavus-media/tavus/videos/1e30440cf9/1e30440cf9.mp4'
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from prefect import flow
from pydantic import ValidationError

from prefect_tavus.flows.errors import InvalidVideoJob, Problem
from prefect_tavus.flows.media import (
    DEFAULT_MEDIA_PREFIX,
    DEFAULT_PRESIGN_SECONDS,
    presign_media,
    upload_media,
)
from prefect_tavus.flows.outputs import DEFAULT_OUTPUT_PREFIX, store_outputs
from prefect_tavus.flows.parameters import VideoJob
from prefect_tavus.flows.results import VideoResult
from prefect_tavus.flows.validation import RunOptions, validate_job
from prefect_tavus.flows.video import (
    create_video,
    default_video_name,
    redactions_for,
    wait_for_video,
)


def build_options(**params: Any) -> RunOptions:
    """The flow's non-job parameters as :class:`RunOptions`; bad types -> ``InvalidVideoJob``."""
    try:
        return RunOptions(**params)
    except ValidationError as exc:
        raise InvalidVideoJob(
            Problem(".".join(str(p) for p in error["loc"]), error["msg"]) for error in exc.errors()
        ) from None


@flow(
    name="generate-video",
    description="Make one Tavus video from a script or audio and store it in S3.",
    validate_parameters=False,  # validate_job reports every problem at once, typed
)
def generate_video(
    job: VideoJob,
    credentials_block: str = "tavus",
    media_bucket_block: str = "tavus-media",
    output_bucket_block: str | None = None,
    media_prefix: str = DEFAULT_MEDIA_PREFIX,
    output_prefix: str = DEFAULT_OUTPUT_PREFIX,
    presign_expiry_seconds: int = DEFAULT_PRESIGN_SECONDS,
    wait_timeout_seconds: float = 3600.0,
    poll_interval_seconds: float = 5.0,
    max_poll_interval_seconds: float = 30.0,
) -> VideoResult:
    """Make one Tavus video and store it (video, thumbnails, metadata.json) in S3.

    Everything is checked before anything is uploaded or created; all problems are
    reported together in one ``InvalidVideoJob``.

    Args:
        job: the video: replica, script or audio, background, watermark, options.
        credentials_block: name of the saved Tavus Credentials block.
        media_bucket_block: name of the S3 Bucket block inputs are uploaded to.
        output_bucket_block: name of the S3 Bucket block outputs go to (default: the media bucket).
        media_prefix: key prefix for uploaded inputs, e.g. tavus/media.
        output_prefix: key prefix for outputs; each video gets <prefix>/<video_id>/.
        presign_expiry_seconds: how long Tavus may fetch the inputs (1 s to 7 days; default 24 h).
        wait_timeout_seconds: how long to wait for the video to be ready.
        poll_interval_seconds: first delay between status checks (grows x1.5).
        max_poll_interval_seconds: longest delay between status checks.

    Returns:
        The stored video's URIs, size, sha256, duration and Tavus ids.

    Raises:
        InvalidVideoJob: some input is wrong; nothing was uploaded or created.
        tavus_api.errors.VideoFailedError: Tavus could not make the video
            (:class:`~flows.errors.MediaUrlExpiredError` when a presigned URL expired first).
        tavus_api.errors.WaitTimeoutError: not ready within ``wait_timeout_seconds``.

    Example:
        >>> generate_video({"replica_id": "r79e1c033f", "script": "Hi!"})  # doctest: +SKIP
        VideoResult(video_id='1e30440cf9', status='ready', ...)
    """
    options = build_options(
        credentials_block=credentials_block,
        media_bucket_block=media_bucket_block,
        output_bucket_block=output_bucket_block,
        media_prefix=media_prefix,
        output_prefix=output_prefix,
        presign_expiry_seconds=presign_expiry_seconds,
        wait_timeout_seconds=wait_timeout_seconds,
        poll_interval_seconds=poll_interval_seconds,
        max_poll_interval_seconds=max_poll_interval_seconds,
    )
    with tempfile.TemporaryDirectory(prefix="tavus-inputs-") as workdir:
        checked = validate_job(job, options, Path(workdir))
        uploaded = {
            role: upload_media(staged, checked.media_bucket, prefix=options.media_prefix)
            for role, staged in checked.media.items()
        }
    presigned = {
        role: presign_media(media, checked.media_bucket, options.presign_expiry_seconds)
        for role, media in uploaded.items()
    }
    video_name = checked.job.video_name or default_video_name()
    created = create_video(checked.credentials, checked.job, video_name=video_name, **presigned)
    video = wait_for_video(
        checked.credentials,
        created.video_id,
        video_name=created.video_name,
        hosted_url=created.hosted_url,
        timeout_seconds=options.wait_timeout_seconds,
        poll_interval_seconds=options.poll_interval_seconds,
        max_poll_interval_seconds=options.max_poll_interval_seconds,
        presigned=list(presigned.values()),
    )
    outputs = store_outputs(
        checked.credentials,
        video,
        checked.output_bucket,
        options.output_prefix,
        request=created.request,
        inputs={role: media.model_dump(mode="json") for role, media in uploaded.items()},
        redactions=redactions_for(list(presigned.values())),
    )
    audio = uploaded.get("audio")
    duration = outputs.duration_seconds
    if duration is None and audio is not None:
        duration = audio.duration_seconds
    return VideoResult(
        video_id=created.video_id,
        status=video.status.value,
        video_name=created.video_name,
        hosted_url=video.hosted_url or created.hosted_url,
        video_uri=outputs.video.uri,
        thumbnail_uri=outputs.thumbnail.uri if outputs.thumbnail else None,
        gif_thumbnail_uri=outputs.gif_thumbnail.uri if outputs.gif_thumbnail else None,
        metadata_uri=outputs.metadata_uri,
        duration_seconds=duration,
        size_bytes=outputs.video.size_bytes,
        sha256=outputs.video.sha256,
        content_type=outputs.video.content_type,
    )


__all__ = ["build_options", "generate_video"]
