"""An HTTP front for the moto S3 server that enforces presigned-URL expiry like real S3.

moto 5 accepts a presigned URL after it has expired; AWS answers ``403 AccessDenied:
Request has expired``. This front (a real server on 127.0.0.1) does what AWS does for
expired query signatures (SigV4 ``X-Amz-Date`` + ``X-Amz-Expires``, or SigV2
``Expires``) and forwards every other request to moto unchanged, so the expired-URL
path can be tested end to end.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "host"}

EXPIRED_BODY = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
    b"<Message>Request has expired</Message></Error>"
)


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


class S3ExpiryFront:
    """Serve on 127.0.0.1; ``endpoint`` is the URL to give boto3 / the S3 block."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.expired_requests = 0
        client = httpx.Client(timeout=30.0, trust_env=False)
        front = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # keep test output quiet
                return

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    data = b""
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                        if size == 0:
                            self.rfile.readline()
                            return data
                        data += self.rfile.read(size)
                        self.rfile.readline()
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _forward(self) -> None:
                body = self._body()
                if presign_expired(urlsplit(self.path).query):
                    front.expired_requests += 1
                    self._reply(403, {"Content-Type": "application/xml"}, EXPIRED_BODY)
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                response = client.request(
                    self.command, front.upstream + self.path, headers=headers, content=body
                )
                skip = _HOP_BY_HOP | {"content-encoding"}
                if self.command != "HEAD":  # a HEAD keeps the object's length
                    skip = skip | {"content-length"}
                out = {k: v for k, v in response.headers.items() if k.lower() not in skip}
                self._reply(response.status_code, out, response.content)

            def _reply(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                if "content-length" not in {k.lower() for k in headers}:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._client = client
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> S3ExpiryFront:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._client.close()
