"""Memory: copying a large finished video into S3, streamed (ours) vs read whole (naive).

The video (``size_mb`` of bytes, ``video/mp4``) is served by a small HTTP server on
127.0.0.1 in this process; S3 is moto in server mode in its OWN subprocess, so the
objects it keeps in memory are not counted. Each copy runs in a fresh Python process
(:mod:`benchmarks._copy_child`) that reports its peak RSS during the copy over its
RSS just before it. Ours is the flow's store path (``stream_download`` into
``upload_fileobj``, multipart); the baseline is ``httpx.get(url).content`` then
``put_object``. Every stored object's size is checked before it is deleted.

Example:
    >>> rows = run(MemorySettings(size_mb=5, repetitions=1))  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from benchmarks._copy_child import s3_client
from benchmarks._report import Row, alternate

BUCKET = "bench-memory"
MIB = 1024 * 1024
PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class MemorySettings:
    """Sizes of the memory benchmark."""

    size_mb: int = 200
    """Size of the video copied, in MiB."""
    repetitions: int = 3


def make_video_file(path: Path, size_mb: int) -> Path:
    """``size_mb`` MiB of incompressible bytes (one random MiB repeated) at ``path``."""
    block = os.urandom(MIB)
    with path.open("wb") as out:
        for _ in range(size_mb):
            out.write(block)
    return path


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


@contextmanager
def file_server(directory: Path) -> Iterator[str]:
    """Serve ``directory`` over HTTP on 127.0.0.1 (a free port); yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="bench-files", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_up(url: str, process: subprocess.Popen[bytes], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            httpx.get(url, timeout=1.0)
            return True
        except httpx.TransportError:
            time.sleep(0.1)
    return False


@contextmanager
def moto_subprocess(timeout: float = 30.0) -> Iterator[str]:
    """moto's S3 server in a child process on 127.0.0.1; yields its endpoint URL."""
    for _ in range(3):  # the free port may be taken between probe and bind: try another
        port = _free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        endpoint = f"http://127.0.0.1:{port}"
        if _wait_up(endpoint, process, timeout):
            break
        process.kill()
        process.wait()
    else:
        raise RuntimeError("moto server did not start")
    try:
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def copy_in_child(variant: str, url: str, endpoint: str, key: str) -> dict[str, Any]:
    """Run one copy in a fresh interpreter; returns what it reported."""
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks._copy_child", variant, url, endpoint, BUCKET, key],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=600,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{variant} copy failed:\n{completed.stderr[-2000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def run(settings: MemorySettings) -> list[Row]:
    """Both variants ``settings.repetitions`` times, alternated; peak MiB over baseline."""
    reports: dict[str, list[dict[str, Any]]] = {"ours": [], "naive": []}
    size = settings.size_mb * MIB
    with (
        tempfile.TemporaryDirectory(prefix="tavus-bench-") as tmp,
        file_server(Path(tmp)) as files,
        moto_subprocess() as endpoint,
    ):
        make_video_file(Path(tmp) / "video.mp4", settings.size_mb)
        s3 = s3_client(endpoint)
        s3.create_bucket(Bucket=BUCKET)
        url = f"{files}/video.mp4"

        def measure(variant: str) -> float:
            key = f"{variant}-{len(reports[variant])}.mp4"
            report = copy_in_child(variant, url, endpoint, key)
            stored = s3.head_object(Bucket=BUCKET, Key=key)["ContentLength"]
            s3.delete_object(Bucket=BUCKET, Key=key)
            if report["bytes"] != size or stored != size:
                raise RuntimeError(f"{variant}: copied {report['bytes']}, stored {stored}")
            reports[variant].append(report)
            return report["extra_kib"] / 1024

        ours_mib, naive_mib = alternate(
            settings.repetitions, lambda: measure("ours"), lambda: measure("naive")
        )

    def median_seconds(variant: str) -> float:
        times = sorted(r["seconds"] for r in reports[variant])
        return times[len(times) // 2]

    base_mib = sorted(r["baseline_kib"] for r in reports["ours"] + reports["naive"])[0] / 1024
    return [
        Row(
            "memory",
            f"peak extra RSS copying {settings.size_mb} MiB to S3",
            "MiB",
            ours_mib,
            naive_mib,
            note=f"stream_download+upload_fileobj vs get().content+put_object; copy took "
            f"{median_seconds('ours'):.1f} s vs {median_seconds('naive'):.1f} s; "
            f"process RSS before the copy (~{base_mib:.0f} MiB) not counted",
            extra={"reports": reports},
        )
    ]


__all__ = ["MemorySettings", "copy_in_child", "file_server", "moto_subprocess", "run"]
