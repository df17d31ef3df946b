"""Every bad input fails the real flow before anything is uploaded or created.

Each case asserts the message names the parameter and what is allowed, that no S3
object was written (both buckets listed before and after) and that the simulator
received no create request.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from prefect_aws import S3Bucket

from prefect_tavus.flows import InvalidVideoJob, generate_video
from prefect_tavus.tavus_api.simulator import DEFAULT_REPLICA_ID, ERROR_REPLICA_ID
from prefect_tavus.tavus_api.simulator.fixtures import make_wav
from tests.flows._observe import SIGNATURE_MARKERS, assert_no_secrets, read_logs
from tests.flows.conftest import API_KEY, Env, Media

pytestmark = pytest.mark.timeout(60)

R = DEFAULT_REPLICA_ID
Setup = Callable[[Env, Media], tuple[dict[str, Any], dict[str, Any]]]


@pytest.fixture(scope="module")
def long_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A WAV of 10 min 1 s (1 kHz keeps it at 1.2 MB)."""
    return make_wav(tmp_path_factory.mktemp("long") / "long.wav", seconds=601, sample_rate=1000)


def _save_bucket_block(env: Env, bucket_name: str, block_name: str) -> str:
    S3Bucket(bucket_name=bucket_name, credentials=env.aws).save(block_name, overwrite=True)
    return block_name


def _http_404(env: Env, media: Media) -> tuple[dict[str, Any], dict[str, Any]]:
    url = env.s3.generate_presigned_url(
        "get_object", Params={"Bucket": env.media_bucket, "Key": "gone.wav"}, ExpiresIn=600
    )
    return {"replica_id": R, "audio": url}, {}


CASES: dict[str, tuple[Setup, list[tuple[str, str]]]] = {
    "missing_file": (
        lambda e, m: ({"replica_id": R, "audio": "/nonexistent/voice.wav"}, {}),
        [("job.audio", "'/nonexistent/voice.wav' does not exist")],
    ),
    "directory_instead_of_file": (
        lambda e, m: ({"replica_id": R, "audio": str(m.wav.parent)}, {}),
        [("job.audio", "is not a file")],
    ),
    "image_given_as_audio": (
        lambda e, m: ({"replica_id": R, "audio": str(m.png)}, {}),
        [("job.audio", "audio is a PNG image; Tavus needs WAV or MP3")],
    ),
    "text_file_named_wav": (
        lambda e, m: ({"replica_id": R, "audio": str(m.text_as_wav)}, {}),
        [("job.audio", "Tavus needs WAV or MP3")],
    ),
    "wav_content_named_mp3": (
        lambda e, m: ({"replica_id": R, "audio": str(m.wav_named_mp3)}, {}),
        [("job.audio", "named 'voice-really-wav.mp3' but the content is WAV")],
    ),
    "audio_too_short": (
        lambda e, m: ({"replica_id": R, "audio": str(m.wav_short)}, {}),
        [("job.audio", "audio is 1.0 s long; Tavus needs 3 s to 10 min")],
    ),
    "video_given_as_watermark": (
        lambda e, m: ({"replica_id": R, "script": "Hi", "watermark": str(m.mp4)}, {}),
        [("job.watermark", "Tavus needs PNG or JPEG")],
    ),
    "audio_given_as_background": (
        lambda e, m: ({"replica_id": R, "script": "Hi", "background": str(m.wav)}, {}),
        [("job.background", "Tavus needs MP4, MOV or WEBM")],
    ),
    "script_and_audio": (
        lambda e, m: ({"replica_id": R, "script": "Hi", "audio": str(m.wav)}, {}),
        [("job.script", "give exactly one of script or audio, not both")],
    ),
    "neither_script_nor_audio": (
        lambda e, m: ({"replica_id": R}, {}),
        [("job.script", "give exactly one of script or audio (neither was given)")],
    ),
    "blank_script": (
        lambda e, m: ({"replica_id": R, "script": "  \n "}, {}),
        [("job.script", "must not be blank")],
    ),
    "script_of_invisible_characters": (
        lambda e, m: ({"replica_id": R, "script": "\u200b\ufeff \u200b\u2060\n"}, {}),
        [("job.script", "must not be blank (it has no visible characters)")],
    ),
    "video_name_with_control_characters": (
        lambda e, m: ({"replica_id": R, "script": "Hi", "video_name": "Q3\treport\n"}, {}),
        [("job.video_name", "must not contain control characters (U+0009 at position 3)")],
    ),
    "transparent_background_without_fast": (
        lambda e, m: ({"replica_id": R, "script": "Hi", "transparent_background": True}, {}),
        [("job.transparent_background", "needs fast=True")],
    ),
    "fast_with_background": (
        lambda e, m: (
            {"replica_id": R, "script": "Hi", "fast": True, "background": str(m.mp4)},
            {},
        ),
        [("job.background", "not supported with fast=True")],
    ),
    "scroll_option_without_website": (
        lambda e, m: ({"replica_id": R, "script": "Hi", "background_scroll": False}, {}),
        [("job.background_scroll", "only applies with background_website")],
    ),
    "bad_enum_value": (
        lambda e, m: (
            {
                "replica_id": R,
                "script": "Hi",
                "background_website": "https://example.com",
                "background_scroll_type": "zigzag",
            },
            {},
        ),
        [("job.background_scroll_type", "'zigzag' is not allowed: Input should be 'human' or")],
    ),
    "unknown_field": (
        lambda e, m: ({"replica_id": R, "scritp": "Hi"}, {}),
        [("job.scritp", "unknown field; allowed: replica_id, speech, script, audio")],
    ),
    "malformed_website_url": (
        lambda e, m: ({"replica_id": R, "script": "Hi", "background_website": "example.com/x"}, {}),
        [("job.background_website", "must be an absolute http(s) URL")],
    ),
    "malformed_callback_url": (
        lambda e, m: (
            {"replica_id": R, "script": "Hi", "callback_url": "ftp://hooks.example/x"},
            {},
        ),
        [("job.callback_url", "must be an absolute http(s) URL")],
    ),
    "s3_uri_without_key": (
        lambda e, m: ({"replica_id": R, "audio": "s3://media-bucket"}, {}),
        [("job.audio", "is not an S3 object URI; expected s3://bucket/key")],
    ),
    "s3_uri_with_bad_bucket_name": (
        lambda e, m: ({"replica_id": R, "audio": "s3://Bad_Bucket/voice.wav"}, {}),
        [("job.audio", "'Bad_Bucket' is not a valid S3 bucket name")],
    ),
    "missing_s3_object": (
        lambda e, m: ({"replica_id": R, "audio": f"s3://{e.media_bucket}/missing.wav"}, {}),
        [("job.audio", "s3://{media}/missing.wav does not exist")],
    ),
    "http_source_not_found": (
        _http_404,
        [("job.audio", "answered HTTP 404")],
    ),
    "missing_media_bucket": (
        lambda e, m: (
            {"replica_id": R, "audio": str(m.wav)},
            {"media_bucket_block": _save_bucket_block(e, "no-such-bucket-1", "ghost-media")},
        ),
        [("media_bucket_block", "bucket 'no-such-bucket-1' does not exist")],
    ),
    "invalid_media_bucket_name": (
        lambda e, m: (
            {"replica_id": R, "audio": str(m.wav)},
            {"media_bucket_block": _save_bucket_block(e, "Bad_Bucket", "bad-name-media")},
        ),
        [
            (
                "media_bucket_block",
                "'Bad_Bucket' is not a valid S3 bucket name (3-63 characters: lowercase "
                "letters, digits, dots and hyphens",
            )
        ],
    ),
    "invalid_output_bucket_name": (
        lambda e, m: (
            {"replica_id": R, "script": "Hi"},
            {"output_bucket_block": _save_bucket_block(e, "ab", "bad-name-out")},
        ),
        [("output_bucket_block", "'ab' is not a valid S3 bucket name (3-63 characters")],
    ),
    "missing_output_bucket": (
        lambda e, m: (
            {"replica_id": R, "script": "Hi"},
            {"output_bucket_block": _save_bucket_block(e, "no-such-bucket-2", "ghost-out")},
        ),
        [("output_bucket_block", "bucket 'no-such-bucket-2' does not exist")],
    ),
    "missing_credentials_block": (
        lambda e, m: ({"replica_id": R, "script": "Hi"}, {"credentials_block": "no-such-block"}),
        [("credentials_block", "no TavusCredentials block named 'no-such-block'")],
    ),
    "unknown_replica": (
        lambda e, m: ({"replica_id": "r00000000000", "script": "Hi"}, {}),
        [("job.replica_id", "replica 'r00000000000' not found (Invalid replica_id)")],
    ),
    "replica_in_error_state": (
        lambda e, m: ({"replica_id": ERROR_REPLICA_ID, "script": "Hi"}, {}),
        [("job.replica_id", f"replica '{ERROR_REPLICA_ID}' is in 'error' state")],
    ),
    "presign_expiry_over_7_days": (
        lambda e, m: (
            {"replica_id": R, "audio": str(m.wav)},
            {"presign_expiry_seconds": 8 * 86400},
        ),
        [("presign_expiry_seconds", "must be 1 to 604800 (7 days, the SigV4 limit)")],
    ),
}


