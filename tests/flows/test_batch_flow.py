"""generate-videos end to end: good, bad and failing rows; templates; dry run; cost cap."""

from __future__ import annotations

import time

import pytest
from prefect import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.events.worker import EventsWorker
from prefect_aws import S3Bucket

from prefect_tavus.blocks import TavusCredentials
from prefect_tavus.flows.batch_validation import InvalidBatch
from prefect_tavus.flows.estimate import VideoMinutesExceeded
from tests.flows._batch_support import REPLICA, creates, results_file, run_batch
from tests.flows._observe import read_video_events
from tests.flows.conftest import Env, Media

pytestmark = pytest.mark.timeout(120)


def test_good_bad_and_failing_rows_end_in_one_table_and_a_failed_state(
    env: Env, media: Media
) -> None:
    rows = [
        {"id": "ada", "first_name": "Ada"},
        {"id": "bob", "script": "Hi Bob #violates-guidelines"},  # Tavus fails it
        {"id": "cy", "audio": str(media.wav)},
        {"id": "dee", "audio": str(media.text_as_wav)},
        {"id": "eve", "first_name": "Eve", "fast": "true", "transparent_background": "yes"},
    ]
    state, result = run_batch(
        env,
        rows,
        script_template="Hi {first_name}, welcome!",
        row_defaults={"replica_id": REPLICA},
        on_invalid_rows="skip",
    )
    assert state.is_failed()
    assert "3 stored" in state.message and "1 failed" in state.message
    assert "1 invalid" in state.message
    by_key = {row.key: row for row in result.rows}
    assert {k: r.status for k, r in by_key.items()} == {
        "ada": "stored",
        "bob": "failed",
        "cy": "stored",
        "dee": "invalid",
        "eve": "stored",
    }
    assert "row[dee].audio" in by_key["dee"].error
    assert by_key["bob"].video_id and by_key["bob"].error
    for key in ("ada", "cy", "eve"):
        row = by_key[key]
        assert row.video_uri and row.video_uri.startswith(f"s3://{env.output_bucket}/")
        assert env.s3.head_object(Bucket=env.output_bucket, Key=row.video_uri.split("/", 3)[3])
    assert by_key["cy"].duration_seconds == pytest.approx(4.0, abs=0.3)  # the audio's length
    assert by_key["eve"].video_uri.endswith(".webm")
    assert "guidelines" in by_key["bob"].error
    # results.jsonl says the same as the returned table
    written = {row["key"]: row for row in results_file(env, result)}
    assert {k: r["status"] for k, r in written.items()} == {k: r.status for k, r in by_key.items()}
    assert creates(env) == 4  # the invalid row was never created
    # the row Tavus failed raises tavus.video.failed, as a single video does (for automations)
    events = read_video_events(
        state.state_details.flow_run_id, by_key["bob"].video_id, {"tavus.video.failed"}
    )
    [failed] = [e for e in events if e["event"] == "tavus.video.failed"]
    assert "guidelines" in failed["payload"]["status_details"]
    assert failed["resource"]["prefect.resource.name"].endswith("/bob")


def test_a_row_missing_a_template_variable_is_that_rows_error_only(env: Env) -> None:
    rows = [{"id": "1", "first_name": "Ada"}, {"id": "2", "name": "Bob"}]
    state, error = run_batch(
        env, rows, script_template="Hi {first_name}!", row_defaults={"replica_id": REPLICA}
    )
    assert state.is_failed() and isinstance(error, InvalidBatch)
    assert error.fields == ["row[2].script_template"]
    assert "first_name" in str(error) and "this row has: id, name" in str(error)
    assert creates(env) == 0 and env.keys() == []

    state, result = run_batch(
        env,
        rows,
        script_template="Hi {first_name}!",
        row_defaults={"replica_id": REPLICA},
        on_invalid_rows="skip",
    )
    assert state.is_failed()
    assert [(r.key, r.status) for r in result.rows] == [("1", "stored"), ("2", "invalid")]
    assert creates(env) == 1


def test_dry_run_estimates_and_spends_nothing(env: Env, media: Media) -> None:
    rows = [{"id": str(i), "first_name": "x " * 10} for i in range(4)]
    rows.append({"id": "audio", "audio": str(media.wav)})
    state, result = run_batch(
        env,
        rows,
        script_template="{first_name}",
        row_defaults={"replica_id": REPLICA},
        dry_run=True,
    )
    assert state.is_completed()
    assert result.dry_run and result.counts["planned"] == 5
    # 40 words at 150 words/min + 4 s of audio
    assert result.estimated_minutes == pytest.approx(40 / 150 + 4 / 60, abs=0.01)
    assert env.keys() == []
    assert env.sim.stats()["requests"].get("POST /v2/videos") is None
    assert env.sim.stats()["videos_created"] == 0


