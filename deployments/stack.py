"""`make serve`: a lasting local Prefect stack to click through, all on 127.0.0.1.

Starts, in this order: the Tavus simulator and an S3 server (moto) with their buckets,
a ``prefect server`` (UI and API on ``SERVE_PORT``, default 4200), the blocks the
deployments name (``tavus``, ``tavus-aws``, ``tavus-media``, ``tavus-outputs``) pointing at
the simulator and the S3 server, the ``tavus`` process work pool and the ``tavus-creates``
global concurrency limit, the sample manifest (``deployments/sample-manifest.csv``, 3
rows) at the ``generate-videos`` deployments' manifest locations, the ``tavus-alerts``
notification block (a local inbox that prints each alert) and the ``tavus-video-failed``
automation
(:mod:`deployments.automations`), every deployment of ``deployments/prefect.yaml``
(``prefect deploy --all``) and a process worker. It prints the UI address and stops
everything on Ctrl-C or SIGTERM.

The blocks are saved again on every start (the simulator and S3 server get new ports),
so they never point at a port that no longer answers while the stack runs; the S3
server keeps its objects in memory, so outputs last until the stack stops.

Example:
    make serve                       # UI on http://127.0.0.1:4200
    SERVE_PORT=4300 make serve       # beside another server

    >>> with served_stack(port=4300, home=tmp) as stack:  # doctest: +SKIP
    ...     print(stack.ui_url)
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx
import yaml
from prefect import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate, WorkPoolCreate
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
from prefect.settings import PREFECT_API_URL, temporary_settings

from deployments.alerts import AlertInbox, alert_inbox
from deployments.automations import ensure_video_failed_automation
from deployments.local import BlockNames, LocalStack, local_stack

ROOT = Path(__file__).resolve().parents[1]
PREFECT_YAML = ROOT / "deployments" / "prefect.yaml"
SAMPLE_MANIFEST = ROOT / "deployments" / "sample-manifest.csv"
SAMPLE_MANIFEST_KEYS = ("samples/welcome.csv", "campaigns/weekly.csv")
"""Where the ``generate-videos`` deployments' default manifests are, in the media bucket."""
WORK_POOL = "tavus"
"""The process work pool every deployment in ``prefect.yaml`` uses."""
CREATES_LIMIT = "tavus-creates"
"""Global concurrency limit for Tavus creates, shared by every run and worker."""
CREATES_LIMIT_SLOTS = 5
CREATES_PER_SECOND = 2.0
DEFAULT_PORT = 4200


@dataclass
class ServedStack:
    """Handles on a running ``make serve`` stack."""

    api_url: str
    ui_url: str
    local: LocalStack
    blocks: BlockNames
    alerts: AlertInbox
    """Where the ``tavus-video-failed`` automation's notifications arrive."""
    env: dict[str, str]
    """Environment for a ``prefect`` command against this server."""


def deployment_specs(path: Path = PREFECT_YAML) -> list[dict[str, Any]]:
    """The deployments declared in ``prefect.yaml`` (names, parameters, schedules)."""
    specs: list[dict[str, Any]] = yaml.safe_load(path.read_text())["deployments"]
    return specs


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def prefect_env(api_url: str, home: Path | None, extra: Mapping[str, str] | None = None) -> dict:
    """Environment for ``prefect`` subprocesses: this server, no analytics, UI on the API."""
    env = {
        **os.environ,
        "PREFECT_API_URL": api_url,
        "PREFECT_UI_API_URL": api_url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ALLOW_EPHEMERAL_MODE": "false",
        **(extra or {}),
    }
    if home is not None:
        env["PREFECT_HOME"] = str(home)
    return env


def _prefect(*args: str) -> list[str]:
    return [sys.executable, "-m", "prefect", *args]


@contextmanager
def _process(
    command: list[str], env: Mapping[str, str], output: IO[str] | None
) -> Iterator[subprocess.Popen[str]]:
    """Run ``command`` in its own process group; stop the group (SIGTERM, then SIGKILL)."""
    proc = subprocess.Popen(
        command,
        env=dict(env),
        cwd=ROOT,
        stdout=output,
        stderr=subprocess.STDOUT if output is not None else None,
        text=True,
        start_new_session=True,  # Ctrl-C reaches only us; we stop the children in order
    )
    try:
        yield proc
    finally:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _wait_healthy(api_url: str, proc: subprocess.Popen[str], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"prefect server exited ({proc.returncode}); see {log}")
        with suppress(httpx.HTTPError):
            if httpx.get(f"{api_url}/health", timeout=2).status_code == 200:
                return
        time.sleep(0.5)
    raise RuntimeError(f"prefect server not healthy after {timeout:.0f}s; see {log}")


