"""Where a media input comes from, and getting a local copy of it to check.

A source is a local path, an ``s3://bucket/key`` URI or an ``http(s)://`` URL. Remote
sources are streamed to a local file (never into memory) with a size cap, so their
content can be checked before anything is uploaded or created.

Example:
    >>> MediaSource.parse("s3://media-bucket/voice.wav").describe()
    's3://media-bucket/voice.wav'
    >>> MediaSource.parse("https://cdn.example.com/a.wav?X-Amz-Signature=abc").describe()
    'https://cdn.example.com/a.wav?...'
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict

from prefect_tavus.flows.errors import InvalidMediaError, SourceError
from prefect_tavus.flows.redact import safe_url
from prefect_tavus.flows.storage import TRANSFER_CONFIG, S3Location, head_object
from prefect_tavus.tavus_api.media import (
    MediaError,
    MediaFormat,
    MediaInfo,
    MediaKind,
    probe_media,
)
from prefect_tavus.tavus_api.models import check_http_url

MAX_MEDIA_BYTES = 5 * 1024**3
"""Largest background video or watermark fetched for checking (5 GiB)."""

_CHUNK = 1024 * 1024

_SUFFIX_FORMATS: dict[str, MediaFormat] = {
    ".wav": MediaFormat.WAV,
    ".wave": MediaFormat.WAV,
    ".mp3": MediaFormat.MP3,
    ".mp4": MediaFormat.MP4,
    ".m4v": MediaFormat.MP4,
    ".mov": MediaFormat.MOV,
    ".qt": MediaFormat.MOV,
    ".webm": MediaFormat.WEBM,
    ".png": MediaFormat.PNG,
    ".jpg": MediaFormat.JPEG,
    ".jpeg": MediaFormat.JPEG,
}


class SourceType(StrEnum):
    """Where a media source lives."""

    LOCAL = "local"
    S3 = "s3"
    HTTP = "http"


class MediaSource(BaseModel):
    """A parsed media source: exactly one of ``path``, ``s3`` and ``url`` is set."""

    model_config = ConfigDict(frozen=True)

    type: SourceType
    path: Path | None = None
    s3: S3Location | None = None
    url: str | None = None

    @classmethod
    def parse(cls, text: str) -> MediaSource:
        """Read a local path, ``s3://bucket/key`` or ``http(s)://`` URL (``ValueError`` if bad)."""
        if not isinstance(text, str) or not text.strip():
            raise ValueError("must be a local path, an s3://bucket/key URI or an http(s) URL")
        text = text.strip()
        if text.startswith("s3://"):
            return cls(type=SourceType.S3, s3=S3Location.parse(text))
        scheme = urlsplit(text).scheme.lower()
        if scheme in ("http", "https"):
            check_http_url(text, "source")
            return cls(type=SourceType.HTTP, url=text)
        if scheme and len(scheme) > 1:  # "C:" style drive letters are paths
            raise ValueError(
                f"unsupported scheme {scheme!r}; use a local path, s3://bucket/key or http(s) URL"
            )
        return cls(type=SourceType.LOCAL, path=Path(text).expanduser())

    def describe(self) -> str:
        """The source as it may be logged: never a URL's query (it may hold a signature)."""
        if self.type is SourceType.S3 and self.s3 is not None:
            return self.s3.uri
        if self.type is SourceType.HTTP and self.url is not None:
            return safe_url(self.url)
        return str(self.path)

    @property
    def name(self) -> str:
        """The file name part (used to compare the name's extension with the content)."""
        if self.s3 is not None:
            return PurePosixPath(self.s3.key).name
        if self.url is not None:
            return PurePosixPath(urlsplit(self.url).path).name
        return self.path.name if self.path is not None else ""


class StagedMedia(BaseModel):
    """A media input checked by content, with a local copy to upload from."""

    model_config = ConfigDict(frozen=True)

    source: MediaSource
    local_path: Path
    info: MediaInfo
    sha256: str

    @property
    def kind(self) -> MediaKind:
        """Audio, video or image."""
        return self.info.kind


