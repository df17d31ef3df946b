"""Texts and timestamp formats the simulator answers with, as Tavus documents them.

Status details come from docs.tavus.io/sections/errors-and-status-details; background
and watermark failures (undocumented) follow the same style.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

INVALID_TOKEN = "Invalid access token"
INVALID_VIDEO_ID = "Invalid video_id"
INVALID_REPLICA_ID = "Invalid replica_id"

VIDEO_QUEUED = "This request is currently queued. It should begin processing in a few minutes."
VIDEO_GENERATING = "This request is currently being generated."
VIDEO_SUCCESS = "Your request has processed successfully!"
VIDEO_DELETED = "This video has been deleted."
VIDEO_ERROR = (
    "An error occurred while generating this request. "
    "Please check your inputs or try your request again."
)

PREEXISTING_SCRIPT = "This video was in the account before the simulator started."
"""Script of every pre-existing video (one shared render)."""

_PREFIX = "There was an issue generating your video."

STATUS_DETAILS: dict[str, str] = {
    "video_error": VIDEO_ERROR,
    "audio_file_download_link": f"{_PREFIX} We were unable to download your audio file. "
    "Please ensure that the link you provided is correct and try again.",
    "audio_file_type": f"{_PREFIX} The audio file provided is not a .wav",
    "audio_file_min_duration": f"{_PREFIX} The duration of the audio file does not reach the "
    "minimum duration requirement of 3 seconds.",
    "audio_file_max_duration": f"{_PREFIX} The duration of the audio file exceeds the maximum "
    "duration of 10 minutes.",
    "audio_file_max_size": f"{_PREFIX} The audio file exceeds the maximum file size of 750MB.",
    "background_file_download_link": f"{_PREFIX} We were unable to download your background "
    "video file. Please ensure that the link you provided is correct and try again.",
    "background_file_type": f"{_PREFIX} The background video file provided is not a .mp4, "
    ".mov or .webm",
    "watermark_file_download_link": f"{_PREFIX} We were unable to download your watermark "
    "image file. Please ensure that the link you provided is correct and try again.",
    "watermark_file_type": f"{_PREFIX} The watermark image file provided is not a .png or .jpeg",
    "script_community_guidelines": "Request has failed as the script violates community "
    "guidelines.",
}
"""``status_details`` of a video in ``error``, by Tavus error type."""


def replica_in_training(replica_id: str) -> str:
    """``status_details`` of a video queued behind a replica still training."""
    return (
        f"The training process for replica {replica_id} is still ongoing. Your request has been "
        "placed in the 'queued' status and will automatically proceed to the generation phase "
        "once training is complete. To monitor the current progress of the training, please "
        "review the detailed status of this replica."
    )


def replica_in_error_state(replica_id: str) -> str:
    """``status_details`` of a video whose replica is in ``error``."""
    return (
        f"Request Failed: The replica {replica_id} is currently in an 'error' state and cannot "
        "process requests. For details on the cause of the error and how to resolve it, please "
        "review the specific information provided for this replica."
    )


def rfc1123(ts: float) -> str:
    """``Mon, 14 Jul 2025 09:14:24 GMT`` (Generate Video's ``created_at``)."""
    return format_datetime(datetime.fromtimestamp(ts, tz=UTC).replace(microsecond=0), usegmt=True)


def callback_time(ts: float) -> str:
    """``2024-08-28 15:27:40.824457`` (video objects and callbacks; UTC, no zone)."""
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def iso_time(ts: float) -> str:
    """``2024-01-24T07:14:03.327Z`` (replicas)."""
    dt = datetime.fromtimestamp(ts, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def long_date(ts: float) -> str:
    """``August 28, 2024`` (default video names)."""
    dt = datetime.fromtimestamp(ts, tz=UTC)
    return f"{dt.strftime('%B')} {dt.day}, {dt.year}"


def default_video_name(replica_id: str, video_id: str, ts: float) -> str:
    """``replica_id: r79e1c033f - August 28, 2024 - video: 1e30440cf9``."""
    return f"replica_id: {replica_id} - {long_date(ts)} - video: {video_id}"
