"""Helpers for the generate-videos tests: run the flow, read its results back from S3."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from prefect_tavus.flows import BatchResult, generate_videos
from prefect_tavus.flows.batch_form import BatchChecks, Chunking, Pacing
from prefect_tavus.flows.form import AdvancedSettings
from prefect_tavus.tavus_api.simulator import DEFAULT_REPLICA_ID
from tests.flows.conftest import Env

REPLICA = DEFAULT_REPLICA_ID
GROUPS = {
    "checks": BatchChecks,
    "pacing": Pacing,
    "chunking": Chunking,
    "settings": AdvancedSettings,
}
"""generate_videos' parameter groups, by parameter name."""


def batch_params(env: Env, **overrides: Any) -> dict[str, Any]:
    """:meth:`Env.params` shaped for ``generate_videos``: each setting in its group.

    >>> batch_params(env, dry_run=True)["checks"]  # doctest: +SKIP
    {'dry_run': True}
    """
    params = env.params(**overrides)
    for group, model in GROUPS.items():
        values = {name: params.pop(name) for name in list(params) if name in model.model_fields}
        if values:  # beside what the caller gave for the group itself
            params[group] = {**values, **params.get(group, {})}
    return params


def run_batch(env: Env, manifest: Any, **overrides: Any) -> tuple[Any, BatchResult | Any]:
    """Run generate-videos (settings given flat, as :func:`batch_params` groups them);
    return (final state, its result or exception)."""
    params = batch_params(env, **overrides)
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
