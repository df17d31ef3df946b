"""One copy of a video from a URL into S3, in a fresh process, reporting its peak memory.

Run by :mod:`benchmarks.memory` as
``python -m benchmarks._copy_child VARIANT URL S3_ENDPOINT BUCKET KEY``; prints one JSON
line: ``{"variant", "method", "bytes", "seconds", "baseline_kib", "peak_kib", "extra_kib"}``.

Everything is imported and both clients are built (and have made one request) before
the baseline is read, so ``extra_kib`` is what the copy itself cost: the peak RSS
during the copy minus the RSS just before it. On Linux the kernel's high-water mark
is reset first (``/proc/self/clear_refs``), so memory freed after the imports is not
mistaken for the copy's; elsewhere ``getrusage`` peaks are used (peak after minus peak
before, which can under-count).

Variants:

* ``ours``: the flow's store path, :func:`flows.outputs.copy_to_s3`
  (``TavusClient.stream_download`` into ``boto3`` ``upload_fileobj``, multipart);
* ``naive``: ``httpx.get(url).content`` then ``put_object``.
"""

from __future__ import annotations

import json
import re
import resource
import sys
import time
from typing import Any

import boto3
import httpx

from prefect_tavus.flows.outputs import copy_to_s3
from prefect_tavus.tavus_api import TavusClient

VARIANTS = ("ours", "naive")


_PROC_STATUS = "/proc/self/status"


def _proc_kib(field: str) -> int:
    with open(_PROC_STATUS) as status:
        found = re.search(rf"^{field}:\s+(\d+) kB", status.read(), re.MULTILINE)
    if found is None:
        raise OSError(f"no {field} in {_PROC_STATUS}")
    return int(found.group(1))


def start_measuring() -> tuple[int, str]:
    """Reset the peak if the OS allows; returns (baseline KiB, method)."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")  # reset VmHWM to the current RSS
        return _proc_kib("VmRSS"), "VmHWM"
    except OSError:
        return peak_kib("ru_maxrss"), "ru_maxrss"


def peak_kib(method: str) -> int:
    """Peak resident memory in KiB: ``VmHWM`` (since the reset) or ``ru_maxrss``."""
    if method == "VmHWM":
        return _proc_kib("VmHWM")
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
    before, method = start_measuring()
    started = time.perf_counter()
    size = copy(variant, url, s3, bucket, key)
    seconds = time.perf_counter() - started
    after = peak_kib(method)
    result = {
        "variant": variant,
        "method": method,
        "bytes": size,
        "seconds": seconds,
        "baseline_kib": before,
        "peak_kib": after,
        "extra_kib": after - before,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
