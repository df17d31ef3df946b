"""Stream a finished video (or thumbnail) from its ``download_url``, memory flat.

The URL is on another host (Mux, S3, ...), so downloads go through a separate
plain ``httpx`` client that never sends the Tavus API key. The body is read in
chunks; a sha256 and a byte count are kept while streaming; reaching the end with
fewer or more bytes than ``Content-Length`` raises :class:`DownloadError`.
``Accept-Encoding: identity`` is asked for so ``Content-Length`` counts the bytes
the caller gets; if a server compresses anyway, ``expected_size`` is ``None``.

Opening the download is retried like any GET (429, 502-504, connect errors, read
timeouts); a failure in the middle of the body is not (the bytes already handed
out cannot be taken back) and raises :class:`DownloadError`. Messages and logs
show the URL without its query string (a presigned URL's signature is a secret).

Example:
    >>> with client.stream_download(video.download_url) as stream:  # doctest: +SKIP
    ...     s3.upload_fileobj(stream, "bucket", "videos/abc.mp4")
    ...     print(stream.bytes_read, stream.sha256)
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import httpx
from pydantic import BaseModel, ConfigDict

from prefect_tavus.tavus_api._operations import ApiContext, send_with_retries
from prefect_tavus.tavus_api._redact import redact, safe_url
from prefect_tavus.tavus_api._steps import Operation, Outcome
from prefect_tavus.tavus_api._version import USER_AGENT
from prefect_tavus.tavus_api.errors import DownloadError, TavusError
from prefect_tavus.tavus_api.models import check_http_url

DEFAULT_CHUNK_SIZE = 1 << 20


class DownloadResult(BaseModel):
    """What :meth:`TavusClient.download_to` wrote: size, sha256 (hex) and content type."""

    model_config = ConfigDict(frozen=True)

    size_bytes: int
    sha256: str
    content_type: str | None = None


def download_request(url: str, timeout: httpx.Timeout) -> httpx.Request:
    """A GET for ``url`` with no API key, asking for the bytes as stored."""
    check_http_url(url, "download url")
    return httpx.Request(
        "GET",
        url,
        headers={"user-agent": USER_AGENT, "accept-encoding": "identity"},
        extensions={"timeout": timeout.as_dict()},
    )


def _download_error(outcome: Outcome, request: httpx.Request) -> TavusError:
    shown = safe_url(request.url)
    if isinstance(outcome, httpx.Response):
        # The body is not quoted: S3 error bodies can echo the request's signature.
        reason = outcome.reason_phrase or ""
        return DownloadError(
            f"download of {shown} failed: HTTP {outcome.status_code} {reason}",
            url=shown,
            status_code=outcome.status_code,
        )
    detail = redact(str(outcome) or "", request.url.query.decode("ascii", "replace"))
    return DownloadError(
        f"download of {shown} failed: {type(outcome).__name__} {detail}".strip(), url=shown
    )


def open_download(ctx: ApiContext, url: str) -> Operation[httpx.Response]:
    """Start streaming ``url``: the 2xx response with its body still unread."""

    def build() -> httpx.Request:
        return download_request(url, ctx.timeout)

    response = yield from send_with_retries(
        ctx, build, to_error=_download_error, stream=True, download=True
    )
    assert response is not None
    return response


class _Tally:
    """Byte count, sha256 and the size check, shared by both stream classes."""

    def __init__(self, response: httpx.Response, url: str) -> None:
        self.url = safe_url(url)
        self.content_type: str | None = response.headers.get("content-type")
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        length = response.headers.get("content-length")
        self.expected_size: int | None = (
            int(length) if length and length.isdigit() and encoding == "identity" else None
        )
        self.bytes_read = 0
        self.received = 0
        self._hash = hashlib.sha256()

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def count_received(self, chunk: bytes) -> None:
        self.received += len(chunk)

    def count_read(self, data: bytes) -> bytes:
        self.bytes_read += len(data)
        self._hash.update(data)
        return data

    def check_complete(self) -> None:
        if self.expected_size is not None and self.received != self.expected_size:
            raise DownloadError(
                f"download of {self.url} incomplete: got {self.received} bytes, "
                f"Content-Length said {self.expected_size}",
                url=self.url,
            )

    def wrap(self, exc: Exception) -> DownloadError:
        return DownloadError(
            f"download of {self.url} broke after {self.received} bytes: {type(exc).__name__}",
            url=self.url,
        )


class _Buffer:
    """Bytes received but not yet read; ``take`` hands out at most ``n`` of them."""

    def __init__(self) -> None:
        self._data = bytearray()

    def __len__(self) -> int:
        return len(self._data)

    def add(self, chunk: bytes) -> None:
        self._data += chunk

    def take(self, n: int | None = None) -> bytes:
        if n is None or n >= len(self._data):
            out = bytes(self._data)
            self._data.clear()
            return out
        out = bytes(self._data[:n])
        del self._data[:n]
        return out


class _StreamBase:
    """State and attributes both stream classes share; each adds its own chunk iterator."""

    def __init__(self, response: httpx.Response, *, url: str, chunk_size: int) -> None:
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        self._response = response
        self._chunk_size = chunk_size
        self._tally = _Tally(response, url)
        self._buffer = _Buffer()
        self._eof = False

    @property
    def expected_size(self) -> int | None:
        """``Content-Length`` of the body, or ``None`` if not sent (or compressed)."""
        return self._tally.expected_size

    @property
    def bytes_read(self) -> int:
        """Bytes handed to the caller so far."""
        return self._tally.bytes_read

    @property
    def sha256(self) -> str:
        """Hex sha256 of the bytes handed to the caller so far."""
        return self._tally.sha256

    @property
    def content_type(self) -> str | None:
        """The response's ``Content-Type``."""
        return self._tally.content_type


