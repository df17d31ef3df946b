"""Pydantic v2 models for the Tavus Video API: requests checked before sending,
responses read leniently.

Requests (:class:`VideoRequest`) enforce the documented rules so a bad request costs
nothing. Responses (:class:`Video`, :class:`Replica`) keep unknown fields, tolerate
missing ones, read ``""`` URLs as absent, parse ``"N/100"`` progress and the three
timestamp formats Tavus uses.

Example:
    >>> req = VideoRequest(replica_id="r79e1c033f", script="Hello from Prefect!")
    >>> req.to_api_body()
    {'replica_id': 'r79e1c033f', 'script': 'Hello from Prefect!'}
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Annotated, Any, TypedDict
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator


class VideoStatus(StrEnum):
    """Lifecycle of a video. Values Tavus adds later read as ``UNKNOWN`` instead of failing."""

    QUEUED = "queued"
    GENERATING = "generating"
    READY = "ready"
    DELETED = "deleted"
    ERROR = "error"
    UNKNOWN = "unknown"

    @classmethod
    def _missing_(cls, value: object) -> VideoStatus:
        return cls.UNKNOWN

    @property
    def is_terminal(self) -> bool:
        """True for ``ready``, ``error`` and ``deleted``: polling can stop."""
        return self in (VideoStatus.READY, VideoStatus.ERROR, VideoStatus.DELETED)


class ScrollType(StrEnum):
    """How a background website scrolls (``properties.background_scroll_type``)."""

    HUMAN = "human"
    SMOOTH = "smooth"


class ScrollDepth(StrEnum):
    """How far a background website scrolls (``properties.background_scroll_depth``)."""

    MIDDLE = "middle"
    BOTTOM = "bottom"


class ScrollReturn(StrEnum):
    """What scrolling does at its depth (``properties.background_scroll_return``)."""

    RETURN = "return"
    HALT = "halt"


class ReplicaType(StrEnum):
    """``replica_type`` filter of List Replicas: ``user`` replicas or ``system`` (stock) ones."""

    USER = "user"
    SYSTEM = "system"


class ReplicaFilters(TypedDict, total=False):
    """The filters of List Replicas, passed as keyword arguments wherever replicas are listed.

    >>> from prefect_tavus.tavus_api._operations import replica_params
    >>> replica_params(**ReplicaFilters(replica_type="system", replica_ids=["r1", "r2"]))
    {'replica_type': 'system', 'replica_ids': 'r1,r2'}
    """

    replica_type: ReplicaType | str | None
    """``user`` replicas or ``system`` (stock) ones."""
    replica_ids: Sequence[str] | None
    """Only these replicas (a sequence of ids, sent comma-separated)."""
    model_name: str | None
    """Only replicas trained with this model."""


# --- parsing helpers -------------------------------------------------------------------------

_PROGRESS = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)\s*$")


def parse_progress(value: str | None) -> float | None:
    """Read Tavus's ``"N/100"`` progress as a percentage (0-100), or ``None``.

    >>> parse_progress("42/100")
    42.0
    """
    if not value:
        return None
    match = _PROGRESS.match(value)
    if not match or float(match.group(2)) == 0:
        return None
    percent = 100.0 * float(match.group(1)) / float(match.group(2))
    return max(0.0, min(100.0, percent))


def parse_timestamp(value: Any) -> datetime | None:
    """Parse any of Tavus's timestamp formats into an aware UTC ``datetime``.

    Accepts RFC 1123 (``"Mon, 14 Jul 2025 09:14:24 GMT"``, create), space-separated
    naive (``"2024-08-28 15:27:40.824457"``, callbacks; read as UTC) and ISO 8601
    (``"2024-01-24T07:14:03.327Z"``, replicas). Unparseable values give ``None``.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, int | float):
        parsed = datetime.fromtimestamp(value, tz=UTC)
    elif isinstance(value, str):
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            try:
                parsed = parsedate_to_datetime(text)
            except (TypeError, ValueError, IndexError):
                return None
    else:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _empty_as_none(value: Any) -> Any:
    return None if isinstance(value, str) and value.strip() == "" else value


