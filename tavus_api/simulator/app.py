"""HTTP routes of the simulator: the Tavus Video API, the media it serves, and ``/_sim/``.

Tavus routes need a known ``x-api-key`` (else 401 ``{"message": "Invalid access
token"}``); errors are ``{"error": ...}``. Media (``/media/``, ``/stream/``, ``/video/``)
need no key, like Tavus's public URLs. ``/_sim/`` is the admin API (no key, loopback only).
"""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route
from starlette.types import ASGIApp

from prefect_tavus.tavus_api.simulator import messages as msg
from prefect_tavus.tavus_api.simulator.bodies import (
    ApiError,
    bad_request,
    parse_create_video,
    parse_json_object,
    parse_name,
    query_bool,
    query_int,
)
from prefect_tavus.tavus_api.simulator.faults import FaultRule
from prefect_tavus.tavus_api.simulator.middleware import FaultMiddleware
from prefect_tavus.tavus_api.simulator.padded import can_pad, chunks
from prefect_tavus.tavus_api.simulator.state import SimulatorState

_MEDIA_NAME = re.compile(r"^([0-9a-f]{6,32})\.(mp4|webm|jpg|gif)$")
_STREAM_FILE = re.compile(r"^[A-Za-z0-9_-]+\.(m3u8|ts)$")
_MEDIA_TYPES = {
    "mp4": "video/mp4",
    "webm": "video/webm",
    "jpg": "image/jpeg",
    "gif": "image/gif",
    "m3u8": "application/vnd.apple.mpegurl",
    "ts": "video/mp2t",
}
_LOOPBACK = ("127.", "::1", "localhost")


