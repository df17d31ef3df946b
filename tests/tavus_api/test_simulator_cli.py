"""``tavus-sim`` starts from the command line, answers over HTTP and stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from prefect_tavus.tavus_api.simulator import DEFAULT_REPLICA_ID
from prefect_tavus.tavus_api.simulator.cli import build_parser

pytestmark = pytest.mark.timeout(60)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def command() -> list[str]:
    """The installed console script, as a user runs it (the module if not installed)."""
    script = Path(sys.executable).with_name("tavus-sim")
    return (
        [str(script)]
        if script.exists()
        else [sys.executable, "-m", "prefect_tavus.tavus_api.simulator.cli"]
    )


def launch(args: list[str]) -> subprocess.Popen:
    """``tavus-sim`` with ``args``, its output (stdout and stderr) readable as text."""
    return subprocess.Popen(
        command() + args,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def wait_until_up(base: str, proc: subprocess.Popen, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else "exited"
        try:
            httpx.get(f"{base}/_sim/stats", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("tavus-sim did not come up")


def test_cli_serves_the_api_with_its_options(tmp_path: Path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    args = ["--port", str(port), "--api-key", "key-one", "--api-key", "key-two"]
    args += ["--clock", "manual", "--queue-seconds", "1", "--generation-seconds", "2"]
    args += ["--page-base", "1", "--delete-status", "204", "--unknown-id-status", "404"]
    args += ["--seed", "5", "--data-dir", str(tmp_path / "data")]
    proc = launch(args)
    try:
        wait_until_up(base, proc)
        with httpx.Client(base_url=base, headers={"x-api-key": "key-two"}) as client:
            assert client.get("/v2/replicas").status_code == 200
            assert client.get("/v2/videos", headers={"x-api-key": "nope"}).status_code == 401
            assert client.get("/v2/videos/ffffffffff").status_code == 404
            video_id = client.post(
                "/v2/videos", json={"replica_id": DEFAULT_REPLICA_ID, "script": "Hi from the CLI"}
            ).json()["video_id"]
            assert client.post("/_sim/clock/advance", json={"seconds": 3}).status_code == 200
            video = client.get(f"/v2/videos/{video_id}").json()
            assert video["status"] == "ready"
            assert video["download_url"].startswith(base)
            assert httpx.get(video["download_url"]).status_code == 200
            first_page = client.get("/v2/videos", params={"page": 1}).json()
            assert [v["video_id"] for v in first_page["data"]] == [video_id]
            assert client.delete(f"/v2/videos/{video_id}").status_code == 204
        assert (tmp_path / "data" / "renders").is_dir()  # --data-dir is used and kept
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        output = proc.stdout.read() if proc.stdout else ""
        assert f"tavus-sim listening on {base}" in output
        assert "key-one" not in output and "key-two" not in output
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_cli_defaults():
    args = build_parser().parse_args([])
    assert (args.host, args.port, args.clock, args.page_base) == ("127.0.0.1", 8787, "real", 0)
    assert (args.delete_status, args.unknown_id_status) == (200, 400)


def test_load_and_scale_flags_reach_the_config():
    from prefect_tavus.tavus_api.simulator.cli import _config

    args = ["--quota-creates-per-second", "20", "--quota-concurrent-generating", "500"]
    args += ["--generation-jitter-seconds", "1.5", "--preexisting-videos", "5000"]
    args += ["--list-order", "oldest", "--output-size-bytes", str(2 * 1024**3)]
    config = _config(build_parser().parse_args(args))
    assert (config.quota_creates_per_second, config.quota_concurrent_generating) == (20, 500)
    assert (config.generation_jitter_seconds, config.preexisting_videos) == (1.5, 5000)
    assert (config.list_order, config.output_size_bytes) == ("oldest", 2 * 1024**3)
    defaults = _config(build_parser().parse_args([]))
    assert (defaults.quota_creates_per_second, defaults.quota_concurrent_generating) == (None, None)
    assert (defaults.generation_jitter_seconds, defaults.preexisting_videos) == (0, 0)
    assert (defaults.list_order, defaults.output_size_bytes) == ("newest", None)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--quota-creates-per-second", "0"], "invalid --quota-creates-per-second: "),
        (["--output-size-bytes", "-1"], "invalid --output-size-bytes: "),
        (["--generation-jitter-seconds", "9"], "must not exceed generation_seconds"),
    ],
)
def test_bad_flags_are_refused_naming_the_flag(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from prefect_tavus.tavus_api.simulator import cli

    assert cli.main(["--port", "0", *args]) == 2
    assert message in capsys.readouterr().err


def test_without_the_simulator_extra_it_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from prefect_tavus.tavus_api.simulator import cli

    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)  # as if not installed
    assert cli.main(["--port", "0"]) == 2
    assert "pip install 'prefect-tavus[simulator]'" in capsys.readouterr().err
