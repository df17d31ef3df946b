"""What a finished or failed flow run shows in the Prefect UI: one summary artifact.

Each flow run gets one markdown artifact under a key that is stable per deployment
(``generate-video-on-demand-summary``), so the Artifacts catalog holds one entry per
deployment whose history is the runs, readable without opening the logs. For a video:
its thumbnail, length, size, the Tavus page and the ``s3://`` URIs of the video and its
``metadata.json``; for a failed video, what went wrong. Nothing in it is a secret: the
thumbnail is embedded (a ``data:`` URI), never a presigned URL.

Example:
    >>> summary_key("generate-video", "on-demand")
    'generate-video-on-demand-summary'
    >>> summary_key("generate-video", None)
    'generate-video-summary'
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence

from prefect.artifacts import create_markdown_artifact
from prefect.runtime import deployment, flow_run
from prefect_aws import S3Bucket

from prefect_tavus.flows.results import VideoResult
from prefect_tavus.flows.storage import s3_client

THUMBNAIL_MAX_BYTES = 512 * 1024
"""A larger thumbnail is linked by its ``s3://`` URI instead of embedded."""


def summary_key(flow_name: str, deployment_name: str | None) -> str:
    """``<flow>-<deployment>-summary`` in the characters artifact keys allow."""
    parts = [flow_name, deployment_name or "", "summary"]
    return re.sub(r"[^a-z0-9-]+", "-", "-".join(p for p in parts if p).lower()).strip("-")


def current_summary_key() -> str:
    """The summary key for the running flow run (its flow and deployment)."""
    return summary_key(str(flow_run.flow_name or "flow"), deployment.name)


def _size(size_bytes: int) -> str:
    """
    >>> _size(1536), _size(5 * 1024**2)
    ('1.5 KiB', '5.0 MiB')
    """
    value = float(size_bytes)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"  # pragma: no cover - the loop returns


def thumbnail_data_uri(data: bytes | None, content_type: str = "image/jpeg") -> str | None:
    """``data:`` URI of a small thumbnail (``None`` when absent or too large)."""
    if not data or len(data) > THUMBNAIL_MAX_BYTES:
        return None
    return f"data:{content_type};base64,{base64.b64encode(data).decode()}"


def read_small_object(bucket: S3Bucket, key: str) -> bytes | None:
    """The object's bytes if it is at most :data:`THUMBNAIL_MAX_BYTES`, else ``None``."""
    client = s3_client(bucket)
    head = client.head_object(Bucket=bucket.bucket_name, Key=key)
    if int(head["ContentLength"]) > THUMBNAIL_MAX_BYTES:
        return None
    body: bytes = client.get_object(Bucket=bucket.bucket_name, Key=key)["Body"].read()
    return body


def video_markdown(result: VideoResult, thumbnail: str | None = None) -> str:
    """The summary of one stored video, as markdown.

    >>> r = VideoResult(video_id="v1", status="ready", video_uri="s3://b/v1/v1.mp4",
    ...     metadata_uri="s3://b/v1/metadata.json", size_bytes=2048, sha256="0" * 64,
    ...     duration_seconds=4.04, hosted_url="https://videos.tavus.io/video/v1")
    >>> print(video_markdown(r).splitlines()[0])
    ## Tavus video v1: ready
    """
    duration = f"{result.duration_seconds:.1f} s" if result.duration_seconds else "n/a"
    page = f"[{result.hosted_url}]({result.hosted_url})" if result.hosted_url else "n/a"
    lines = [f"## Tavus video {result.video_id}: {result.status}", ""]
    if thumbnail:
        lines += [f"![thumbnail of {result.video_id}]({thumbnail})", ""]
    lines += [
        "| | |",
        "| --- | --- |",
        f"| Name | {result.video_name or ''} |",
        f"| Duration | {duration} |",
        f"| Size | {_size(result.size_bytes)} |",
        f"| Tavus page | {page} |",
        f"| Video | `{result.video_uri}` |",
        f"| Metadata | `{result.metadata_uri}` |",
    ]
    if result.thumbnail_uri:
        lines.append(f"| Thumbnail | `{result.thumbnail_uri}` |")
    lines.append(f"| SHA-256 | `{result.sha256}` |")
    return "\n".join(lines)


def failure_markdown(headline: str, details: Sequence[str], video_id: str | None) -> str:
    """The summary of a failed run: the one-line reason, then the details.

    >>> print(failure_markdown("Invalid input", ["job.audio: is empty"], None))
    ## Failed: Invalid input
    <BLANKLINE>
    - job.audio: is empty
    """
    lines = [f"## Failed: {headline}", ""]
    if video_id:
        lines += [f"Tavus video: `{video_id}`", ""]
    lines += [f"- {line}" for line in details]
    return "\n".join(lines)


def publish(markdown: str, description: str) -> None:
    """Create this run's summary artifact under the deployment's stable key."""
    create_markdown_artifact(markdown=markdown, key=current_summary_key(), description=description)


__all__ = [
    "current_summary_key",
    "failure_markdown",
    "publish",
    "read_small_object",
    "summary_key",
    "thumbnail_data_uri",
    "video_markdown",
]
