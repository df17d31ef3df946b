"""generate-videos resumes: after a partial run, after SIGKILL mid-wait, after a full run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from prefect.settings import PREFECT_API_URL

from prefect_tavus.tavus_api.simulator import FaultRule
from tests.flows._batch_support import REPLICA, batch_params, creates, run_batch
from tests.flows.conftest import Env

pytestmark = pytest.mark.timeout(180)

ROWS = [{"id": f"row-{i}", "first_name": f"Name{i}"} for i in range(4)]
TEMPLATE = {"script_template": "Hi {first_name}!", "row_defaults": {"replica_id": REPLICA}}


def _ledger(env: Env, part: str) -> list[str]:
    return [key for key in env.keys(env.output_bucket) if f"/ledger/{part}/" in key]


def test_rerun_after_a_partial_run_creates_only_the_rest(env: Env) -> None:
    # the first run: one create refused for good (503 every time), so that row fails
    env.sim.set_faults([FaultRule(route="POST /v2/videos", kind="server_error", skip=2)])
    state, first = run_batch(env, ROWS, **TEMPLATE)
    assert state.is_failed()
    assert first.counts["stored"] == 2 and first.counts["failed"] == 2
    assert creates(env) == 2
    env.sim.clear_faults()

    state, second = run_batch(env, ROWS, **TEMPLATE)
    assert state.is_completed(), state.message
    assert second.counts == {"rows": 4, "stored": 4, "failed": 0, "invalid": 0}
    assert sorted(r.key for r in second.rows if r.resumed) == sorted(
        r.key for r in first.rows if r.status == "stored"
    )
    assert creates(env) == 4  # two in each run: no row twice
    assert len({r.video_id for r in second.rows}) == 4


def test_rerun_after_everything_is_stored_creates_and_uploads_nothing(env: Env) -> None:
    state, first = run_batch(env, ROWS, **TEMPLATE)
    assert state.is_completed()
    outputs_before = {key for key in env.keys(env.output_bucket) if "/batches/" not in key}
    requests_before = env.sim.stats()["requests_total"]

    state, second = run_batch(env, ROWS, **TEMPLATE)
    assert state.is_completed()
    assert [r.video_id for r in second.rows] == [r.video_id for r in first.rows]
    assert all(r.resumed for r in second.rows)
    assert env.sim.stats()["requests_total"] == requests_before + 1  # the replica check only
    assert {k for k in env.keys(env.output_bucket) if "/batches/" not in k} == outputs_before
    assert env.keys(env.media_bucket) == []  # script rows upload nothing, then or now


_CHILD = """
import asyncio, json, sys
from prefect_tavus.flows import generate_videos
params = json.loads(sys.argv[1])
asyncio.run(generate_videos(**params))
"""


def test_rerun_after_sigkill_mid_wait_makes_no_second_video(env: Env) -> None:
    env.sim.reset(generation_seconds=6.0)
    params = batch_params(env, manifest=ROWS, **TEMPLATE)
    child_env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, json.dumps(params)],
        env=child_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while len(_ledger(env, "created")) < len(ROWS) and time.monotonic() < deadline:
        assert child.poll() is None, "the child ended before it was killed"
        time.sleep(0.1)
    assert len(_ledger(env, "created")) == len(ROWS)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert _ledger(env, "stored") == []  # killed mid-wait
    assert env.videos_created() == len(ROWS)

    # and one ledger write "lost": that row must be found again by its name
    lost = _ledger(env, "created")[0]
    env.s3.delete_object(Bucket=env.output_bucket, Key=lost)

    state, result = run_batch(env, ROWS, **TEMPLATE)
    assert state.is_completed(), state.message
    assert result.counts["stored"] == len(ROWS)
    assert env.videos_created() == len(ROWS)  # no duplicate create
    assert creates(env) == len(ROWS)
