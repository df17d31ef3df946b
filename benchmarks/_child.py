"""Run one measured variant in a fresh Python process; read its report and peak memory.

Each variant (the flow, the plain asyncio loop, the thread script) runs as
``python -m benchmarks.<module> PAYLOAD_JSON REPORT_PATH`` so its peak RSS is its own
(``ru_maxrss`` of the child, read with ``os.wait4``) and so it can be killed with
SIGKILL in the middle of a run. The child writes its report to ``REPORT_PATH`` as JSON;
inside the child, :func:`write_report` and :func:`memory_now` help.

Example:
    >>> result = run_child("benchmarks._threads_child", {"rows": 10}, env)  # doctest: +SKIP
    >>> result.report["seconds"], result.peak_rss_mib  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks._services import PROJECT_ROOT


@dataclass
class ChildResult:
    """What a child process left: its report (``{}`` if killed), peak RSS, exit, timing."""

    report: dict[str, Any]
    peak_rss_mib: float
    returncode: int
    seconds: float
    killed: bool = False
    stderr_tail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class ChildFailed(RuntimeError):
    """A child exited with an error (its stderr's end is in the message)."""


def run_child(
    module: str,
    payload: dict[str, Any],
    env: dict[str, str],
    *,
    timeout: float,
    kill_when: Callable[[], bool] | None = None,
    poll_seconds: float = 0.25,
) -> ChildResult:
    """Run ``module`` with ``payload``; SIGKILL it as soon as ``kill_when()`` is true.

    Raises :class:`ChildFailed` if it exits non-zero without having been killed, or
    runs past ``timeout`` seconds.
    """
    with tempfile.TemporaryDirectory(prefix="tavus-bench-child-") as tmp:
        report_path = Path(tmp) / "report.json"
        stderr_path = Path(tmp) / "stderr.txt"
        started = time.perf_counter()
        with stderr_path.open("wb") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-m", module, json.dumps(payload), str(report_path)],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
            killed = False
            while True:
                pid, status, usage = os.wait4(process.pid, os.WNOHANG)
                if pid:
                    break
                elapsed = time.perf_counter() - started
                if not killed and kill_when is not None and kill_when():
                    os.kill(process.pid, signal.SIGKILL)
                    killed = True
                elif elapsed > timeout:
                    os.kill(process.pid, signal.SIGKILL)
                    os.wait4(process.pid, 0)
                    raise ChildFailed(f"{module} ran past {timeout:.0f} s")
                time.sleep(poll_seconds)
        process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        tail = stderr_path.read_text(errors="replace")[-4000:]
        if process.returncode != 0 and not killed:
            raise ChildFailed(f"{module} exited with {process.returncode}:\n{tail}")
        report = json.loads(report_path.read_text()) if report_path.exists() else {}
    return ChildResult(
        report=report,
        peak_rss_mib=usage.ru_maxrss / 1024,  # KiB on Linux
        returncode=process.returncode,
        seconds=seconds,
        killed=killed,
        stderr_tail=tail,
    )


# --- inside a child ----------------------------------------------------------------------------


def read_args(argv: list[str]) -> tuple[dict[str, Any], Path]:
    """The payload and report path a child was started with."""
    return json.loads(argv[0]), Path(argv[1])


def write_report(path: Path, report: dict[str, Any]) -> None:
    """Write the child's report atomically (a killed child leaves none or a whole one)."""
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(report, default=str))
    partial.replace(path)


def _proc_status_kib(field_name: str) -> int | None:
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return None
    found = re.search(rf"^{field_name}:\s+(\d+) kB", text, re.MULTILINE)
    return int(found.group(1)) if found else None


def memory_now() -> dict[str, float | None]:
    """This process's resident and peak resident memory right now, in MiB (Linux)."""
    rss, hwm = _proc_status_kib("VmRSS"), _proc_status_kib("VmHWM")
    return {
        "rss_mib": None if rss is None else rss / 1024,
        "peak_rss_mib": None if hwm is None else hwm / 1024,
    }


__all__ = ["ChildFailed", "ChildResult", "memory_now", "read_args", "run_child", "write_report"]