def test_max_video_minutes_refuses_before_any_create(env: Env) -> None:
    rows = [{"id": str(i), "script": "word " * 150} for i in range(3)]  # 3 minutes
    state, error = run_batch(env, rows, row_defaults={"replica_id": REPLICA}, max_video_minutes=2.5)
    assert state.is_failed() and isinstance(error, VideoMinutesExceeded)
    assert "3.0 video minutes" in str(error) and "max_video_minutes=2.5" in str(error)
    assert env.keys() == [] and env.videos_created() == 0


def test_a_429_storm_slows_creates_without_losing_or_doubling_rows(env: Env) -> None:
    env.sim.reset(quota_creates_per_second=2)
    rows = [{"id": f"r{i}", "script": f"Hello {i}"} for i in range(8)]
    state, result = run_batch(
        env,
        rows,
        row_defaults={"replica_id": REPLICA},
        creates_per_second=50.0,  # far over the quota: Tavus answers 429
        max_concurrent_creates=8,
    )
    assert state.is_completed(), state.message
    assert result.counts["stored"] == len(rows)
    stats = env.sim.stats()
    assert stats["requests"]["POST /v2/videos"].get("429", 0) > 0
    assert creates(env) == len(rows) and env.videos_created() == len(rows)


def test_blocks_chosen_in_the_form_by_id_and_bad_groups_named_by_their_place(env: Env) -> None:
    # the run form's block picker sends {"$ref": {"block_document_id": ...}}
    ids = {
        "credentials_block": TavusCredentials.load(env.credentials_block)._block_document_id,
        "media_bucket_block": S3Bucket.load(env.media_bucket_block)._block_document_id,
        "output_bucket_block": S3Bucket.load(env.output_bucket_block)._block_document_id,
    }
    refs = {name: {"$ref": {"block_document_id": str(i)}} for name, i in ids.items()}
    rows = [{"id": "1", "script": "Hello"}]
    state, result = run_batch(env, rows, row_defaults={"replica_id": REPLICA}, dry_run=True, **refs)
    assert state.is_completed(), state.message
    assert result.counts["planned"] == 1
    requests_before = env.sim.stats()["requests_total"]  # the dry run's replica check

    state, error = run_batch(
        env,
        rows,
        row_defaults={"replica_id": REPLICA},
        pacing={"creates_per_sec": 2},
        settings={"wait_timeout_seconds": "an hour"},
    )
    assert state.is_failed() and isinstance(error, InvalidBatch)
    assert error.fields == ["pacing.creates_per_sec", "settings.wait_timeout_seconds"]
    assert env.sim.stats()["requests_total"] == requests_before and env.keys() == []


def test_each_row_has_one_create_video_task_run_and_stores_have_none(env: Env) -> None:
    """A row's create-video task run starts when its create is sent (paced), so the UI
    never shows rows as running that are only waiting for their turn."""
    keys = ["ada", "bob", "cy", "dee"]
    rows = [{"id": key, "first_name": key.title()} for key in keys]
    state, result = run_batch(
        env,
        rows,
        script_template="Hi {first_name}!",
        row_defaults={"replica_id": REPLICA},
        creates_per_second=2.0,
    )
    assert state.is_completed() and result.counts["stored"] == 4
    flow_runs = FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id]))
    EventsWorker.drain_all(timeout=10)  # task runs reach the API as events
    deadline = time.monotonic() + 20
    with get_client(sync_client=True) as client:
        while True:
            names = sorted(run.name for run in client.read_task_runs(flow_run_filter=flow_runs))
            per_row = [n for n in names if n.startswith(("create-video", "store-video"))]
            if len(per_row) >= 4 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        time.sleep(1)  # a store-video task run would be recorded by now
        task_runs = client.read_task_runs(flow_run_filter=flow_runs)
    per_row = sorted(r.name for r in task_runs if r.name.startswith(("create-video", "store")))
    assert per_row == [f"create-video[{key}]" for key in keys]
    starts = sorted(r.start_time for r in task_runs if r.name.startswith("create-video"))
    assert all(starts)
    # 4 creates at 2 a second: the task runs start over 1.5 s, not all at once
    assert (starts[-1] - starts[0]).total_seconds() >= 1.2
