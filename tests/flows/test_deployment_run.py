"""A deployment run, as a worker executes it: parameters come back from the API as JSON.

The flow run is created through the deployment (the server checks the parameters against
the flow's schema), then run by ``python -m prefect.engine <flow_run_id>`` in a separate
process, which is what a process worker does. There ``job`` is a plain dict, not a
``VideoJob``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from prefect import get_client
from prefect.deployments import run_deployment
from prefect.settings import PREFECT_API_URL, PREFECT_LOCAL_STORAGE_PATH
from prefect_aws import S3Bucket

from deployments.stack import deployment_specs
from prefect_tavus.blocks import TavusCredentials
from prefect_tavus.flows import generate_video
from prefect_tavus.flows.form import block_ref
from prefect_tavus.tavus_api.simulator import DEFAULT_REPLICA_ID
from tests.flows.conftest import Env, Media

pytestmark = pytest.mark.timeout(120)

ROOT = Path(__file__).resolve().parents[2]


def test_deployment_run_with_job_as_json_dict_makes_and_stores_the_video(
    env: Env, media: Media
) -> None:
    env.s3.upload_file(str(media.wav), env.media_bucket, "incoming/voice.wav")
    on_demand = next(spec for spec in deployment_specs() if spec["name"] == "on-demand")
    deployment = generate_video.to_deployment(
        name="on-demand-test",
        parameters={
            **on_demand["parameters"],
            **env.video_params(),
            # the server checks parameters against the schema: blocks go by reference
            "credentials_block": block_ref(TavusCredentials, env.credentials_block),
            "media_bucket_block": block_ref(S3Bucket, env.media_bucket_block),
            "output_bucket_block": block_ref(S3Bucket, env.output_bucket_block),
        },
    )
    deployment.apply()
    job = {"replica_id": DEFAULT_REPLICA_ID, "audio": f"s3://{env.media_bucket}/incoming/voice.wav"}
    flow_run = run_deployment("generate-video/on-demand-test", parameters={"job": job}, timeout=0)
    assert flow_run.parameters["job"] == job  # stored as JSON: a dict reaches the flow

    worker_env = {
        **os.environ,
        "PREFECT_API_URL": PREFECT_API_URL.value(),
        "PREFECT_LOCAL_STORAGE_PATH": str(PREFECT_LOCAL_STORAGE_PATH.value()),
    }
    done = subprocess.run(
        [sys.executable, "-m", "prefect.engine", str(flow_run.id)],
        cwd=ROOT,
        env=worker_env,
        capture_output=True,
        text=True,
        timeout=100,
    )
    with get_client(sync_client=True) as client:
        state = client.read_flow_run(flow_run.id).state
    assert state is not None and state.is_completed(), done.stdout[-3000:] + done.stderr[-3000:]

    assert env.videos_created() == 1
    metadata_keys = [k for k in env.keys(env.output_bucket) if k.endswith("/metadata.json")]
    assert len(metadata_keys) == 1
    metadata = json.loads(
        env.s3.get_object(Bucket=env.output_bucket, Key=metadata_keys[0])["Body"].read()
    )
    assert metadata["status"] == "ready"
    assert metadata["inputs"]["audio"]["key"] == "incoming/voice.wav"  # used in place
    assert metadata["request"]["audio_url"] == f"s3://{env.media_bucket}/incoming/voice.wav"
