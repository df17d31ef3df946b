"""Orchestration overhead: one video through the ``generate-video`` flow vs plain calls.

Both variants run on the same local stack (:func:`deployments.local.local_stack`: the
simulator on a real clock and a moto S3 server) and poll on the same schedule:

* ours: :func:`flows.generate_video` under a Prefect test API (temporary SQLite
  database, a local server subprocess): tasks, result persistence, artifacts,
  events and API logs included;
* baseline: the same steps as plain calls: check the replica and the bucket,
  ``create_video``, ``wait_for_video``, stream the video and its two thumbnails into
  S3 with ``stream_download`` + ``upload_fileobj``, write ``metadata.json``.

One untimed run of each warms imports and connections. Reports seconds per video;
the flow is expected to cost more (that difference is what Prefect's bookkeeping
costs per video).

Example:
    >>> rows = run(OverheadSettings(repetitions=1))  # doctest: +SKIP
"""

from __future__ import annotations

import itertools
import json
import logging
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from benchmarks._report import Row, alternate
from deployments.local import LocalStack, local_stack
from prefect_tavus.tavus_api import TavusClient, VideoRequest, VideoStatus
from prefect_tavus.tavus_api.simulator import DEFAULT_REPLICA_ID

SCRIPT = "Measuring what the flow costs on top of the work."

_names = itertools.count(1)


@dataclass(frozen=True)
class OverheadSettings:
    """Sizes of the overhead benchmark."""

    queue_seconds: float = 0.2
    generation_seconds: float = 0.8
    poll_seconds: float = 0.2
    """First delay between polls (both variants); grows x1.5 up to twice this."""
    repetitions: int = 3


@contextmanager
def prefect_api(storage: str) -> Iterator[None]:
    """A throwaway Prefect API (test harness) with results persisted under ``storage``."""
    from prefect.settings import (
        PREFECT_LOCAL_STORAGE_PATH,
        PREFECT_SERVER_ANALYTICS_ENABLED,
        temporary_settings,
    )
    from prefect.testing.utilities import prefect_test_harness

    with ExitStack() as stack:
        stack.enter_context(
            temporary_settings(
                {PREFECT_SERVER_ANALYTICS_ENABLED: False, PREFECT_LOCAL_STORAGE_PATH: storage}
            )
        )
        stack.enter_context(prefect_test_harness(server_startup_timeout=60))
        yield


def quiet_prefect_console() -> None:
    """Keep flow/task INFO logs off the terminal (they still go to the Prefect API)."""
    for name in ("prefect", "prefect.flow_runs", "prefect.task_runs", ""):
        for handler in logging.getLogger(name).handlers:
            if "Console" in type(handler).__name__:
                handler.setLevel(logging.WARNING)


def with_flow(blocks: dict[str, str], settings: OverheadSettings) -> float:
    """Seconds for one video through ``generate_video``."""
    from prefect_tavus.flows import VideoJob, generate_video

    job = VideoJob(replica_id=DEFAULT_REPLICA_ID, script=SCRIPT)
    started = time.perf_counter()
    result = generate_video(
        job,
        **blocks,
        poll_interval_seconds=settings.poll_seconds,
        max_poll_interval_seconds=2 * settings.poll_seconds,
    )
    elapsed = time.perf_counter() - started
    assert result.status == "ready" and result.size_bytes and result.metadata_uri
    return elapsed


def _copy(tavus: TavusClient, s3: Any, url: str, bucket: str, key: str) -> int:
    with tavus.stream_download(url) as stream:
        s3.upload_fileobj(stream, bucket, key)
        return stream.bytes_read


def plain(stack: LocalStack, settings: OverheadSettings) -> float:
    """Seconds for one video with the same steps as plain client and boto3 calls."""
    s3 = stack.s3_client()
    bucket = stack.output_bucket
    request = VideoRequest(
        replica_id=DEFAULT_REPLICA_ID, script=SCRIPT, video_name=f"bench-plain-{next(_names)}"
    )
    started = time.perf_counter()
    with TavusClient(stack.tavus.api_key, base_url=stack.tavus.base_url) as tavus:
        assert tavus.get_replica(request.replica_id).is_ready
        s3.head_bucket(Bucket=bucket)
        created = tavus.create_video(request)
        video = tavus.wait_for_video(
            created.video_id,
            poll_interval=settings.poll_seconds,
            max_poll_interval=2 * settings.poll_seconds,
        )
        assert video.status is VideoStatus.READY and video.download_url
        folder = f"plain/{video.video_id}"
        files = {f"{video.video_id}.mp4": video.download_url}
        if video.still_image_thumbnail_url:
            files["thumbnail.jpg"] = video.still_image_thumbnail_url
        if video.gif_thumbnail_url:
            files["thumbnail.gif"] = video.gif_thumbnail_url
        sizes = {
            name: _copy(tavus, s3, url, bucket, f"{folder}/{name}") for name, url in files.items()
        }
    metadata = {"video": video.model_dump(mode="json"), "files": sizes}
    s3.put_object(Bucket=bucket, Key=f"{folder}/metadata.json", Body=json.dumps(metadata).encode())
    elapsed = time.perf_counter() - started
    assert all(sizes.values())
    return elapsed


def run(settings: OverheadSettings) -> list[Row]:
    """Both variants ``settings.repetitions`` times (after a warm-up each), alternated."""
    with (
        tempfile.TemporaryDirectory(prefix="tavus-bench-results-") as storage,
        prefect_api(storage),
        local_stack(
            generation_seconds=settings.generation_seconds, queue_seconds=settings.queue_seconds
        ) as stack,
    ):
        blocks = stack.save_blocks(prefix="bench")
        quiet_prefect_console()
        with_flow(blocks, settings)  # warm-up: imports, Prefect client, connections
        plain(stack, settings)
        flow_s, plain_s = alternate(
            settings.repetitions,
            lambda: with_flow(blocks, settings),
            lambda: plain(stack, settings),
        )
    per_video = settings.queue_seconds + settings.generation_seconds
    overhead = sorted(f - p for f, p in zip(flow_s, plain_s, strict=True))
    return [
        Row(
            "overhead",
            f"s per video ({per_video:g} s generation)",
            "s",
            flow_s,
            plain_s,
            note=f"Prefect flow (test API) vs plain calls, same stack; flow costs "
            f"+{overhead[len(overhead) // 2]:.2f} s per video (median of pairs)",
        )
    ]


__all__ = ["OverheadSettings", "plain", "prefect_api", "run", "with_flow"]
