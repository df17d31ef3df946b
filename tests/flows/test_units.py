"""Pure pieces of the flows: parsing, rules, redaction, request building, the create cache key."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from prefect_tavus.flows.errors import InvalidVideoJob, MediaUrlExpiredError
from prefect_tavus.flows.media import PresignedMedia
from prefect_tavus.flows.parameters import VideoJob
from prefect_tavus.flows.redact import redact, safe_url
from prefect_tavus.flows.request import build_request, job_field
from prefect_tavus.flows.sources import MediaSource, SourceType, name_mismatch
from prefect_tavus.flows.storage import S3Location, S3RangeReader, bucket_name_problem, join_key
from prefect_tavus.flows.validation import check_rules, coerce_job
from prefect_tavus.flows.video import explain_failure, media_urls_of, redactions_for
from prefect_tavus.tavus_api.errors import VideoFailedError, WaitTimeoutError
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
        script="   ",
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
    # the run form's empty field means "not set": audio alone is a complete job
    assert check_rules(VideoJob(replica_id="r1", script="", audio="a.wav")) == []


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
    urls = media_urls_of({"audio": _presigned("k.wav"), "watermark": None})
    request = build_request(job, video_name="n", media_urls=urls)
    body = request.to_api_body()
    assert body["audio_url"] == SIGNED and body["video_name"] == "n"
    assert body["properties"] == {"background_scroll_type": "smooth", "start_with_wave": False}
    assert redact(body, redactions_for([_presigned("k.wav")]))["audio_url"] == "s3://media/k.wav"
    with pytest.raises(ValueError, match="no audio URL"):
        build_request(job, video_name="n", media_urls={})


def test_request_errors_map_back_to_the_job_field() -> None:
    assert job_field(("audio_url",)) == "job.audio"
    assert job_field(("background_source_url",)) == "job.background"
    assert job_field(("background_url",)) == "job.background_website"
    assert job_field(("properties", "background_scroll_depth")) == "job.background_scroll_depth"
    assert job_field(()) == "job"


@pytest.mark.parametrize(
    "script",
    ["\u200b", "\ufeff", "\u200b\u200c\u200d\u2060", " \u200b\n\ufeff\t", "\x00\x07", "\u3164"],
)
def test_a_script_of_invisible_characters_is_blank(script: str) -> None:
    problems = check_rules(VideoJob(replica_id="r1", script=script))
    assert [(p.field, p.message) for p in problems] == [
        ("job.script", "must not be blank (it has no visible characters)")
    ]


def test_a_script_with_visible_text_around_invisible_characters_is_fine() -> None:
    assert check_rules(VideoJob(replica_id="r1", script="\ufeffHello\u200b world")) == []


@pytest.mark.parametrize("name", ["Q3\nreport", "tab\there", "bell\x07", "esc\x1b[31m", "nel\x85"])
def test_video_name_with_control_characters_is_rejected(name: str) -> None:
    problems = check_rules(VideoJob(replica_id="r1", script="Hi", video_name=name))
    assert [p.field for p in problems] == ["job.video_name"]
    assert problems[0].message.startswith("must not contain control characters (U+")


@pytest.mark.parametrize("name", ["x" * 1000, "Résumé — 日本語のビデオ 🎬", "👩\u200d💻 team"])
def test_long_and_non_ascii_video_names_are_accepted(name: str) -> None:
    assert check_rules(VideoJob(replica_id="r1", script="Hi", video_name=name)) == []


def test_video_name_of_invisible_characters_is_blank() -> None:
    problems = check_rules(VideoJob(replica_id="r1", script="Hi", video_name="\u200b "))
    assert [p.field for p in problems] == ["job.video_name"]
    assert "must not be blank" in problems[0].message


@pytest.mark.parametrize(
    "name", ["ab", "x" * 64, "Bad_Bucket", "UPPER", "-lead", "trail-", "a..b", "192.168.1.1"]
)
def test_invalid_bucket_names_say_what_is_allowed(name: str) -> None:
    problem = bucket_name_problem(name)
    assert problem is not None and problem.startswith(f"{name!r} is not a valid S3 bucket name")
    assert "3-63 characters: lowercase letters, digits, dots and hyphens" in problem


@pytest.mark.parametrize("name", ["abc", "x" * 63, "media.bucket-1", "123bucket"])
def test_valid_bucket_names_pass(name: str) -> None:
    assert bucket_name_problem(name) is None


def test_explain_failure_names_an_expired_url_and_hides_signatures() -> None:
    fresh, stale = _presigned("fresh.wav", seconds=600), _presigned("stale.wav", seconds=-5)
    said = f"unable to download your audio file {SIGNED}"
    failed = VideoFailedError("v1", said, Video(video_id="v1", updated_at=datetime.now(UTC)))

    expired = explain_failure(failed, [fresh, stale])
    assert isinstance(expired, MediaUrlExpiredError) and expired.video_id == "v1"
    assert expired.expired == ["s3://media/stale.wav"]
    in_time = explain_failure(failed, [fresh])
    assert type(in_time) is VideoFailedError and "unable to download" in str(in_time)
    for error in (expired, in_time):
        assert "X-Amz-Signature" not in str(error) and "abc" not in (error.status_details or "")
    timeout = WaitTimeoutError("v1", "generating", 5.0)
    assert explain_failure(timeout, [stale]) is timeout


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

    def get_object(self, Bucket: str, Key: str, Range: str) -> dict[str, object]:
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
