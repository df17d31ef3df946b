"""POST callbacks (the full video object on ``ready`` and ``error``) and remember each try."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
from pydantic import BaseModel

from prefect_tavus.tavus_api._redact import safe_url


class CallbackDelivery(BaseModel):
    """One attempt to deliver a callback. ``url`` is shown without its query string."""

    url: str
    video_id: str | None = None
    replica_id: str | None = None
    status: str
    """The ``status`` in the payload (video ``ready``/``error``, replica ``ready``/``error``)."""
    attempt: int
    response_code: int | None = None
    error: str | None = None
    sent_at: float


class CallbackSender:
    """Sends JSON POSTs with a timeout and ``retries`` extra attempts on failure."""

    def __init__(self, *, timeout: float, retries: int) -> None:
        self.timeout = timeout
        self.retries = retries
        self._lock = threading.Lock()
        self._deliveries: list[CallbackDelivery] = []
        self._client = httpx.Client(timeout=timeout, trust_env=False)

    def close(self) -> None:
        self._client.close()

    def clear(self) -> None:
        with self._lock:
            self._deliveries.clear()

    def deliveries(self) -> list[CallbackDelivery]:
        with self._lock:
            return list(self._deliveries)

    def send(self, url: str, payload: dict[str, Any]) -> CallbackDelivery:
        """POST ``payload`` to ``url`` until a 2xx or the retries run out; return the last try."""
        delivery: CallbackDelivery | None = None
        for attempt in range(1, self.retries + 2):
            code: int | None = None
            error: str | None = None
            try:
                code = self._client.post(url, json=payload).status_code
            except httpx.HTTPError as exc:
                error = type(exc).__name__
            delivery = CallbackDelivery(
                url=safe_url(url),
                video_id=payload.get("video_id"),
                replica_id=payload.get("replica_id") if "video_id" not in payload else None,
                status=str(payload.get("status")),
                attempt=attempt,
                response_code=code,
                error=error,
                sent_at=time.time(),
            )
            with self._lock:
                self._deliveries.append(delivery)
            if code is not None and 200 <= code < 300:
                break
        assert delivery is not None
        return delivery
