"""``upload_media`` and ``presign_media`` against the moto S3 server (no Tavus involved)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from prefect_aws import AwsCredentials, S3Bucket

from prefect_tavus.flows import PresignedMedia, UploadedMedia, presign_media, upload_media
from prefect_tavus.flows.sources import SourceError
from prefect_tavus.flows.storage import MULTIPART_THRESHOLD
from prefect_tavus.tavus_api.media import MediaError
from tests.flows.conftest import Env, Media

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def bucket(env: Env) -> S3Bucket:
    return S3Bucket(bucket_name=env.media_bucket, credentials=env.aws)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_local_file_is_stored_once_by_content_hash(
    env: Env, bucket: S3Bucket, media: Media
) -> None:
    first = upload_media(str(media.wav), bucket, kind="audio")
    second = upload_media(media.wav, bucket, kind="audio")

    sha = _sha(media.wav)
    assert first.key == second.key == f"tavus/media/{sha}.wav"
    assert (first.uploaded, second.uploaded) == (True, False)
    assert first.sha256 == sha and first.size_bytes == media.wav.stat().st_size
    assert first.duration_seconds == pytest.approx(4.0)
    assert env.keys(env.media_bucket) == [first.key]
    head = env.s3.head_object(Bucket=env.media_bucket, Key=first.key)
    assert head["ContentType"] == "audio/wav"
    assert head["Metadata"]["sha256"] == sha


def test_bucket_folder_and_prefix_are_honoured(env: Env, media: Media) -> None:
    bucket = S3Bucket(bucket_name=env.media_bucket, credentials=env.aws, bucket_folder="team-a")
    stored = upload_media(str(media.png), bucket, kind="image", prefix="brand/")
    assert stored.key == f"team-a/brand/{_sha(media.png)}.png"
    assert stored.content_type == "image/png"


def test_s3_source_in_the_media_bucket_is_used_in_place(
    env: Env, bucket: S3Bucket, media: Media
) -> None:
    env.s3.upload_file(str(media.mp3), env.media_bucket, "incoming/voice.mp3")
    stored = upload_media(f"s3://{env.media_bucket}/incoming/voice.mp3", bucket, kind="audio")
    assert (stored.key, stored.uploaded) == ("incoming/voice.mp3", False)
    assert stored.sha256 == _sha(media.mp3) and stored.content_type == "audio/mpeg"
    assert env.keys(env.media_bucket) == ["incoming/voice.mp3"]


def test_s3_source_elsewhere_and_http_source_are_copied_in(
    env: Env, bucket: S3Bucket, media: Media
) -> None:
    env.s3.upload_file(str(media.jpeg), env.output_bucket, "elsewhere/logo.jpg")
    from_s3 = upload_media(f"s3://{env.output_bucket}/elsewhere/logo.jpg", bucket, kind="image")
    assert from_s3.bucket == env.media_bucket
    assert from_s3.key == f"tavus/media/{_sha(media.jpeg)}.jpg"

    env.s3.upload_file(str(media.webm), env.output_bucket, "elsewhere/bg.webm")
    url = env.s3.generate_presigned_url(
        "get_object", Params={"Bucket": env.output_bucket, "Key": "elsewhere/bg.webm"}
    )
    from_http = upload_media(url, bucket, kind="video")
    assert from_http.key == f"tavus/media/{_sha(media.webm)}.webm"
    assert from_http.content_type == "video/webm"
    body = env.s3.get_object(Bucket=env.media_bucket, Key=from_http.key)["Body"].read()
    assert body == media.webm.read_bytes()


def test_large_file_goes_up_in_parts(
    env: Env, bucket: S3Bucket, media: Media, tmp_path: Path
) -> None:
    big = tmp_path / "big.mp4"
    big.write_bytes(media.mp4.read_bytes() + bytes(MULTIPART_THRESHOLD + 1024 * 1024))
    stored = upload_media(big, bucket, kind="video")
    head = env.s3.head_object(Bucket=env.media_bucket, Key=stored.key)
    assert head["ContentLength"] == big.stat().st_size == stored.size_bytes
    assert head["ETag"].strip('"').endswith("-2")  # a two-part multipart upload


def test_wrong_content_is_refused_before_upload(env: Env, bucket: S3Bucket, media: Media) -> None:
    with pytest.raises(MediaError, match="audio is a PNG image"):
        upload_media(media.png, bucket, kind="audio")
    with pytest.raises(SourceError, match="does not exist"):
        upload_media(f"s3://{env.media_bucket}/nope.wav", bucket, kind="audio")
    assert env.keys(env.media_bucket) == []


def _query(signed: PresignedMedia) -> dict[str, Any]:
    return parse_qs(urlsplit(signed.url.get_secret_value()).query)


def test_presigned_url_is_sigv4_fetchable_and_kept_secret(
    env: Env, bucket: S3Bucket, media: Media
) -> None:
    stored: UploadedMedia = upload_media(media.wav, bucket, kind="audio")
    signed = presign_media(stored, bucket, expires_in=3600)

    query = _query(signed)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Expires"] == ["3600"]
    assert httpx.get(signed.url.get_secret_value()).content == media.wav.read_bytes()
    assert signed.uri == stored.uri
    assert "X-Amz-Signature" not in repr(signed) and "X-Amz-Signature" not in str(
        signed.model_dump()
    )


def test_presign_default_is_24h_and_limits_are_enforced(
    env: Env, bucket: S3Bucket, media: Media
) -> None:
    stored = upload_media(media.wav, bucket, kind="audio")
    assert _query(presign_media(stored, bucket))["X-Amz-Expires"] == ["86400"]
    with pytest.raises(ValueError, match="1 to 604800"):
        presign_media(stored, bucket, expires_in=604801)
    with pytest.raises(ValueError, match="1 to 604800"):
        presign_media(stored, bucket, expires_in=0)


def test_presign_keeps_an_explicit_block_config(env: Env, media: Media, s3_endpoint: str) -> None:
    aws = AwsCredentials(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
        aws_client_parameters={
            "endpoint_url": s3_endpoint,
            "config": {"signature_version": "s3v4"},
        },
    )
    bucket = S3Bucket(bucket_name=env.media_bucket, credentials=aws)
    stored = upload_media(media.wav, bucket, kind="audio")
    signed = presign_media(stored, bucket, expires_in=60)
    assert _query(signed)["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert httpx.get(signed.url.get_secret_value()).status_code == 200
