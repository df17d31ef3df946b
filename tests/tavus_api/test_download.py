"""Downloads: no API key sent, streamed with flat memory, sha256 and size checked.

The download host is faked with respx (it is another host than the API, like Mux);
the S3 side is the real moto server, fed straight from the stream by boto3.
"""

from __future__ import annotations

import hashlib
import io
import os
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from boto3.s3.transfer import TransferConfig

from prefect_tavus.tavus_api import USER_AGENT, DownloadError, DownloadResult, DownloadStream
from tests.tavus_api._client_support import (
    KINDS,
    FakeTime,
    Harness,
    Twin,
    make_client,
    mock_api,
)

pytestmark = pytest.mark.timeout(60)

MEDIA = "https://stream.mux.test"
URL = f"{MEDIA}/pb123/high.mp4?download=abc1234567&X-Amz-Signature=deadbeefsecret"
PAYLOAD = os.urandom(3 * 1024 * 1024 + 123)
SHA = hashlib.sha256(PAYLOAD).hexdigest()


@pytest.fixture(params=KINDS)
async def h(request: pytest.FixtureRequest):
    harness = Harness(request.param, max_retries=2)
    yield harness
    await harness.twin.aclose()


def _ok(content: bytes = PAYLOAD, **headers: str) -> httpx.Response:
    return httpx.Response(200, content=content, headers={"Content-Type": "video/mp4", **headers})


async def test_download_to_path_streams_checks_and_hashes(h: Harness, tmp_path: Path) -> None:
    dest = tmp_path / "out" / "video.mp4"
    dest.parent.mkdir()
    with mock_api(MEDIA) as router:
        route = router.get(path="/pb123/high.mp4").mock(return_value=_ok())
        result = await h.twin.download_to(URL, dest, chunk_size=64 * 1024)
    assert result == DownloadResult(size_bytes=len(PAYLOAD), sha256=SHA, content_type="video/mp4")
    assert dest.read_bytes() == PAYLOAD
    assert not (tmp_path / "out" / "video.mp4.part").exists()
    sent = route.calls.last.request
    assert "x-api-key" not in sent.headers  # the download host never sees the Tavus key
    assert sent.headers["user-agent"] == USER_AGENT
    assert sent.headers["accept-encoding"] == "identity"
    assert sent.url.params["X-Amz-Signature"] == "deadbeefsecret"  # URL sent byte for byte


async def test_download_to_open_file(h: Harness) -> None:
    sink = io.BytesIO()
    with mock_api(MEDIA) as router:
        router.get(path="/pb123/high.mp4").mock(return_value=_ok())
        result = await h.twin.download_to(URL, sink)
    assert sink.getvalue() == PAYLOAD and result.sha256 == SHA and not sink.closed


async def test_short_body_raises_and_leaves_no_file(h: Harness, tmp_path: Path) -> None:
    dest = tmp_path / "video.mp4"
    truncated = _ok(PAYLOAD[:1000], **{"Content-Length": str(len(PAYLOAD))})
    with mock_api(MEDIA) as router:
        router.get(path="/pb123/high.mp4").mock(return_value=truncated)
        with pytest.raises(
            DownloadError, match=f"got 1000 bytes, Content-Length said {len(PAYLOAD)}"
        ):
            await h.twin.download_to(URL, dest)
    assert list(tmp_path.iterdir()) == []


async def test_error_status_is_not_retried_and_hides_the_signature(h: Harness) -> None:
    body = "<Error><Code>AccessDenied</Code><SignatureProvided>deadbeefsecret</SignatureProvided>"
    with mock_api(MEDIA) as router:
        route = router.get(path="/pb123/high.mp4").respond(403, text=body)
        with pytest.raises(DownloadError) as caught:
            await h.twin.download_to(URL, io.BytesIO())
    assert route.call_count == 1
    assert "HTTP 403" in str(caught.value)
    assert "deadbeefsecret" not in str(caught.value)
    assert f"{MEDIA}/pb123/high.mp4?..." in str(caught.value)


async def test_opening_is_retried_like_a_get(h: Harness) -> None:
    with mock_api(MEDIA) as router:
        route = router.get(path="/pb123/high.mp4").mock(
            side_effect=[httpx.Response(503), httpx.ConnectError("refused"), _ok()]
        )
        result = await h.twin.download_to(URL, io.BytesIO())
    assert result.sha256 == SHA and route.call_count == 3
    assert h.fake.sleeps == [0.5, 1.0]


async def test_connection_errors_when_exhausted_hide_the_signature(h: Harness) -> None:
    with mock_api(MEDIA) as router:
        # an exception whose text quotes the whole URL, signature and all
        failure = httpx.ConnectError(f"refused while connecting to {URL}")
        router.get(path="/pb123/high.mp4").mock(side_effect=failure)
        with pytest.raises(DownloadError) as caught:
            await h.twin.download_to(URL, io.BytesIO())
    assert "deadbeefsecret" not in str(caught.value) and "ConnectError" in str(caught.value)
    assert "refused while connecting to" in str(caught.value)  # the detail itself is kept


