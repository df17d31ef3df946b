"""Read request bodies and query strings; anything wrong is a 400 ``{"error": ...}``.

Generate Video is checked the way the docs imply Tavus does synchronously: malformed
JSON, missing ``replica_id``, both or neither of ``script``/``audio_url``, a blank
script, wrong types and ``transparent_background`` without ``fast``. Whether the
replica exists is checked by the state. URL reachability is checked later, when the
video starts generating.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from prefect_tavus.tavus_api.errors import PickleSafeError
from prefect_tavus.tavus_api.models import is_blank


class ApiError(PickleSafeError):
    """An HTTP answer other than success: ``status``, the JSON ``payload``, extra ``headers``."""

    def __init__(
        self, status: int, payload: dict[str, Any], *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(payload)
        self.status = status
        self.payload = payload
        self.headers = headers or {}


def bad_request(message: str) -> ApiError:
    return ApiError(400, {"error": message})


_PROPERTY_ENUMS = {
    "background_scroll_type": ("human", "smooth"),
    "background_scroll_depth": ("middle", "bottom"),
    "background_scroll_return": ("return", "halt"),
}
_PROPERTY_BOOLS = ("background_scroll", "start_with_wave")
_URL_FIELDS: tuple[str, ...] = (
    "audio_url",
    "background_url",
    "background_source_url",
    "callback_url",
    "watermark_image_url",
)


@dataclass
class CreateVideo:
    """A valid Generate Video body."""

    replica_id: str
    script: str | None = None
    audio_url: str | None = None
    video_name: str | None = None
    background_url: str | None = None
    background_source_url: str | None = None
    callback_url: str | None = None
    watermark_image_url: str | None = None
    fast: bool = False
    transparent_background: bool = False
    properties: dict[str, Any] = field(default_factory=dict)


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object, or a 400."""
    try:
        body = json.loads(raw or b"")
    except (ValueError, UnicodeDecodeError):
        raise bad_request("Invalid JSON body") from None
    if not isinstance(body, dict):
        raise bad_request("Request body must be a JSON object")
    return body


def _optional_str(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad_request(f"{name} must be a string")
    return value


def _bool(body: dict[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise bad_request(f"{name} must be a boolean")
    return value


def parse_create_video(raw: bytes) -> CreateVideo:
    """Check a Generate Video body; raise :class:`ApiError` (400) on the first problem."""
    body = parse_json_object(raw)
    replica_id = body.get("replica_id")
    if replica_id is None or (isinstance(replica_id, str) and not replica_id.strip()):
        raise bad_request("replica_id is required")
    if not isinstance(replica_id, str):
        raise bad_request("replica_id must be a string")
    script = _optional_str(body, "script")
    urls = {name: _optional_str(body, name) for name in _URL_FIELDS}
    if script is not None and urls["audio_url"] is not None:
        raise bad_request("Provide either script or audio_url, not both")
    if script is None and not urls["audio_url"]:
        raise bad_request("Either script or audio_url is required")
    if script is not None and is_blank(script):  # zero-width and BOM-only scripts too
        raise bad_request("script must not be empty")
    fast = _bool(body, "fast")
    transparent = _bool(body, "transparent_background")
    if transparent and not fast:
        raise bad_request("transparent_background is only supported when fast is true")
    properties = body.get("properties") or {}
    if not isinstance(properties, dict):
        raise bad_request("properties must be an object")
    for name, allowed in _PROPERTY_ENUMS.items():
        if name in properties and properties[name] not in allowed:
            raise bad_request(f"properties.{name} must be one of: {', '.join(allowed)}")
    for name in _PROPERTY_BOOLS:
        if name in properties and not isinstance(properties[name], bool):
            raise bad_request(f"properties.{name} must be a boolean")
    return CreateVideo(
        replica_id=replica_id,
        script=script,
        video_name=_optional_str(body, "video_name"),
        fast=fast,
        transparent_background=transparent,
        properties=properties,
        **urls,
    )


def parse_name(raw: bytes, field_name: str) -> str:
    """The new name from a rename body (``video_name`` / ``replica_name``), or a 400."""
    body = parse_json_object(raw)
    value = body.get(field_name)
    if not isinstance(value, str) or not value.strip():
        raise bad_request(f"{field_name} is required")
    return value


def query_int(params: Any, name: str, default: int, *, minimum: int) -> int:
    """An integer query parameter, or a 400 if it is not one (or below ``minimum``)."""
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"Invalid {name}: must be an integer") from None
    if value < minimum:
        raise bad_request(f"Invalid {name}: must be >= {minimum}")
    return value


def query_bool(params: Any, name: str) -> bool:
    """``true``/``1``/``yes`` (any case) is true; anything else false."""
    return str(params.get(name, "")).strip().lower() in ("true", "1", "yes")
