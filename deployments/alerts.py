"""A local inbox for Prefect notifications: what a Slack channel is on ``make serve``'s stack.

The ``tavus-alerts`` notification block of the local stack is a
``CustomWebhookNotificationBlock`` that POSTs ``{"subject": ..., "body": ...}`` here;
the inbox keeps every message and prints it on ``make serve``'s terminal, so the
``tavus.video.failed`` automation (:mod:`deployments.automations`) can be seen firing.
Binds 127.0.0.1 only.

Example:
    >>> with alert_inbox(echo=False) as inbox:  # doctest: +SKIP
    ...     httpx.post(inbox.url, json={"subject": "s", "body": "b"})
    ...     inbox.messages
    [{'subject': 's', 'body': 'b'}]
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prefect.blocks.notifications import CustomWebhookNotificationBlock

ALERTS_BLOCK = "tavus-alerts"
"""The notification block the ``tavus.video.failed`` automation sends to."""


class AlertInbox:
    """Messages POSTed to :attr:`url`, in arrival order."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.messages: list[dict[str, Any]] = []
        self._arrived = threading.Condition()

    def add(self, message: dict[str, Any]) -> None:
        with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()

    def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float
    ) -> dict[str, Any]:
        """The first message matching ``predicate``; ``TimeoutError`` after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                for message in self.messages:
                    if predicate(message):
                        return message
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no matching alert in {timeout:.0f}s: {self.messages}")
                self._arrived.wait(left)

    def save_block(self, name: str = ALERTS_BLOCK) -> CustomWebhookNotificationBlock:
        """Save the notification block that POSTs subject and body to this inbox."""
        block = CustomWebhookNotificationBlock(
            name="tavus-alerts (local inbox)",
            url=self.url,
            json_data={"subject": "{{subject}}", "body": "{{body}}"},
        )
        block.save(name, overwrite=True)
        return block


@contextmanager
def alert_inbox(echo: bool = True) -> Iterator[AlertInbox]:
    """Run an inbox on a free 127.0.0.1 port; ``echo`` prints each message to stdout."""
    inbox: AlertInbox

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # the name http.server calls
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                message = json.loads(raw or b"{}")
            except ValueError:
                message = {"body": raw.decode(errors="replace")}
            inbox.add(message)
            if echo:
                print(f"ALERT {message.get('subject', '')}: {message.get('body', '')}", flush=True)
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # the base signature
            pass  # no access log on make serve's terminal

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    inbox = AlertInbox(f"http://127.0.0.1:{server.server_address[1]}/alerts")
    thread = threading.Thread(target=server.serve_forever, name="alert-inbox", daemon=True)
    thread.start()
    try:
        yield inbox
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


__all__ = ["ALERTS_BLOCK", "AlertInbox", "alert_inbox"]