def ensure_work_pool_and_limit() -> None:
    """The ``tavus`` process work pool and the ``tavus-creates`` limit, if missing."""
    with get_client(sync_client=True) as client:
        with suppress(ObjectAlreadyExists):
            client.create_work_pool(WorkPoolCreate(name=WORK_POOL, type="process"))
        try:
            client.read_global_concurrency_limit_by_name(CREATES_LIMIT)
        except ObjectNotFound:
            client.create_global_concurrency_limit(
                GlobalConcurrencyLimitCreate(
                    name=CREATES_LIMIT,
                    limit=CREATES_LIMIT_SLOTS,
                    slot_decay_per_second=CREATES_PER_SECOND,
                )
            )


def deploy_all(env: Mapping[str, str], log: IO[str] | None = None) -> None:
    """``prefect deploy --all`` from ``deployments/prefect.yaml`` (raises with its output)."""
    done = subprocess.run(
        _prefect("--no-prompt", "deploy", "--all", "--prefect-file", str(PREFECT_YAML)),
        env=dict(env),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if log is not None:
        log.write(done.stdout + done.stderr)
        log.flush()
    if done.returncode != 0:
        raise RuntimeError(f"prefect deploy failed:\n{done.stdout[-4000:]}{done.stderr[-4000:]}")


@contextmanager
def served_stack(
    port: int = DEFAULT_PORT,
    *,
    home: Path | None = None,
    log_dir: Path | None = None,
    worker_output: IO[str] | None = None,
    generation_seconds: float = 3.0,
    worker_poll_seconds: float = 5.0,
    startup_timeout: float = 180.0,
    echo_alerts: bool = True,
) -> Iterator[ServedStack]:
    """Start the whole stack; stop all of it when the block exits.

    Args:
        port: the Prefect server's port on 127.0.0.1 (UI and API).
        home: ``PREFECT_HOME`` for the server, deploy and worker (its SQLite database
            lives there); default: the caller's.
        log_dir: where ``server.log`` and ``deploy.log`` go (default: ``home`` or ``.prefect``).
        worker_output: where the worker's log goes (default: this terminal).
        generation_seconds: how long the simulator takes to make a video.
        worker_poll_seconds: how often the worker asks for scheduled runs.
        startup_timeout: seconds to wait for the server to answer.
        echo_alerts: print each ``tavus-alerts`` notification on this terminal.
    """
    if _port_in_use(port):
        raise RuntimeError(
            f"127.0.0.1:{port} is already in use: stop that server or choose another SERVE_PORT"
        )
    api_url = f"http://127.0.0.1:{port}/api"
    env = prefect_env(api_url, home, {"PREFECT_WORKER_QUERY_SECONDS": str(worker_poll_seconds)})
    logs = log_dir or home or ROOT / ".prefect"
    logs.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        local = stack.enter_context(local_stack(generation_seconds=generation_seconds))
        server_log_path = logs / "server.log"
        server_log = stack.enter_context(server_log_path.open("a"))
        server = stack.enter_context(
            _process(
                _prefect("server", "start", "--host", "127.0.0.1", "--port", str(port)),
                env,
                server_log,
            )
        )
        _wait_healthy(api_url, server, server_log_path, startup_timeout)
        stack.enter_context(temporary_settings({PREFECT_API_URL: api_url}))
        blocks = BlockNames()
        local.save_blocks(names=blocks)
        for key in SAMPLE_MANIFEST_KEYS:
            local.s3_client().upload_file(str(SAMPLE_MANIFEST), local.media_bucket, key)
        alerts = stack.enter_context(alert_inbox(echo=echo_alerts))
        alerts.save_block()
        ensure_video_failed_automation()
        ensure_work_pool_and_limit()
        with (logs / "deploy.log").open("a") as deploy_log:
            deploy_all(env, deploy_log)
        stack.enter_context(
            _process(_prefect("worker", "start", "--pool", WORK_POOL), env, worker_output)
        )
        yield ServedStack(
            api_url=api_url,
            ui_url=f"http://127.0.0.1:{port}",
            local=local,
            blocks=blocks,
            alerts=alerts,
            env=env,
        )


def main() -> None:
    """Run the stack until Ctrl-C or SIGTERM."""
    port = int(os.environ.get("SERVE_PORT", DEFAULT_PORT))
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    print(f"Starting the local stack (Prefect server on 127.0.0.1:{port}) ...", flush=True)
    with served_stack(port) as stack:
        print(
            f"\nPrefect UI:      {stack.ui_url}\n"
            f"Tavus simulator: {stack.local.tavus.base_url}\n"
            f"S3 server:       {stack.local.s3_endpoint} "
            f"(buckets {stack.local.media_bucket}, {stack.local.output_bucket})\n"
            f"Deployments:     {stack.ui_url}/deployments  (Run -> Custom run)\n"
            f"Automations:     {stack.ui_url}/automations  (a failed video prints ALERT here)\n"
            "Ctrl-C stops everything.\n",
            flush=True,
        )
        stop.wait()
        print("Stopping the worker, the server, the simulator and the S3 server ...", flush=True)


if __name__ == "__main__":
    main()
