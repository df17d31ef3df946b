"""The real flow under a Prefect test API, against the Tavus simulator and moto, over HTTP.

Session: the Prefect test API (``prefect_api`` in tests/conftest.py), one simulator (real
clock, sub-second timings), test media files, the blocks (AWS credentials, media and
output S3Bucket, TavusCredentials).
Per test: fresh simulator state and emptied buckets.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from prefect_aws import AwsClientParameters, AwsCredentials, S3Bucket

from prefect_tavus.blocks import TavusCredentials
from prefect_tavus.flows.form import AdvancedSettings
from prefect_tavus.tavus_api.simulator import SimulatorConfig, SimulatorServer
from prefect_tavus.tavus_api.simulator.fixtures import (
    make_jpeg,
    make_mp3,
    make_png,
    make_video,
    make_wav,
)

API_KEY = "sk-sim-SECRET-7f3a9c"
"""A distinctive key, so any leak into logs, artifacts or events is easy to spot."""

SIM_TIMING = {"queue_seconds": 0.2, "generation_seconds": 0.6}
FAST_WAIT = {"poll_interval_seconds": 0.1, "max_poll_interval_seconds": 0.3}
SETTING_NAMES = frozenset(AdvancedSettings.model_fields)
"""``generate_video``'s ``settings`` fields (the batch flow takes them flat)."""


@pytest.fixture(scope="session")
def tavus_sim() -> Iterator[SimulatorServer]:
    """A Tavus simulator on 127.0.0.1 with a real clock and sub-second generation."""
    config = SimulatorConfig(api_keys=[API_KEY], clock="real", **SIM_TIMING)
    with SimulatorServer(config) as server:
        yield server


@pytest.fixture
def sim(tavus_sim: SimulatorServer) -> SimulatorServer:
    """The simulator with fresh state (no videos, counters or faults)."""
    tavus_sim.reset()
    return tavus_sim


@dataclass(frozen=True)
class Media:
    """Test media files (real WAV/MP3/MP4/WebM/PNG/JPEG) and some bad ones."""

    wav: Path
    wav_short: Path
    mp3: Path
    mp4: Path
    webm: Path
    png: Path
    jpeg: Path
    text_as_wav: Path
    wav_named_mp3: Path


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> Media:
    root = tmp_path_factory.mktemp("media")
    text = root / "notes.wav"
    text.write_text("this is not audio\n" * 50)
    return Media(
        wav=make_wav(root / "voice.wav", seconds=4.0),
        wav_short=make_wav(root / "short.wav", seconds=1.0),
        mp3=make_mp3(root / "voice.mp3", seconds=5.0),
        mp4=make_video(root / "background.mp4", seconds=2.0, fmt="mp4"),
        webm=make_video(root / "background.webm", seconds=2.0, fmt="webm"),
        png=make_png(root / "logo.png"),
        jpeg=make_jpeg(root / "logo.jpg"),
        text_as_wav=text,
        wav_named_mp3=make_wav(root / "voice-really-wav.mp3", seconds=4.0),
    )


@pytest.fixture(scope="session")
def aws_block(prefect_api: None, s3_endpoint: str) -> AwsCredentials:
    """AWS credentials for the moto server, saved to the test API."""
    block = AwsCredentials(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
        aws_client_parameters=AwsClientParameters(endpoint_url=s3_endpoint),
    )
    block.save("moto", overwrite=True)
    return block


@dataclass
class Env:
    """Everything one test needs: block names, bucket names, the simulator, S3."""

    sim: SimulatorServer
    s3: Any
    credentials_block: str
    media_bucket_block: str
    output_bucket_block: str
    media_bucket: str
    output_bucket: str
    aws: AwsCredentials

    def params(self, **overrides: Any) -> dict[str, Any]:
        """Flow parameters for this environment with fast polling."""
        return {
            "credentials_block": self.credentials_block,
            "media_bucket_block": self.media_bucket_block,
            "output_bucket_block": self.output_bucket_block,
            **FAST_WAIT,
            "wait_timeout_seconds": 60.0,
            **overrides,
        }

    def video_params(self, **overrides: Any) -> dict[str, Any]:
        """:meth:`params` shaped for ``generate_video``: the wait and S3 knobs in ``settings``."""
        params = self.params(**overrides)
        settings = {name: params.pop(name) for name in list(params) if name in SETTING_NAMES}
        return {**params, "settings": settings}

    def keys(self, bucket: str | None = None) -> list[str]:
        """Every key in a bucket (both buckets if none given)."""
        buckets = [bucket] if bucket else [self.media_bucket, self.output_bucket]
        keys: list[str] = []
        for name in buckets:
            pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=name)
            keys += [obj["Key"] for page in pages for obj in page.get("Contents", [])]
        return keys

    def videos_created(self) -> int:
        return int(self.sim.stats()["videos_created"])


@dataclass(frozen=True)
class SavedBlocks:
    """Blocks saved once per session (saving a block costs ~0.5 s of API calls)."""

    credentials_block: str
    media_bucket: str
    output_bucket: str


@pytest.fixture(scope="session")
def saved_blocks(
    prefect_api: None, tavus_sim: SimulatorServer, s3_endpoint: str, aws_block: AwsCredentials
) -> SavedBlocks:
    s3 = aws_block.get_s3_client()
    media_bucket, output_bucket = "tavus-media", "tavus-out"
    for name in (media_bucket, output_bucket):
        s3.create_bucket(Bucket=name)
        S3Bucket(bucket_name=name, credentials=aws_block).save(name, overwrite=True)
    TavusCredentials(
        api_key=API_KEY,
        base_url=tavus_sim.base_url,
        read_timeout=10.0,
        max_retries=1,
        retry_initial_delay=0.05,
        retry_max_delay=0.2,
    ).save("tavus-sim", overwrite=True)
    return SavedBlocks("tavus-sim", media_bucket, output_bucket)


def _empty(s3: Any, bucket: str) -> None:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        objects = [{"Key": obj["Key"]} for obj in page.get("Contents", [])]
        if objects:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": objects})


@pytest.fixture
def env(
    sim: SimulatorServer,
    s3_client: Any,
    aws_block: AwsCredentials,
    saved_blocks: SavedBlocks,
) -> Env:
    """Fresh simulator state and empty media/output buckets."""
    _empty(s3_client, saved_blocks.media_bucket)
    _empty(s3_client, saved_blocks.output_bucket)
    return Env(
        sim=sim,
        s3=s3_client,
        credentials_block=saved_blocks.credentials_block,
        media_bucket_block=saved_blocks.media_bucket,
        output_bucket_block=saved_blocks.output_bucket,
        media_bucket=saved_blocks.media_bucket,
        output_bucket=saved_blocks.output_bucket,
        aws=aws_block,
    )


@pytest.fixture(scope="session", autouse=True)
def _quiet_moto_access_log() -> None:
    """moto's werkzeug access log prints full request URLs; keep test output readable."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
