"""Copy a finished video (and its thumbnails) from Tavus into S3, streamed.

Layout under ``<bucket_folder>/<prefix>/<video_id>/``: ``<video_id>.mp4`` (``.webm``
for transparent videos), ``thumbnail.jpg``, ``thumbnail.gif`` and ``metadata.json``.
Each file is streamed from ``download_url`` to S3 (one checksummed PUT up to 8 MiB, a
multipart upload above, so memory stays flat), its stored size is checked against the
bytes streamed and ``Content-Length``, and its sha256 recorded. ``metadata.json`` is
written last: if it is there, the output is complete. A store that is run again for
the same video leaves an earlier ``metadata.json`` in place while it rewrites: each S3
PUT replaces an object whole or not at all, and the files of one ``video_id`` are the
same bytes each time, so that file still describes complete outputs.

Example:
    >>> outputs = write_outputs(creds, video, S3Bucket.load("tavus-out"))  # doctest: +SKIP
    >>> outputs.video.uri  # doctest: +SKIP
    's3://tavus-out/tavus/videos/1e30440cf9/1e30440cf9.mp4'
"""

from __future__ import annotations

import base64
import io
import json
import logging
from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect.logging import get_run_logger
from prefect_aws import S3Bucket
from pydantic import BaseModel, ConfigDict

from prefect_tavus.blocks import TavusCredentials
from prefect_tavus.flows.errors import OutputIncompleteError
from prefect_tavus.flows.events import VIDEO_STORED, emit_video_event
from prefect_tavus.flows.redact import redact
from prefect_tavus.flows.storage import (
    MULTIPART_THRESHOLD,
    TRANSFER_CONFIG,
    S3Object,
    S3RangeReader,
    head_object,
    object_key,
    s3_client,
)
from prefect_tavus.tavus_api.client import TavusClient
from prefect_tavus.tavus_api.media import mp4_duration
from prefect_tavus.tavus_api.models import Video

DEFAULT_OUTPUT_PREFIX = "tavus/videos"
"""Where outputs go inside the output bucket (under its ``bucket_folder``)."""

METADATA_FILE = "metadata.json"

_EXTENSIONS = {
    "video/mp4": "mp4",
    "video/webm": "webm",
    "video/quicktime": "mov",
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
}


class StoredObject(S3Object):
    """One file written to S3, as verified after the upload."""

    size_bytes: int
    sha256: str
    content_type: str


class StoredOutputs(BaseModel):
    """Everything ``store_outputs`` wrote; ``metadata_uri`` exists only when all is there."""

    model_config = ConfigDict(frozen=True)

    video: StoredObject
    thumbnail: StoredObject | None = None
    gif_thumbnail: StoredObject | None = None
    metadata_uri: str
    duration_seconds: float | None = None

    def event_payload(self) -> dict[str, Any]:
        """The ``tavus.video.stored`` payload: URIs, size, sha256, duration."""
        return {
            "video_uri": self.video.uri,
            "size_bytes": self.video.size_bytes,
            "sha256": self.video.sha256,
            "metadata_uri": self.metadata_uri,
            "thumbnail_uri": self.thumbnail.uri if self.thumbnail else None,
            "gif_thumbnail_uri": self.gif_thumbnail.uri if self.gif_thumbnail else None,
            "duration_seconds": self.duration_seconds,
        }


def _extension(content_type: str | None, url: str, default: str) -> str:
    base = (content_type or "").split(";")[0].strip().lower()
    if base in _EXTENSIONS:
        return _EXTENSIONS[base]
    suffix = PurePosixPath(urlsplit(url).path).suffix.lstrip(".").lower()
    return suffix if suffix in _EXTENSIONS.values() else default


def _default_content_type(ext: str) -> str:
    return next((ct for ct, e in _EXTENSIONS.items() if e == ext), "application/octet-stream")


