"""Helpers for the generate-videos tests: run the flow, read its results back from S3."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from prefect_tavus.flows import BatchResult, generate_videos
from prefect_tavus.tavus_api.simulator import DEFAULT_REPLICA_ID
from tests.flows.conftest import Env

REPLICA = DEFAULT_REPLICA_ID


def run_batch(env: Env, manifest: Any, **overrides: Any) -> tuple[Any, BatchResult | Any]:
    """Run generate-videos; return (final state, its result or exception)."""
    params = env.params(**overrides)
    state = asyncio.run(generate_videos(manifest, **params, return_state=True))
    return state, state.result(raise_on_failure=False)


def results_file(env: Env, result: BatchResult) -> list[dict[str, Any]]:
    """The rows of ``results.jsonl`` written by the run."""
    assert result.results_uri
    bucket, _, key = result.results_uri.removeprefix("s3://").partition("/")
    body = env.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    return [json.loads(line) for line in body.splitlines()]


def creates(env: Env) -> int:
    """POST /v2/videos requests the simulator answered 200."""
    return int(env.sim.stats()["requests"].get("POST /v2/videos", {}).get("200", 0))
