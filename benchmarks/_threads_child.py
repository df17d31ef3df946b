"""The hand-written baseline a careful user writes: 10 threads, the sync client, a GET
every 5 s.

Each thread takes the next row, creates its video with ``TavusClient.create_video``,
sleeps 5 s, reads it with ``get_video`` every 5 s until it is ready (or failed), then
streams it into S3 (``stream_download`` into boto3 ``upload_fileobj``) and takes the
next row. The report says how long the rows took and how each ended.

Run by :mod:`benchmarks.run` as ``python -m benchmarks._threads_child PAYLOAD REPORT``.
"""

from __future__ import annotations

import queue
import sys
import threading
import time
from typing import Any

import boto3

from benchmarks._child import memory_now, read_args, write_report
from prefect_tavus.tavus_api import TavusClient, VideoRequest, VideoStatus

LOCAL_AWS = {
    "region_name": "us-east-1",
    "aws_access_key_id": "bench-access-key",
    "aws_secret_access_key": "bench-secret-key",  # moto takes any
}


def worker(rows: queue.Queue[dict[str, Any]], payload: dict[str, Any], out: dict[str, str]) -> None:
    """Work through rows until the queue is empty."""
    s3 = boto3.client("s3", endpoint_url=payload["s3_endpoint"], **LOCAL_AWS)
    poll = float(payload["poll_seconds"])
    with TavusClient(payload["api_key"], base_url=payload["base_url"]) as tavus:
        while True:
            try:
                row = rows.get_nowait()
            except queue.Empty:
                return
            request = VideoRequest(
                replica_id=payload["replica_id"], script=row["script"], video_name=row["video_name"]
            )
            video = tavus.create_video(request)
            while True:
                time.sleep(poll)
                video = tavus.get_video(video.video_id)
                if video.status in (VideoStatus.READY, VideoStatus.ERROR, VideoStatus.DELETED):
                    break
            if video.status is not VideoStatus.READY or not video.download_url:
                out[row["id"]] = video.status.value
                continue
            key = f"{payload['prefix']}/{row['id']}/{video.video_id}.mp4"
            with tavus.stream_download(video.download_url) as stream:
                s3.upload_fileobj(stream, payload["bucket"], key)
            out[row["id"]] = "stored"


def main(argv: list[str]) -> None:
    payload, report_path = read_args(argv)
    rows: queue.Queue[dict[str, Any]] = queue.Queue()
    for row in payload["rows"]:
        rows.put(row)
    outcomes: dict[str, str] = {}
    before = memory_now()
    started = time.perf_counter()
    threads = [
        threading.Thread(target=worker, args=(rows, payload, outcomes), name=f"row-worker-{n}")
        for n in range(int(payload["threads"]))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    stored = sum(1 for v in outcomes.values() if v == "stored")
    write_report(
        report_path,
        {
            "seconds": seconds,
            "rows": len(payload["rows"]),
            "stored": stored,
            "memory_before": before,
        },
    )


if __name__ == "__main__":
    main(sys.argv[1:])