def check_http_url(value: str, field: str = "url") -> str:
    """Return ``value`` unchanged if it is an absolute http(s) URL, else raise ``ValueError``.

    The URL is not normalised: presigned URLs must reach Tavus byte for byte. The
    error shows the URL without its query string (a presigned URL's signature).

    >>> check_http_url("s3://bucket/a.wav?X-Amz-Signature=abc", "audio_url")
    Traceback (most recent call last):
    ValueError: audio_url must be an absolute http(s) URL, got 's3://bucket/a.wav?...'
    """
    if not isinstance(value, str):
        raise ValueError(f"{field} must be an absolute http(s) URL, got {type(value).__name__}")
    parts = urlsplit(value)
    has_space = any(c.isspace() for c in value)
    if parts.scheme not in ("http", "https") or not parts.hostname or has_space:
        base, query, _ = value.partition("?")
        shown = (base if len(base) <= 80 else base[:77] + "...") + ("?..." if query else "")
        raise ValueError(f"{field} must be an absolute http(s) URL, got {shown!r}")
    return value


# Letters that render as nothing although Unicode does not class them as spaces.
_INVISIBLE_LETTERS = frozenset("\u115f\u1160\u2800\u3164\uffa0")


def is_blank(text: str) -> bool:
    r"""True when ``text`` shows nothing: only whitespace, control and format characters.

    Format characters are the invisible ones (zero-width space U+200B, byte-order mark
    U+FEFF, joiners, direction marks); the Hangul fillers and the blank Braille cell
    count too. Tavus has nothing to speak in such a script.

    >>> is_blank("\u200b\ufeff \n"), is_blank("Hi\u200b")
    (True, False)
    """
    return all(
        ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf") or ch in _INVISIBLE_LETTERS
        for ch in text
    )


def check_video_name(value: str, field: str = "video_name") -> str:
    r"""Return ``value`` unless it holds a control character (tab, newline, ESC, ...).

    Tavus documents no other limit, so long and non-ASCII names are kept as given.

    >>> check_video_name("Résumé 2025 — 日本語")
    'Résumé 2025 — 日本語'
    >>> check_video_name("Q3\nreport")
    Traceback (most recent call last):
    ValueError: video_name must not contain control characters (U+000A at position 3)
    """
    for position, ch in enumerate(value, start=1):
        if unicodedata.category(ch) == "Cc" or ch in "\u2028\u2029":
            raise ValueError(
                f"{field} must not contain control characters "
                f"(U+{ord(ch):04X} at position {position})"
            )
    return value


def _video_name(value: Any) -> Any:
    return check_video_name(value) if isinstance(value, str) else value


def _http_url(value: Any) -> Any:
    value = _empty_as_none(value)
    return None if value is None else check_http_url(value)


OptionalUrl = Annotated[str | None, BeforeValidator(_empty_as_none)]
"""A URL in a response: ``""`` and ``null`` both read as ``None``."""

HttpUrlStr = Annotated[str | None, BeforeValidator(_http_url)]
"""A URL in a request: absolute http(s), kept exactly as given."""

Timestamp = Annotated[datetime | None, BeforeValidator(parse_timestamp)]


# --- requests ----------------------------------------------------------------------------------


class VideoProperties(BaseModel):
    """Optional ``properties`` of Generate Video (background scrolling and the wave)."""

    model_config = ConfigDict(extra="forbid", use_enum_values=True)

    background_scroll: bool | None = Field(
        None, description="Scroll through the background website (default true)."
    )
    background_scroll_type: ScrollType | None = Field(
        None, description="How to scroll: 'human' (pauses) or 'smooth'."
    )
    background_scroll_depth: ScrollDepth | None = Field(
        None, description="How far to scroll: 'middle' or 'bottom'."
    )
    background_scroll_return: ScrollReturn | None = Field(
        None, description="At the depth: 'return' to the top or 'halt'."
    )
    start_with_wave: bool | None = Field(
        None, description="Start with a wave (select stock replicas only; default true)."
    )


