"""Cancelling generate-videos (as the UI does, through a runner) deletes unfinished videos."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from prefect import get_client
from prefect.deployments import run_deployment
from prefect.runner import Runner
from prefect.states import Cancelling
from prefect_aws import S3Bucket

from prefect_tavus.blocks import TavusCredentials
from prefect_tavus.flows import generate_videos
from prefect_tavus.flows.form import block_ref
from tests.flows._batch_support import REPLICA, batch_params
from tests.flows.conftest import Env

pytestmark = pytest.mark.timeout(150)

ROWS = [{"id": f"c{i}", "script": f"Hello number {i}"} for i in range(3)]


def test_cancelling_deletes_the_batchs_unfinished_videos_when_asked(
    env: Env, tmp_path: Path
) -> None:
    env.sim.reset(generation_seconds=60.0)
    manifest = tmp_path / "rows.jsonl"
    manifest.write_text("".join(json.dumps(row) + "\n" for row in ROWS))
    # as a deployment gets them: blocks by reference (the form's pickers), settings grouped
    params = batch_params(
        env,
        manifest=str(manifest),
        row_defaults={"replica_id": REPLICA},
        delete_unfinished_on_cancel=True,
        credentials_block=block_ref(TavusCredentials, env.credentials_block),
        media_bucket_block=block_ref(S3Bucket, env.media_bucket_block),
        output_bucket_block=block_ref(S3Bucket, env.output_bucket_block),
    )

    async def scenario() -> None:
        runner = Runner(query_seconds=1, heartbeat_seconds=None)
        await runner.aadd_flow(generate_videos, name="cancel-test", parameters=params)
        runner_task = asyncio.create_task(runner.start())
        try:
            run = await run_deployment("generate-videos/cancel-test", timeout=0)
            deadline = time.monotonic() + 60
            while env.videos_created() < len(ROWS) and time.monotonic() < deadline:
                await asyncio.sleep(0.5)
            assert env.videos_created() == len(ROWS)
            await asyncio.sleep(1.0)  # the ledger writes follow the creates
            async with get_client() as client:
                await client.set_flow_run_state(run.id, Cancelling(), force=True)
            deadline = time.monotonic() + 60
            while _deletes(env) < len(ROWS) and time.monotonic() < deadline:
                await asyncio.sleep(0.5)
        finally:
            runner_task.cancel()

    asyncio.run(scenario())
    assert _deletes(env) == len(ROWS)
    assert env.sim.stats()["videos_created"] == len(ROWS)


def _deletes(env: Env) -> int:
    return sum(env.sim.stats()["requests"].get("DELETE /v2/videos/{video_id}", {}).values())
