"""Tasks that put media inputs in S3 and hand out presigned GET URLs for Tavus.

``upload_media`` checks a file by content, then stores it once under
``<prefix>/<sha256>.<ext>`` (same bytes, same key: a second upload is skipped);
``presign_media`` signs a GET URL (SigV4) whose expiry outlasts Tavus's queue. The
URL is wrapped in a ``SecretStr``: logs show the bucket, key and expiry only.

Example:
    >>> from prefect_aws import S3Bucket
    >>> bucket = S3Bucket.load("tavus-media")  # doctest: +SKIP
    >>> media = upload_media("voice.wav", bucket, kind="audio")  # doctest: +SKIP
    >>> url = presign_media(media, bucket, expires_in=3600).url.get_secret_value()  # doctest: +SKIP
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger
from prefect_aws import S3Bucket
from pydantic import Field, SecretStr

from prefect_tavus.flows.sources import MAX_MEDIA_BYTES, SourceType, StagedMedia, stage_media
from prefect_tavus.flows.storage import (
    MAX_PRESIGN_SECONDS,
    TRANSFER_CONFIG,
    S3Object,
    head_object,
    object_key,
    presign_client,
    s3_client,
)
from prefect_tavus.tavus_api.media import AUDIO_MAX_BYTES, MediaKind

DEFAULT_MEDIA_PREFIX = "tavus/media"
"""Where uploaded inputs go inside the media bucket (under its ``bucket_folder``)."""

DEFAULT_PRESIGN_SECONDS = 24 * 3600
"""Presigned URLs live 24 h by default: far longer than Tavus usually queues a video."""


class UploadedMedia(S3Object):
    """A media input stored in S3, ready to presign."""

    kind: MediaKind
    sha256: str = Field(description="Hex SHA-256 of the bytes.")
    size_bytes: int
    content_type: str
    duration_seconds: float | None = None
    uploaded: bool = Field(description="False when the object was already there (skipped).")


class PresignedMedia(S3Object):
    """A presigned GET URL for an object; ``url`` is secret (a bearer credential).

    Log ``uri`` (``s3://bucket/key``) instead of the URL.
    """

    url: SecretStr
    expires_in: int = Field(description="Seconds the URL is valid from signing.")
    expires_at: datetime


def max_bytes_for(kind: MediaKind) -> int:
    """Largest file fetched for ``kind``: 750 MB for audio (Tavus's limit), else 5 GiB."""
    return AUDIO_MAX_BYTES if kind is MediaKind.AUDIO else MAX_MEDIA_BYTES


def _uploaded(staged: StagedMedia) -> partial[UploadedMedia]:
    """``UploadedMedia`` of ``staged``'s content; give it ``bucket``, ``key``, ``uploaded``."""
    info = staged.info
    return partial(
        UploadedMedia,
        kind=info.kind,
        sha256=staged.sha256,
        size_bytes=info.size_bytes,
        content_type=info.content_type,
        duration_seconds=info.duration_seconds,
    )


def store_staged_media(
    staged: StagedMedia, bucket: S3Bucket, prefix: str = DEFAULT_MEDIA_PREFIX
) -> UploadedMedia:
    """Upload a checked local copy to ``bucket`` once (no Prefect task; the task wraps it).

    An ``s3://`` source already in ``bucket`` is used in place. Otherwise the key is
    ``<bucket_folder>/<prefix>/<sha256>.<ext>`` and an object already there with the
    same size is kept as is.
    """
    info = staged.info
    uploaded_media = _uploaded(staged)
    source = staged.source
    if source.type is SourceType.S3 and source.s3 and source.s3.bucket == bucket.bucket_name:
        return uploaded_media(bucket=source.s3.bucket, key=source.s3.key, uploaded=False)
    client = s3_client(bucket)
    key = object_key(bucket, prefix, f"{staged.sha256}.{info.extension}")
    existing = head_object(client, bucket.bucket_name, key)
    if existing is not None and existing.get("ContentLength") == info.size_bytes:
        return uploaded_media(bucket=bucket.bucket_name, key=key, uploaded=False)
    client.upload_file(
        str(staged.local_path),
        bucket.bucket_name,
        key,
        ExtraArgs={"ContentType": info.content_type, "Metadata": {"sha256": staged.sha256}},
        Config=TRANSFER_CONFIG,
    )
    stored = head_object(client, bucket.bucket_name, key)
    if stored is None or stored.get("ContentLength") != info.size_bytes:
        raise OSError(
            f"s3://{bucket.bucket_name}/{key} holds "
            f"{None if stored is None else stored.get('ContentLength')} bytes after upload; "
            f"expected {info.size_bytes}"
        )
    return uploaded_media(bucket=bucket.bucket_name, key=key, uploaded=True)


def _retry_unless_bad_input(task: Any, task_run: Any, state: Any) -> bool:
    """Retry S3/network failures, never wrong content or a missing file (``ValueError``)."""
    return not isinstance(state.result(raise_on_failure=False), ValueError)


@task(
    name="upload-media",
    cache_policy=NO_CACHE,
    persist_result=False,
    retries=2,
    retry_delay_seconds=2,
    retry_condition_fn=_retry_unless_bad_input,
)
def upload_media(
    source: str | Path | StagedMedia,
    bucket: S3Bucket,
    kind: MediaKind | str | None = None,
    prefix: str = DEFAULT_MEDIA_PREFIX,
) -> UploadedMedia:
    """Check a media file by content and store it in ``bucket`` once.

    Args:
        source: a local path, ``s3://bucket/key``, ``http(s)://`` URL, or a
            :class:`~flows.sources.StagedMedia` already checked by the flow.
        bucket: the media ``S3Bucket`` block.
        kind: ``audio`` (WAV/MP3, 3 s to 10 min, under 750 MB), ``video`` (MP4/MOV/WebM
            background) or ``image`` (PNG/JPEG watermark); required unless ``source``
            is a ``StagedMedia``.
        prefix: key prefix inside the bucket.

    Returns:
        Where it is (``bucket``, ``key``), ``sha256``, ``size_bytes``, ``content_type``,
        ``duration_seconds`` and whether it was actually uploaded.

    Raises:
        flows.errors.InvalidMediaError: the content is not ``kind`` media Tavus accepts
            (a ``tavus_api.media.MediaError``).
        flows.errors.SourceError: the source cannot be read.

    Example:
        >>> upload_media("voice.wav", S3Bucket.load("tavus-media"), kind="audio")  # doctest: +SKIP
        UploadedMedia(bucket='media', key='tavus/media/9f86....wav', ...)
    """
    logger = get_run_logger()
    if isinstance(source, StagedMedia):
        staged_media = store_staged_media(source, bucket, prefix)
        shown = source.source.describe()
    else:
        if kind is None:
            raise ValueError("kind is required: 'audio', 'video' or 'image'")
        media_kind = MediaKind(kind)
        with tempfile.TemporaryDirectory(prefix="tavus-upload-") as workdir:
            staged = stage_media(
                str(source),
                media_kind,
                Path(workdir),
                s3_client=s3_client(bucket),
                max_bytes=max_bytes_for(media_kind),
            )
            shown = staged.source.describe()
            staged_media = store_staged_media(staged, bucket, prefix)
    verb = "Uploaded" if staged_media.uploaded else "Reused"
    logger.info(
        "%s %s %s (%s, %d bytes) as %s",
        verb,
        staged_media.kind.value,
        shown,
        staged_media.content_type,
        staged_media.size_bytes,
        staged_media.uri,
    )
    return staged_media


def presign(location: S3Object, bucket: S3Bucket, expires_in: int) -> PresignedMedia:
    """Sign a SigV4 GET URL for ``location`` with ``bucket``'s credentials (no task)."""
    if not 1 <= expires_in <= MAX_PRESIGN_SECONDS:
        raise ValueError(
            f"expires_in must be 1 to {MAX_PRESIGN_SECONDS} seconds (SigV4 limit), got {expires_in}"
        )
    signed_at = datetime.now(UTC)
    url = presign_client(bucket).generate_presigned_url(
        "get_object",
        Params={"Bucket": location.bucket, "Key": location.key},
        ExpiresIn=expires_in,
    )
    return PresignedMedia(
        bucket=location.bucket,
        key=location.key,
        url=SecretStr(url),
        expires_in=expires_in,
        expires_at=signed_at + timedelta(seconds=expires_in),
    )


def input_records(
    staged: Mapping[str, StagedMedia], presigned: Mapping[str, PresignedMedia]
) -> dict[str, dict[str, Any]]:
    """What ``metadata.json`` records of each input presigned in this run, by role:
    where it is (bucket, key) and what it is (kind, sha256, size, type, duration).
    """
    return {
        role: _uploaded(staged[role])(
            bucket=signed.bucket, key=signed.key, uploaded=False
        ).model_dump(mode="json", exclude={"uploaded"})
        for role, signed in presigned.items()
        if role in staged
    }


@task(name="presign-media", cache_policy=NO_CACHE, persist_result=False)
def presign_media(
    media: S3Object,
    bucket: S3Bucket,
    expires_in: int = DEFAULT_PRESIGN_SECONDS,
) -> PresignedMedia:
    """A presigned GET URL (SigV4) for an uploaded input, valid ``expires_in`` seconds.

    Never cached (a cached URL could be expired). The default, 24 h, outlasts Tavus's
    queue; SigV4 allows at most 7 days. Only bucket, key and expiry are logged: the
    URL itself is a bearer credential and stays in ``PresignedMedia.url`` (a
    ``SecretStr``).

    Example:
        >>> signed = presign_media(media, bucket, expires_in=3600)  # doctest: +SKIP
        >>> signed.uri, signed.expires_at  # doctest: +SKIP
        ('s3://media/tavus/media/9f86....wav', datetime.datetime(...))
    """
    signed = presign(media, bucket, expires_in)
    get_run_logger().info(
        "Presigned GET for %s, valid %d s (until %s)",
        signed.uri,
        signed.expires_in,
        signed.expires_at.isoformat(timespec="seconds"),
    )
    return signed


__all__ = [
    "DEFAULT_MEDIA_PREFIX",
    "DEFAULT_PRESIGN_SECONDS",
    "PresignedMedia",
    "UploadedMedia",
    "input_records",
    "max_bytes_for",
    "presign",
    "presign_media",
    "store_staged_media",
    "upload_media",
]
