"""Run each measured variant in a process of its own, forked from one that imported
Prefect and the project once.

A variant (the flow, the plain asyncio loop, the thread script) is a module with a
``main([PAYLOAD_JSON, REPORT_PATH])``. :class:`Forker` starts one *zygote* process
(``python -m benchmarks._child``) that imports every variant's dependencies and then,
per run, forks a fresh child that calls the module's ``main``: the child's peak RSS is
its own (``ru_maxrss`` read with ``os.wait4`` by the zygote), it can be killed with
SIGKILL mid-run, and the ~3 s of importing Prefect is paid once instead of once per
run (11 runs in a benchmark). The zygote has started no thread, event loop or client
when it forks. A child writes its report to ``REPORT_PATH`` as JSON; inside a child,
:func:`write_report` and :func:`memory_now` help.

Example:
    >>> with Forker.start(env) as forker:  # doctest: +SKIP
    ...     result = forker.run("benchmarks._threads_child", {"rows": 10}, timeout=60)
    >>> result.report["seconds"], result.peak_rss_mib  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
import json
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks._services import PROJECT_ROOT

PRELOADED = (
    "prefect_tavus.flows",
    "prefect_tavus.flows.batch",
    "deployments.local",
    "benchmarks._flow_child",
    "benchmarks._plain_child",
    "benchmarks._threads_child",
)
"""What the zygote imports before it forks (what the variants import, Prefect first)."""


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


@dataclass
class Forker:
    """The zygote process and the pipe to it; :meth:`run` forks one child per variant."""

    process: subprocess.Popen[str]

    @classmethod
    @contextmanager
    def start(cls, env: dict[str, str]) -> Iterator[Forker]:
        """Start the zygote with ``env`` (every child inherits it) and wait until it is ready."""
        process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks._child"],
            cwd=PROJECT_ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        forker = cls(process)
        try:
            if forker._read(timeout=300) is None:  # {"ready": true} once all is imported
                raise ChildFailed("the benchmark zygote was not ready within 300 s")
            yield forker
        finally:
            if process.stdin:
                process.stdin.close()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()

    def _read(self, timeout: float | None) -> dict[str, Any] | None:
        """The zygote's next line as JSON, or None if none came within ``timeout`` s."""
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        if not ready:
            return None
        line = self.process.stdout.readline()
        if not line:
            raise ChildFailed(f"the benchmark zygote exited ({self.process.wait()})")
        message: dict[str, Any] = json.loads(line)
        return message

    def run(
        self,
        module: str,
        payload: dict[str, Any],
        *,
        timeout: float,
        kill_when: Callable[[], bool] | None = None,
        poll_seconds: float = 0.25,
    ) -> ChildResult:
        """Run ``module``'s ``main`` with ``payload`` in a forked child; SIGKILL it as soon
        as ``kill_when()`` is true.

        Raises :class:`ChildFailed` if it exits non-zero without having been killed, or
        runs past ``timeout`` seconds.
        """
        assert self.process.stdin is not None
        with tempfile.TemporaryDirectory(prefix="tavus-bench-child-") as tmp:
            report_path = Path(tmp) / "report.json"
            stderr_path = Path(tmp) / "stderr.txt"
            request = {
                "module": module,
                "payload": json.dumps(payload),
                "report": str(report_path),
                "stderr": str(stderr_path),
            }
            started = time.perf_counter()
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
            forked = self._read(timeout=60)
            if forked is None:
                raise ChildFailed(f"the zygote did not fork {module}")
            pid = int(forked["pid"])
            killed = False
            while (ended := self._read(timeout=poll_seconds)) is None:
                if not killed and kill_when is not None and kill_when():
                    os.kill(pid, signal.SIGKILL)
                    killed = True
                elif time.perf_counter() - started > timeout:
                    os.kill(pid, signal.SIGKILL)
                    self._read(timeout=30)
                    raise ChildFailed(f"{module} ran past {timeout:.0f} s")
            seconds = time.perf_counter() - started
            returncode = int(ended["returncode"])
            tail = stderr_path.read_text(errors="replace")[-4000:] if stderr_path.exists() else ""
            if returncode != 0 and not killed:
                raise ChildFailed(f"{module} exited with {returncode}:\n{tail}")
            report = json.loads(report_path.read_text()) if report_path.exists() else {}
        return ChildResult(
            report=report,
            peak_rss_mib=float(ended["maxrss_kib"]) / 1024,  # KiB on Linux
            returncode=returncode,
            seconds=seconds,
            killed=killed,
            stderr_tail=tail,
        )


# --- the zygote --------------------------------------------------------------------------------


def _child(request: dict[str, Any]) -> int:
    """In the forked child: stdout away from the zygote's pipe, stderr to a file, run."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    stderr = os.open(request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(stderr, 2)
    try:
        importlib.import_module(request["module"]).main([request["payload"], request["report"]])
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:
        traceback.print_exc()
        return 1
    return 0


def _serve() -> None:
    """Import what the variants need, then fork one child per request line on stdin."""
    for name in PRELOADED:
        importlib.import_module(name)
    if threading.active_count() != 1:  # forking with threads could copy a held lock
        raise RuntimeError(f"threads before fork: {[t.name for t in threading.enumerate()]}")
    out = sys.stdout
    out.write(json.dumps({"ready": True}) + "\n")
    out.flush()
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                code = _child(request)
            finally:
                sys.stderr.flush()
                os._exit(code)
        out.write(json.dumps({"pid": pid}) + "\n")
        out.flush()
        _, status, usage = os.wait4(pid, 0)
        returncode = os.waitstatus_to_exitcode(status)
        out.write(json.dumps({"returncode": returncode, "maxrss_kib": usage.ru_maxrss}) + "\n")
        out.flush()


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


if __name__ == "__main__":
    _serve()


__all__ = [
    "ChildFailed",
    "ChildResult",
    "Forker",
    "memory_now",
    "read_args",
    "write_report",
]