def name_mismatch(source: MediaSource, info: MediaInfo) -> str | None:
    """A message when the source's extension names another format than its content.

    >>> from prefect_tavus.tavus_api.media import MediaInfo
    >>> info = MediaInfo(kind="audio", format="wav", content_type="audio/wav", size_bytes=1)
    >>> name_mismatch(MediaSource.parse("voice.mp3"), info)
    "named 'voice.mp3' but the content is WAV; rename it or pass the intended file"
    """
    suffix = PurePosixPath(source.name).suffix.lower()
    named = _SUFFIX_FORMATS.get(suffix)
    if named is None or named is info.format:
        return None
    return (
        f"named {source.name!r} but the content is {info.format.value.upper()}; "
        "rename it or pass the intended file"
    )


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def fetch_local_copy(
    source: MediaSource, workdir: Path, *, s3_client: Any = None, max_bytes: int = MAX_MEDIA_BYTES
) -> Path:
    """A local file with the source's bytes: the path itself, or a streamed download.

    Raises:
        SourceError: missing/unreadable file, missing object, failed download, or
            larger than ``max_bytes``.
    """
    if source.type is SourceType.LOCAL:
        assert source.path is not None
        if not source.path.exists():
            raise SourceError(f"file {str(source.path)!r} does not exist")
        if not source.path.is_file():
            raise SourceError(f"{str(source.path)!r} is not a file")
        if not os.access(source.path, os.R_OK):
            raise SourceError(f"file {str(source.path)!r} is not readable")
        return source.path
    fd, name = tempfile.mkstemp(dir=workdir, suffix=PurePosixPath(source.name).suffix)
    os.close(fd)
    dest = Path(name)
    if source.type is SourceType.S3:
        assert source.s3 is not None
        _download_s3(source.s3, dest, s3_client, max_bytes)
    else:
        assert source.url is not None
        _download_http(source.url, dest, max_bytes)
    return dest


def _too_big(size: int, max_bytes: int) -> str:
    return f"is {size / 1e6:.1f} MB; at most {max_bytes / 1e6:.0f} MB is accepted"


def _download_s3(loc: S3Location, dest: Path, client: Any, max_bytes: int) -> None:
    if client is None:
        raise SourceError(f"{loc.uri} needs S3 credentials (the media bucket block)")
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        head = head_object(client, loc.bucket, loc.key)
        if head is None:
            raise SourceError(f"{loc.uri} does not exist")
        if head["ContentLength"] > max_bytes:
            raise SourceError(f"{loc.uri} {_too_big(head['ContentLength'], max_bytes)}")
        client.download_file(loc.bucket, loc.key, str(dest), Config=TRANSFER_CONFIG)
    except (ClientError, BotoCoreError) as exc:
        raise SourceError(f"{loc.uri} cannot be read: {exc}") from exc


def _download_http(url: str, dest: Path, max_bytes: int) -> None:
    shown = safe_url(url)
    try:
        with httpx.stream("GET", url, follow_redirects=True, timeout=30.0) as response:
            if response.status_code != 200:
                raise SourceError(f"{shown} answered HTTP {response.status_code}")
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise SourceError(f"{shown} {_too_big(int(declared), max_bytes)}")
            written = 0
            with dest.open("wb") as out:
                for chunk in response.iter_bytes(_CHUNK):
                    written += len(chunk)
                    if written > max_bytes:
                        raise SourceError(f"{shown} is larger than {max_bytes / 1e6:.0f} MB")
                    out.write(chunk)
    except httpx.HTTPError as exc:
        raise SourceError(f"{shown} cannot be downloaded: {type(exc).__name__}") from None


def stage_media(
    source: MediaSource | str,
    kind: MediaKind | str,
    workdir: Path,
    *,
    s3_client: Any = None,
    max_bytes: int = MAX_MEDIA_BYTES,
) -> StagedMedia:
    """Get a local copy of ``source`` and check it is ``kind`` media Tavus accepts.

    Raises:
        SourceError: the source cannot be read.
        flows.errors.InvalidMediaError: the content is wrong for ``kind`` (type, length,
            size); a ``tavus_api.media.MediaError``.
        ValueError: the source string is malformed.

    Example:
        >>> staged = stage_media("voice.wav", "audio", Path("/tmp"))  # doctest: +SKIP
        >>> staged.info.duration_seconds, staged.sha256[:8]  # doctest: +SKIP
        (12.0, '9f86d081')
    """
    if isinstance(source, str):
        source = MediaSource.parse(source)
    local = fetch_local_copy(source, workdir, s3_client=s3_client, max_bytes=max_bytes)
    try:
        info = probe_media(local, MediaKind(kind))
    except MediaError as exc:  # as a flow error, so `except VideoJobError` catches it too
        raise InvalidMediaError(exc.code, exc.message) from None
    return StagedMedia(source=source, local_path=local, info=info, sha256=sha256_file(local))


__all__ = [
    "MAX_MEDIA_BYTES",
    "MediaSource",
    "SourceError",
    "SourceType",
    "StagedMedia",
    "fetch_local_copy",
    "name_mismatch",
    "sha256_file",
    "stage_media",
]