class VideoRequest(BaseModel):
    """Body of ``POST /v2/videos``, validated before anything is sent.

    Rules: ``replica_id`` is required; exactly one of ``script`` and ``audio_url``; a
    script must not be blank; ``transparent_background`` needs ``fast``; at most one of
    ``background_url`` (a website) and ``background_source_url`` (a video file); every
    URL absolute http(s). Unknown fields are rejected so typos fail loudly.

    Example:
        >>> VideoRequest(replica_id="r79e1c033f", audio_url="https://example.com/a.wav",
        ...              fast=True, transparent_background=True)  # doctest: +ELLIPSIS
        VideoRequest(...)
    """

    # hide_input_in_errors: a rejected presigned URL must not show its signature.
    model_config = ConfigDict(
        extra="forbid",
        use_enum_values=True,
        str_strip_whitespace=False,
        hide_input_in_errors=True,
    )

    replica_id: str = Field(..., min_length=1, description="Replica that speaks the video.")
    script: str | None = Field(None, description="Text the replica speaks.")
    audio_url: HttpUrlStr = Field(None, description="Public .wav/.mp3 URL (e.g. presigned S3).")
    video_name: Annotated[str | None, AfterValidator(_video_name)] = Field(
        None, description="Display name of the video (no control characters)."
    )
    background_url: HttpUrlStr = Field(None, description="Website recorded as the background.")
    background_source_url: HttpUrlStr = Field(
        None, description="Public video file used as the background."
    )
    callback_url: HttpUrlStr = Field(None, description="Receives the video on ready or error.")
    fast: bool | None = Field(None, description="Barebones fast rendering (no thumbnails).")
    transparent_background: bool | None = Field(
        None, description="WebM with alpha; only with fast."
    )
    watermark_image_url: HttpUrlStr = Field(None, description="Public PNG/JPEG watermark.")
    properties: VideoProperties | None = None

    @model_validator(mode="after")
    def _check_rules(self) -> VideoRequest:
        if not self.replica_id.strip():
            raise ValueError("replica_id must not be blank")
        if (self.script is None) == (self.audio_url is None):
            raise ValueError("give exactly one of script or audio_url")
        if self.script is not None and is_blank(self.script):
            raise ValueError("script must not be blank (it has no visible characters)")
        if self.transparent_background and not self.fast:
            raise ValueError("transparent_background=True requires fast=True")
        if self.background_url and self.background_source_url:
            raise ValueError(
                "give at most one of background_url (a website) and background_source_url (a video)"
            )
        return self

    def to_api_body(self) -> dict[str, Any]:
        """The JSON body Tavus expects: unset fields are left out."""
        return self.model_dump(mode="json", exclude_none=True)


# --- responses ---------------------------------------------------------------------------------


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Video(_Lenient):
    """A video as Tavus returns it (create, get, list item or callback body).

    Every field but ``video_id`` may be missing; unknown fields are kept in
    ``model_extra``; ``""`` URLs read as ``None``.
    """

    video_id: str
    video_name: str | None = None
    status: VideoStatus = VideoStatus.UNKNOWN
    status_details: str | None = None
    data: dict[str, Any] | None = None
    replica_id: str | None = None
    hosted_url: OptionalUrl = None
    download_url: OptionalUrl = None
    stream_url: OptionalUrl = None
    still_image_thumbnail_url: OptionalUrl = None
    gif_thumbnail_url: OptionalUrl = None
    background_url: OptionalUrl = None
    background_source_url: OptionalUrl = None
    generation_progress: str | None = None
    error_details: str | None = None
    created_at: Timestamp = None
    updated_at: Timestamp = None

    @property
    def progress(self) -> float | None:
        """``generation_progress`` as a percentage (0-100), or ``None`` if not reported."""
        return parse_progress(self.generation_progress)


class VideoPage(_Lenient):
    """One page of List Videos."""

    data: list[Video] = Field(default_factory=list)
    total_count: int | None = None


class Replica(_Lenient):
    """A replica (stock or user). ``status`` vocabulary differs across Tavus docs."""

    replica_id: str
    replica_name: str | None = None
    status: str | None = None
    training_progress: str | None = None
    thumbnail_video_url: OptionalUrl = None
    error_message: str | None = None
    replica_type: str | None = None
    model_name: str | None = None
    created_at: Timestamp = None
    updated_at: Timestamp = None

    @property
    def is_ready(self) -> bool:
        """Usable for videos: ``completed`` (API reference) or ``ready`` (callbacks)."""
        return (self.status or "").lower() in ("completed", "ready")

    @property
    def is_training(self) -> bool:
        """Still training: ``started`` or ``training``."""
        return (self.status or "").lower() in ("started", "training")

    @property
    def is_error(self) -> bool:
        """Training failed; videos with this replica end in ``error``."""
        return (self.status or "").lower() == "error"


class ReplicaPage(_Lenient):
    """One page of List Replicas."""

    data: list[Replica] = Field(default_factory=list)
    total_count: int | None = None


__all__ = [
    "HttpUrlStr",
    "OptionalUrl",
    "Replica",
    "ReplicaPage",
    "ReplicaType",
    "ScrollDepth",
    "ScrollReturn",
    "ScrollType",
    "Timestamp",
    "Video",
    "VideoPage",
    "VideoProperties",
    "VideoRequest",
    "VideoStatus",
    "check_http_url",
    "parse_progress",
    "parse_timestamp",
]