@contextmanager
def destination(dest: str | os.PathLike[str] | BinaryIO) -> Iterator[BinaryIO]:
    """A writable binary file for ``dest``.

    A path is written as ``<name>.part`` and renamed into place only when the block
    ends without error (a failed download leaves no file behind); an open binary
    file is written to as is and left open.
    """
    if not isinstance(dest, str | os.PathLike):
        yield dest
        return
    path = Path(dest)
    partial = path.with_name(path.name + ".part")
    try:
        with partial.open("wb") as handle:
            yield handle
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


class DownloadStream(_StreamBase, io.BufferedIOBase):
    """A readable, non-seekable file over a download (what ``upload_fileobj`` wants).

    ``read(n)`` returns exactly ``n`` bytes until the end, then ``b""``. Iterating
    yields chunks of ``chunk_size``. Attributes: ``expected_size`` (Content-Length,
    or ``None``), ``bytes_read``, ``sha256`` (hex of the bytes read so far),
    ``content_type``. Reaching the end with a size other than ``expected_size``, or
    a broken connection, raises :class:`DownloadError`.
    """

    def __init__(self, response: httpx.Response, *, url: str, chunk_size: int) -> None:
        super().__init__(response, url=url, chunk_size=chunk_size)
        self._chunks = response.iter_bytes(chunk_size)

    def readable(self) -> bool:
        return True

    def _pull(self) -> None:
        try:
            chunk = next(self._chunks)
        except StopIteration:
            self._eof = True
            self._tally.check_complete()
            return
        except httpx.HTTPError as exc:
            raise self._tally.wrap(exc) from exc
        self._tally.count_received(chunk)
        self._buffer.add(chunk)

    def read(self, size: int | None = -1) -> bytes:
        if self.closed:
            raise ValueError("read from a closed download stream")
        if size is None or size < 0:
            while not self._eof:
                self._pull()
            return self._tally.count_read(self._buffer.take())
        while len(self._buffer) < size and not self._eof:
            self._pull()
        return self._tally.count_read(self._buffer.take(size))

    def read1(self, size: int = -1) -> bytes:
        if not len(self._buffer) and not self._eof:
            self._pull()
        return self._tally.count_read(self._buffer.take(None if size < 0 else size))

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.read(self._chunk_size):
            yield chunk

    def close(self) -> None:
        if not self.closed:
            self._response.close()
        super().close()


class AsyncDownloadStream(_StreamBase):
    """The async twin of :class:`DownloadStream`: ``async for chunk in stream`` or
    ``await stream.read(n)``; same attributes and the same end-of-stream size check."""

    def __init__(self, response: httpx.Response, *, url: str, chunk_size: int) -> None:
        super().__init__(response, url=url, chunk_size=chunk_size)
        self._chunks = response.aiter_bytes(chunk_size)

    async def _pull(self) -> None:
        try:
            chunk = await anext(self._chunks)
        except StopAsyncIteration:
            self._eof = True
            self._tally.check_complete()
            return
        except httpx.HTTPError as exc:
            raise self._tally.wrap(exc) from exc
        self._tally.count_received(chunk)
        self._buffer.add(chunk)

    async def read(self, size: int = -1) -> bytes:
        """Exactly ``size`` bytes (all that is left if ``size < 0``), fewer only at the end."""
        if size < 0:
            while not self._eof:
                await self._pull()
            return self._tally.count_read(self._buffer.take())
        while len(self._buffer) < size and not self._eof:
            await self._pull()
        return self._tally.count_read(self._buffer.take(size))

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while chunk := await self.read(self._chunk_size):
            yield chunk

    async def aclose(self) -> None:
        await self._response.aclose()


__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "AsyncDownloadStream",
    "DownloadResult",
    "DownloadStream",
    "destination",
    "download_request",
    "open_download",
]