def copy_to_s3(
    tavus: Any,
    s3: Any,
    url: str,
    bucket: str,
    key_for: Any,
    *,
    default_ext: str,
) -> tuple[StoredObject, bytes | None]:
    """Stream ``url`` into ``bucket`` at ``key_for(ext)``, verified; returns the stored
    object and, for a file small enough for one PUT, its bytes (``None`` otherwise).

    A file whose ``Content-Length`` is at most ``MULTIPART_THRESHOLD`` is sent in one
    ``PutObject`` with its sha256 as ``ChecksumSHA256``: S3 refuses it unless it stored
    exactly those bytes. A larger (or unsized) one goes through the managed multipart
    transfer, and a ``HeadObject`` then checks the stored size.

    Raises:
        tavus_api.errors.DownloadError: the download failed or was short.
        OutputIncompleteError: the stored object's size differs from what was streamed.
    """
    with tavus.stream_download(url) as stream:
        ext = _extension(stream.content_type, url, default_ext)
        content_type = (stream.content_type or "").split(";")[0].strip() or _default_content_type(
            ext
        )
        key = key_for(ext)
        expected = stream.expected_size
        body: bytes | None = None
        if expected is not None and expected <= MULTIPART_THRESHOLD:
            body = stream.read()  # raises DownloadError unless all ``expected`` bytes came
            s3.put_object(
                Bucket=bucket,
                Key=key,
                Body=body,
                ContentType=content_type,
                ChecksumSHA256=base64.b64encode(bytes.fromhex(stream.sha256)).decode(),
            )
        else:
            s3.upload_fileobj(
                stream,
                bucket,
                key,
                ExtraArgs={"ContentType": content_type},
                Config=TRANSFER_CONFIG,
            )
        streamed, digest = stream.bytes_read, stream.sha256
    stored = streamed
    if body is None:
        head = head_object(s3, bucket, key)
        stored = None if head is None else head.get("ContentLength")
    if stored != streamed or (expected is not None and expected != streamed):
        raise OutputIncompleteError(
            f"s3://{bucket}/{key} holds {stored} bytes; streamed {streamed}, "
            f"Content-Length said {expected}"
        )
    stored_object = StoredObject(
        bucket=bucket, key=key, size_bytes=streamed, sha256=digest, content_type=content_type
    )
    return stored_object, body


def measure_duration(s3: Any, obj: StoredObject, body: bytes | None = None) -> float | None:
    """Length of a stored MP4/MOV in seconds, read from its header: from ``body`` when the
    bytes are at hand, else from S3 with ranged GETs."""
    if obj.content_type not in ("video/mp4", "video/quicktime"):
        return None
    if body is not None:
        return mp4_duration(io.BytesIO(body))
    return mp4_duration(S3RangeReader(s3, obj.bucket, obj.key, obj.size_bytes))


def write_outputs(
    credentials: TavusCredentials | TavusClient,
    video: Video,
    bucket: S3Bucket,
    prefix: str = DEFAULT_OUTPUT_PREFIX,
    *,
    request: Mapping[str, Any] | None = None,
    inputs: Mapping[str, Any] | None = None,
    redactions: Mapping[str, str] | None = None,
    log: logging.Logger | logging.LoggerAdapter[logging.Logger] | None = None,
) -> StoredOutputs:
    """Stream the ready video and its thumbnails into S3, then write ``metadata.json``.

    Both flows store through this (one video in its ``store-video[job]`` task), with one open
    :class:`~tavus_api.client.TavusClient` as ``credentials`` for all of a run's rows
    (a block makes a client per call). Files go under
    ``<prefix>/<video_id>/``; ``request`` (without secrets) and ``inputs`` (the uploaded
    media) are recorded in the metadata, ``redactions`` show presigned URLs as
    ``s3://`` URIs. Log lines only when ``log`` is given (a batch stores thousands
    quietly); no event (``store_outputs`` and the single flow's report emit
    ``tavus.video.stored``).

    Raises:
        OutputIncompleteError: no ``download_url``, or a stored size does not match.
        tavus_api.errors.DownloadError: a download failed or was short.

    Example:
        >>> outputs = write_outputs(creds, video, bucket, "tavus/videos")  # doctest: +SKIP
    """
    if not video.download_url:
        raise OutputIncompleteError(
            f"Tavus video {video.video_id} is {video.status.value} but has no download_url"
        )
    s3 = s3_client(bucket)
    name = bucket.bucket_name
    folder = object_key(bucket, prefix, video.video_id)
    metadata_key = f"{folder}/{METADATA_FILE}"
    default_ext = "webm" if (request or {}).get("transparent_background") else "mp4"
    # A batch passes one open client for all its stores: a client per video costs two
    # TLS contexts (API and downloads), the largest part of a small store's CPU.
    downloads: AbstractContextManager[TavusClient] = (
        nullcontext(credentials)
        if isinstance(credentials, TavusClient)
        else credentials.get_client()
    )
    with downloads as tavus:
        main, main_body = copy_to_s3(
            tavus,
            s3,
            video.download_url,
            name,
            lambda ext: f"{folder}/{video.video_id}.{ext}",
            default_ext=default_ext,
        )
        if log is not None:
            log.info("Stored %s (%d bytes, sha256 %s)", main.uri, main.size_bytes, main.sha256)
        thumbs: dict[str, StoredObject | None] = {"thumbnail": None, "gif_thumbnail": None}
        for field, url, ext in (
            ("thumbnail", video.still_image_thumbnail_url, "jpg"),
            ("gif_thumbnail", video.gif_thumbnail_url, "gif"),
        ):
            if url:
                thumb, _ = copy_to_s3(
                    tavus,
                    s3,
                    url,
                    name,
                    lambda _ext, e=ext: f"{folder}/thumbnail.{e}",
                    default_ext=ext,
                )
                thumbs[field] = thumb
                if log is not None:
                    log.info("Stored %s (%d bytes)", thumb.uri, thumb.size_bytes)
    duration = measure_duration(s3, main, main_body)
    files = {"video": main, **thumbs}
    flow_ctx = FlowRunContext.get()
    metadata = {
        "video_id": video.video_id,
        "video_name": video.video_name,
        "status": video.status.value,
        "hosted_url": video.hosted_url,
        "duration_seconds": duration,
        "files": {
            field: None if obj is None else {**obj.model_dump(), "uri": obj.uri}
            for field, obj in files.items()
        },
        "request": dict(request or {}),
        "inputs": dict(inputs or {}),
        "video": video.model_dump(mode="json"),
        "flow_run_id": str(flow_ctx.flow_run.id) if flow_ctx and flow_ctx.flow_run else None,
        "stored_at": datetime.now(UTC).isoformat(),
    }
    body = json.dumps(redact(metadata, redactions), indent=2, sort_keys=True).encode()
    s3.put_object(Bucket=name, Key=metadata_key, Body=body, ContentType="application/json")
    outputs = StoredOutputs(
        video=main,
        thumbnail=thumbs["thumbnail"],
        gif_thumbnail=thumbs["gif_thumbnail"],
        metadata_uri=f"s3://{name}/{metadata_key}",
        duration_seconds=duration,
    )
    if log is not None:
        log.info(
            "Wrote %s last: the output of video %s is complete",
            outputs.metadata_uri,
            video.video_id,
        )
    return outputs


