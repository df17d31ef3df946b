"""The ``generate-video`` flow's input: one video, as a form the Prefect UI renders.

:class:`VideoJob` holds only types (so the UI shows text boxes, checkboxes and
dropdowns); every rule (exactly one of script/audio, files by content, URLs, buckets,
the replica) is checked by :func:`flows.validation.validate_job`, which reports all
problems at once before anything is uploaded or created.

Example:
    >>> job = VideoJob(replica_id="r79e1c033f", audio="voice.wav", watermark="logo.png")
    >>> job.media_sources()
    {'audio': 'voice.wav', 'watermark': 'logo.png'}
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from prefect_tavus.tavus_api.media import MediaKind
from prefect_tavus.tavus_api.models import ScrollDepth, ScrollReturn, ScrollType

MEDIA_ROLES: dict[str, MediaKind] = {
    "audio": MediaKind.AUDIO,
    "background": MediaKind.VIDEO,
    "watermark": MediaKind.IMAGE,
}
"""Each media field of :class:`VideoJob` and the kind of file it must hold."""


class VideoJob(BaseModel):
    """One Tavus video: who speaks, what they say, and how it looks.

    Give exactly one of ``script`` and ``audio``. Media fields (``audio``,
    ``background``, ``watermark``) take a local path, an ``s3://bucket/key`` URI or an
    ``http(s)`` URL; they are checked by content, uploaded to the media bucket and
    handed to Tavus as presigned URLs.
    """

    model_config = ConfigDict(extra="forbid", title="Video job")

    replica_id: str = Field(
        ...,
        title="Replica ID",
        description="The replica (stock or your own) that presents the video, e.g. r79e1c033f.",
    )
    script: str | None = Field(
        None,
        title="Script",
        description="Text the replica speaks. Give this or Audio, not both.",
    )
    audio: str | None = Field(
        None,
        title="Audio",
        description=(
            "WAV or MP3 the replica lip-syncs to, 3 s to 10 min, under 750 MB: a local path, "
            "s3://bucket/key or http(s) URL. Give this or Script, not both."
        ),
    )
    video_name: str | None = Field(
        None,
        title="Video name",
        description="Name shown in Tavus. Default: a unique name derived from the flow run.",
    )
    background: str | None = Field(
        None,
        title="Background video",
        description="MP4, MOV or WebM played behind the replica: local path, s3:// or http(s) URL.",
    )
    background_website: str | None = Field(
        None,
        title="Background website",
        description="Public website Tavus records and scrolls behind the replica (http/https).",
    )
    background_scroll: bool | None = Field(
        None,
        title="Scroll the website",
        description="With a background website: scroll it (Tavus default) or show its top.",
    )
    background_scroll_type: ScrollType | None = Field(
        None,
        title="Scroll type",
        description="With a background website: 'human' (pauses, default) or 'smooth'.",
    )
    background_scroll_depth: ScrollDepth | None = Field(
        None,
        title="Scroll depth",
        description="With a background website: scroll to the 'middle' (default) or 'bottom'.",
    )
    background_scroll_return: ScrollReturn | None = Field(
        None,
        title="At scroll depth",
        description="With a background website: 'return' to the top (default) or 'halt'.",
    )
    watermark: str | None = Field(
        None,
        title="Watermark",
        description="PNG or JPEG image laid over the video: local path, s3:// or http(s) URL.",
    )
    start_with_wave: bool | None = Field(
        None,
        title="Start with a wave",
        description="Open with a wave (select stock replicas only; Tavus default on).",
    )
    fast: bool = Field(
        False,
        title="Fast rendering",
        description="Barebones fast rendering: no backgrounds, thumbnails or stream URL.",
    )
    transparent_background: bool = Field(
        False,
        title="Transparent background",
        description="Output a WebM with alpha instead of MP4. Needs Fast rendering.",
    )
    callback_url: str | None = Field(
        None,
        title="Callback URL",
        description="http(s) endpoint Tavus POSTs the video to when it is ready or fails.",
    )

    def media_sources(self) -> dict[str, str]:
        """The media fields that are set, by role (``audio``, ``background``, ``watermark``)."""
        return {
            role: value
            for role in MEDIA_ROLES
            if (value := getattr(self, role)) is not None and value != ""
        }

    def scroll_options(self) -> dict[str, object]:
        """The background-scroll fields that are set, by Tavus property name."""
        fields = (
            "background_scroll",
            "background_scroll_type",
            "background_scroll_depth",
            "background_scroll_return",
        )
        return {name: getattr(self, name) for name in fields if getattr(self, name) is not None}


__all__ = ["MEDIA_ROLES", "VideoJob"]
