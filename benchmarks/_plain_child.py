"""The batch without Prefect: the same client code as ``generate-videos`` in a plain
asyncio loop, the yardstick of the orchestration-overhead figure.

It does the flow's work for each row, with the flow's own functions: a create paced by
:class:`~prefect_tavus.tavus_api.pacing.CreatePacer` (4 in flight, the account's rate),
its ``video_id`` written to a :class:`~prefect_tavus.flows.ledger.RunLedger` at once,
one ``AsyncTavusClient.watch_videos`` watcher for every video (the flow's polling
settings, ``poll_seconds``), and each ready video stored by
:func:`~prefect_tavus.flows.outputs.write_outputs` (video, thumbnails, duration,
``metadata.json`` last) with one shared download client,
``max_concurrent_stores`` at once in as many threads, then recorded as stored in the
ledger. What it leaves out is Prefect: no flow or task runs, states, events, logs,
artifacts, block loads or validation.

Run by :mod:`benchmarks.scenarios` as ``python -m benchmarks._plain_child PAYLOAD REPORT``.
"""

from __future__ import annotations

import asyncio
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from prefect_aws import AwsClientParameters, AwsCredentials, S3Bucket
from pydantic import SecretStr

from benchmarks._child import memory_now, read_args, write_report
from benchmarks._threads_child import LOCAL_AWS
from prefect_tavus.flows.batch_results import RowResult
from prefect_tavus.flows.ledger import RunLedger
from prefect_tavus.flows.outputs import write_outputs
from prefect_tavus.flows.storage import s3_client
from prefect_tavus.tavus_api import AsyncTavusClient, TavusClient, Video, VideoRequest
from prefect_tavus.tavus_api.pacing import CreatePacer

MAX_IN_FLIGHT = 4
MAX_POLL_SECONDS = 30.0


def output_bucket(payload: dict[str, Any]) -> S3Bucket:
    """The output bucket as an in-memory block (nothing is loaded from Prefect)."""
    credentials = AwsCredentials(
        aws_access_key_id=LOCAL_AWS["aws_access_key_id"],
        aws_secret_access_key=SecretStr(LOCAL_AWS["aws_secret_access_key"]),
        region_name=LOCAL_AWS["region_name"],
        aws_client_parameters=AwsClientParameters(endpoint_url=payload["s3_endpoint"]),
    )
    return S3Bucket(bucket_name=payload["bucket"], credentials=credentials)


async def run(payload: dict[str, Any]) -> dict[str, int]:
    """Every row: paced create, one watcher, bounded stores. Returns counts by outcome."""
    bucket = output_bucket(payload)
    prefix = payload["prefix"]
    ledger = RunLedger(s3_client(bucket), bucket.bucket_name, f"{prefix}/batches/plain")
    pacer = CreatePacer(max_in_flight=MAX_IN_FLIGHT, per_second=payload["creates_per_second"])
    workers = int(payload["max_concurrent_stores"])
    stores = asyncio.Semaphore(workers)
    loop = asyncio.get_running_loop()
    counts = {"stored": 0, "failed": 0}
    with (
        ThreadPoolExecutor(workers) as pool,
        TavusClient(payload["api_key"], base_url=payload["base_url"]) as downloads,
    ):
        async with AsyncTavusClient(payload["api_key"], base_url=payload["base_url"]) as client:
            poll = float(payload["poll_seconds"])
            watcher = client.watch_videos(
                poll_interval=poll, max_poll_interval=MAX_POLL_SECONDS, first_poll_delay=poll
            )
            rows: dict[str, dict[str, str]] = {}

            async def create(row: dict[str, str]) -> None:
                request = VideoRequest(
                    replica_id=payload["replica_id"],
                    script=row["script"],
                    video_name=row["video_name"],
                )
                async with pacer.slot():
                    video = await client.create_video(request, on_rate_limited=pacer.rate_limited)
                await asyncio.to_thread(
                    ledger.record_created, row["id"], video.video_id, row["video_name"]
                )
                rows[video.video_id] = row
                watcher.add(video.video_id, timeout_seconds=3600)

            async def create_all() -> None:
                try:
                    await asyncio.gather(*(create(row) for row in payload["rows"]))
                finally:
                    watcher.close()

            def store(row: dict[str, str], video: Video) -> None:
                outputs = write_outputs(downloads, video, bucket, prefix)
                ledger.record_stored(
                    RowResult.stored(row["id"], video.video_id, row["video_name"], outputs)
                )

            async def keep(row: dict[str, str], video: Video) -> None:
                async with stores:
                    await loop.run_in_executor(pool, store, row, video)
                counts["stored"] += 1

            creating = asyncio.create_task(create_all())
            copies = []
            async for outcome in watcher:
                if outcome.ok and outcome.video is not None:
                    row = rows[outcome.video_id]
                    copies.append(asyncio.create_task(keep(row, outcome.video)))
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
