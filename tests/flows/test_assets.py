"""Stored videos registered as Prefect assets (``flows.assets``), read back from the API."""

from __future__ import annotations

import time
from typing import Any

from prefect import flow, get_client
from prefect.events.filters import EventFilter, EventNameFilter
from prefect.events.worker import EventsWorker
from prefect_aws import S3Bucket

from prefect_tavus.blocks import TavusCredentials
from prefect_tavus.flows.assets import materializing, replica_asset
from prefect_tavus.flows.outputs import StoredOutputs, store_outputs
from prefect_tavus.tavus_api.models import VideoRequest
from tests.flows.conftest import Env

REPLICA = "rfe12d8b9597"


def _materializations(keys: set[str], timeout: float = 20.0) -> dict[str, dict[str, Any]]:
    EventsWorker.drain_all()
    deadline = time.monotonic() + timeout
    found: dict[str, dict[str, Any]] = {}
    name = EventNameFilter(name=["prefect.asset.materialization.succeeded"])
    while time.monotonic() < deadline and not keys <= set(found):
        with get_client(sync_client=True) as client:
            page = client.read_events(filter=EventFilter(event=name), limit=50)
        found = {e.resource.id: e.model_dump(mode="json") for e in page.events}
        time.sleep(0.5)
    return found


def test_a_stored_video_and_its_metadata_are_assets_with_their_inputs_upstream(
    env: Env,
) -> None:
    @flow
    def make_and_store() -> StoredOutputs:
        credentials = TavusCredentials.load(env.credentials_block)
        bucket = S3Bucket.load(env.output_bucket_block)
        with credentials.get_client() as client:
            created = client.create_video(VideoRequest(replica_id=REPLICA, script="Hi there!"))
            video = client.wait_for_video(created.video_id, timeout=60, poll_interval=0.1)
        store = materializing(
            store_outputs,
            bucket,
            "assets-test",
            video,
            transparent=False,
            upstream=[replica_asset(REPLICA), "s3://tavus-media/in/voice.wav"],
        )
        return store(credentials, video, bucket, "assets-test")

    outputs = make_and_store()
    video_asset = outputs.video.uri
    metadata_asset = outputs.metadata_uri
    assert video_asset.endswith(".mp4") and metadata_asset.endswith("/metadata.json")
    events = _materializations({video_asset, metadata_asset})
    assert {video_asset, metadata_asset} <= set(events), list(events)
    event = events[video_asset]
    upstream = {
        r["prefect.resource.id"] for r in event["related"] if r["prefect.resource.role"] == "asset"
    }
    assert upstream == {f"tavus://replicas/{REPLICA}", "s3://tavus-media/in/voice.wav"}
    by = [r for r in event["related"] if r["prefect.resource.role"] == "asset-materialized-by"]
    assert [r["prefect.resource.id"] for r in by] == ["prefect-tavus"]
    assert event["payload"]["size_bytes"] == outputs.video.size_bytes
    assert event["payload"]["sha256"] == outputs.video.sha256
    assert event["resource"]["prefect.resource.name"].startswith("Tavus video ")
