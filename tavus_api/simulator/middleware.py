"""ASGI middleware in front of the routes: counts every request and injects faults."""

from __future__ import annotations

import asyncio
import json
import math
import time
import uuid
from email.utils import formatdate
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from prefect_tavus.tavus_api.simulator.faults import FaultInjector, FaultRule
from prefect_tavus.tavus_api.simulator.routes import ADMIN_PREFIX, match_route
from prefect_tavus.tavus_api.simulator.stats import Stats

_REASONS = {
    429: "Too many requests, please slow down",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
}


class FaultMiddleware:
    """Counts requests by route template and status, and applies :class:`FaultInjector` rules.

    Every API answer carries an ``x-request-id`` header, as production APIs do, so the
    client's errors can quote it. Admin routes (``/_sim/``) are neither counted nor faulted.
    """

    def __init__(self, app: ASGIApp, faults: FaultInjector, stats: Stats) -> None:
        self.app = app
        self.faults = faults
        self.stats = stats

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        route = match_route(scope["method"], scope["path"]) or "unmatched"
        request_id = (b"x-request-id", f"sim-{uuid.uuid4().hex}".encode())
        decision = self.faults.decide(route)
        if decision.latency:
            self.stats.fault(route, "latency")
            await asyncio.sleep(decision.latency)
        rule = decision.action
        if rule is not None:
            self.stats.fault(route, rule.kind)
        if rule is None or rule.kind == "lost_response":
            started = False

            async def counting_send(message: Message) -> None:
                nonlocal started
                if message["type"] == "http.response.start":
                    started = True
                    message = {**message, "headers": [*message.get("headers", []), request_id]}
                    if rule is None:  # count before the client can see the answer
                        self.stats.request(route, message["status"])
                if rule is None:
                    await send(message)

            await self.app(scope, receive, counting_send)
            if rule is None:
                if not started:
                    self.stats.request(route, "none")
                return
        if rule.kind == "rate_limit":
            self.stats.request(route, 429)
            await _send_error(send, 429, [request_id, *_retry_after_headers(rule)])
        elif rule.status_code is not None:  # server_error, or lost_response answered by a 5xx
            self.stats.request(route, rule.status_code)
            await _send_error(send, rule.status_code, [request_id])
        else:  # drop, or lost_response answered by a dropped connection
            self.stats.request(route, "dropped")
            await _drop_connection(send, partial=rule.partial)


def _retry_after_headers(rule: FaultRule) -> list[tuple[bytes, bytes]]:
    """``Retry-After`` as whole seconds (rounded up) or as the HTTP date that far ahead."""
    if rule.retry_after is None:
        return []
    if rule.retry_after_format == "http-date":
        value = formatdate(math.ceil(time.time() + rule.retry_after), usegmt=True)
    else:
        value = str(math.ceil(rule.retry_after))
    return [(b"retry-after", value.encode())]


async def _send_error(send: Send, status: int, headers: list[tuple[bytes, bytes]]) -> None:
    body = json.dumps({"error": _REASONS.get(status, "Server error")}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _drop_connection(send: Send, *, partial: bool) -> None:
    """Close the client's connection without a (complete) response.

    Uses the uvicorn request cycle behind ``send`` to close the socket; without it
    (another server), raises after starting the response, which servers answer by
    closing the connection.
    """
    cycle: Any = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if partial:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
            }
        )
        await send({"type": "http.response.body", "body": b'{"video_id": "', "more_body": True})
    if transport is None or not hasattr(cycle, "disconnected"):
        if not partial:
            await send({"type": "http.response.start", "status": 200, "headers": []})
        raise ConnectionAbortedError("simulated dropped connection")
    cycle.disconnected = True  # so the server neither answers 500 nor logs the silence
    transport.close()
