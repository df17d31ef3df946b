"""The local services a benchmark run needs, each in its own process on 127.0.0.1.

* the Tavus simulator (:mod:`benchmarks._sim_server`), so its CPU and memory are not
  the measured process's, reconfigured between scenarios with ``POST /_sim/reset``;
* moto's S3 server, so the objects it holds in memory are not counted either;
* a ``prefect server`` with its own temporary ``PREFECT_HOME`` and SQLite database
  (Prefect's default), whose log is kept to count "database is locked" answers.

Example:
    >>> with together(simulator({"generation_seconds": 5}), moto_server()) as (sim, s3):
    ...     sim.reset(quota_creates_per_second=20)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"
NO_TRACKING = {"DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}


def free_port() -> int:
    """A TCP port free on the loopback interface right now."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[Any], timeout: float) -> None:
    """Poll ``url`` until it answers (any status); raise if ``process`` dies or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            httpx.get(url, timeout=2.0)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def stop(process: subprocess.Popen[Any], timeout: float = 15.0) -> None:
    """SIGTERM, then SIGKILL if it has not ended after ``timeout`` seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Simulator:
    """Handle on the simulator subprocess: its URL, key and admin API."""

    base_url: str
    api_key: str

    def reset(self, **overrides: Any) -> None:
        """Fresh state (no videos, counters); ``overrides`` change the config from now on."""
        response = httpx.post(f"{self.base_url}/_sim/reset", json=overrides, timeout=120)
        response.raise_for_status()

    def stats(self) -> dict[str, Any]:
        """``GET /_sim/stats``: requests per route and status, videos created, ..."""
        response = httpx.get(f"{self.base_url}/_sim/stats", timeout=60)
        response.raise_for_status()
        return dict(response.json())

    def set_faults(self, rules: list[dict[str, Any]]) -> None:
        """Replace the fault rules (``POST /_sim/faults``)."""
        response = httpx.post(f"{self.base_url}/_sim/faults", json={"rules": rules}, timeout=30)
        response.raise_for_status()


@contextmanager
def simulator(config: dict[str, Any]) -> Iterator[Simulator]:
    """The simulator in a child process, started with ``config`` (SimulatorConfig fields)."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="tavus-bench-sim-") as data_dir:
        full = {"data_dir": data_dir, "api_keys": ["bench-key"], **config}
        process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks._sim_server", str(port), json.dumps(full)],
            cwd=PROJECT_ROOT,
            stdout=subprocess.DEVNULL,
        )
        base_url = f"http://{LOOPBACK}:{port}"
        try:
            wait_until_up(f"{base_url}/_sim/config", process, timeout=60)
            yield Simulator(base_url=base_url, api_key=full["api_keys"][0])
        finally:
            stop(process)


@contextmanager
def moto_server() -> Iterator[str]:
    """moto's S3 server in a child process; yields its endpoint URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", LOOPBACK, "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://{LOOPBACK}:{port}"
    try:
        wait_until_up(endpoint, process, timeout=60)
        yield endpoint
    finally:
        stop(process)


@dataclass
class PrefectServer:
    """A ``prefect server`` subprocess: the environment a client needs, and its log."""

    port: int
    home: Path
    log_path: Path
    database: str

    @property
    def api_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/api"

    @property
    def env(self) -> dict[str, str]:
        """Environment for a process that talks to this server (and only to it)."""
        return {
            **os.environ,
            **NO_TRACKING,
            "PREFECT_HOME": str(self.home),
            "PREFECT_API_URL": self.api_url,
            "PREFECT_LOCAL_STORAGE_PATH": str(self.home / "storage"),
        }

    def database_locked_count(self) -> int:
        """How many times the server's log says SQLite was locked so far."""
        return self.log_path.read_text(errors="replace").count("database is locked")

    def server_errors(self) -> int:
        """Lines of the server log reporting a 5xx answer or an unhandled exception."""
        text = self.log_path.read_text(errors="replace")
        return sum(
            1
            for line in text.splitlines()
            if " 503 " in line or " 500 " in line or "Traceback" in line
        )


@contextmanager
def prefect_home() -> Iterator[PrefectServer]:
    """A ``prefect server`` not started yet: a free loopback port and a temporary home, so
    its clients' environment (:attr:`PrefectServer.env`) is known before it is up."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="tavus-bench-prefect-") as tmp:
        home = Path(tmp)
        yield PrefectServer(
            port=port,
            home=home,
            log_path=home / "server.log",
            database="sqlite (prefect server default)",
        )


@contextmanager
def prefect_server(server: PrefectServer) -> Iterator[PrefectServer]:
    """``prefect server start`` for ``server`` (from :func:`prefect_home`), with SQLite
    (Prefect's default); no UI, scheduler or late-runs service (nothing is scheduled)."""
    command = [sys.executable, "-m", "prefect", "server", "start", "--host", LOOPBACK]
    flags = ["--no-ui", "--no-scheduler", "--no-late-runs", "--analytics-off"]
    with server.log_path.open("wb") as log:
        process = subprocess.Popen(
            [*command, "--port", str(server.port), *flags],
            # a quiet server log; a measured flow logs as it would anywhere
            env={**server.env, "PREFECT_API_URL": "", "PREFECT_LOGGING_LEVEL": "WARNING"},
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=server.home,
        )
        try:
            wait_until_up(f"{server.api_url}/health", process, timeout=180)
            yield server
        finally:
            stop(process)


@contextmanager
def together(*managers: AbstractContextManager[Any]) -> Iterator[list[Any]]:
    """Enter ``managers`` at once, each in a thread (their servers start in parallel);
    yields what each gave and exits them in reverse order. If one fails to start, the
    others that started are stopped and its error is raised.
    """
    with ExitStack() as stack:
        with ThreadPoolExecutor(len(managers)) as pool:
            entered = [pool.submit(manager.__enter__) for manager in managers]
            wait(entered)
        for manager, future in zip(managers, entered, strict=True):
            if future.exception() is None:
                stack.push(manager)
        yield [future.result() for future in entered]


__all__ = [
    "PrefectServer",
    "Simulator",
    "free_port",
    "moto_server",
    "prefect_home",
    "prefect_server",
    "simulator",
    "stop",
    "together",
]
