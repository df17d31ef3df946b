"""Flow-level errors: one base to catch, and they survive Prefect's own persistence.

Bad sources and media raise :class:`VideoJobError` subclasses from the real staging
code; a real flow run on the Prefect test API fails with a Tavus error whose result
is persisted and read back by Prefect (pickled through its serializer), fields intact.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from prefect import flow
from prefect.client.orchestration import get_client

from prefect_tavus.flows import (
    InvalidMediaError,
    MediaUrlExpiredError,
    OutputIncompleteError,
    SourceError,
    VideoJobError,
)
from prefect_tavus.flows.sources import stage_media
from prefect_tavus.tavus_api import TavusError, VideoFailedError, WaitTimeoutError
from prefect_tavus.tavus_api.media import MediaError
from tests.flows.conftest import Media


def test_a_missing_source_is_a_video_job_error(tmp_path: Path) -> None:
    with pytest.raises(VideoJobError) as caught:
        stage_media(str(tmp_path / "nowhere.wav"), "audio", tmp_path)
    assert type(caught.value) is SourceError and isinstance(caught.value, ValueError)
    assert "does not exist" in str(caught.value)


def test_media_tavus_would_reject_is_a_video_job_error_and_a_media_error(
    media: Media, tmp_path: Path
) -> None:
    with pytest.raises(VideoJobError) as caught:
        stage_media(str(media.wav_short), "audio", tmp_path)
    exc = caught.value
    assert type(exc) is InvalidMediaError
    assert isinstance(exc, MediaError) and isinstance(exc, ValueError)  # still caught as before
    assert exc.code == "audio_file_min_duration" and "3 s to 10 min" in exc.message


def test_the_hierarchy_keeps_every_older_catch_working() -> None:
    assert issubclass(MediaUrlExpiredError, VideoJobError)
    assert issubclass(MediaUrlExpiredError, VideoFailedError)  # a failed video still
    assert issubclass(OutputIncompleteError, RuntimeError)
    assert not issubclass(VideoJobError, TavusError)  # API errors stay apart


@flow(persist_result=True, retries=0)
def _waits_too_long(video_id: str) -> None:
    raise WaitTimeoutError(video_id, "generating", 1800.0)


@flow(persist_result=True, retries=0)
def _url_expired(video_id: str) -> None:
    raise MediaUrlExpiredError(
        video_id,
        "could not fetch audio",
        expired=["s3://media/tavus/voice.wav"],
        expiry_seconds=60,
    )


@pytest.mark.timeout(120)
async def test_failed_runs_persist_their_error_and_read_it_back(prefect_api: None) -> None:
    for run, expected in (
        (_waits_too_long, WaitTimeoutError),
        (_url_expired, MediaUrlExpiredError),
    ):
        local = run("f00d000001", return_state=True)
        assert local.is_failed()
        async with get_client() as client:  # the state as the API has it: a stored result
            stored = (await client.read_flow_run(local.state_details.flow_run_id)).state
        assert stored is not None and stored.is_failed() and stored.name == "Failed"
        exc = await stored.aresult(raise_on_failure=False)  # unpickled from result storage
        assert type(exc) is expected
        assert exc.video_id == "f00d000001"
        assert "f00d000001" in str(exc)
    assert isinstance(exc, MediaUrlExpiredError)
    assert exc.expired == ["s3://media/tavus/voice.wav"] and exc.expiry_seconds == 60
    assert str(exc).count("Tavus video") == 1  # not formatted twice on the way back
