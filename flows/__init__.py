"""Prefect tasks and the ``generate-video`` flow: media -> S3 -> presign -> create -> wait -> store.

Exported here is what a user calls: the flow, its tasks, the job and result types and
the errors to catch. Internals stay in their modules (for example
``prefect_tavus.flows.validation.CheckedJob`` and ``RunOptions``).

Example:
    >>> from prefect_tavus.flows import VideoJob, generate_video
    >>> generate_video(VideoJob(replica_id="r79e1c033f", script="Hello!"))  # doctest: +SKIP
"""

from prefect_tavus.flows.batch import generate_videos
from prefect_tavus.flows.batch_form import BatchChecks, Chunking, Pacing
from prefect_tavus.flows.batch_results import BatchResult, RowResult
from prefect_tavus.flows.errors import (
    InvalidMediaError,
    InvalidVideoJob,
    MediaUrlExpiredError,
    OutputIncompleteError,
    Problem,
    SourceError,
    VideoJobError,
)
from prefect_tavus.flows.form import AdvancedSettings
from prefect_tavus.flows.generate import generate_video
from prefect_tavus.flows.media import PresignedMedia, UploadedMedia, presign_media, upload_media
from prefect_tavus.flows.outputs import StoredObject, StoredOutputs, store_outputs, write_outputs
from prefect_tavus.flows.parameters import VideoJob
from prefect_tavus.flows.results import VideoResult
from prefect_tavus.flows.validation import validate_job

__all__ = [
    "AdvancedSettings",
    "BatchChecks",
    "BatchResult",
    "Chunking",
    "Pacing",
    "RowResult",
    "generate_videos",
    "InvalidMediaError",
    "InvalidVideoJob",
    "MediaUrlExpiredError",
    "OutputIncompleteError",
    "PresignedMedia",
    "Problem",
    "SourceError",
    "StoredObject",
    "StoredOutputs",
    "UploadedMedia",
    "VideoJob",
    "VideoJobError",
    "VideoResult",
    "generate_video",
    "presign_media",
    "store_outputs",
    "upload_media",
    "validate_job",
    "write_outputs",
]
