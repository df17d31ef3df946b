"""A pass-through proxy in front of the simulator's API that notes when each video was
first *seen* ready by the client under test.

Every Tavus API request of a measured run goes through it (the client's ``base_url``
is the proxy); media downloads do not (the simulator hands out its own URLs). For
each answer of ``GET /v2/videos/{id}`` or ``GET /v2/videos`` it records, per video, the
first moment a ``ready`` status passed back to the client, with that video's
``updated_at`` (the simulator's ready time) and ``created_at``. The client sees the
answer a moment after the proxy does; on loopback that is well under a millisecond.

Example:
    >>> with Observer(sim.base_url) as observer:  # doctest: +SKIP
    ...     run_batch(base_url=observer.url)
    ...     observer.delays()     # seconds from ready to noticed, one per video
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import uvicorn
from starlette.types import Message, Receive, Scope, Send

_HOP_HEADERS = {"connection", "content-length", "transfer-encoding", "content-encoding", "host"}


@dataclass(frozen=True)
class Seen:
    """One video's first ready answer: when the simulator made it ready, when it was seen."""

    video_id: str
    created_at: float
    ready_at: float
    noticed_at: float

    @property
    def delay(self) -> float:
        """Seconds from ready to noticed."""
        return self.noticed_at - self.ready_at


def _timestamp(text: str) -> float:
    """A video object's ``2024-08-28 15:27:40.824457`` (UTC, no zone) as Unix seconds."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC).timestamp()


class Observer:
    """The proxy on a free loopback port, served from a thread; use as a context manager."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self._lock = threading.Lock()
        self._seen: dict[str, Seen] = {}
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._client: httpx.AsyncClient | None = None
        self._server = uvicorn.Server(
            uvicorn.Config(
                self._app,
                interface="asgi3",
                log_level="warning",
                access_log=False,
                lifespan="off",
                timeout_keep_alive=60,
                backlog=4096,
            )
        )
        self._thread: threading.Thread | None = None

    def clear(self) -> None:
        """Forget what was seen (between scenarios)."""
        with self._lock:
            self._seen = {}

    def seen(self) -> list[Seen]:
        """Every video seen ready since the last :meth:`clear`."""
        with self._lock:
            return list(self._seen.values())

    def _note(self, item: dict[str, Any], now: float) -> None:
        video_id = item.get("video_id")
        if item.get("status") != "ready" or not video_id or video_id in self._seen:
            return
        try:
            seen = Seen(
                video_id, _timestamp(item["created_at"]), _timestamp(item["updated_at"]), now
            )
        except (KeyError, TypeError, ValueError):
            return
        with self._lock:
            self._seen.setdefault(video_id, seen)

    def _inspect(self, path: str, body: bytes, now: float) -> None:
        if not path.startswith("/v2/videos"):
            return
        try:
            doc = json.loads(body)
        except ValueError:
            return
        if isinstance(doc, dict):
            data = doc.get("data")
            items: list[Any] = data if isinstance(data, list) else [doc]
            for item in items:
                if isinstance(item, dict):
                    self._note(item, now)

    async def _app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if self._client is None:
            self._client = httpx.AsyncClient(
                base_url=self.upstream,
                timeout=httpx.Timeout(120.0),
                limits=httpx.Limits(max_connections=500, max_keepalive_connections=500),
            )
        body = b""
        while True:
            message: Message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        path = scope["path"]
        query = scope["query_string"].decode()
        headers = [
            (k.decode(), v.decode()) for k, v in scope["headers"] if k.decode() not in _HOP_HEADERS
        ]
        upstream = await self._client.request(
            scope["method"], path + (f"?{query}" if query else ""), headers=headers, content=body
        )
        if scope["method"] == "GET" and upstream.status_code == 200:
            self._inspect(path, upstream.content, time.time())
        out_headers = [
            (k.encode(), v.encode())
            for k, v in upstream.headers.items()
            if k.lower() not in _HOP_HEADERS
        ]
        out_headers.append((b"content-length", str(len(upstream.content)).encode()))
        await send(
            {"type": "http.response.start", "status": upstream.status_code, "headers": out_headers}
        )
        await send({"type": "http.response.body", "body": upstream.content})

    def __enter__(self) -> Observer:
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True, name="observer"
        )
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the observing proxy did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=15)
        self._sock.close()


__all__ = ["Observer", "Seen"]
