"""Check media by content the way Tavus does: type by magic bytes, audio length and size.

The flows call :func:`probe_media` before uploading anything (so a bad file costs
nothing) and the simulator calls it on what it downloads (so a bad file ends the video
in ``error`` as it would at Tavus). Only the first bytes and the container headers are
read: a 700 MB file is never loaded into memory.

Example:
    >>> info = probe_media("voice.wav", MediaKind.AUDIO)  # doctest: +SKIP
    >>> info.format, info.duration_seconds, info.content_type  # doctest: +SKIP
    (<MediaFormat.WAV: 'wav'>, 12.0, 'audio/wav')
    >>> probe_media("short.wav", MediaKind.AUDIO)  # doctest: +SKIP
    Traceback (most recent call last):
    MediaError: audio is 1.2 s long; Tavus needs 3 s to 10 min
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from enum import StrEnum
from pathlib import Path
from struct import error as struct_error  # mutagen raises it on truncated headers
from typing import TYPE_CHECKING, BinaryIO, Protocol, cast

import filetype
from filetype.types import audio as _ft_audio
from filetype.types import image as _ft_image
from filetype.types import video as _ft_video
from pydantic import BaseModel, Field

from prefect_tavus.tavus_api.errors import TavusError

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

AUDIO_MIN_SECONDS: float = 3.0
"""Shortest audio Tavus accepts (``audio_file_min_duration``)."""
AUDIO_MAX_SECONDS: float = 600.0
"""Longest audio Tavus accepts, 10 minutes (``audio_file_max_duration``)."""
AUDIO_MAX_BYTES: int = 750_000_000
"""Largest audio file Tavus accepts, 750 MB (``audio_file_max_size``); larger fails."""

HEAD_BYTES = 4096
"""How many leading bytes :func:`sniff_format` needs at most."""

_CHUNK = 1024 * 1024


class SeekableReader(Protocol):
    """A seekable binary file: an open file, ``io.BytesIO``, or a ranged reader over a remote
    object (all the header readers here need)."""

    def read(self, size: int = -1, /) -> bytes: ...

    def seek(self, offset: int, whence: int = os.SEEK_SET, /) -> int: ...


class _Timed(Protocol):
    length: float


def _length(info: object) -> float:
    """``info.length`` of a loaded mutagen file."""
    # mutagen declares ``FileType.info = None`` at class level, so type checkers see ``None``;
    # loading a file always sets a StreamInfo, and every StreamInfo subclass has ``length``.
    return cast(_Timed, info).length


class MediaKind(StrEnum):
    """What a file is used for in a video request."""

    AUDIO = "audio"
    VIDEO = "video"
    IMAGE = "image"


class MediaFormat(StrEnum):
    """Container formats recognised by content."""

    WAV = "wav"
    MP3 = "mp3"
    MP4 = "mp4"
    MOV = "mov"
    WEBM = "webm"
    PNG = "png"
    JPEG = "jpeg"


ALLOWED_FORMATS: dict[MediaKind, frozenset[MediaFormat]] = {
    MediaKind.AUDIO: frozenset({MediaFormat.WAV, MediaFormat.MP3}),
    MediaKind.VIDEO: frozenset({MediaFormat.MP4, MediaFormat.MOV, MediaFormat.WEBM}),
    MediaKind.IMAGE: frozenset({MediaFormat.PNG, MediaFormat.JPEG}),
}
"""Formats Tavus takes for each use: audio_url, background_source_url, watermark_image_url."""

CONTENT_TYPES: dict[MediaFormat, str] = {
    MediaFormat.WAV: "audio/wav",
    MediaFormat.MP3: "audio/mpeg",
    MediaFormat.MP4: "video/mp4",
    MediaFormat.MOV: "video/quicktime",
    MediaFormat.WEBM: "video/webm",
    MediaFormat.PNG: "image/png",
    MediaFormat.JPEG: "image/jpeg",
}
"""The ``Content-Type`` to upload each format with."""

_EXTENSIONS: dict[MediaFormat, str] = {MediaFormat.JPEG: "jpg"}

_TYPE_CODES: dict[MediaKind, str] = {
    MediaKind.AUDIO: "audio_file_type",
    MediaKind.VIDEO: "video_file_type",
    MediaKind.IMAGE: "image_file_type",
}


class MediaInfo(BaseModel):
    """What :func:`probe_media` found in a file that passed the checks."""

    kind: MediaKind
    format: MediaFormat
    content_type: str = Field(description="MIME type to upload with, e.g. 'audio/wav'.")
    size_bytes: int = Field(ge=0)
    duration_seconds: float | None = Field(
        None, description="Length in seconds (always set for audio; for MP4/MOV when readable)."
    )

    @property
    def extension(self) -> str:
        """File extension without the dot: ``"wav"``, ``"mp3"``, ``"mp4"``, ``"jpg"``, ..."""
        return _EXTENSIONS.get(self.format, self.format.value)


class MediaError(TavusError, ValueError):
    """A file Tavus would reject (a ``ValueError``: retrying cannot fix it).

    Attributes:
        code: the Tavus error type where one exists (``audio_file_type``,
            ``audio_file_min_duration``, ``audio_file_max_duration``,
            ``audio_file_max_size``), else ``video_file_type``, ``image_file_type``
            or ``unreadable``.
        message: what was found and what is allowed, e.g.
            ``"audio is 1.2 s long; Tavus needs 3 s to 10 min"``.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# --- sniffing ----------------------------------------------------------------------------------

