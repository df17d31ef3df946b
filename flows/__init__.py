"""Prefect tasks and the ``generate-video`` flow: media -> S3 -> presign -> create -> wait -> store.

Example:
    >>> from flows import VideoJob, generate_video
    >>> generate_video(VideoJob(replica_id="r79e1c033f", script="Hello!"))  # doctest: +SKIP
"""

from flows.errors import InvalidVideoJob, MediaUrlExpiredError, OutputIncompleteError, Problem
from flows.generate import generate_video
from flows.media import PresignedMedia, UploadedMedia, presign_media, upload_media
from flows.outputs import StoredObject, StoredOutputs, store_outputs
from flows.parameters import VideoJob
from flows.results import VideoResult
from flows.validation import CheckedJob, RunOptions, validate_job
from flows.video import CreatedVideo, create_video, wait_for_video

__all__ = [
    "CheckedJob",
    "CreatedVideo",
    "InvalidVideoJob",
    "MediaUrlExpiredError",
    "OutputIncompleteError",
    "PresignedMedia",
    "Problem",
    "RunOptions",
    "StoredObject",
    "StoredOutputs",
    "UploadedMedia",
    "VideoJob",
    "VideoResult",
    "create_video",
    "generate_video",
    "presign_media",
    "store_outputs",
    "upload_media",
    "validate_job",
    "wait_for_video",
]
