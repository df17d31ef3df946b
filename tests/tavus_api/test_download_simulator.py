"""Downloads of real rendered videos from the simulator, into files and into S3 (moto)."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import httpx
import pytest

from prefect_tavus.tavus_api import DownloadError, Video, VideoRequest
from prefect_tavus.tavus_api.simulator import DEFAULT_REPLICA_ID, FaultRule, SimulatorServer
from tests.tavus_api._client_support import (
    KINDS,
    SimTime,
    Twin,
    make_client,
    requests_to,
)

pytestmark = pytest.mark.timeout(90)


@pytest.fixture(scope="module")
def ready_video(sim: SimulatorServer) -> Video:
    """One rendered video, made once for the module (rendering runs ffmpeg)."""
    time = SimTime(sim)
    client = make_client("sync", time, base_url=sim.base_url, api_key=sim.api_key)
    request = VideoRequest(replica_id=DEFAULT_REPLICA_ID, script="Download me", video_name="dl")
    video = client.create_video(request)
    ready = client.wait_for_video(video.video_id, poll_interval=2)
    verbose = client.get_video(ready.video_id, verbose=True)  # with thumbnail URLs
    client.close()
    return verbose


def _served(url: str) -> bytes:
    return httpx.get(url).content


@pytest.fixture(params=KINDS)
async def twin(request: pytest.FixtureRequest, sim: SimulatorServer):
    sim.clear_faults()
    client = Twin(
        make_client(request.param, SimTime(sim), base_url=sim.base_url, api_key=sim.api_key)
    )
    yield client
    await client.aclose()


async def test_download_to_file_is_the_served_mp4(
    twin: Twin, ready_video: Video, tmp_path: Path
) -> None:
    assert ready_video.download_url
    dest = tmp_path / "video.mp4"
    result = await twin.download_to(ready_video.download_url, dest, chunk_size=4096)
    data = dest.read_bytes()
    assert data[4:8] == b"ftyp"  # a real MP4 container
    assert data == _served(ready_video.download_url)
    assert result.size_bytes == len(data) and result.sha256 == hashlib.sha256(data).hexdigest()
    assert result.content_type == "video/mp4"


async def test_thumbnail_download(twin: Twin, ready_video: Video) -> None:
    assert ready_video.still_image_thumbnail_url
    sink = io.BytesIO()
    result = await twin.download_to(ready_video.still_image_thumbnail_url, sink)
    assert result.content_type == "image/jpeg" and sink.getvalue()[:2] == b"\xff\xd8"


async def test_dropped_download_is_retried(
    twin: Twin, sim: SimulatorServer, ready_video: Video
) -> None:
    dropped_before = requests_to(sim, "GET /media/{file}").get("dropped", 0)
    sim.set_faults([FaultRule(route="GET /media/{file}", kind="drop", count=1)])
    result = await twin.download_to(ready_video.download_url, io.BytesIO())
    assert requests_to(sim, "GET /media/{file}").get("dropped", 0) == dropped_before + 1
    assert result.sha256 == hashlib.sha256(_served(ready_video.download_url)).hexdigest()


async def test_connection_lost_mid_body_raises(
    twin: Twin, sim: SimulatorServer, ready_video: Video, tmp_path: Path
) -> None:
    sim.set_faults([FaultRule(route="GET /media/{file}", kind="drop", partial=True, count=1)])
    with pytest.raises(DownloadError, match="broke after"):
        await twin.download_to(ready_video.download_url, tmp_path / "v.mp4")
    assert list(tmp_path.iterdir()) == []


def test_stream_straight_into_s3(sim: SimulatorServer, ready_video: Video, s3_client) -> None:
    s3_client.create_bucket(Bucket="renders")
    client = make_client("sync", SimTime(sim), base_url=sim.base_url, api_key=sim.api_key)
    with client.stream_download(ready_video.download_url, chunk_size=8192) as stream:
        s3_client.upload_fileobj(
            stream,
            "renders",
            f"videos/{ready_video.video_id}.mp4",
            ExtraArgs={"ContentType": stream.content_type},
        )
    client.close()
    stored = s3_client.get_object(Bucket="renders", Key=f"videos/{ready_video.video_id}.mp4")
    body = stored["Body"].read()
    assert body == _served(ready_video.download_url)
    assert stored["ContentType"] == "video/mp4"
    assert stream.bytes_read == stream.expected_size == len(body)
    assert stream.sha256 == hashlib.sha256(body).hexdigest()
