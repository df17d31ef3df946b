"""Rows of the benchmark report: alternate the two variants, take medians, print, save.

Every benchmark compares *ours* with a *baseline* on the same machine in the same run.
Machines are noisy, so :func:`alternate` runs the two variants in turn (ours first on
even repetitions, the baseline first on odd ones) and a :class:`Row` reports the
median of each and their ratio ``ours / baseline``.

Example:
    >>> ours, base = alternate(3, lambda: 2.0, lambda: 4.0)
    >>> row = Row("demo", "seconds", "s", ours, base, better="lower")
    >>> row.ours, row.baseline, row.ratio, row.verdict
    (2.0, 4.0, 0.5, 'ours better')
"""

from __future__ import annotations

import json
import platform
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

Better = Literal["lower", "higher"]


def alternate(
    repetitions: int, ours: Callable[[], float], baseline: Callable[[], float]
) -> tuple[list[float], list[float]]:
    """Run both variants ``repetitions`` times, alternating which goes first.

    Returns the samples of each, in run order.

    >>> order = []
    >>> _ = alternate(2, lambda: order.append("o") or 1.0, lambda: order.append("b") or 1.0)
    >>> order
    ['o', 'b', 'b', 'o']
    """
    if repetitions < 1:
        raise ValueError("repetitions must be >= 1")
    ours_samples: list[float] = []
    baseline_samples: list[float] = []
    for i in range(repetitions):
        if i % 2 == 0:
            ours_samples.append(ours())
            baseline_samples.append(baseline())
        else:
            baseline_samples.append(baseline())
            ours_samples.append(ours())
    return ours_samples, baseline_samples


@dataclass
class Row:
    """One comparison: medians of both variants' samples and what "better" means.

    ``better`` says whether lower (seconds, calls, bytes) or higher (videos/s) is
    better; ``verdict`` reads the ratio accordingly.
    """

    benchmark: str
    metric: str
    unit: str
    ours_samples: Sequence[float]
    baseline_samples: Sequence[float]
    better: Better = "lower"
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.ours_samples or not self.baseline_samples:
            raise ValueError(f"{self.benchmark}: both variants need at least one sample")

    @property
    def ours(self) -> float:
        """Median of our samples."""
        return float(statistics.median(self.ours_samples))

    @property
    def baseline(self) -> float:
        """Median of the baseline's samples."""
        return float(statistics.median(self.baseline_samples))

    @property
    def ratio(self) -> float | None:
        """``ours / baseline`` of the medians (``None`` if the baseline is 0)."""
        return None if self.baseline == 0 else self.ours / self.baseline

    @property
    def verdict(self) -> str:
        """ "ours better", "baseline better" or "same", from the ratio and ``better``."""
        ratio = self.ratio
        if ratio is None or ratio == 1.0:
            return "same"
        ours_lower = ratio < 1.0
        return "ours better" if ours_lower == (self.better == "lower") else "baseline better"

    def to_json(self) -> dict[str, Any]:
        return {
            "benchmark": self.benchmark,
            "metric": self.metric,
            "unit": self.unit,
            "better": self.better,
            "ours": self.ours,
            "baseline": self.baseline,
            "ratio": self.ratio,
            "verdict": self.verdict,
            "ours_samples": list(self.ours_samples),
            "baseline_samples": list(self.baseline_samples),
            "note": self.note,
            **({"extra": self.extra} if self.extra else {}),
        }


def _number(value: float, unit: str) -> str:
    if value == int(value) and abs(value) < 1e6:
        text = f"{int(value)}"
    elif abs(value) >= 100:
        text = f"{value:.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".strip()


def format_table(rows: Sequence[Row]) -> str:
    """The rows as ``benchmark | ours | baseline | ratio | note`` (medians)."""
    header = ("benchmark", "ours", "baseline", "ratio", "note")
    lines = [header]
    for row in rows:
        ratio = "n/a" if row.ratio is None else f"{row.ratio:.3g}x ({row.verdict})"
        lines.append(
            (
                f"{row.benchmark}: {row.metric}",
                _number(row.ours, row.unit),
                _number(row.baseline, row.unit),
                ratio,
                row.note,
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    out = []
    for n, line in enumerate(lines):
        cells = [cell.ljust(width) for cell, width in zip(line, widths, strict=False)]
        out.append(" | ".join([*cells, line[-1]]).rstrip())
        if n == 0:
            out.append("-+-".join("-" * w for w in widths) + "-+-" + "-" * 4)
    return "\n".join(out)


def write_json(
    rows: Sequence[Row], path: Path, *, settings: dict[str, Any], seconds: float
) -> Path:
    """Save the rows, the settings used and the machine to ``path`` (dirs created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": _cpu_count(),
        },
        "settings": settings,
        "total_seconds": round(seconds, 1),
        "rows": [row.to_json() for row in rows],
    }
    path.write_text(json.dumps(doc, indent=2) + "\n")
    return path


def _cpu_count() -> int | None:
    import os

    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count()


__all__ = ["Better", "Row", "alternate", "format_table", "write_json"]
