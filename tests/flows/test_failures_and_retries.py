"""End to end: videos that fail, URLs that expire, flow retries that must not pay twice."""

from __future__ import annotations

import pytest
from prefect import get_client
from prefect_aws import AwsClientParameters, AwsCredentials, S3Bucket

from prefect_tavus.flows import MediaUrlExpiredError, VideoJob, generate_video
from prefect_tavus.flows.events import (
    VIDEO_CREATED,
    VIDEO_FAILED,
    VIDEO_STORED,
    VIDEO_TIMED_OUT,
)
from prefect_tavus.tavus_api.errors import VideoFailedError
from prefect_tavus.tavus_api.simulator import DEFAULT_REPLICA_ID, FaultRule
from tests._s3_expiry import S3ExpiryFront
from tests.flows._observe import assert_no_secrets, read_logs, record
from tests.flows.conftest import API_KEY, Env, Media

pytestmark = pytest.mark.timeout(120)

WAIT_GET = "GET /v2/videos/{video_id}"


def test_video_that_ends_in_error_fails_the_flow_with_tavus_status_details(env: Env) -> None:
    job = VideoJob(replica_id=DEFAULT_REPLICA_ID, script="Buy now #violates-guidelines")
    state = generate_video(job, **env.video_params(), return_state=True)

    assert state.is_failed()
    exc = state.result(raise_on_failure=False)
    assert isinstance(exc, VideoFailedError)
    assert "violates community guidelines" in str(exc)
    assert exc.video_id in str(exc)
    assert env.keys(env.output_bucket) == []  # nothing stored for a failed video
    assert env.videos_created() == 1
    seen = record(state.state_details.flow_run_id, exc.video_id, {VIDEO_CREATED, VIDEO_FAILED})
    failed = [e for e in seen.events if e["event"] == VIDEO_FAILED]
    assert failed and "community guidelines" in failed[0]["payload"]["status_details"]
    assert_no_secrets(seen.texts(), API_KEY)


def test_expired_presigned_url_fails_with_a_clear_error(
    env: Env, media: Media, s3_endpoint: str
) -> None:
    with S3ExpiryFront(s3_endpoint) as front:
        # the same moto bucket, reached through a front that rejects expired signatures
        aws = AwsCredentials(
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
            aws_client_parameters=AwsClientParameters(endpoint_url=front.endpoint),
        )
        S3Bucket(bucket_name=env.media_bucket, credentials=aws).save("front-media", overwrite=True)
        env.sim.reset(queue_seconds=2.5)  # Tavus fetches the audio after the URL expired
        job = VideoJob(replica_id=DEFAULT_REPLICA_ID, audio=str(media.wav))
        state = generate_video(
            job,
            **env.video_params(media_bucket_block="front-media", presign_expiry_seconds=1),
            return_state=True,
        )
        expired_requests = front.expired_requests

    assert state.is_failed()
    exc = state.result(raise_on_failure=False)
    assert isinstance(exc, MediaUrlExpiredError)
    message = str(exc)
    assert "unable to download your audio file" in message  # Tavus's status_details
    assert "expired after 1s" in message and "presign_expiry_seconds" in message
    assert len(exc.expired) == 1 and exc.expired[0].startswith(f"s3://{env.media_bucket}/")
    assert expired_requests >= 1  # the simulator really got a 403 for the expired URL
    assert_no_secrets([message, *read_logs(state.state_details.flow_run_id)], API_KEY)
    assert env.videos_created() == 1
    assert env.keys(env.output_bucket) == []


def _flow_run_count(flow_run_id: object) -> int:
    with get_client(sync_client=True) as client:
        return client.read_flow_run(flow_run_id).run_count


def test_retry_after_a_wait_that_timed_out_reattaches_to_the_same_video(
    env: Env, media: Media
) -> None:
    # the first attempt gives up waiting (ready at ~3.2 s, timeout 2 s); "Retry" waits again
    env.sim.reset(generation_seconds=3.0)
    flow = generate_video.with_options(retries=1, retry_delay_seconds=0)
    job = VideoJob(replica_id=DEFAULT_REPLICA_ID, audio=str(media.wav))
    state = flow(job, **env.video_params(wait_timeout_seconds=2.0), return_state=True)

    assert state.is_completed(), state.result(raise_on_failure=False)
    result = state.result()
    stats = env.sim.stats()
    assert stats["videos_created"] == 1
    assert stats["requests"]["POST /v2/videos"] == {"200": 1}
    flow_run_id = state.state_details.flow_run_id
    assert _flow_run_count(flow_run_id) == 2
    assert len(env.keys(env.media_bucket)) == 1  # the retry re-used the uploaded audio
    assert result.video_uri.endswith(f"/{result.video_id}.mp4")
    logs = read_logs(flow_run_id)
    assert sum("Created Tavus video" in line for line in logs) == 1
    assert any(f"Re-attached to Tavus video {result.video_id}" in line for line in logs)
    assert any(f"Tavus video {result.video_id} was not ready after" in line for line in logs)
    seen = record(flow_run_id, result.video_id, {VIDEO_TIMED_OUT, VIDEO_STORED})
    assert {VIDEO_TIMED_OUT, VIDEO_STORED} <= {e["event"] for e in seen.events}


def test_errors_while_waiting_do_not_fail_the_run_or_create_again(env: Env, media: Media) -> None:
    # two status reads fail (the client retries once): the one waiter reads again later
    env.sim.set_faults([FaultRule(route=WAIT_GET, kind="server_error", status_code=503, count=2)])
    job = VideoJob(replica_id=DEFAULT_REPLICA_ID, audio=str(media.wav))
    state = generate_video(job, **env.video_params(), return_state=True)

    assert state.is_completed(), state.result(raise_on_failure=False)
    stats = env.sim.stats()
    assert stats["videos_created"] == 1
    assert stats["requests"]["POST /v2/videos"] == {"200": 1}
    assert stats["requests"][WAIT_GET]["503"] == 2
    assert _flow_run_count(state.state_details.flow_run_id) == 1


def test_same_file_is_uploaded_once(env: Env, media: Media) -> None:
    job = VideoJob(replica_id=DEFAULT_REPLICA_ID, audio=str(media.wav))
    first = generate_video(job, **env.video_params(), return_state=True)
    second = generate_video(job, **env.video_params(), return_state=True)

    assert first.is_completed() and second.is_completed()
    assert len(env.keys(env.media_bucket)) == 1
    second_logs = read_logs(second.state_details.flow_run_id)
    reused = "1 distinct inputs for 1 rows: 0 uploaded, 1 already in S3"
    assert any(reused in line for line in second_logs)
    assert env.videos_created() == 2
    assert first.result().video_id != second.result().video_id