def _fail(env: Env, job: Any, overrides: dict[str, Any]) -> tuple[InvalidVideoJob, Any]:
    keys_before = env.keys()
    state = generate_video(job, **env.video_params(**overrides), return_state=True)
    assert state.is_failed()
    exc = state.result(raise_on_failure=False)
    assert isinstance(exc, InvalidVideoJob), exc
    assert str(exc).startswith("generate-video input is invalid")
    assert "nothing was uploaded or created" in str(exc)
    assert env.keys() == keys_before, "an S3 object was written"
    stats = env.sim.stats()
    assert stats["videos_created"] == 0
    assert "POST /v2/videos" not in stats["requests"]
    return exc, state.state_details.flow_run_id


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_reported_and_nothing_is_spent(env: Env, media: Media, case: str) -> None:
    setup, expected = CASES[case]
    job, overrides = setup(env, media)
    exc, flow_run_id = _fail(env, job, overrides)
    message = str(exc)
    for field, text in expected:
        text = text.replace("{media}", env.media_bucket)
        assert any(p.field == field and text in p.message for p in exc.problems), message
    for marker in SIGNATURE_MARKERS:
        assert marker not in message
    assert_no_secrets(read_logs(flow_run_id), API_KEY)


def test_audio_longer_than_ten_minutes_is_rejected(env: Env, long_wav: Path) -> None:
    exc, _ = _fail(env, {"replica_id": R, "audio": str(long_wav)}, {})
    assert exc.fields == ["job.audio"]
    assert "audio is 10 min 1.0 s long; Tavus needs 3 s to 10 min" in str(exc)


def test_every_problem_is_listed_at_once(env: Env, media: Media) -> None:
    job = {
        "replica_id": "r00000000000",
        "script": "Hi",
        "watermark": str(media.mp4),
        "transparent_background": True,
    }
    overrides = {"output_bucket_block": _save_bucket_block(env, "no-such-bucket-3", "ghost-3")}
    exc, _ = _fail(env, job, overrides)
    assert exc.fields == [
        "job.transparent_background",
        "output_bucket_block",
        "job.watermark",
        "job.replica_id",
    ]
    assert "(4 problems)" in str(exc)
