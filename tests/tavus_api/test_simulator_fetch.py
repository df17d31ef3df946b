"""The simulator downloads media from presigned S3 URLs (moto) when generation starts."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import botocore.auth
import httpx
import pytest
from botocore.config import Config

from prefect_tavus.tavus_api.simulator import DEFAULT_REPLICA_ID, SimulatorServer
from prefect_tavus.tavus_api.simulator.ffmpeg import ffmpeg_exe, probe
from prefect_tavus.tavus_api.simulator.fixtures import (
    make_jpeg,
    make_mp3,
    make_png,
    make_video,
    make_wav,
)
from prefect_tavus.tavus_api.simulator.messages import STATUS_DETAILS
from tests.conftest import AWS_REGION
from tests.tavus_api._sim_support import api, create

pytestmark = pytest.mark.timeout(90)

Presign = Callable[..., str]


@pytest.fixture
def bucket(s3_client) -> str:
    name = f"media-{uuid.uuid4().hex[:12]}"
    s3_client.create_bucket(Bucket=name)
    return name


@pytest.fixture
def upload(s3_client, bucket: str) -> Callable[[Path], str]:
    def put(path: Path) -> str:
        key = f"inputs/{uuid.uuid4().hex}{path.suffix}"
        s3_client.upload_file(str(path), bucket, key)
        return key

    return put


@pytest.fixture
def presign(s3_expiring_endpoint: str, bucket: str, monkeypatch: pytest.MonkeyPatch) -> Presign:
    """``presign(key, expires=300, signed_ago=None)``: a GET URL like boto3's, via a front that
    enforces expiry as S3 does. ``signed_ago`` signs as if that many seconds ago."""
    signer = boto3.client(
        "s3",
        endpoint_url=s3_expiring_endpoint,
        region_name=AWS_REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(signature_version="s3v4"),
    )

    def make(key: str, expires: int = 300, signed_ago: float | None = None) -> str:
        with monkeypatch.context() as m:
            if signed_ago is not None:
                then = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=signed_ago)
                m.setattr(botocore.auth, "get_current_datetime", lambda: then)
            return signer.generate_presigned_url(
                "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires
            )

    return make


def finish(sim: SimulatorServer, **body: object) -> dict:
    """Create a video, advance past queue + generation, return the verbose GET."""
    with api(sim) as client:
        video_id = create(client, replica_id=DEFAULT_REPLICA_ID, **body)["video_id"]
        sim.advance(6)
        response = client.get(f"/v2/videos/{video_id}", params={"verbose": "true"})
    assert response.status_code == 200
    return response.json()


def rgb_at(path: Path, x: int, y: int, at: float = 0.5) -> tuple[int, int, int]:
    """The RGB colour of pixel (x, y) at second ``at`` of a video."""
    out = subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-ss", str(at), "-i", str(path), "-frames:v", "1"]
        + ["-vf", f"crop=2:2:{x}:{y}", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        capture_output=True,
        check=True,
    ).stdout
    return out[0], out[1], out[2]


def fetch(url: str, path: Path) -> Path:
    response = httpx.get(url, timeout=30)
    assert response.status_code == 200
    path.write_bytes(response.content)
    return path


def test_audio_from_a_presigned_url_makes_a_video_of_its_length(
    simulator: SimulatorServer, upload, presign: Presign, tmp_path: Path
):
    key = upload(make_wav(tmp_path / "voice.wav", 4.0))
    url = presign(key)
    video = finish(simulator, audio_url=url)
    assert video["status"] == "ready", video
    assert "audio_url" not in json.dumps(video["data"])  # the presigned URL is not echoed
    info = probe(fetch(video["download_url"], tmp_path / "out.mp4"))
    assert info.duration_seconds == pytest.approx(4.0, abs=0.15)
    assert info.video_codec == "h264" and info.audio_codec == "aac"
    assert simulator.stats()["counters"]["downloads"] == 1


def test_mp3_without_id3_tag_is_accepted(
    simulator: SimulatorServer, upload, presign: Presign, tmp_path: Path
):
    url = presign(upload(make_mp3(tmp_path / "voice.mp3", 3.5, id3=False)))
    video = finish(simulator, audio_url=url)
    assert video["status"] == "ready", video
    info = probe(fetch(video["download_url"], tmp_path / "out.mp4"))
    assert info.duration_seconds == pytest.approx(3.5, abs=0.2)


def test_expired_presigned_audio_url_ends_in_error(
    simulator: SimulatorServer, upload, presign: Presign, tmp_path: Path
):
    url = presign(upload(make_wav(tmp_path / "voice.wav", 4.0)), expires=60, signed_ago=3600)
    assert httpx.get(url).status_code == 403  # the URL really is expired at the S3 endpoint
    video = finish(simulator, audio_url=url)
    assert video["status"] == "error"
    assert video["status_details"] == (
        "There was an issue generating your video. We were unable to download your audio file. "
        "Please ensure that the link you provided is correct and try again."
    )
    assert "HTTP 403" in video["error_details"]
    assert video["download_url"] == "" and video["generation_progress"] == "0/100"
    everything = json.dumps([video, simulator.stats()])
    assert "X-Amz-Signature" not in everything and "X-Amz-Credential" not in everything


def test_wrong_key_and_unreachable_host_are_download_errors(
    simulator: SimulatorServer, presign: Presign
):
    missing = finish(simulator, audio_url=presign("inputs/does-not-exist.wav"))
    with api(simulator) as client:  # a port nothing listens on: connection refused
        closed = create(
            client, replica_id=DEFAULT_REPLICA_ID, audio_url="http://127.0.0.1:9/voice.wav"
        )["video_id"]
        simulator.advance(6)
        refused = client.get(f"/v2/videos/{closed}").json()
    for video in (missing, refused):
        assert video["status"] == "error"
        assert video["status_details"] == STATUS_DETAILS["audio_file_download_link"]
    assert "HTTP 404" in missing["error_details"]
    assert "ConnectError" in refused["error_details"]


@pytest.mark.parametrize(
    ("maker", "error_type", "found"),
    [
        (lambda d: make_png(d / "not-audio.wav"), "audio_file_type", "PNG image"),
        (lambda d: make_wav(d / "short.wav", 1.5), "audio_file_min_duration", "1.5 s long"),
        (
            lambda d: make_wav(d / "long.wav", 601, sample_rate=1000),
            "audio_file_max_duration",
            "10 min 1.0 s long",
        ),
    ],
)
def test_bad_audio_content_gives_the_documented_error(
    simulator: SimulatorServer,
    upload,
    presign: Presign,
    tmp_path: Path,
    maker: Callable[[Path], Path],
    error_type: str,
    found: str,
):
    video = finish(simulator, audio_url=presign(upload(maker(tmp_path))))
    assert video["status"] == "error"
    assert video["status_details"] == STATUS_DETAILS[error_type]
    assert found in video["error_details"]


def test_audio_past_the_size_limit_is_cut_off(
    simulator: SimulatorServer, upload, presign: Presign, tmp_path: Path
):
    simulator.reset(max_download_bytes=20_000)  # stands in for 750 MB
    url = presign(upload(make_wav(tmp_path / "big.wav", 4.0)))  # 64 kB
    video = finish(simulator, audio_url=url)
    assert video["status"] == "error"
    assert video["status_details"] == (
        "There was an issue generating your video. "
        "The audio file exceeds the maximum file size of 750MB."
    )
    assert simulator.stats()["counters"].get("downloads", 0) == 0


def test_background_video_and_watermark_are_composited(
    simulator: SimulatorServer, upload, presign: Presign, tmp_path: Path
):
    audio = presign(upload(make_wav(tmp_path / "voice.wav", 3.0)))
    background = presign(upload(make_video(tmp_path / "bg.mov", 2.0, "mov")))
    watermark = presign(upload(make_png(tmp_path / "mark.png", rgba=(255, 0, 255, 255))))
    plain = finish(simulator, audio_url=audio)
    with_background = finish(simulator, audio_url=audio, background_source_url=background)
    dressed = finish(
        simulator, audio_url=audio, background_source_url=background, watermark_image_url=watermark
    )
    assert plain["status"] == with_background["status"] == dressed["status"] == "ready"
    assert dressed["background_source_url"] == background
    files = {
        name: fetch(video["download_url"], tmp_path / f"{name}.mp4")
        for name, video in [("plain", plain), ("bg", with_background), ("dressed", dressed)]
    }
    assert probe(files["dressed"]).duration_seconds == pytest.approx(3.0, abs=0.15)

    def distance(a: tuple[int, int, int], b: tuple[int, int, int]) -> int:
        return max(abs(x - y) for x, y in zip(a, b, strict=True))

    corner = {name: rgb_at(path, 4, 150) for name, path in files.items()}
    assert distance(corner["plain"], corner["bg"]) > 30  # the background video shows
    assert distance(corner["bg"], corner["dressed"]) < 20  # same background underneath
    mark = {name: rgb_at(path, 300, 14) for name, path in files.items()}  # top right
    red, green, blue = mark["dressed"]
    assert red > 180 and green < 90 and blue > 180, mark  # magenta watermark on top
    assert distance(mark["bg"], mark["dressed"]) > 60


@pytest.mark.parametrize(
    ("field", "maker", "error_type"),
    [
        ("background_source_url", lambda d: make_wav(d / "bg.mp4", 3), "background_file_type"),
        ("watermark_image_url", lambda d: make_video(d / "w.png", 1), "watermark_file_type"),
    ],
)
def test_wrong_background_or_watermark_type(
    simulator: SimulatorServer,
    upload,
    presign: Presign,
    tmp_path: Path,
    field: str,
    maker: Callable[[Path], Path],
    error_type: str,
):
    video = finish(simulator, script="Hello there", **{field: presign(upload(maker(tmp_path)))})
    assert video["status"] == "error"
    assert video["status_details"] == STATUS_DETAILS[error_type]


@pytest.mark.parametrize(
    ("field", "error_type"),
    [
        ("background_source_url", "background_file_download_link"),
        ("watermark_image_url", "watermark_file_download_link"),
    ],
)
def test_expired_background_or_watermark_url(
    simulator: SimulatorServer,
    upload,
    presign: Presign,
    tmp_path: Path,
    field: str,
    error_type: str,
):
    source = (
        make_video(tmp_path / "bg.mp4", 1)
        if "background" in field
        else make_jpeg(tmp_path / "w.jpg")
    )
    url = presign(upload(source), expires=1, signed_ago=120)
    video = finish(simulator, script="Hello there", **{field: url})
    assert video["status"] == "error"
    assert video["status_details"] == STATUS_DETAILS[error_type]
    assert "HTTP 403" in video["error_details"]


def test_fast_mode_skips_background_generation(simulator: SimulatorServer):
    video = finish(
        simulator,
        script="Hello there",
        fast=True,
        background_source_url="http://127.0.0.1:9/never-fetched.mp4",
    )
    assert video["status"] == "ready"
    assert simulator.stats()["counters"].get("downloads", 0) == 0
