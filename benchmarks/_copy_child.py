"""One copy of a video from a URL into S3, in a fresh process, reporting its peak memory.

Run by :mod:`benchmarks.memory` as
``python -m benchmarks._copy_child VARIANT URL S3_ENDPOINT BUCKET KEY``; prints one JSON
line: ``{"variant", "bytes", "seconds", "baseline_kib", "peak_kib", "extra_kib"}``.

Everything is imported and both clients are built (and have made one request) before
the baseline is read, so ``extra_kib`` (peak RSS during the copy minus the peak
before it, from ``getrusage``) is what the copy itself cost.

Variants:

* ``ours``: the flow's store path, :func:`flows.outputs.copy_to_s3`
  (``TavusClient.stream_download`` into ``boto3`` ``upload_fileobj``, multipart);
* ``naive``: ``httpx.get(url).content`` then ``put_object``.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from typing import Any

import boto3
import httpx

from flows.outputs import copy_to_s3
from tavus_api import TavusClient

VARIANTS = ("ours", "naive")


def peak_kib() -> int:
    """Peak resident memory of this process so far, in KiB (Linux ``ru_maxrss``)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def s3_client(endpoint: str) -> Any:
    """A boto3 client on the local S3 server (fake credentials: moto takes any)."""
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="bench-access-key",
        aws_secret_access_key="bench-secret-key",  # noqa: S106 - a local moto server
    )


def copy(variant: str, url: str, s3: Any, bucket: str, key: str) -> int:
    """Copy ``url`` to ``bucket/key`` the ``variant`` way; returns the bytes copied."""
    if variant == "ours":
        with TavusClient("unused-for-downloads", base_url="http://127.0.0.1") as tavus:
            stored = copy_to_s3(tavus, s3, url, bucket, lambda _ext: key, default_ext="mp4")
        return stored.size_bytes
    if variant == "naive":
        data = httpx.get(url).content
        s3.put_object(Bucket=bucket, Key=key, Body=data, ContentType="video/mp4")
        return len(data)
    raise ValueError(f"unknown variant {variant!r}; use one of {VARIANTS}")


def main(argv: list[str]) -> None:
    variant, url, endpoint, bucket, key = argv
    s3 = s3_client(endpoint)
    s3.head_bucket(Bucket=bucket)  # load botocore's models and open a connection
    httpx.head(url).raise_for_status()
    before = peak_kib()
    started = time.perf_counter()
    size = copy(variant, url, s3, bucket, key)
    seconds = time.perf_counter() - started
    after = peak_kib()
    result = {
        "variant": variant,
        "bytes": size,
        "seconds": seconds,
        "baseline_kib": before,
        "peak_kib": after,
        "extra_kib": after - before,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
