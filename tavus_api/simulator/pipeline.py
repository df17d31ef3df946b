"""The work of generating one video, as a worker thread does it: download and check the
inputs, then render. Any failure becomes an :class:`Outcome` carrying Tavus's error type
(``audio_file_download_link``, ``background_file_type``, ``video_error``, ...).

It reads no simulator records, so workers run it without holding the state's lock.

Example:
    >>> outcome = prepare(video_id, request, fetcher=f, renderer=r, config=cfg)  # doctest: +SKIP
    >>> outcome.error_type or outcome.rendered.video  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from prefect_tavus.tavus_api.media import MediaError, MediaKind
from prefect_tavus.tavus_api.simulator.bodies import CreateVideo
from prefect_tavus.tavus_api.simulator.config import SimulatorConfig
from prefect_tavus.tavus_api.simulator.fetch import Fetched, Fetcher, FetchError
from prefect_tavus.tavus_api.simulator.render import Rendered, Renderer, RenderSpec

logger = logging.getLogger(__name__)


@dataclass
class Outcome:
    """Result of downloading, checking and rendering a video's inputs."""

    error_type: str | None = None
    error_details: str | None = None
    rendered: Rendered | None = None
    extension: str = "mp4"


_FAIL_FETCH = {
    MediaKind.AUDIO: ("audio_file_download_link", "audio_file_max_size"),
    MediaKind.VIDEO: ("background_file_download_link", "background_file_download_link"),
    MediaKind.IMAGE: ("watermark_file_download_link", "watermark_file_download_link"),
}
"""Error types of a failed download by input kind: (download failed, too big)."""
_FAIL_TYPE = {
    MediaKind.AUDIO: "audio_file_type",
    MediaKind.VIDEO: "background_file_type",
    MediaKind.IMAGE: "watermark_file_type",
}
"""Error type of an input that is not media of its kind."""


class _InputFailed(Exception):
    def __init__(self, error_type: str, details: str) -> None:
        super().__init__(details)
        self.error_type = error_type
        self.details = details


def _fetch(fetcher: Fetcher, url: str, kind: MediaKind) -> Fetched:
    try:
        return fetcher.fetch(url, kind)
    except FetchError as exc:
        download_failed, too_big = _FAIL_FETCH[kind]
        raise _InputFailed(too_big if exc.too_big else download_failed, exc.reason) from None
    except MediaError as exc:
        code = exc.code if exc.code.startswith("audio_file_") else _FAIL_TYPE[kind]
        raise _InputFailed(code, exc.message) from None


def prepare(
    video_id: str,
    request: CreateVideo,
    *,
    fetcher: Fetcher,
    renderer: Renderer,
    config: SimulatorConfig,
) -> Outcome:
    """Download and check the inputs of ``request``, then render it. Never raises."""
    try:
        script = request.script or ""
        lowered = script.lower()
        if any(word.lower() in lowered for word in config.blocked_words if word):
            raise _InputFailed("script_community_guidelines", "script contains a blocked word")
        audio = _fetch(fetcher, request.audio_url, MediaKind.AUDIO) if request.audio_url else None
        background = None
        if request.background_source_url and not request.fast:
            background = _fetch(fetcher, request.background_source_url, MediaKind.VIDEO)
        watermark = None
        if request.watermark_image_url:
            watermark = _fetch(fetcher, request.watermark_image_url, MediaKind.IMAGE)
        if audio is not None and audio.info.duration_seconds is not None:
            duration = audio.info.duration_seconds
        else:
            duration = max(1.0, len(script.split()) / config.words_per_second)
        spec = RenderSpec(
            duration=duration,
            replica_id=request.replica_id,
            audio=audio.path if audio else None,
            audio_sha256=audio.sha256 if audio else None,
            background=background.path if background else None,
            background_sha256=background.sha256 if background else None,
            website_background=bool(request.background_url) and not request.fast,
            watermark=watermark.path if watermark else None,
            watermark_sha256=watermark.sha256 if watermark else None,
            transparent=request.transparent_background,
        )
        extras = not request.fast
        rendered = renderer.render(spec, thumbnails=extras, stream=extras)
        return Outcome(rendered=rendered, extension=spec.extension)
    except _InputFailed as exc:
        return Outcome(error_type=exc.error_type, error_details=exc.details)
    except Exception as exc:  # any other failure is Tavus's generic error
        logger.warning("video %s failed to render: %s", video_id, exc)
        details = f"{type(exc).__name__}: {exc}"[:500]
        return Outcome(error_type="video_error", error_details=details)