def _pieces(total: int, piece: int = 64 * 1024, fail_after: int | None = None) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        if fail_after is not None and sent >= fail_after:
            raise httpx.ReadError("connection reset by peer")
        size = min(piece, total - sent)
        yield bytes([sent // piece % 251]) * size
        sent += size


async def _apieces(total: int, fail_after: int | None = None) -> AsyncIterator[bytes]:
    for piece in _pieces(total, fail_after=fail_after):
        yield piece


def _streamed(kind: str, total: int, fail_after: int | None = None) -> httpx.Response:
    body = _pieces(total, fail_after=fail_after) if kind == "sync" else _apieces(total, fail_after)
    return httpx.Response(200, content=body, headers={"Content-Type": "video/mp4"})


async def test_broken_connection_mid_body_raises(h: Harness, tmp_path: Path) -> None:
    kind = "async" if h.twin.is_async else "sync"
    with mock_api(MEDIA) as router:
        router.get(path="/pb123/high.mp4").mock(
            return_value=_streamed(kind, 1 << 20, fail_after=256 * 1024)
        )
        with pytest.raises(DownloadError, match="broke after"):
            await h.twin.download_to(URL, tmp_path / "v.mp4", chunk_size=64 * 1024)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kind", KINDS)
async def test_memory_stays_flat(kind: str, tmp_path: Path) -> None:
    total = 64 * 1024 * 1024
    twin = Twin(make_client(kind, FakeTime()))
    with mock_api(MEDIA) as router:
        router.get(path="/pb123/high.mp4").mock(return_value=_streamed(kind, total))
        tracemalloc.start()
        try:
            result = await twin.download_to(URL, tmp_path / "big.mp4")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    await twin.aclose()
    assert result.size_bytes == total == (tmp_path / "big.mp4").stat().st_size
    assert result.sha256 == hashlib.sha256(b"".join(_pieces(total))).hexdigest()
    assert result.content_type == "video/mp4"
    assert peak < 8 * 1024 * 1024, f"peak {peak} bytes for a {total}-byte download"


def test_stream_reads_exact_sizes_and_hashes_what_was_read() -> None:
    client = make_client("sync", FakeTime())
    with mock_api(MEDIA) as router:
        router.get(path="/pb123/high.mp4").mock(return_value=_ok())
        with client.stream_download(URL, chunk_size=1000) as stream:
            assert isinstance(stream, DownloadStream) and stream.readable()
            assert not stream.seekable()
            assert stream.expected_size == len(PAYLOAD)
            assert stream.content_type == "video/mp4"
            first = stream.read(4096)
            assert len(first) == 4096 and stream.bytes_read == 4096
            assert stream.sha256 == hashlib.sha256(first).hexdigest()
            buffer = bytearray(10_000)
            assert stream.readinto(buffer) == 10_000
            rest = stream.read()
            assert stream.read(10) == b""
    client.close()
    assert first + bytes(buffer) + rest == PAYLOAD
    assert stream.bytes_read == len(PAYLOAD) and stream.sha256 == SHA
    assert stream.closed


async def test_async_stream_reads_and_iterates() -> None:
    twin = Twin(make_client("async", FakeTime()))
    client = twin.client
    with mock_api(MEDIA) as router:
        router.get(path="/pb123/high.mp4").mock(return_value=_ok())
        async with client.stream_download(URL, chunk_size=50_000) as stream:
            head = await stream.read(7)
            sizes = []
            rest = bytearray()
            async for chunk in stream:
                sizes.append(len(chunk))
                rest += chunk
    await twin.aclose()
    assert head + bytes(rest) == PAYLOAD
    assert set(sizes[:-1]) == {50_000}
    assert stream.expected_size == stream.bytes_read == len(PAYLOAD) and stream.sha256 == SHA


def test_stream_uploads_to_s3_multipart_without_buffering_the_file(s3_client) -> None:
    payload = os.urandom(12 * 1024 * 1024 + 17)
    s3_client.create_bucket(Bucket="videos")
    config = TransferConfig(
        multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024
    )
    client = make_client("sync", FakeTime())
    with mock_api(MEDIA) as router:
        router.get(path="/pb123/high.mp4").mock(return_value=_ok(payload))
        with client.stream_download(URL) as stream:
            s3_client.upload_fileobj(stream, "videos", "out/abc.mp4", Config=config)
    client.close()
    stored = s3_client.get_object(Bucket="videos", Key="out/abc.mp4")
    assert stored["Body"].read() == payload
    assert stored["ETag"].strip('"').endswith("-3")  # three parts: streamed, not one PUT
    assert stream.sha256 == hashlib.sha256(payload).hexdigest()
    assert stream.bytes_read == len(payload)


async def test_download_rejects_non_http_urls(h: Harness) -> None:
    with pytest.raises(ValueError, match="download url"):
        await h.twin.download_to("file:///etc/passwd", io.BytesIO())