def build_app(state: SimulatorState) -> ASGIApp:
    """The ASGI app for ``state``: routes wrapped in fault injection and request counting."""

    def require_key(request: Request) -> None:
        if request.headers.get("x-api-key") not in state.config.api_keys:
            raise ApiError(401, {"message": msg.INVALID_TOKEN})

    def ok_empty() -> Response:
        return Response(status_code=state.config.delete_status)

    # --- videos --------------------------------------------------------------------------------

    async def videos(request: Request) -> Response:
        require_key(request)
        if request.method == "POST":
            body = parse_create_video(await request.body())
            return JSONResponse(state.create_video(body))
        params = request.query_params
        limit = query_int(params, "limit", 10, minimum=1)
        page = query_int(params, "page", state.config.page_base, minimum=0)
        return JSONResponse(state.list_videos(limit=limit, page=page))

    async def video(request: Request) -> Response:
        require_key(request)
        video_id = request.path_params["video_id"]
        if request.method == "DELETE":
            state.delete_video(video_id, hard=query_bool(request.query_params, "hard"))
            return ok_empty()
        verbose = query_bool(request.query_params, "verbose")
        return JSONResponse(state.get_video(video_id, verbose=verbose))

    async def video_name(request: Request) -> Response:
        require_key(request)
        video_id = request.path_params["video_id"]
        state.get_video(video_id)  # unknown id wins over a bad body
        state.rename_video(video_id, parse_name(await request.body(), "video_name"))
        return ok_empty()

    # --- replicas ------------------------------------------------------------------------------

    async def replicas(request: Request) -> Response:
        require_key(request)
        if request.method == "POST":
            return JSONResponse(_create_replica(state, await request.body()))
        params = request.query_params
        replica_type = params.get("replica_type") or None
        if replica_type not in (None, "user", "system"):
            raise bad_request("Invalid replica_type: must be user or system")
        ids = params.get("replica_ids")
        return JSONResponse(
            state.list_replicas(
                limit=query_int(params, "limit", 10, minimum=1),
                page=query_int(params, "page", state.config.page_base, minimum=0),
                verbose=query_bool(params, "verbose"),
                replica_type=replica_type,
                replica_ids=[i.strip() for i in ids.split(",") if i.strip()] if ids else None,
                model_name=params.get("model_name") or None,
            )
        )

    async def replica(request: Request) -> Response:
        require_key(request)
        replica_id = request.path_params["replica_id"]
        if request.method == "DELETE":
            state.delete_replica(replica_id, hard=query_bool(request.query_params, "hard"))
            return ok_empty()
        verbose = query_bool(request.query_params, "verbose")
        return JSONResponse(state.get_replica(replica_id, verbose=verbose))

    async def replica_name(request: Request) -> Response:
        require_key(request)
        replica_id = request.path_params["replica_id"]
        state.get_replica(replica_id, verbose=False)
        state.rename_replica(replica_id, parse_name(await request.body(), "replica_name"))
        return ok_empty()

    # --- media ---------------------------------------------------------------------------------

    async def media(request: Request) -> Response:
        match = _MEDIA_NAME.match(request.path_params["name"])
        if match is None:
            return _not_found()
        video_id, ext = match.groups()
        kind = ext if ext in ("jpg", "gif") else "video"
        if kind == "video" and state.video_extension(video_id) != ext:
            return _not_found()
        await run_in_threadpool(state.ensure_files, video_id)
        path = state.video_file(video_id, kind)
        if path is None or not path.exists():
            return _not_found()
        size = state.config.output_size_bytes
        if ext == "mp4" and size is not None and can_pad(path.stat().st_size, size):
            return await _padded_mp4(request, path, size)
        return FileResponse(path, media_type=_MEDIA_TYPES[ext])

    async def stream(request: Request) -> Response:
        name = request.path_params["name"]
        await run_in_threadpool(state.ensure_files, request.path_params["video_id"])
        folder = state.stream_dir(request.path_params["video_id"])
        match = _STREAM_FILE.match(name)
        if folder is None or match is None or not (folder / name).is_file():
            return _not_found()
        return FileResponse(folder / name, media_type=_MEDIA_TYPES[match.group(1)])

    async def hosted(request: Request) -> Response:
        summary = state.video_summary(request.path_params["video_id"])
        if summary is None:
            return HTMLResponse("<!doctype html><title>Not found</title><p>No such video.", 404)
        return HTMLResponse(_hosted_page(summary))

    # --- admin ---------------------------------------------------------------------------------

    def require_loopback(request: Request) -> None:
        host = request.client.host if request.client else ""
        if state.config.admin_loopback_only and not host.startswith(_LOOPBACK):
            raise ApiError(403, {"error": "The /_sim/ admin API only answers loopback clients"})

    async def admin_stats(request: Request) -> Response:
        require_loopback(request)
        return JSONResponse(state.snapshot())

    async def admin_faults(request: Request) -> Response:
        require_loopback(request)
        if request.method == "DELETE":
            state.faults.set_rules([])
            return JSONResponse({"rules": []})
        body: Any = parse_json_object(await request.body())
        try:
            rules = [FaultRule.model_validate(r) for r in body.get("rules", [])]
        except ValidationError as exc:
            raise bad_request(f"Invalid fault rule: {exc.errors()[0]['msg']}") from None
        seed = body.get("seed")
        if seed is not None and not isinstance(seed, int):
            raise bad_request("seed must be an integer")
        state.faults.set_rules(rules, seed)
        return JSONResponse({"rules": [r.model_dump() for r in rules]})

    async def admin_advance(request: Request) -> Response:
        require_loopback(request)
        body = parse_json_object(await request.body())
        seconds = body.get("seconds")
        if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
            raise bad_request("seconds must be a number >= 0")
        now = await run_in_threadpool(state.advance, float(seconds))
        return JSONResponse({"now": now, "now_http": msg.rfc1123(now)})

    async def admin_reset(request: Request) -> Response:
        require_loopback(request)
        raw = await request.body()
        overrides = parse_json_object(raw) if raw.strip() else {}
        try:
            config = state.config_with(overrides)
        except ValidationError as exc:
            raise bad_request(f"Invalid config: {exc.errors()[0]['msg']}") from None
        await run_in_threadpool(state.reset, config)
        return JSONResponse({"reset": True})

    async def admin_callbacks(request: Request) -> Response:
        require_loopback(request)
        return JSONResponse({"data": [d.model_dump() for d in state.callbacks.deliveries()]})

    async def admin_config(request: Request) -> Response:
        require_loopback(request)
        data = state.config.model_dump(mode="json")
        data["api_keys"] = [f"{k[:2]}***" for k in data["api_keys"]]
        return JSONResponse(data)

    routes = [
        Route("/v2/videos", videos, methods=["GET", "POST"]),
        Route("/v2/videos/{video_id}", video, methods=["GET", "DELETE"]),
        Route("/v2/videos/{video_id}/name", video_name, methods=["PATCH"]),
        Route("/v2/replicas", replicas, methods=["GET", "POST"]),
        Route("/v2/replicas/{replica_id}", replica, methods=["GET", "DELETE"]),
        Route("/v2/replicas/{replica_id}/name", replica_name, methods=["PATCH"]),
        Route("/media/{name}", media, methods=["GET", "HEAD"]),
        Route("/stream/{video_id}/{name}", stream, methods=["GET", "HEAD"]),
        Route("/video/{video_id}", hosted, methods=["GET"]),
        Route("/_sim/stats", admin_stats, methods=["GET"]),
        Route("/_sim/faults", admin_faults, methods=["POST", "DELETE"]),
        Route("/_sim/clock/advance", admin_advance, methods=["POST"]),
        Route("/_sim/reset", admin_reset, methods=["POST"]),
        Route("/_sim/callbacks", admin_callbacks, methods=["GET"]),
        Route("/_sim/config", admin_config, methods=["GET"]),
    ]
    app = Starlette(routes=routes, exception_handlers={ApiError: _api_error})
    return FaultMiddleware(app, state.faults, state.stats)


