"""The batch without Prefect: the same client code as ``generate-videos`` in a plain
asyncio loop, the yardstick of the orchestration-overhead figure.

Creates go through :class:`~prefect_tavus.tavus_api.pacing.CreatePacer` (the flow's
defaults: 4 in flight, the account's rate), every video is waited on by one
``AsyncTavusClient.watch_videos`` watcher (the flow's polling settings), and each ready
video is copied into S3 like ``store_outputs`` does (video and thumbnails streamed with
``copy_to_s3``, duration read back, ``metadata.json`` last), at most
``max_concurrent_stores`` at once in threads. No ledger, no task runs, no logs.

Run by :mod:`benchmarks.scenarios` as ``python -m benchmarks._plain_child PAYLOAD REPORT``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

import boto3

from benchmarks._child import memory_now, read_args, write_report
from benchmarks._threads_child import LOCAL_AWS
from prefect_tavus.flows.outputs import copy_to_s3, measure_duration
from prefect_tavus.tavus_api import AsyncTavusClient, TavusClient, Video, VideoRequest
from prefect_tavus.tavus_api.pacing import CreatePacer

MAX_IN_FLIGHT = 4
POLL_SECONDS = 5.0
MAX_POLL_SECONDS = 30.0


def store(payload: dict[str, Any], s3: Any, tavus: TavusClient, key: str, video: Video) -> int:
    """Copy one ready video and its thumbnails, then write metadata.json; returns bytes."""
    bucket = payload["bucket"]
    folder = f"{payload['prefix']}/{video.video_id}"
    assert video.download_url, video
    main = copy_to_s3(
        tavus,
        s3,
        video.download_url,
        bucket,
        lambda ext: f"{folder}/{video.video_id}.{ext}",
        default_ext="mp4",
    )
    files = {"video": main.model_dump()}
    for name, url, ext in (
        ("thumbnail", video.still_image_thumbnail_url, "jpg"),
        ("gif_thumbnail", video.gif_thumbnail_url, "gif"),
    ):
        if url:
            files[name] = copy_to_s3(
                tavus, s3, url, bucket, lambda _e, x=ext: f"{folder}/thumbnail.{x}", default_ext=ext
            ).model_dump()
    metadata = {
        "row": key,
        "video": video.model_dump(mode="json"),
        "files": files,
        "duration_seconds": measure_duration(s3, main),
    }
    s3.put_object(Bucket=bucket, Key=f"{folder}/metadata.json", Body=json.dumps(metadata).encode())
    return main.size_bytes


async def run(payload: dict[str, Any]) -> dict[str, int]:
    """Every row: paced create, one watcher, bounded stores. Returns counts by outcome."""
    s3 = boto3.client("s3", endpoint_url=payload["s3_endpoint"], **LOCAL_AWS)
    pacer = CreatePacer(max_in_flight=MAX_IN_FLIGHT, per_second=payload["creates_per_second"])
    stores = asyncio.Semaphore(int(payload["max_concurrent_stores"]))
    counts = {"stored": 0, "failed": 0}
    with TavusClient(payload["api_key"], base_url=payload["base_url"]) as downloads:
        async with AsyncTavusClient(payload["api_key"], base_url=payload["base_url"]) as client:
            watcher = client.watch_videos(
                poll_interval=POLL_SECONDS,
                max_poll_interval=MAX_POLL_SECONDS,
                first_poll_delay=POLL_SECONDS,
            )
            rows_by_video: dict[str, str] = {}

            async def create(row: dict[str, str]) -> None:
                request = VideoRequest(
                    replica_id=payload["replica_id"],
                    script=row["script"],
                    video_name=row["video_name"],
                )
                async with pacer.slot():
                    video = await client.create_video(request, on_rate_limited=pacer.pause_for)
                rows_by_video[video.video_id] = row["id"]
                watcher.add(video.video_id, timeout_seconds=3600)

            async def create_all() -> None:
                try:
                    await asyncio.gather(*(create(row) for row in payload["rows"]))
                finally:
                    watcher.close()

            async def keep(key: str, video: Video) -> None:
                async with stores:
                    await asyncio.to_thread(store, payload, s3, downloads, key, video)
                counts["stored"] += 1

            creating = asyncio.create_task(create_all())
            copies = []
            async for outcome in watcher:
                if outcome.ok and outcome.video is not None:
                    key = rows_by_video[outcome.video_id]
                    copies.append(asyncio.create_task(keep(key, outcome.video)))
                else:
                    counts["failed"] += 1
            await creating
            await asyncio.gather(*copies)
    return counts


def main(argv: list[str]) -> None:
    payload, report_path = read_args(argv)
    before = memory_now()
    started = time.perf_counter()
    counts = asyncio.run(run(payload))
    seconds = time.perf_counter() - started
    write_report(
        report_path,
        {"seconds": seconds, "rows": len(payload["rows"]), **counts, "memory_before": before},
    )


if __name__ == "__main__":
    main(sys.argv[1:])
