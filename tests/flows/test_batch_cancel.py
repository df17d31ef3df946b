"""Cancelling generate-videos (as the UI does, through a runner) deletes unfinished videos."""

from __future__ import annotations

import asyncio
import time

import pytest
from prefect import get_client
from prefect.deployments import run_deployment
from prefect.runner import Runner
from prefect.states import Cancelling

from prefect_tavus.flows import generate_videos
from tests.flows._batch_support import REPLICA
from tests.flows.conftest import Env

pytestmark = pytest.mark.timeout(150)

ROWS = [{"id": f"c{i}", "script": f"Hello number {i}"} for i in range(3)]


def test_cancelling_deletes_the_batchs_unfinished_videos_when_asked(env: Env) -> None:
    env.sim.reset(generation_seconds=60.0)
    params = env.params(
        manifest=ROWS, row_defaults={"replica_id": REPLICA}, delete_unfinished_on_cancel=True
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
