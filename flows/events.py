"""Prefect events about Tavus videos, for automations (e.g. "notify when a video fails").

Every event's resource is the video: ``{"prefect.resource.id": "tavus.video.<video_id>",
"prefect.resource.name": <video_name>}``. Payloads hold ids, statuses, S3 URIs and
sizes, run through :func:`flows.redact.redact`: never a key or a presigned URL.

Example:
    >>> emit_video_event(VIDEO_READY, "1e30440cf9", "hi", {"status": "ready"})  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prefect.events import Event, emit_event

from prefect_tavus.flows.redact import redact

VIDEO_CREATED = "tavus.video.created"
"""The create request was accepted: the video exists at Tavus (payload: status, hosted_url)."""
VIDEO_READY = "tavus.video.ready"
"""The video finished generating."""
VIDEO_FAILED = "tavus.video.failed"
"""The video ended in ``error`` (payload: status_details) or was deleted."""
VIDEO_TIMED_OUT = "tavus.video.timed_out"
"""The wait gave up before the video was ready (payload: last_status, waited_seconds);
the video may still finish: a Retry of the flow run waits for it again."""
VIDEO_STORED = "tavus.video.stored"
"""The outputs and ``metadata.json`` are in S3 (payload: URIs, sizes, sha256)."""


def video_resource(video_id: str, video_name: str | None = None) -> dict[str, str]:
    """The event resource for a video.

    >>> video_resource("1e30440cf9", "welcome")
    {'prefect.resource.id': 'tavus.video.1e30440cf9', 'prefect.resource.name': 'welcome'}
    """
    resource = {"prefect.resource.id": f"tavus.video.{video_id}"}
    if video_name:
        resource["prefect.resource.name"] = video_name
    return resource


def emit_video_event(
    event: str,
    video_id: str,
    video_name: str | None = None,
    payload: Mapping[str, Any] | None = None,
    *,
    redactions: Mapping[str, str] | None = None,
) -> Event | None:
    """Emit ``event`` about ``video_id``; the payload is redacted first.

    Returns the event, or ``None`` when events are off (outside a Prefect API).
    """
    body = {"video_id": video_id, **(payload or {})}
    return emit_event(
        event=event,
        resource=video_resource(video_id, video_name),
        payload=redact(body, redactions),
    )


__all__ = [
    "VIDEO_CREATED",
    "VIDEO_FAILED",
    "VIDEO_READY",
    "VIDEO_STORED",
    "VIDEO_TIMED_OUT",
    "emit_video_event",
    "video_resource",
]
