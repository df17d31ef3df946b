"""Pure pieces of the flows: parsing, rules, redaction, request building, the create cache key."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from uuid import uuid4

import pytest
from pydantic import SecretStr

from prefect_tavus.flows.errors import InvalidVideoJob, MediaUrlExpiredError
from prefect_tavus.flows.media import PresignedMedia
from prefect_tavus.flows.parameters import VideoJob
from prefect_tavus.flows.redact import redact, safe_url
from prefect_tavus.flows.sources import MediaSource, SourceType, name_mismatch
from prefect_tavus.flows.storage import S3Location, S3RangeReader, join_key
from prefect_tavus.flows.validation import check_rules, coerce_job
from prefect_tavus.flows.video import (
    _create_cache_key,
    _find_existing,
    build_request,
    redactions_for,
)
from prefect_tavus.tavus_api.errors import CreateOutcomeUnknownError
from prefect_tavus.tavus_api.media import MediaInfo
from prefect_tavus.tavus_api.models import ScrollType, Video

SIGNED = "https://b.s3.amazonaws.com/k.wav?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc"


def _presigned(key: str, url: str = SIGNED, seconds: int = 60) -> PresignedMedia:
    return PresignedMedia(
        bucket="media",
        key=key,
        url=SecretStr(url),
        expires_in=seconds,
        expires_at=datetime.now(UTC) + timedelta(seconds=seconds),
    )


def test_s3_location_parses_and_rejects() -> None:
    assert S3Location.parse("s3://media-1/a/b.wav").key == "a/b.wav"
    for bad in ("s3://", "s3://bucket", "s3://bucket/", "s3://ab/x", "http://x/y"):
        with pytest.raises(ValueError):
            S3Location.parse(bad)
    assert join_key("/a/", "", None, "b/", "c.wav") == "a/b/c.wav"


def test_media_source_kinds_and_safe_description() -> None:
    assert MediaSource.parse("voice.wav").type is SourceType.LOCAL
    assert MediaSource.parse("s3://media-1/voice.wav").type is SourceType.S3
    http = MediaSource.parse(SIGNED)
    assert http.type is SourceType.HTTP and "Signature" not in http.describe()
    assert http.name == "k.wav"
    with pytest.raises(ValueError, match="unsupported scheme 'ftp'"):
        MediaSource.parse("ftp://host/voice.wav")
    with pytest.raises(ValueError):
        MediaSource.parse("   ")


def test_name_mismatch_only_for_known_extensions() -> None:
    wav = MediaInfo(kind="audio", format="wav", content_type="audio/wav", size_bytes=10)
    jpeg = MediaInfo(kind="image", format="jpeg", content_type="image/jpeg", size_bytes=10)
    assert name_mismatch(MediaSource.parse("a.mp3"), wav) is not None
    assert name_mismatch(MediaSource.parse("a.WAV"), wav) is None
    assert name_mismatch(MediaSource.parse("a.bin"), wav) is None  # content decides
    assert name_mismatch(MediaSource.parse("logo.jpg"), jpeg) is None


def test_redact_replaces_our_urls_and_strips_any_query() -> None:
    other = "see http://cdn.example.com/x.mp4?token=secret now"
    value = {"a": [SIGNED, other], "b": ("plain", 3)}
    assert redact(value, {SIGNED: "s3://media/k.wav"}) == {
        "a": ["s3://media/k.wav", "see http://cdn.example.com/x.mp4?... now"],
        "b": ("plain", 3),
    }
    assert safe_url("http://h:9000/p?q=1") == "http://h:9000/p?..."


def test_rules_report_every_problem_with_the_field() -> None:
    job = VideoJob(
        replica_id=" ",
        script="",
        audio="a.wav",
        transparent_background=True,
        background_website="nope",
        background_scroll_type=ScrollType.SMOOTH,
        watermark="s3://x",
    )
    fields = [p.field for p in check_rules(job)]
    assert fields == [
        "job.replica_id",
        "job.script",
        "job.script",
        "job.transparent_background",
        "job.background_website",
        "job.watermark",
    ]
    assert check_rules(VideoJob(replica_id="r1", script="Hello")) == []


def test_coerce_job_turns_type_errors_into_one_invalid_video_job() -> None:
    with pytest.raises(InvalidVideoJob) as info:
        coerce_job({"replica_id": "r1", "fast": "maybe", "background_scroll_depth": "top"})
    assert sorted(info.value.fields) == ["job.background_scroll_depth", "job.fast"]
    assert "'top' is not allowed" in str(info.value) and "'middle' or 'bottom'" in str(info.value)


def test_build_request_fills_presigned_urls_and_properties() -> None:
    job = VideoJob(
        replica_id="r1",
        audio="voice.wav",
        background_website="https://example.com",
        background_scroll_type="smooth",
        start_with_wave=False,
    )
    request = build_request(job, video_name="n", audio=_presigned("k.wav"))
    body = request.to_api_body()
    assert body["audio_url"] == SIGNED and body["video_name"] == "n"
    assert body["properties"] == {"background_scroll_type": "smooth", "start_with_wave": False}
    assert redact(body, redactions_for([_presigned("k.wav")]))["audio_url"] == "s3://media/k.wav"
    with pytest.raises(ValueError, match="no presigned audio URL"):
        build_request(job, video_name="n")


def test_create_cache_key_ignores_presigned_urls_but_not_the_inputs() -> None:
    flow_run_id = uuid4()
    ctx = SimpleNamespace(task_run=SimpleNamespace(flow_run_id=flow_run_id))
    job = VideoJob(replica_id="r1", audio="voice.wav")

    def key(**params: object) -> str | None:
        return _create_cache_key(ctx, {"job": job, "video_name": "n", **params})  # type: ignore[arg-type]

    first = key(audio=_presigned("k.wav", SIGNED + "1"))
    assert first == key(audio=_presigned("k.wav", SIGNED + "2"))  # a fresh presign
    assert first != key(audio=_presigned("other.wav"))  # different media
    assert str(flow_run_id) in first
    other_run = SimpleNamespace(task_run=SimpleNamespace(flow_run_id=uuid4()))
    assert _create_cache_key(other_run, {"job": job, "video_name": "n"}) != first  # type: ignore[arg-type]


def test_media_url_expired_error_keeps_tavus_details_and_adds_the_fix() -> None:
    exc = MediaUrlExpiredError(
        "abc123", "could not download", expired=["s3://m/k"], expiry_seconds=5
    )
    assert "Tavus video abc123 failed: could not download" in str(exc)
    assert "expired after 5s" in str(exc) and "presign_expiry_seconds" in str(exc)


class _FakeS3:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.ranges: list[str] = []

    def get_object(self, Bucket: str, Key: str, Range: str) -> dict[str, object]:  # noqa: N803
        self.ranges.append(Range)
        start, end = (int(x) for x in Range.removeprefix("bytes=").split("-"))
        return {"Body": io.BytesIO(self.data[start : end + 1])}


def test_range_reader_reads_and_seeks_with_few_requests() -> None:
    data = bytes(range(256)) * 4096  # 1 MiB
    s3 = _FakeS3(data)
    reader = S3RangeReader(s3, "b", "k", len(data), block_size=64 * 1024)
    assert reader.read(4) == data[:4]
    assert reader.read(4) == data[4:8]  # served from the buffer
    reader.seek(-10, os.SEEK_END)
    assert reader.read() == data[-10:]
    assert reader.read(5) == b""
    assert len(s3.ranges) == 2


class _Lister:
    def __init__(self, videos: list[Video]) -> None:
        self.videos = videos

    def find_videos_by_name(self, name: str) -> list[Video]:
        return [v for v in self.videos if v.video_name == name]


def test_reattach_picks_the_one_live_video_and_refuses_to_guess() -> None:
    live = Video(video_id="a1", video_name="n", status="generating")
    gone = Video(video_id="b2", video_name="n", status="deleted")
    assert _find_existing(_Lister([gone, live]), "n") == live
    assert _find_existing(_Lister([gone]), "n") is None
    twin = Video(video_id="c3", video_name="n", status="ready")
    with pytest.raises(CreateOutcomeUnknownError, match="2 Tavus videos are named 'n'"):
        _find_existing(_Lister([live, twin]), "n")
