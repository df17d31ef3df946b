"""The ``generate-video`` flow: media -> S3 -> presign -> create -> wait -> store.

One video is the one-row case of ``generate-videos``: after its own checks (a form,
not a manifest) it is made by the batch's steps (:func:`~flows.batch.run_rows`:
upload, paced create with the duplicate guard, the watcher, the store), with
:class:`~flows.video.VideoReport` showing each step. A retry of the flow run
re-attaches: uploads are skipped when the object is there, the video is found again
by its ``video_name`` (unique to the flow run) instead of created twice, and only the
wait and the copy run again.

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
from datetime import datetime
from pathlib import Path

from prefect import flow
from prefect.context import FlowRunContext
from prefect.utilities.asyncutils import run_coro_as_sync

from prefect_tavus.flows.batch import run_rows
from prefect_tavus.flows.batch_validation import BatchSettings, one_row_batch
from prefect_tavus.flows.failures import EXPECTED, fail_run, quiet_expected_tracebacks
from prefect_tavus.flows.form import (
    JOB_PARAM,
    MEDIA_PARAM,
    OUTPUT_PARAM,
    SETTINGS_PARAM,
    TAVUS_PARAM,
    AdvancedSettings,
    BucketBlock,
    OutputBucketBlock,
    TavusBlock,
    run_options,
)
from prefect_tavus.flows.ledger import RetryLedger
from prefect_tavus.flows.parameters import VideoJob
from prefect_tavus.flows.results import VideoResult
from prefect_tavus.flows.summary import (
    publish,
    read_small_object,
    thumbnail_data_uri,
    video_markdown,
)
from prefect_tavus.flows.validation import RunOptions, validate_job
from prefect_tavus.flows.video import VideoReport, default_video_name

quiet_expected_tracebacks()


@flow(
    name="generate-video",
    description="Make one Tavus video from a script or an audio file and store it in S3.",
    validate_parameters=False,  # validate_job reports every problem at once, typed
)
def generate_video(
    job: VideoJob = JOB_PARAM,
    credentials_block: TavusBlock = TAVUS_PARAM,
    media_bucket_block: BucketBlock = MEDIA_PARAM,
    output_bucket_block: OutputBucketBlock = OUTPUT_PARAM,
    settings: AdvancedSettings = SETTINGS_PARAM,
) -> VideoResult:
    """Make one Tavus video and store it (video, thumbnails, metadata.json) in S3.

    Everything is checked before anything is uploaded or created; all problems are
    reported together in one ``InvalidVideoJob``.

    Args:
        job: The video to make: the replica, what it says (a script or an audio file),
            background, watermark and Tavus options.
        credentials_block: The Tavus Credentials block holding the API key.
        media_bucket_block: The S3 Bucket block inputs are uploaded to and s3:// inputs
            are read with.
        output_bucket_block: The S3 Bucket block the video, thumbnails and metadata.json
            are stored in.
        settings: Key prefixes, presigned URL lifetime, wait timeout and polling.

    Returns:
        The stored video's URIs, size, sha256, duration and Tavus ids.

    Raises:
        InvalidVideoJob: some input is wrong; nothing was uploaded or created.
        tavus_api.errors.VideoFailedError: Tavus could not make the video
            (:class:`~flows.errors.MediaUrlExpiredError` when a presigned URL expired first).
        tavus_api.errors.WaitTimeoutError: not ready within the wait timeout.

    Example:
        >>> generate_video({"replica_id": "r79e1c033f", "script": "Hi!"})  # doctest: +SKIP
        VideoResult(video_id='1e30440cf9', status='ready', ...)
        >>> slow = AdvancedSettings(wait_timeout_seconds=600)
        >>> generate_video(job, settings=slow)  # doctest: +SKIP
    """
    try:
        options = run_options(credentials_block, media_bucket_block, output_bucket_block, settings)
        result, thumbnail = _make_video(job, options)
    except EXPECTED as exc:
        # an answer about the input or the video, not a bug: one line, no traceback
        return fail_run(exc)  # type: ignore[return-value]  # a Failed state ends the run
    publish(
        video_markdown(result, thumbnail_data_uri(thumbnail)),
        description=f"Tavus video {result.video_id}: {result.status}",
    )
    return result


ROW_KEY = "job"
"""The one row's key: task runs read ``create-video[job]``, ``store-video[job]``."""


def _make_video(job: VideoJob, options: RunOptions) -> tuple[VideoResult, bytes | None]:
    """Validate, then upload, create, wait and store as the batch's one-row case."""
    settings = BatchSettings(options=options, max_concurrent_creates=1, max_concurrent_stores=1)
    report = VideoReport()
    with tempfile.TemporaryDirectory(prefix="tavus-inputs-") as workdir:
        checked = validate_job(job, options, Path(workdir))
        video_name = checked.job.video_name or default_video_name()
        batch = one_row_batch(checked, ROW_KEY, video_name)
        ledger = RetryLedger(_retry_of())
        run_coro_as_sync(run_rows(batch, settings, ledger, batch.rows, report=report))
    report.raise_failure()
    outputs, video = report.outputs, report.video
    assert outputs is not None and video is not None  # stored, or raise_failure raised
    duration = outputs.duration_seconds
    audio = checked.media.get("audio")
    if duration is None and audio is not None:
        duration = audio.info.duration_seconds
    thumbnail = None
    if outputs.thumbnail is not None:
        thumbnail = read_small_object(checked.output_bucket, outputs.thumbnail.key)
    result = VideoResult(
        video_id=video.video_id,
        status=video.status.value,
        video_name=video.video_name or video_name,
        hosted_url=video.hosted_url,
        video_uri=outputs.video.uri,
        thumbnail_uri=outputs.thumbnail.uri if outputs.thumbnail else None,
        gif_thumbnail_uri=outputs.gif_thumbnail.uri if outputs.gif_thumbnail else None,
        metadata_uri=outputs.metadata_uri,
        duration_seconds=duration,
        size_bytes=outputs.video.size_bytes,
        sha256=outputs.video.sha256,
        content_type=outputs.video.content_type,
    )
    return result, thumbnail


def _retry_of() -> datetime | None:
    """When this flow run was created, if this is a retry of it (``None`` on the first try)."""
    ctx = FlowRunContext.get()
    run = ctx.flow_run if ctx is not None else None
    return run.created if run is not None and run.run_count > 1 else None


__all__ = ["generate_video"]