async def _api_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, ApiError):  # Starlette types handlers on Exception; ours is ApiError's
        raise exc
    return JSONResponse(exc.payload, status_code=exc.status, headers=exc.headers)


async def _padded_mp4(request: Request, path: Path, size: int) -> Response:
    """The render at ``path`` grown to ``size`` bytes (see :mod:`.padded`), streamed.

    Range requests get the whole body (allowed by RFC 9110; the download code sends none).
    """
    headers = {"content-length": str(size)}
    if request.method == "HEAD":
        return Response(headers=headers, media_type=_MEDIA_TYPES["mp4"])
    head = await run_in_threadpool(path.read_bytes)

    async def body() -> AsyncIterator[bytes]:
        for chunk in chunks(head, size):  # no I/O: the padding is a constant chunk
            yield chunk

    return StreamingResponse(body(), headers=headers, media_type=_MEDIA_TYPES["mp4"])


def _not_found() -> Response:
    return JSONResponse({"error": "Not found"}, status_code=404)


def _create_replica(state: SimulatorState, raw: bytes) -> dict[str, Any]:
    body = parse_json_object(raw)
    video_url, image_url = body.get("train_video_url"), body.get("train_image_url")
    if not video_url and not image_url:
        raise bad_request("Either train_video_url or train_image_url must be provided.")
    if video_url and image_url:
        raise bad_request("Provide either train_video_url or train_image_url, not both.")
    if image_url and not body.get("voice_name"):
        raise bad_request("voice_name is required when train_image_url is provided.")
    text_fields = ("train_video_url", "train_image_url", "replica_name", "callback_url")
    for name in (*text_fields, "model_name"):
        if body.get(name) is not None and not isinstance(body[name], str):
            raise bad_request(f"{name} must be a string")
    return state.create_replica(
        replica_name=body.get("replica_name"),
        model_name=body.get("model_name") or "phoenix-4",
        callback_url=body.get("callback_url"),
    )


def _hosted_page(video: dict[str, Any]) -> str:
    name = html.escape(video["video_name"] or video["video_id"])
    status = html.escape(video["status"])
    details = html.escape(video["status_details"] or "")
    player = ""
    if video.get("download_url"):
        src = html.escape(video["download_url"], quote=True)
        poster = html.escape(video.get("still_image_thumbnail_url") or "", quote=True)
        player = f'<video controls src="{src}" poster="{poster}" width="640"></video>'
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{name}</title></head>"
        f"<body><h1>{name}</h1><p>Status: <b>{status}</b> ({video['generation_progress']})</p>"
        f"<p>{details}</p>{player}<p><small>tavus-sim</small></p></body></html>"
    )