_WAV = _ft_audio.Wav()
_WEBM = _ft_video.Webm()
_PNG = _ft_image.Png()
_JPEG = _ft_image.Jpeg()
_MP3_BITRATE_BAD = (0x0, 0xF)  # "free" and "bad" bitrate indexes


def _is_mp3_frame(head: bytes, offset: int = 0) -> bool:
    """An MPEG audio layer III frame header (any version) starts at ``offset``."""
    if len(head) < offset + 4 or head[offset] != 0xFF or head[offset + 1] & 0xE0 != 0xE0:
        return False
    version = (head[offset + 1] >> 3) & 0x3  # 01 is reserved
    layer = (head[offset + 1] >> 1) & 0x3  # 01 is layer III
    bitrate = head[offset + 2] >> 4
    sample_rate = (head[offset + 2] >> 2) & 0x3  # 11 is reserved
    return version != 1 and layer == 1 and bitrate not in _MP3_BITRATE_BAD and sample_rate != 3


def _iso_bmff_format(head: bytes) -> MediaFormat | None:
    """MP4 or QuickTime by the ``ftyp`` box (major brand ``qt  `` means MOV)."""
    if len(head) < 12 or head[4:8] != b"ftyp":
        return None
    major = head[8:12]
    if major == b"qt  ":
        return MediaFormat.MOV
    if major in (b"M4A ", b"M4B ", b"M4P "):  # AAC audio in an MP4 box: not a video
        return None
    return MediaFormat.MP4


def sniff_format(head: bytes) -> MediaFormat | None:
    """The format of a file from its first bytes (:data:`HEAD_BYTES` is plenty), or ``None``.

    Decided by content, never by name: WAV (RIFF/WAVE), MP3 (ID3 tag or a bare MPEG
    layer III frame), MP4 / MOV (ISO ``ftyp`` box), WebM (EBML doctype), PNG, JPEG.

    >>> sniff_format(b"\\x89PNG\\r\\n\\x1a\\n" + bytes(8))
    <MediaFormat.PNG: 'png'>
    >>> sniff_format(b"hello") is None
    True
    """
    if not head:
        return None
    if _WAV.match(head):
        return MediaFormat.WAV
    if head[:3] == b"ID3" or _is_mp3_frame(head):
        return MediaFormat.MP3
    iso = _iso_bmff_format(head)
    if iso is not None:
        return iso
    if _WEBM.match(head):
        return MediaFormat.WEBM
    if _PNG.match(head):
        return MediaFormat.PNG
    if _JPEG.match(head):
        return MediaFormat.JPEG
    return None


# --- probing -----------------------------------------------------------------------------------


_NOUNS: dict[MediaFormat, str] = {
    MediaFormat.WAV: "WAV audio",
    MediaFormat.MP3: "MP3 audio",
    MediaFormat.MP4: "an MP4 video",
    MediaFormat.MOV: "a MOV (QuickTime) video",
    MediaFormat.WEBM: "a WebM video",
    MediaFormat.PNG: "a PNG image",
    MediaFormat.JPEG: "a JPEG image",
}


def _describe(fmt: MediaFormat | None, head: bytes) -> str:
    if fmt is not None:
        return _NOUNS[fmt]
    guess = filetype.guess(head) if head else None
    if guess is not None:
        return f"a {guess.extension.upper()} file ({guess.mime})"
    return "not a recognised media file" if head else "an empty file"


def _allowed_text(kind: MediaKind) -> str:
    names = [f.value.upper() for f in MediaFormat if f in ALLOWED_FORMATS[kind]]
    return ", ".join(names[:-1]) + " or " + names[-1]


