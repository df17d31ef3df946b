"""The benchmark report: figures with their targets, the machine, a table, the JSON file.

A :class:`Figure` is one number from this run, with the target it is held to (if any)
and what it is compared with ("beside"). The JSON keeps every figure under its key at
the top level (``throughput_ratio_to_bound`` ...) and the details of each scenario.

Example:
    >>> f = Figure("duplicates_per_row", "videos created per row", 1.0, target="== 1.00",
    ...            met=True, beside="1,000 rows + rerun")
    >>> print(format_table([f]).splitlines()[2])
    videos created per row | 1.00 | == 1.00 | yes | 1,000 rows + rerun
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Figure:
    """One measured number, its target and its comparators, as printed and saved."""

    key: str
    label: str
    value: float | None
    target: str = ""
    met: bool | None = None
    beside: str = ""
    digits: int = 2

    def shown(self) -> str:
        """The value as printed (``n/a`` when the run could not measure it)."""
        return "n/a" if self.value is None else f"{self.value:,.{self.digits}f}"


def format_table(figures: Sequence[Figure]) -> str:
    """``figure | value | target | met | beside``, one line per figure."""
    header = ("figure", "value", "target", "met", "beside it")
    lines = [header]
    for f in figures:
        met = "" if f.met is None else ("yes" if f.met else "NO")
        lines.append((f.label, f.shown(), f.target, met, f.beside))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    out = []
    for n, line in enumerate(lines):
        cells = [cell.ljust(width) for cell, width in zip(line, widths, strict=False)]
        out.append(" | ".join([*cells, line[-1]]).rstrip())
        if n == 0:
            out.append("-+-".join("-" * w for w in widths) + "-+-" + "-" * 9)
    return "\n".join(out)


def _meminfo_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _cores() -> int | None:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count()


def machine() -> dict[str, Any]:
    """Cores, memory, CPU, Python and Prefect versions, OS, and the load right now."""
    import prefect

    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "cores": _cores(),
        "memory_gib": _meminfo_gib(),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "prefect": prefect.__version__,
        "platform": platform.platform(),
        "load_average_at_start": None if load is None else [round(x, 2) for x in load],
    }


def write_json(
    path: Path,
    figures: Sequence[Figure],
    *,
    rows: int,
    machine_info: dict[str, Any],
    details: dict[str, Any],
    settings: dict[str, Any],
    seconds: float,
    prefect_api: dict[str, Any],
) -> Path:
    """Save the figures (each also under its key at the top level) and the details."""
    doc: dict[str, Any] = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "rows": rows,
        "machine": machine_info,
        "prefect_api": (
            f"{prefect_api['database']}; 'database is locked' "
            f"{prefect_api['database_locked_in_log']} times"
        ),
        **{f.key: f.value for f in figures},
        "figures": [asdict(f) for f in figures],
        "settings": settings,
        "details": details,
        "total_seconds": round(seconds, 1),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, default=str) + "\n")
    return path


REQUIRED_KEYS = (
    "throughput_ratio_to_bound",
    "requests_per_video",
    "overhead_ratio_flow_to_plain",
    "store_2gib_rss_growth_mib",
    "duplicates_per_row",
)
"""Keys every ``bench-results.json`` holds, each a number measured by the run."""


__all__ = ["REQUIRED_KEYS", "Figure", "format_table", "machine", "write_json"]
