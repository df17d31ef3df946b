"""generate-videos with chunk_size: chunk runs of a deployment on a real Prefect server,
shared by two process workers, paced by one global concurrency limit.

Everything runs on 127.0.0.1: the session's Prefect test server (``prefect_api``: a
``prefect server`` subprocess on a free port with its own temporary SQLite), two
``prefect worker start`` processes on the ``tavus`` process pool (their own temporary
PREFECT_HOME), the Tavus simulator and the moto S3 server. The pool, the ``tavus-creates``
limit and the worker processes come from ``make serve``'s helpers (``deployments.stack``).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from prefect import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId
from prefect.settings import PREFECT_API_URL

from deployments.stack import (
    CREATES_LIMIT,
    WORK_POOL,
    _prefect,
    _process,
    ensure_work_pool_and_limit,
    prefect_env,
)
from prefect_tavus.flows import generate_videos
from prefect_tavus.flows.batch_validation import InvalidBatch
from tests.flows._batch_support import REPLICA, creates, results_file, run_batch
from tests.flows.conftest import Env, SavedBlocks

pytestmark = pytest.mark.timeout(240)

DEPLOYMENT = "generate-videos/chunks"


@pytest.fixture(scope="module")
def chunk_deployment(saved_blocks: SavedBlocks) -> str:
    """The ``tavus`` pool, the ``tavus-creates`` limit and a generate-videos deployment."""
    ensure_work_pool_and_limit()  # make serve's pool and limit
    deployment = generate_videos.to_deployment(name="chunks")
    deployment.entrypoint = "prefect_tavus.flows.batch:generate_videos"  # installed module
    deployment.apply(work_pool_name=WORK_POOL)
    return DEPLOYMENT


@pytest.fixture
def workers(chunk_deployment: str, tmp_path: Path) -> Iterator[dict[str, Path]]:
    """Two process workers (two flow runs at a time each); their log files by name."""
    env = prefect_env(PREFECT_API_URL.value(), tmp_path, {"PREFECT_WORKER_QUERY_SECONDS": "1"})
    logs = {name: tmp_path / f"{name}.log" for name in ("worker-a", "worker-b")}
    with ExitStack() as stack:
        for name, path in logs.items():
            out = stack.enter_context(path.open("w"))
            command = _prefect(
                "worker", "start", "--pool", WORK_POOL, "--name", name, "--limit", "2"
            )
            stack.enter_context(_process(command, env, out))
        yield logs


async def _chunk_runs(parent_id: Any) -> list[Any]:
    async with get_client() as client:
        return await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[parent_id])
            )
        )


def test_chunks_run_on_two_workers_and_combine_into_one_result(
    env: Env, workers: dict[str, Path], chunk_deployment: str
) -> None:
    env.sim.reset(generation_seconds=2.0)
    rows = [{"id": f"p{i}", "script": f"Hello person {i}"} for i in range(8)]
    state, result = run_batch(
        env,
        rows,
        row_defaults={"replica_id": REPLICA},
        chunk_size=3,  # 3 chunks, and 2 slots per worker: both workers must run one
        chunk_deployment=chunk_deployment,
        concurrency_limit_name=CREATES_LIMIT,
    )
    assert state.is_completed(), state.message
    assert result.counts == {"rows": 8, "stored": 8, "failed": 0, "invalid": 0}
    stats = env.sim.stats()
    assert stats["requests"]["POST /v2/videos"] == {"200": 8}  # exactly one create per row
    assert creates(env) == env.videos_created() == 8
    # the combined results.jsonl has every row, in manifest order, stored where it says
    written = results_file(env, result)
    assert [row["key"] for row in written] == [row["id"] for row in rows]
    assert all(row["status"] == "stored" for row in written)
    for row in written:
        env.s3.head_object(Bucket=env.output_bucket, Key=row["video_uri"].split("/", 3)[3])
    # three chunk runs, linked to this run as subflows
    chunk_runs = asyncio.run(_chunk_runs(state.state_details.flow_run_id))
    assert sorted(run.name.rsplit(" ", 1)[-1] for run in chunk_runs) == [
        "chunk-000",
        "chunk-001",
        "chunk-002",
    ]
    assert all(run.state.is_completed() for run in chunk_runs)
    # which worker started which chunk run, from the workers' own log lines
    started = r"Flow run '[^']* (chunk-\d+)' submitted to infrastructure"
    ran_by = {name: sorted(re.findall(started, path.read_text())) for name, path in workers.items()}
    assert all(ran_by.values()), ran_by  # both workers ran a chunk
    assert sorted(ran_by["worker-a"] + ran_by["worker-b"]) == [
        "chunk-000",
        "chunk-001",
        "chunk-002",
    ]


def test_a_missing_limit_or_deployment_is_reported_before_anything_is_spent(env: Env) -> None:
    state, error = run_batch(
        env,
        [{"id": "1", "script": "Hello"}],
        row_defaults={"replica_id": REPLICA},
        chunk_size=1,
        chunk_deployment="generate-videos/nowhere",
        concurrency_limit_name="no-such-limit",
    )
    assert state.is_failed() and isinstance(error, InvalidBatch)
    assert error.fields == ["concurrency_limit_name", "chunk_deployment"]
    assert "no global concurrency limit named 'no-such-limit'" in str(error)
    assert "no deployment 'generate-videos/nowhere'" in str(error)
    assert env.sim.stats()["requests_total"] == 0  # not even the replica check
    assert env.keys() == []


def test_chunk_size_outside_a_deployment_needs_a_deployment_name(env: Env) -> None:
    state, error = run_batch(
        env, [{"id": "1", "script": "Hello"}], row_defaults={"replica_id": REPLICA}, chunk_size=5
    )
    assert state.is_failed() and isinstance(error, InvalidBatch)
    assert error.fields == ["chunk_deployment"]
    assert "required with chunk_size" in str(error)
    assert env.sim.stats()["requests_total"] == 0
