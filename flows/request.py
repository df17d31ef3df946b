"""The one mapping from a :class:`~prefect_tavus.flows.parameters.VideoJob` to the API request.

Validation builds the request with stand-in media URLs to check it before anything
is uploaded; ``create_video`` builds it with the presigned URLs; a batch builds one
per row. All of them call :func:`build_request`, so what is checked is what is sent.

Example:
    >>> from prefect_tavus.flows.parameters import VideoJob
    >>> job = VideoJob(replica_id="r79e1c033f", audio="voice.wav", start_with_wave=False)
    >>> build_request(job, video_name="hi-1", media_urls={"audio": "https://b.example/a.wav"})
    ... # doctest: +ELLIPSIS
    VideoRequest(replica_id='r79e1c033f', script=None, audio_url='https://b.example/a.wav', ...)
    >>> job_field(("properties", "start_with_wave"))
    'job.start_with_wave'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from prefect_tavus.flows.parameters import MEDIA_ROLES, VideoJob
from prefect_tavus.tavus_api.models import VideoProperties, VideoRequest

MEDIA_URL_FIELDS: dict[str, str] = {
    "audio": "audio_url",
    "background": "background_source_url",
    "watermark": "watermark_image_url",
}
"""Each media field of :class:`VideoJob` and the request field its URL goes in."""

_JOB_FIELDS: dict[str, str] = {
    **{url_field: role for role, url_field in MEDIA_URL_FIELDS.items()},
    "background_url": "background_website",
}


def build_request(
    job: VideoJob, *, video_name: str | None, media_urls: Mapping[str, str]
) -> VideoRequest:
    """The ``POST /v2/videos`` body for ``job``, its media given as URLs by role.

    Args:
        job: what to make.
        video_name: the name to send (``None``: let Tavus name it).
        media_urls: a URL (presigned, or a stand-in while validating) for each media
            field that ``job`` sets, by role: ``audio``, ``background``, ``watermark``.

    Raises:
        ValueError: ``job`` sets a media field that ``media_urls`` has no URL for.
        pydantic.ValidationError: the request breaks a Tavus rule; map each error's
            ``loc`` to the job's field with :func:`job_field`.
    """
    missing = [role for role in job.media_sources() if role not in media_urls]
    if missing:
        raise ValueError(f"job.{missing[0]} is set but no {missing[0]} URL was given")
    unknown = sorted(set(media_urls) - set(MEDIA_ROLES))
    if unknown:
        raise ValueError(f"unknown media role {unknown[0]!r}; expected one of {list(MEDIA_ROLES)}")
    scroll = job.scroll_options()
    properties = None
    if scroll or job.start_with_wave is not None:
        scroll["start_with_wave"] = job.start_with_wave
        properties = VideoProperties.model_validate(scroll)
    urls = {MEDIA_URL_FIELDS[role]: url for role, url in media_urls.items()}
    return VideoRequest(
        replica_id=job.replica_id,
        script=job.script,
        video_name=video_name,
        background_url=job.background_website,
        callback_url=job.callback_url,
        fast=job.fast or None,
        transparent_background=job.transparent_background or None,
        properties=properties,
        **urls,
    )


def job_field(loc: Sequence[int | str]) -> str:
    """The ``job.<field>`` a request validation error at ``loc`` is about (``job`` if none)."""
    parts = [str(part) for part in loc]
    if parts[:1] == ["properties"]:
        parts = parts[1:]
    if not parts:
        return "job"
    return f"job.{_JOB_FIELDS.get(parts[0], parts[0])}"


__all__ = ["MEDIA_URL_FIELDS", "build_request", "job_field"]
