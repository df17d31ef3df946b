"""The two ways an output reaches S3, through the real ``generate-video`` flow: one
checksummed PUT for a file up to 8 MiB, the multipart transfer (then a size check) above
it; and a download cut short stores nothing under the video's folder."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from prefect_tavus.flows import VideoJob, generate_video
from prefect_tavus.flows.storage import MULTIPART_THRESHOLD
from prefect_tavus.tavus_api.simulator import DEFAULT_REPLICA_ID, FaultRule
from tests.flows.conftest import Env

pytestmark = pytest.mark.timeout(120)

JOB = VideoJob(replica_id=DEFAULT_REPLICA_ID, script="Stored in one piece or in parts.")


def _object(env: Env, uri: str) -> tuple[bytes, dict[str, Any]]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    head = env.s3.head_object(Bucket=bucket, Key=key)
    return env.s3.get_object(Bucket=bucket, Key=key)["Body"].read(), head


def test_a_small_video_is_one_put_measured_from_its_bytes(env: Env) -> None:
    result = generate_video(JOB, **env.video_params())
    body, head = _object(env, result.video_uri)
    assert len(body) <= MULTIPART_THRESHOLD
    assert result.sha256 == hashlib.sha256(body).hexdigest()
    assert "-" not in head["ETag"]  # one PUT (a multipart ETag ends in -<parts>)
    assert result.duration_seconds and result.duration_seconds > 1  # read from the bytes


def test_a_video_over_the_threshold_goes_in_parts_and_is_measured_in_s3(env: Env) -> None:
    size = MULTIPART_THRESHOLD + 1024 * 1024 + 7
    env.sim.reset(output_size_bytes=size)
    result = generate_video(JOB, **env.video_params())
    body, head = _object(env, result.video_uri)
    assert result.size_bytes == len(body) == size
    assert result.sha256 == hashlib.sha256(body).hexdigest()
    assert head["ETag"].strip('"').endswith("-2")  # two parts: the multipart transfer
    assert result.duration_seconds and result.duration_seconds > 1  # ranged GETs in S3


def test_a_download_cut_short_stores_nothing(env: Env) -> None:
    env.sim.set_faults([FaultRule(route="GET /media/{file}", kind="drop", partial=True, count=100)])
    state = generate_video(JOB, **env.video_params(), return_state=True)
    assert state.is_failed()
    assert "download" in str(state.message).lower()
    assert [k for k in env.keys(env.output_bucket) if not k.endswith("/")] == []
