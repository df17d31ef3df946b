"""What the ``generate-video`` flow returns: one small, serialisable record per video.

Example:
    >>> VideoResult(video_id="1e30440cf9", status="ready", video_name="welcome",
    ...             video_uri="s3://out/tavus/videos/1e30440cf9/1e30440cf9.mp4",
    ...             metadata_uri="s3://out/tavus/videos/1e30440cf9/metadata.json",
    ...             size_bytes=1024, sha256="0" * 64).video_id
    '1e30440cf9'
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class VideoResult(BaseModel):
    """A finished video: where it is in S3 and what it is."""

    model_config = ConfigDict(frozen=True)

    video_id: str = Field(description="Tavus's id of the video.")
    status: str = Field(description="Tavus status at the end (``ready``).")
    video_name: str | None = Field(None, description="Name of the video in Tavus.")
    hosted_url: str | None = Field(None, description="Tavus's page for the video.")
    video_uri: str = Field(description="s3:// URI of the stored MP4 (WebM if transparent).")
    thumbnail_uri: str | None = Field(None, description="s3:// URI of thumbnail.jpg, if any.")
    gif_thumbnail_uri: str | None = Field(None, description="s3:// URI of thumbnail.gif, if any.")
    metadata_uri: str = Field(description="s3:// URI of metadata.json (written last).")
    duration_seconds: float | None = Field(
        None,
        description="Length measured from the stored file (MP4), else the input audio's length.",
    )
    size_bytes: int = Field(description="Size of the stored video file.")
    sha256: str = Field(description="Hex SHA-256 of the stored video file.")
    content_type: str | None = Field(None, description="Content type of the stored video.")


__all__ = ["VideoResult"]
