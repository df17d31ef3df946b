"""`make serve`'s stack for real: a ``prefect server`` on a free loopback port (temporary
home and database), ``prefect deploy`` from ``deployments/prefect.yaml``, a process
worker, and runs triggered through the API with parameters, as a user of the UI does."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from prefect import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
from prefect.deployments import run_deployment
from prefect.settings import PREFECT_API_URL, temporary_settings

from deployments.stack import ServedStack, free_port, served_stack
from prefect_tavus.tavus_api.simulator.fixtures import make_wav

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedStack]:
    home = tmp_path_factory.mktemp("prefect-home")
    with (
        served_stack(
            free_port(),
            home=home,
            worker_output=(home / "worker.log").open("w"),
            worker_poll_seconds=1,
            generation_seconds=1.0,
        ) as served,
        temporary_settings({PREFECT_API_URL: served.api_url}),
    ):
        yield served


def _summary(flow_run_id: object) -> str:
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
        )
    keyed = [a for a in artifacts if (a.key or "").endswith("-summary")]
    assert len(keyed) == 1, [a.key for a in artifacts]
    assert keyed[0].key == "generate-video-on-demand-summary"
    return str(keyed[0].data)


def test_generate_video_from_the_api_completes_with_summary_event_and_outputs(
    stack: ServedStack, tmp_path: Path
) -> None:
    wav = make_wav(tmp_path / "hello.wav", seconds=4.0)
    stack.local.s3_client().upload_file(str(wav), stack.local.media_bucket, "in/hello.wav")
    job = {
        "replica_id": "rfe12d8b9597",
        "speech": "audio",
        "audio": "s3://tavus-media/in/hello.wav",
    }
    run = run_deployment(
        "generate-video/on-demand",
        # its own prefix: other tests of this module store videos in the same bucket
        parameters={
            "job": job,
            "settings": {"poll_interval_seconds": 0.5, "output_prefix": "tavus/api-single"},
        },
        timeout=120,
        poll_interval=1,
    )
    assert run.state is not None and run.state.is_completed(), run.state
    summary = _summary(run.id)
    for field in ("Duration", "Size", "Tavus page", "s3://tavus-outputs/", "metadata.json"):
        assert field in summary
    assert "data:image/jpeg;base64," in summary  # the thumbnail, embedded
    assert "X-Amz-Signature" not in summary
    keys = [
        o["Key"]
        for o in stack.local.s3_client().list_objects_v2(
            Bucket="tavus-outputs", Prefix="tavus/api-single/"
        )["Contents"]
    ]
    assert any(k.endswith("/metadata.json") for k in keys)
    assert any(k.endswith(".mp4") for k in keys)
    expected = {"tavus.video.created", "tavus.video.ready", "tavus.video.stored"}
    events = _events_eventually(
        "tavus.video.", until=lambda found: expected <= {e["event"] for e in found}, prefix=True
    )
    names = {e["event"] for e in events}
    assert {"tavus.video.created", "tavus.video.ready", "tavus.video.stored"} <= names
    _assert_outputs_are_assets(keys, stack)


def _assert_outputs_are_assets(keys: list[str], stack: ServedStack) -> None:
    """The stored video and metadata.json are assets, with the replica and the input upstream."""
    [video_key] = [k for k in keys if k.endswith(".mp4")]
    video_asset = f"s3://tavus-outputs/{video_key}"
    metadata_asset = video_asset.rpartition("/")[0] + "/metadata.json"
    size = stack.local.s3_client().head_object(Bucket="tavus-outputs", Key=video_key)
    wanted = {video_asset, metadata_asset}
    materialized = {
        e["resource"]["prefect.resource.id"]: e
        for e in _events_eventually(
            "prefect.asset.materialization.succeeded",
            lambda found: wanted <= {e["resource"]["prefect.resource.id"] for e in found},
            resources=sorted(wanted),
        )
    }
    assert {video_asset, metadata_asset} <= set(materialized), list(materialized)
    event = materialized[video_asset]
    upstream = {
        r["prefect.resource.id"]
        for r in event["related"]
        if r.get("prefect.resource.role") == "asset"
    }
    assert upstream == {"tavus://replicas/rfe12d8b9597", "s3://tavus-media/in/hello.wav"}
    assert event["payload"]["size_bytes"] == size["ContentLength"]
    assert event["payload"]["stored_uri"] == video_asset


def test_a_bad_input_fails_with_one_line_naming_the_field(stack: ServedStack) -> None:
    job = {"replica_id": "rfe12d8b9597", "speech": "audio", "audio": ""}
    run = run_deployment(
        "generate-video/on-demand", parameters={"job": job}, timeout=120, poll_interval=1
    )
    assert run.state is not None and run.state.is_failed()
    message = run.state.message or ""
    assert "\n" not in message and "job.audio" in message, message
    assert "failed" in _summary(run.id).lower()


def test_generate_videos_from_the_api_completes_with_its_table_and_outputs_in_s3(
    stack: ServedStack,
) -> None:
    run = run_deployment(
        "generate-videos/from-manifest",
        parameters={"settings": {"output_prefix": "tavus/api-batch", "poll_interval_seconds": 0.5}},
        timeout=150,
        poll_interval=1,
    )
    assert run.state is not None and run.state.is_completed(), run.state
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run.id]))
        )
    [table] = [a for a in artifacts if a.key == "tavus-generate-videos"]
    for row in ("ada", "grace", "linus"):
        assert row in str(table.data)
    s3 = stack.local.s3_client()
    keys = [
        o["Key"]
        for o in s3.list_objects_v2(Bucket="tavus-outputs", Prefix="tavus/api-batch/")["Contents"]
    ]
    [results] = [k for k in keys if k.endswith("/results.jsonl")]
    lines = s3.get_object(Bucket="tavus-outputs", Key=results)["Body"].read().splitlines()
    rows = [json.loads(line) for line in lines]
    assert sorted(r["key"] for r in rows) == ["ada", "grace", "linus"]
    assert {r["status"] for r in rows} == {"stored"}
    stored = {f"s3://tavus-outputs/{k}" for k in keys}
    assert {r["video_uri"] for r in rows} <= stored
    assert {r["metadata_uri"] for r in rows} <= stored


def test_the_scheduled_batch_exists_with_its_schedule_inactive(stack: ServedStack) -> None:
    with get_client(sync_client=True) as client:
        weekly = client.read_deployment_by_name("generate-videos/weekly-campaign")
    assert [s.active for s in weekly.schedules] == [False]
    assert weekly.schedules[0].schedule.cron == "0 8 * * 1"  # type: ignore[union-attr]
    assert weekly.parameters["manifest"] == "s3://tavus-media/campaigns/weekly.csv"


def test_a_failed_video_fires_the_tavus_video_failed_automation(stack: ServedStack) -> None:
    with get_client(sync_client=True) as client:
        [automation] = client.read_automations_by_name("tavus-video-failed")
    assert automation.trigger.expect == {"tavus.video.failed"}  # type: ignore[union-attr]
    job = {
        "replica_id": "rfe12d8b9597",
        "speech": "script",
        "script": "This script is #violates-guidelines, so the simulator fails the video.",
    }
    run = run_deployment(
        "generate-video/on-demand",
        parameters={"job": job, "settings": {"poll_interval_seconds": 0.5}},
        timeout=120,
        poll_interval=1,
    )
    assert run.state is not None and run.state.is_failed(), run.state
    found = re.search(r"could not make video (\w+)", run.state.message or "")
    assert found, run.state.message
    video_id = found.group(1)
    alert = stack.alerts.wait_for(lambda m: video_id in m.get("subject", ""), timeout=60)
    assert alert["subject"] == f"Tavus video {video_id} failed"
    assert alert["body"].endswith("script violates community guidelines."), alert["body"]
    assert f"flow run {run.name})" in alert["body"]
    executed = _events_eventually("prefect.automation.action.executed")
    assert f"prefect.automation.{automation.id}" in {
        e["resource"]["prefect.resource.id"] for e in executed
    }


def _events_eventually(
    name: str,
    until: Callable[[list[dict]], bool] = bool,
    *,
    prefix: bool = False,
    resources: list[str] | None = None,
    timeout: float = 30.0,
) -> list[dict]:
    """Events named ``name`` (or starting with it) once ``until`` holds: the server
    stores events in batches, a second or so after they are emitted."""
    match: dict = {"event": {"prefix": [name]} if prefix else {"name": [name]}}
    if resources:
        match["resource"] = {"id": resources}
    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while True:
            found: list[dict] = client.request(
                "POST", "/events/filter", json={"filter": match, "limit": 50}
            ).json()["events"]
            if until(found) or time.monotonic() > deadline:
                return found
            time.sleep(1)
