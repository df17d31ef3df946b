"""generate-videos with chunk_size: chunk runs of a deployment on a real ``prefect server``,
shared by two process workers, paced by one global concurrency limit.

Everything runs on 127.0.0.1: the server (its own PREFECT_HOME and SQLite), two
``prefect worker start`` processes on the ``tavus`` process pool, the Tavus simulator and
the moto S3 server. The server and workers are started with ``make serve``'s helpers
(``deployments.stack``), not a second copy.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from prefect import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId
from prefect.events.worker import EventsWorker
from prefect.logging.handlers import APILogWorker
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect_aws import AwsClientParameters, AwsCredentials, S3Bucket

from deployments.stack import (
    CREATES_LIMIT,
    WORK_POOL,
    _prefect,
    _process,
    _wait_healthy,
    ensure_work_pool_and_limit,
    free_port,
    prefect_env,
)
from prefect_tavus.blocks import TavusCredentials
from prefect_tavus.flows import generate_videos
from prefect_tavus.flows.batch_validation import InvalidBatch
from prefect_tavus.tavus_api.simulator import SimulatorServer
from tests.flows._batch_support import REPLICA
from tests.flows.conftest import API_KEY

pytestmark = pytest.mark.timeout(240)

DEPLOYMENT = "generate-videos/chunks"
MEDIA, OUT = "chunk-media", "chunk-out"


@dataclass
class Server:
    api_url: str
    env: dict[str, str]
    home: Path


@pytest.fixture(scope="module")
def prefect_server(
    tmp_path_factory: pytest.TempPathFactory, s3_endpoint: str, tavus_sim: SimulatorServer
) -> Iterator[Server]:
    """A real ``prefect server`` (own home and SQLite) with the blocks, the ``tavus`` pool,
    the ``tavus-creates`` limit and a ``generate-videos/chunks`` deployment."""
    home = tmp_path_factory.mktemp("prefect-home")
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = prefect_env(api_url, home, {"PREFECT_WORKER_QUERY_SECONDS": "1"})
    log_path = home / "server.log"
    with ExitStack() as stack:
        log = stack.enter_context(log_path.open("w"))
        server = stack.enter_context(
            _process(
                _prefect("server", "start", "--host", "127.0.0.1", "--port", str(port)), env, log
            )
        )
        _wait_healthy(api_url, server, log_path, timeout=120)
        stack.enter_context(temporary_settings({PREFECT_API_URL: api_url}))
        aws = AwsCredentials(
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
            aws_client_parameters=AwsClientParameters(endpoint_url=s3_endpoint),
        )
        s3 = aws.get_s3_client()
        for name in (MEDIA, OUT):
            s3.create_bucket(Bucket=name)
            S3Bucket(bucket_name=name, credentials=aws).save(name, overwrite=True)
        TavusCredentials(api_key=API_KEY, base_url=tavus_sim.base_url).save(
            "tavus-sim", overwrite=True
        )
        ensure_work_pool_and_limit()  # make serve's pool and tavus-creates limit
        deployment = generate_videos.to_deployment(name="chunks")
        deployment.entrypoint = "prefect_tavus.flows.batch:generate_videos"
        deployment.apply(work_pool_name=WORK_POOL)
        yield Server(api_url, env, home)
        # send this process's last logs and events while the server still answers
        APILogWorker.drain_all(timeout=10)
        EventsWorker.drain_all(timeout=10)


def _params(**overrides: Any) -> dict[str, Any]:
    return {
        "credentials_block": "tavus-sim",
        "media_bucket_block": MEDIA,
        "output_bucket_block": OUT,
        "row_defaults": {"replica_id": REPLICA},
        "poll_interval_seconds": 0.2,
        "max_poll_interval_seconds": 0.5,
        "wait_timeout_seconds": 60.0,
        **overrides,
    }


async def _chunk_runs(parent_id: Any) -> list[Any]:
    async with get_client() as client:
        return await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[parent_id])
            )
        )


def test_chunks_run_on_two_workers_and_combine_into_one_result(
    prefect_server: Server, sim: SimulatorServer, s3_client: Any
) -> None:
    sim.reset(generation_seconds=2.0)
    rows = [{"id": f"p{i}", "script": f"Hello person {i}"} for i in range(8)]
    logs = {name: prefect_server.home / f"{name}.log" for name in ("worker-a", "worker-b")}
    with ExitStack() as stack:
        for name, path in logs.items():
            out = stack.enter_context(path.open("w"))
            # two slots each: 3 chunks cannot all land on one worker
            command = _prefect(
                "worker", "start", "--pool", WORK_POOL, "--name", name, "--limit", "2"
            )
            stack.enter_context(_process(command, prefect_server.env, out))
        state = asyncio.run(
            generate_videos(
                rows,
                **_params(
                    chunk_size=3,
                    chunk_deployment=DEPLOYMENT,
                    concurrency_limit_name=CREATES_LIMIT,
                ),
                return_state=True,
            )
        )
    result = state.result(raise_on_failure=False)
    assert state.is_completed(), state.message
    assert result.counts == {"rows": 8, "stored": 8, "failed": 0, "invalid": 0}
    stats = sim.stats()
    assert stats["requests"]["POST /v2/videos"] == {"200": 8}  # exactly one create per row
    assert stats["videos_created"] == 8
    # the combined results.jsonl has every row, stored where the table says
    bucket, _, key = result.results_uri.removeprefix("s3://").partition("/")
    written = [
        json.loads(line)
        for line in s3_client.get_object(Bucket=bucket, Key=key)["Body"].read().splitlines()
    ]
    assert [row["key"] for row in written] == [row["id"] for row in rows]
    assert all(row["status"] == "stored" and row["video_uri"] for row in written)
    for row in written:
        s3_client.head_object(Bucket=OUT, Key=row["video_uri"].split("/", 3)[3])
    # three chunk runs, linked to this run, each run by one of the two workers
    chunk_runs = asyncio.run(_chunk_runs(state.state_details.flow_run_id))
    assert sorted(run.name.rsplit(" ", 1)[-1] for run in chunk_runs) == [
        "chunk-000",
        "chunk-001",
        "chunk-002",
    ]
    assert all(run.state.is_completed() for run in chunk_runs)
    # which worker started which chunk run, from the workers' own log lines
    ran_by = {
        name: sorted(
            re.findall(
                r"Flow run '[^']* (chunk-\d+)' submitted to infrastructure", path.read_text()
            )
        )
        for name, path in logs.items()
    }
    assert all(ran_by.values()), ran_by  # both workers ran a chunk
    assert sorted(ran_by["worker-a"] + ran_by["worker-b"]) == [
        "chunk-000",
        "chunk-001",
        "chunk-002",
    ]


def test_a_missing_limit_or_deployment_is_reported_before_anything_is_spent(
    prefect_server: Server, sim: SimulatorServer
) -> None:
    rows = [{"id": "1", "script": "Hello"}]
    state = asyncio.run(
        generate_videos(
            rows,
            **_params(
                chunk_size=1,
                chunk_deployment="generate-videos/nowhere",
                concurrency_limit_name="no-such-limit",
            ),
            return_state=True,
        )
    )
    error = state.result(raise_on_failure=False)
    assert state.is_failed() and isinstance(error, InvalidBatch)
    assert error.fields == ["concurrency_limit_name", "chunk_deployment"]
    assert "no global concurrency limit named 'no-such-limit'" in str(error)
    assert "no deployment 'generate-videos/nowhere'" in str(error)
    assert sim.stats()["requests_total"] == 0  # not even the replica check
