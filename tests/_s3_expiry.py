"""An S3 front that refuses expired presigned URLs, as AWS does; moto 5 does not check expiry.

GET/HEAD requests are forwarded to the moto server unchanged, except that a presigned
URL past its expiry (SigV4 ``X-Amz-Date`` + ``X-Amz-Expires``, or SigV2 ``Expires``)
gets S3's 403 ``AccessDenied`` / ``Request has expired`` answer.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx

EXPIRED_BODY = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
    b"<Message>Request has expired</Message></Error>"
)
_NOT_FORWARDED = frozenset({"transfer-encoding", "connection", "server", "date"})


def presign_expired(query: str, now: datetime | None = None) -> bool:
    """True if the query string is a presigned one (SigV4 or SigV2) that has expired."""
    params = parse_qs(query)
    now = now or datetime.now(UTC)
    if "X-Amz-Date" in params and "X-Amz-Expires" in params:
        signed = datetime.strptime(params["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ")
        expires = timedelta(seconds=int(params["X-Amz-Expires"][0]))
        return now > signed.replace(tzinfo=UTC) + expires
    if "Signature" in params and "Expires" in params:  # SigV2 query auth: epoch seconds
        return now.timestamp() > int(params["Expires"][0])
    return False


class ExpiryGateway:
    """``with ExpiryGateway(moto_url) as url:`` - an S3 endpoint URL on 127.0.0.1."""

    def __init__(self, upstream: str) -> None:
        client = httpx.Client(base_url=upstream, trust_env=False, timeout=30)

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output quiet
                pass

            def _forward(self, head_only: bool) -> None:
                if presign_expired(urlsplit(self.path).query):
                    self.send_response(403)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(EXPIRED_BODY)))
                    self.end_headers()
                    if not head_only:
                        self.wfile.write(EXPIRED_BODY)
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() == "range"}
                method = "HEAD" if head_only else "GET"
                with client.stream(method, self.path, headers=headers) as upstream_response:
                    self.send_response(upstream_response.status_code)
                    for name, value in upstream_response.headers.items():
                        if name.lower() not in (
                            "transfer-encoding",
                            "connection",
                            "server",
                            "date",
                        ):
                            self.send_header(name, value)
                    self.end_headers()
                    if not head_only:
                        for chunk in upstream_response.iter_raw(64 * 1024):
                            self.wfile.write(chunk)

            def do_GET(self) -> None:  # noqa: N802 - http.server naming
                self._forward(head_only=False)

            def do_HEAD(self) -> None:  # noqa: N802
                self._forward(head_only=True)

        self._client = client
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> str:
        self._thread.start()
        return self.url

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._client.close()