@task(
    name="store-outputs",
    cache_policy=NO_CACHE,
    persist_result=False,
    retries=2,
    retry_delay_seconds=5,
)
def store_outputs(
    credentials: TavusCredentials,
    video: Video,
    bucket: S3Bucket,
    prefix: str = DEFAULT_OUTPUT_PREFIX,
    *,
    request: Mapping[str, Any] | None = None,
    inputs: Mapping[str, Any] | None = None,
    redactions: Mapping[str, str] | None = None,
) -> StoredOutputs:
    """Stream the ready video and its thumbnails into S3, then write ``metadata.json``.

    Args:
        credentials: the Tavus credentials block (downloads never send the API key).
        video: the ready video (``download_url`` set).
        bucket: the output ``S3Bucket`` block.
        prefix: key prefix; files go under ``<prefix>/<video_id>/``.
        request: the create request without secrets (``CreatedVideo.request``).
        inputs: the uploaded inputs (bucket, key, sha256, ...), recorded in metadata.
        redactions: presigned URLs to show as ``s3://`` URIs in the metadata.

    Returns:
        The stored objects with sizes and sha256, ``metadata_uri`` and the video's
        duration measured from the stored file (MP4/MOV). Emits ``tavus.video.stored``.

    Raises:
        OutputIncompleteError: no ``download_url``, or a stored size does not match.
        tavus_api.errors.DownloadError: a download failed or was short.

    Example:
        >>> outputs = store_outputs(creds, video, S3Bucket.load("tavus-out"))  # doctest: +SKIP
        >>> outputs.metadata_uri  # doctest: +SKIP
        's3://tavus-out/tavus/videos/1e30440cf9/metadata.json'
    """
    outputs = write_outputs(
        credentials,
        video,
        bucket,
        prefix,
        request=request,
        inputs=inputs,
        redactions=redactions,
        log=get_run_logger(),
    )
    emit_video_event(
        VIDEO_STORED,
        video.video_id,
        video.video_name,
        outputs.event_payload(),
        redactions=redactions,
    )
    return outputs


__all__ = [
    "DEFAULT_OUTPUT_PREFIX",
    "METADATA_FILE",
    "StoredObject",
    "StoredOutputs",
    "copy_to_s3",
    "measure_duration",
    "store_outputs",
    "write_outputs",
]
