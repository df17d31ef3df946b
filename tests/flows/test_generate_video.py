"""End to end: the real ``generate-video`` flow on the Prefect test API, the simulator and moto."""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

import pytest
from mutagen.mp4 import MP4

from prefect_tavus.flows import VideoJob, VideoResult, generate_video
from prefect_tavus.flows.events import VIDEO_CREATED, VIDEO_READY, VIDEO_STORED
from prefect_tavus.tavus_api.media import MediaKind, probe_media
from prefect_tavus.tavus_api.simulator import DEFAULT_REPLICA_ID
from tests.flows._observe import assert_no_secrets, record
from tests.flows.conftest import API_KEY, Env, Media

pytestmark = pytest.mark.timeout(120)


def _get(env: Env, uri: str) -> bytes:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return env.s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def _run(env: Env, job: VideoJob | dict[str, Any], **overrides: Any) -> tuple[VideoResult, Any]:
    state = generate_video(job, **env.video_params(**overrides), return_state=True)
    assert state.is_completed(), state.result(raise_on_failure=False)
    return state.result(), state.state_details.flow_run_id


def test_audio_video_is_stored_with_matching_duration_and_no_secrets_anywhere(
    env: Env, media: Media
) -> None:
    job = VideoJob(replica_id=DEFAULT_REPLICA_ID, audio=str(media.wav))
    result, flow_run_id = _run(env, job)

    # the stored video is the real rendered file: playable MP4, as long as the audio
    body = _get(env, result.video_uri)
    assert result.size_bytes == len(body)
    assert result.sha256 == hashlib.sha256(body).hexdigest()
    stored_length = MP4(io.BytesIO(body)).info.length
    audio_length = probe_media(media.wav, MediaKind.AUDIO).duration_seconds
    assert stored_length == pytest.approx(audio_length, abs=0.3)
    assert result.duration_seconds == pytest.approx(stored_length, abs=0.01)
    assert result.content_type == "video/mp4"

    # layout: <prefix>/<video_id>/<video_id>.mp4, thumbnails, metadata.json
    folder = f"tavus/videos/{result.video_id}"
    assert sorted(env.keys(env.output_bucket)) == sorted(
        [
            f"{folder}/{result.video_id}.mp4",
            f"{folder}/thumbnail.jpg",
            f"{folder}/thumbnail.gif",
            f"{folder}/metadata.json",
        ]
    )
    assert result.thumbnail_uri and _get(env, result.thumbnail_uri)[:3] == b"\xff\xd8\xff"
    assert result.gif_thumbnail_uri and _get(env, result.gif_thumbnail_uri)[:4] == b"GIF8"

    # metadata: the request without signatures, checksums and sizes of every file
    metadata_text = _get(env, result.metadata_uri).decode()
    metadata = json.loads(metadata_text)
    assert metadata["video_id"] == result.video_id
    assert metadata["files"]["video"]["sha256"] == result.sha256
    assert metadata["files"]["video"]["size_bytes"] == result.size_bytes
    uploaded = metadata["inputs"]["audio"]
    assert metadata["request"]["audio_url"] == f"s3://{uploaded['bucket']}/{uploaded['key']}"
    assert uploaded["sha256"] == hashlib.sha256(media.wav.read_bytes()).hexdigest()

    # one video, and how many API calls it took
    stats = env.sim.stats()
    assert stats["videos_created"] == 1
    assert stats["requests"]["POST /v2/videos"] == {"200": 1}

    # logs, artifacts and events: present, and free of the key and of signatures
    seen = record(flow_run_id, result.video_id, {VIDEO_CREATED, VIDEO_READY, VIDEO_STORED})
    assert any(f"Created Tavus video {result.video_id}" in line for line in seen.logs)
    # what a user sees: one summary artifact under the stable key, per-video ones unkeyed
    [summary] = [a for a in seen.artifacts if a["key"] == "generate-video-summary"]
    assert summary["type"] == "markdown"
    for shown in (result.hosted_url, result.video_uri, result.metadata_uri, result.sha256):
        assert shown and shown in summary["data"]
    assert f"![thumbnail of {result.video_id}](data:image/jpeg;base64," in summary["data"]
    link = f"[Tavus video {result.video_id}]({result.hosted_url})"
    assert [a["key"] for a in seen.artifacts if a["data"] == link] == [None]
    progress = [a for a in seen.artifacts if a["type"] == "progress"]
    assert progress and progress[0]["data"] == 100.0
    names = {e["event"] for e in seen.events}
    assert {VIDEO_CREATED, VIDEO_READY, VIDEO_STORED} <= names
    for event in seen.events:
        assert event["resource"]["prefect.resource.id"] == f"tavus.video.{result.video_id}"
        assert event["resource"]["prefect.resource.name"] == result.video_name
    assert_no_secrets([*seen.texts(), metadata_text], API_KEY)


def test_script_video(env: Env) -> None:
    job = {"replica_id": DEFAULT_REPLICA_ID, "script": "Hello from Prefect and Tavus."}
    result, _ = _run(env, job)

    assert result.status == "ready"
    assert result.video_name and result.video_name.startswith("generate-video ")
    body = _get(env, result.video_uri)
    assert MP4(io.BytesIO(body)).info.length == pytest.approx(result.duration_seconds, abs=0.01)
    assert env.keys(env.media_bucket) == []  # nothing to upload for a script
    assert env.videos_created() == 1


def test_background_video_and_watermark_with_mp3_audio(env: Env, media: Media) -> None:
    job = VideoJob(
        replica_id=DEFAULT_REPLICA_ID,
        audio=str(media.mp3),
        background=str(media.mp4),
        watermark=str(media.png),
        video_name="brand-intro",
    )
    result, _ = _run(env, job, output_bucket_block=None, output_prefix="out/videos")

    # everything in the media bucket when no output bucket is given
    keys = env.keys(env.media_bucket)
    media_keys = [k for k in keys if k.startswith("tavus/media/")]
    assert sorted(k.rsplit(".", 1)[1] for k in media_keys) == ["mp3", "mp4", "png"]
    assert f"out/videos/{result.video_id}/metadata.json" in keys
    heads = {k: env.s3.head_object(Bucket=env.media_bucket, Key=k) for k in media_keys}
    assert sorted(h["ContentType"] for h in heads.values()) == sorted(
        ["audio/mpeg", "video/mp4", "image/png"]
    )
    metadata = json.loads(_get(env, result.metadata_uri))
    request = metadata["request"]
    assert request["video_name"] == "brand-intro"
    assert request["background_source_url"].startswith(f"s3://{env.media_bucket}/tavus/media/")
    assert request["watermark_image_url"].endswith(".png")
    assert result.video_name == "brand-intro"
    assert env.sim.stats()["counters"]["downloads"] == 3  # Tavus fetched all three inputs