def _format_seconds(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(seconds, 60)
    return f"{int(minutes)} min {secs:.1f} s"


def _audio_duration(fileobj: SeekableReader, fmt: MediaFormat) -> float:
    """Length of WAV/MP3 audio from its headers (mutagen reads only what it needs)."""
    from mutagen import MutagenError
    from mutagen.mp3 import MP3
    from mutagen.wave import WAVE

    reader = WAVE if fmt is MediaFormat.WAV else MP3
    try:
        fileobj.seek(0)
        length = _length(reader(fileobj).info)
    except (MutagenError, OSError, ValueError, struct_error) as exc:
        raise MediaError(
            "unreadable", f"audio looks like {fmt.value.upper()} but cannot be read: {exc}"
        ) from exc
    if not length or length <= 0:
        raise MediaError("unreadable", f"audio is {_NOUNS[fmt]} with no sound in it")
    return float(length)


def mp4_duration(fileobj: SeekableReader) -> float | None:
    """Length in seconds of the MP4/MOV in ``fileobj``, from its header; ``None`` if unreadable.

    mutagen reads only the boxes it needs, so ``fileobj`` may be a ranged reader over a
    remote object (the flows measure stored videos in S3 this way).

    >>> import io
    >>> mp4_duration(io.BytesIO(b"not a movie")) is None
    True
    """
    from mutagen import MutagenError
    from mutagen.mp4 import MP4

    try:
        fileobj.seek(0)
        length = _length(MP4(fileobj).info)
    except (MutagenError, OSError, ValueError, struct_error):
        return None
    return float(length) if length else None


def _check(fileobj: SeekableReader, size: int, kind: MediaKind) -> MediaInfo:
    fileobj.seek(0)
    head = fileobj.read(HEAD_BYTES)
    fmt = sniff_format(head)
    if fmt is None or fmt not in ALLOWED_FORMATS[kind]:
        code = "unreadable" if not head else _TYPE_CODES[kind]
        raise MediaError(
            code, f"{kind.value} is {_describe(fmt, head)}; Tavus needs {_allowed_text(kind)}"
        )
    duration: float | None = None
    if kind is MediaKind.AUDIO:
        if size > AUDIO_MAX_BYTES:
            raise MediaError(
                "audio_file_max_size",
                f"audio is {size / 1e6:.1f} MB; Tavus needs at most {AUDIO_MAX_BYTES / 1e6:.0f} MB",
            )
        duration = _audio_duration(fileobj, fmt)
        if duration < AUDIO_MIN_SECONDS:
            raise MediaError(
                "audio_file_min_duration",
                f"audio is {_format_seconds(duration)} long; Tavus needs 3 s to 10 min",
            )
        if duration > AUDIO_MAX_SECONDS:
            raise MediaError(
                "audio_file_max_duration",
                f"audio is {_format_seconds(duration)} long; Tavus needs 3 s to 10 min",
            )
    elif kind is MediaKind.VIDEO and fmt in (MediaFormat.MP4, MediaFormat.MOV):
        duration = mp4_duration(fileobj)
    return MediaInfo(
        kind=kind,
        format=fmt,
        content_type=CONTENT_TYPES[fmt],
        size_bytes=size,
        duration_seconds=duration,
    )


def probe_media(source: str | Path | BinaryIO, kind: MediaKind | str) -> MediaInfo:
    """Check that ``source`` is media Tavus accepts for ``kind`` and describe it.

    ``source`` is a path or a binary file object (read from its start; a non-seekable
    stream is spooled to a temporary file in chunks). The type is decided by content
    and must be in :data:`ALLOWED_FORMATS`; audio must also last 3 s to 10 min and be
    at most 750 MB. Only headers are read.

    Raises:
        MediaError: with ``code`` and a message saying what was found and what is allowed.

    Example:
        >>> info = probe_media("voice.mp3", "audio")  # doctest: +SKIP
        >>> info.extension, info.content_type  # doctest: +SKIP
        ('mp3', 'audio/mpeg')
    """
    kind = MediaKind(kind)
    if isinstance(source, str | Path):
        path = Path(source)
        try:
            size = path.stat().st_size
            with path.open("rb") as fileobj:
                return _check(fileobj, size, kind)
        except OSError as exc:
            raise MediaError(
                "unreadable", f"{kind.value} file cannot be read: {exc.strerror or exc}"
            ) from exc
    seekable = getattr(source, "seekable", lambda: False)()
    if seekable:
        start = source.tell()
        size = source.seek(0, os.SEEK_END) - start
        view = _Window(source, start) if start else source
        try:
            return _check(view, size, kind)
        finally:
            source.seek(start)
    with tempfile.SpooledTemporaryFile(max_size=8 * _CHUNK) as spool:
        shutil.copyfileobj(source, spool, _CHUNK)
        size = spool.tell()
        return _check(spool, size, kind)


class _Window(io.RawIOBase):
    """A read-only view of a seekable file starting at ``start`` (so offset 0 is the start)."""

    def __init__(self, inner: BinaryIO, start: int) -> None:
        self._inner = inner
        self._start = start
        inner.seek(start)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        data = self._inner.read(len(view))
        view[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if whence == os.SEEK_SET:
            return self._inner.seek(self._start + offset) - self._start
        return self._inner.seek(offset, whence) - self._start

    def tell(self) -> int:
        return self._inner.tell() - self._start


__all__ = [
    "ALLOWED_FORMATS",
    "AUDIO_MAX_BYTES",
    "AUDIO_MAX_SECONDS",
    "AUDIO_MIN_SECONDS",
    "CONTENT_TYPES",
    "HEAD_BYTES",
    "MediaError",
    "MediaFormat",
    "MediaInfo",
    "MediaKind",
    "SeekableReader",
    "mp4_duration",
    "probe_media",
    "sniff_format",
]
